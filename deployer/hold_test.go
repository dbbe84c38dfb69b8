package deployer

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readySince is stepReady whose pre-traffic events ended at the given time.
func readySince(at time.Time) step {
	st := stepReady
	evs := events(S, S, S, S, S)
	for i := range evs[:5] {
		evs[i].EndTime = aws.Time(at)
	}
	st.target = ecsTarget("Ready", evs, 100, 0)
	return st
}

func hold(o *Options) { o.HoldAtReady = true }

func TestDeployHoldAtReadyPassesGateOneAndLeavesTheDeploymentInReady(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, readySince(w.clock.Now()), stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, true, hold).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeHeldAtReady, res.Outcome, res.Message)
	assert.Equal(t, ExitReleased, res.ExitCode)
	assert.Empty(t, w.continues, "no ContinueDeployment: production stays on blue")
	assert.Empty(t, w.stops)
	require.Len(t, res.Gates, 1)
	assert.Equal(t, "pass", res.Gates[0].Verdict)
	require.NotNil(t, res.Hold)
	require.NotNil(t, res.Hold.ReadyWaitLeft)
	elapsed := w.clock.Now().Sub(res.StartedAt)
	assert.Equal(t, (time.Hour - elapsed).Round(time.Second), *res.Hold.ReadyWaitLeft, "the group's 60 min ready wait, counted from the end of AfterAllowTestTraffic")
	assert.Contains(t, res.Message, "re-run the same `deployer deploy` command (same image repo/model-server:v2) without --hold-at-ready: it attaches, re-checks gate 1, promotes and runs gate 2")
	assert.Contains(t, res.Message, "`deployer continue --wait ready --deployment-id d-NEW`")
	assert.Contains(t, res.Message, "before the group's ready wait (1h0m0s) runs out")

	data, err := json.Marshal(res)
	require.NoError(t, err)
	var doc struct {
		Outcome string `json:"outcome"`
		Hold    struct {
			ReadyWaitLeftSeconds int64  `json:"readyWaitLeftSeconds"`
			Continue             string `json:"continue"`
		} `json:"hold"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	assert.Equal(t, "held_at_ready", doc.Outcome)
	assert.Equal(t, int64(res.Hold.ReadyWaitLeft.Seconds()), doc.Hold.ReadyWaitLeftSeconds)
	assert.Equal(t, "deployer continue --wait ready --deployment-id d-NEW", doc.Hold.Continue)
}

func TestDeployRerunAfterAHoldAttachesRechecksGateOnePromotesAndSoaks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, readySince(w.clock.Now()), stepShifting, stepTermWait, stepSucceeded)
	held := w.deployer(t, true, hold).Deploy(context.Background(), deployV2())
	require.Equal(t, OutcomeHeldAtReady, held.Outcome, held.Message)

	w.active = []string{"d-NEW"}
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Len(t, w.creates, 1, "the promoting run creates nothing")
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues)
	require.Len(t, res.Gates, 3)
	assert.Equal(t, GateReady, res.Gates[0].Name, "gate 1 is checked again before production traffic")
	assert.Equal(t, "pass", gateNamed(t, res, GateSoak).Verdict, "gate 2 soak still runs")
}

func TestDeployHoldAtReadyRefusesAGroupThatDoesNotWaitInReadyAsBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		allowUngated bool
	}{
		{"a group that does not wait in Ready cannot hold", false},
		{"--allow-ungated-traffic does not let it hold either", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}
			res := w.deployer(t, true, hold, func(o *Options) { o.AllowUngatedTraffic = tc.allowUngated }).Deploy(context.Background(), deployV2())

			assert.Equal(t, ExitBadInput, res.ExitCode)
			assert.Contains(t, res.Message, "deployment group web-dg does not wait in Ready (deploymentReadyOption CONTINUE_DEPLOYMENT): --hold-at-ready cannot hold production traffic")
			assert.Empty(t, w.registers)
			assert.Empty(t, w.creates)
			assert.Zero(t, w.writes())
		})
	}
}

func TestAssessReadyWaitEnd(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	ended := func(at time.Time, n int) *cdtypes.ECSTarget {
		evs := events(S, S, S, S, S)
		for i := 0; i < n; i++ {
			evs[i].EndTime = aws.Time(at.Add(time.Duration(i) * time.Minute))
		}
		return &cdtypes.ECSTarget{Status: "Ready", LifecycleEvents: evs}
	}
	created := &cdtypes.DeploymentInfo{CreateTime: aws.Time(now.Add(-20 * time.Minute))}
	cases := []struct {
		name   string
		dep    *cdtypes.DeploymentInfo
		target *cdtypes.ECSTarget
		wait   time.Duration
		want   time.Time
		wantOK bool
	}{
		{"the wait runs from the end of the last pre-traffic event", created, ended(now.Add(-14*time.Minute), 5), time.Hour, now.Add(-10*time.Minute + time.Hour), true},
		{"skipped test-traffic events without times count from the last event that ended", created, ended(now.Add(-12*time.Minute), 3), time.Hour, now.Add(-10*time.Minute + time.Hour), true},
		{"without event times it counts from the deployment's creation, never later", created, ended(now, 0), time.Hour, now.Add(40 * time.Minute), true},
		{"without any time it counts from now", &cdtypes.DeploymentInfo{}, nil, 30 * time.Minute, now.Add(30 * time.Minute), true},
		{"a group without a ready wait time has no end", created, ended(now, 5), 0, time.Time{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := assessReadyWaitEnd(tc.dep, tc.target, tc.wait, now)
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}
