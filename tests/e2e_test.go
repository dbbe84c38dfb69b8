package tests

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// The project's promise, measured: the real program provisions the emulator from Pulumi.dev.yaml, the
// real deployer releases under steady production load, and no user request fails — neither while a
// good release moves traffic nor while a release whose model never becomes ready is rolled back.
func TestReleasesUnderLoadFailNoRequestAndANeverReadyGreenIsRolledBack(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end rehearsal takes about half a minute")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := rehearsal.Run(ctx, rehearsal.Options{
		StackFile: "../Pulumi.dev.yaml", TimeScale: 60, Rate: 100, Settle: 2 * time.Minute, Progress: &progress,
		Releases: []rehearsal.Release{
			{Tag: "v2", Why: "a good model"},
			{Tag: "v3", Env: []string{"SIM_NEVER_READY=true"}, Why: "a model that never becomes ready"},
		},
	})
	if t.Failed() || err != nil {
		t.Logf("deployer progress:\n%s", progress.String())
	}
	require.NoError(t, err)
	var text bytes.Buffer
	rep.WriteText(&text)
	t.Logf("report:\n%s", text.String())

	require.Len(t, rep.Releases, 2)
	good, bad := rep.Releases[0], rep.Releases[1]
	assert.Equal(t, "released", good.Outcome, good.Reason)
	assert.Equal(t, 0, good.ExitCode)
	assert.Equal(t, "rolled_back", bad.Outcome, bad.Reason)
	assert.Equal(t, 1, bad.ExitCode, "a rolled-back release must fail the CI step")

	for _, rel := range rep.Releases {
		for _, flag := range timingFlags {
			assert.NotContains(t, rel.Args, flag, "the rehearsal runs the deployer with its production timing")
		}
	}
	assert.Zero(t, rep.Failed, "production requests failed: %v", rep.FailureReasons)
	assert.Greater(t, rep.Requests, int(rep.DurationS*float64(rep.Rate)*0.8), "the load did not run at its rate")
	assert.Positive(t, rep.Versions["v2"], "v2 never answered production")
	assert.Zero(t, rep.Versions["v3"], "a never-ready model answered production")
	assert.Positive(t, good.ServedByImage, "v2 took no production traffic while it was released")
	// The emulator's listeners report the ports they serve on and it answers the attribute reads, as
	// AWS does: a rehearsal's deployer has no port mismatch to warn of and checks the stream settings.
	assert.False(t, strings.Contains(progress.String(), "URL port"), "a port warning that is an artefact of the emulator")
	assert.False(t, strings.Contains(progress.String(), "stream settings not checked"), "the deployer could not read the ELB attributes")
}

// Under an unkind AWS — 30 % of API calls throttled and 5 % answered 500 or 503, on top of the
// account's rate limits — a good release is still released, a wrong one still rolled back, and no
// production request fails: the deployer's retries, the SDK's retryer and its retry quota hold.
func TestAReleaseAndARollbackCompleteUnderThrottlingAndServerErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end rehearsal takes about half a minute")
	}
	faults, err := emulator.ParseFaults("throttle=0.3,5xx=0.05")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	rep, err := rehearsal.Run(ctx, rehearsal.Options{
		StackFile: "../Pulumi.dev.yaml", TimeScale: 60, Rate: 100, Settle: 2 * time.Minute, Progress: &progress,
		Emulator: emulator.Options{Faults: faults, FaultSeed: 9},
		Releases: []rehearsal.Release{
			{Tag: "v2", Why: "a good model"},
			{Tag: "v3", Env: []string{"SIM_PREDICTION_BIAS=0.5"}, Why: "healthy, but its predictions are wrong"},
		},
	})
	if t.Failed() || err != nil {
		t.Logf("deployer progress:\n%s", progress.String())
	}
	require.NoError(t, err)
	require.Len(t, rep.Releases, 2)
	good, bad := rep.Releases[0], rep.Releases[1]
	assert.Equal(t, "released", good.Outcome, good.Reason)
	assert.Equal(t, "rolled_back", bad.Outcome, bad.Reason)
	assert.Contains(t, bad.Reason, "gate ready failed", "rolled back by what it did wrong, not by a fault")
	assert.Zero(t, rep.Failed, "production requests failed: %v", rep.FailureReasons)
	assert.Zero(t, rep.Versions["v3"], "a wrong model answered production")
}

// timingFlags are the deployer's timing flags: on the emulator's one AWS clock, their production
// defaults mean what they mean on AWS, so a rehearsal passes none of them.
var timingFlags = []string{"--soak", "--soak-interval", "--metrics-lag", "--check-interval", "--poll-interval",
	"--poll-max-interval", "--gate-timeout", "--green-start-timeout"}
