package deployer

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployReportsARollbackCodeDeployStartedAsFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting,
		step{status: "Stopped", errInfo: &cdtypes.ErrorInformation{Code: "ALARM_ACTIVE", Message: aws.String("One or more alarms have been activated")},
			rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}})
	w.addScript("d-RB", step{status: "InProgress"}, step{status: S})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome, "a rolled-back deployment is never success")
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Equal(t, "ALARM_ACTIVE", res.Failure.ErrorCode)
	assert.Contains(t, res.Message, "CodeDeploy ended deployment d-NEW as Stopped: ALARM_ACTIVE: One or more alarms have been activated")
	assert.Empty(t, w.stops)
}

func TestDeployIsNotSuccessWhenProductionIsUnhealthyAfterCodeDeploySucceeded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	succeeded := stepSucceeded
	succeeded.enter = func(w *world) {
		w.health = func(string) []elbv2types.TargetHealthDescription {
			return []elbv2types.TargetHealthDescription{target("10.0.0.1", "unhealthy", "Target.Timeout")}
		}
	}
	termWait := stepTermWait
	termWait.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, termWait, succeeded)
	res := w.deployer(t, true, func(o *Options) { o.Soak = 0 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeUnhealthyAfterRelease, res.Outcome, "not released, and not an ordinary failure: blue is gone")
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "CodeDeploy reports success but production target group web-green is not healthy (0/2 healthy; 10.0.0.1:8080 unhealthy (Target.Timeout))")
	assert.Contains(t, res.Message, "blue is already gone, so there is no fast rollback: run `deployer rollback --to-task-definition "+liveTD+"` now")
	assert.Nil(t, res.Rollback, "nothing was rolled back")
	assert.Empty(t, w.stops)
}

func TestDeployWhoseProductionForwardsElsewhereAfterSuccessIsAPlainFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	succeeded := stepSucceeded
	succeeded.enter = func(w *world) { w.setProd(tgBlue) }
	termWait := stepTermWait
	termWait.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, termWait, succeeded)
	res := w.deployer(t, true, func(o *Options) { o.Soak = 0 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeFailed, res.Outcome, "someone moved the listener: check status, not a redeploy")
	assert.Contains(t, res.Message, "CodeDeploy reports success but production forwards web-blue=100 web-green=0, not to green web-green")
}

func TestDeployWhoseTerminationWaitEndedBeforeTheSoakIsReleasedUnverified(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tw := stepTermWait // someone ends the termination wait by hand right away
	tw.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, tw, stepSucceeded)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeReleasedUnverified, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode, "CI must see that blue went before green was shown to hold")
	assert.Equal(t, "incomplete", gateNamed(t, res, GateSoak).Verdict)
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
	require.Len(t, res.Gates, 3)
	assert.Equal(t, "incomplete", gateNamed(t, res, GateSoak).Verdict)
	assert.Contains(t, gateNamed(t, res, GateSoak).Reason, "the deployment left the termination wait before gate 2 began")
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

func TestDeployTimesOutAndRollsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, step{status: "Queued", waitFor: "never"})
	w.expectRollback("d-NEW")
	res := w.deployer(t, true, func(o *Options) { o.Timeout = 5 * time.Minute }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeTimedOut, res.Outcome)
	assert.Equal(t, ExitTimedOut, res.ExitCode)
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Contains(t, res.Message, "time budget")
}

func TestDeployInterruptedStopsAndRollsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	installing := stepInstalling
	installing.enter = func(*world) { cancel() }
	w.addScript("d-NEW", stepCreated, installing, stepReady)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(ctx, deployV2())

	assert.Equal(t, OutcomeInterrupted, res.Outcome)
	assert.Equal(t, ExitInterrupted, res.ExitCode)
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Equal(t, &RollbackInfo{DeploymentID: "d-RB", Status: S}, res.Rollback)
}

func TestDeployInterruptedWithDetachLeavesTheDeploymentRunning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	installing := stepInstalling
	installing.enter = func(*world) { cancel() }
	w.addScript("d-NEW", stepCreated, installing, stepReady)
	res := w.deployer(t, true, func(o *Options) { o.OnInterrupt = "detach" }).Deploy(ctx, deployV2())

	assert.Equal(t, OutcomeDetached, res.Outcome)
	assert.Equal(t, ExitInterrupted, res.ExitCode)
	assert.Empty(t, w.stops)
	assert.Contains(t, res.Message, "Resume gating by running the same `deployer deploy` command")
}

func TestTheReleaseVerificationCatchesAGreenCodeDeployMovedOnWithWhileItsTargetsAreUnhealthy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	installMovesOnUnhealthy(w, stepShifting, unattended(stepTermWait)[0], stepSucceeded)
	res := w.deployer(t, true, ungated, func(o *Options) { o.Soak = 0 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeUnhealthyAfterRelease, res.Outcome, "no gate judged it (no Ready wait, --soak 0): CodeDeploy's success is still not taken on trust")
	assert.Contains(t, res.Message, "CodeDeploy reports success but production target group web-green is not healthy (0/2 healthy")
}
