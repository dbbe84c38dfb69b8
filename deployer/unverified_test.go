package deployer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployWhoseTerminationWaitEndedBeforeTheSoakIsReleasedUnverified(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tw := stepTermWait // someone ends the termination wait by hand right away
	tw.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, tw, stepSucceeded)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeReleasedUnverified, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode, "CI must see that blue went before green was shown to hold")
	assert.Equal(t, "incomplete", res.Gates[1].Verdict)
	assert.Contains(t, res.Message, "released repo/model-server:v2 but gate 2 did not verify it: the termination wait ended before the soak finished")
	assert.Empty(t, w.stops, "nothing to roll back to: blue is gone")
}

func TestDeployThatNeverSawTheTerminationWaitIsReleasedUnverified(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, stepSucceeded)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeReleasedUnverified, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	require.Len(t, res.Gates, 2)
	assert.Equal(t, "incomplete", res.Gates[1].Verdict)
	assert.Contains(t, res.Gates[1].Reason, "the deployment left the termination wait before gate 2 began")
}

func TestAssessReleaseVerified(t *testing.T) {
	t.Parallel()
	gate := func(name, verdict string) *GateResult {
		return &GateResult{Name: name, Verdict: verdict, Reason: verdict + " because"}
	}
	cases := []struct {
		name       string
		gates      []*GateResult
		soak       time.Duration
		wantOK     bool
		wantReason string
	}{
		{"a soak that passed verifies the release", []*GateResult{gate(GateReady, "pass"), gate(GateSoak, "pass")}, time.Minute, true, ""},
		{"an incomplete soak does not", []*GateResult{gate(GateReady, "pass"), gate(GateSoak, "incomplete")}, time.Minute, false, "incomplete because"},
		{"a soak that never ran does not", []*GateResult{gate(GateReady, "pass")}, time.Minute, false, "gate 2 did not run"},
		{"--soak 0 asks for no verification", []*GateResult{gate(GateReady, "pass"), gate(GateSoak, "skipped")}, 0, true, ""},
		{"gate 1 not run by --allow-ungated-traffic is the operator's explicit choice", []*GateResult{gate(GateReady, "not_run"), gate(GateSoak, "pass")}, time.Minute, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, reason := assessReleaseVerified(tc.gates, tc.soak)
			assert.Equal(t, tc.wantOK, ok)
			assert.Contains(t, reason, tc.wantReason)
		})
	}
}

func TestDeployWhoseTerminationWaitEndedWhileWaitingForLateMetricsSaysTheSoakHadPassed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.metricsLag = time.Hour // the window's last minute never arrives
	tw := stepTermWait       // the termination wait ends a minute after the 2m soak window
	tw.waitFor, tw.lasts = "", 3*time.Minute
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, tw, stepSucceeded)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeReleasedUnverified, res.Outcome)
	require.Len(t, res.Gates, 2)
	assert.Equal(t, "incomplete", res.Gates[1].Verdict)
	assert.NotContains(t, res.Gates[1].Reason, "before the soak finished")
	assert.Contains(t, res.Gates[1].Reason, "the termination wait ended after the 2m0s soak window, whose checks had all passed, while the deployer waited for CloudWatch's late datapoints of its last minute")
	assert.Contains(t, res.Message, "into --metrics-lag 3m0s): the whole window's metrics were not judged")
}

func TestAssessSoakCut(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	w := &soakWindow{start: start, end: start.Add(5 * time.Minute), lagEnd: start.Add(8 * time.Minute)}
	cases := []struct {
		name string
		now  time.Time
		want string
	}{
		{"inside the soak window it ended before the soak finished", start.Add(2 * time.Minute), "the termination wait ended before the soak finished (2m0s into the 5m0s soak)"},
		{"after the window it ended while waiting for CloudWatch", start.Add(6 * time.Minute), "after the 5m0s soak window, whose checks had all passed, while the deployer waited for CloudWatch's late datapoints of its last minute (1m0s into --metrics-lag 3m0s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Contains(t, assessSoakCut(w, tc.now, 3*time.Minute), tc.want)
		})
	}
}
