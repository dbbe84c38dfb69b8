package deployer

import (
	"context"
	"strings"
	"testing"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssessGroup(t *testing.T) {
	t.Parallel()
	waits := GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour, TerminationWait: 30 * time.Minute}
	continues := GroupSettings{ReadyAction: "CONTINUE_DEPLOYMENT", TerminationWait: 30 * time.Minute}
	cases := []struct {
		name     string
		opts     func(*Options)
		group    GroupSettings
		wantErr  string // the refusal, an *InputError
		wantWarn string
	}{
		{"a group that waits in Ready with room for the soak is fine", nil, waits, "", ""},
		{"a group that does not wait in Ready is refused, naming its ready option and the fixes", nil, continues,
			"deploymentReadyOption CONTINUE_DEPLOYMENT (ready wait 0): production traffic would move to green without gate 1; set deployment.readyWaitMinutes in the stack", ""},
		{"the refusal names the explicit way to release without gate 1", nil, continues, "or pass --allow-ungated-traffic", ""},
		{"--allow-ungated-traffic releases without gate 1 and says so", func(o *Options) { o.AllowUngatedTraffic = true }, continues, "",
			"--allow-ungated-traffic: production traffic moves to green without gate 1"},
		{"--hold-at-ready needs a group that waits in Ready, even with --allow-ungated-traffic", func(o *Options) { o.HoldAtReady, o.AllowUngatedTraffic = true, true }, continues,
			"--hold-at-ready cannot hold production traffic", ""},
		{"a termination wait no longer than the soak plus the margin is refused", func(o *Options) { o.Soak = 28 * time.Minute }, waits,
			"--soak 28m0s needs the group's termination wait (deployment.terminationWaitMinutes, 30m0s) to exceed the soak by more than 2m0s", ""},
		{"a zero termination wait is refused when soaking", nil, GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour},
			"deployment.terminationWaitMinutes, 0s", ""},
		{"--soak 0 needs no termination wait", func(o *Options) { o.Soak = 0 }, GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour}, "", ""},
		{"holding at Ready does not soak in this run, so the termination wait is not checked", func(o *Options) { o.HoldAtReady = true },
			GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour}, "", ""},
		{"a gate timeout that reaches the ready wait is clamped, with a warning", func(o *Options) { o.GateTimeout = 10 * time.Minute },
			GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 10 * time.Minute, TerminationWait: 30 * time.Minute}, "",
			"--gate-timeout 10m0s reaches the group's ready wait (deployment.readyWaitMinutes, 10m0s): gate 1 is cut at 9m0s"},
		{"the default gate timeout ends before a 10-minute ready wait without a warning", nil,
			GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 10 * time.Minute, TerminationWait: 30 * time.Minute}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := DefaultOptions() // soak 5m, gate timeout 0 (derived)
			if tc.opts != nil {
				tc.opts(&o)
			}
			warnings, err := assessGroup(o, "web-dg", tc.group)
			if tc.wantErr != "" {
				var in *InputError
				require.ErrorAs(t, err, &in)
				assert.Contains(t, err.Error(), tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			if tc.wantWarn != "" {
				assert.Contains(t, strings.Join(warnings, "\n"), tc.wantWarn)
			} else if tc.wantErr == "" {
				assert.Empty(t, warnings)
			}
		})
	}
}

func TestAssessGateDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name        string
		timeout     time.Duration
		readyEnd    time.Time
		readyWait   time.Duration
		want        time.Time
		wantClamped bool
	}{
		{"a gate timeout well inside the ready wait is kept", 10 * time.Minute, now.Add(time.Hour), time.Hour, now.Add(10 * time.Minute), false},
		{"a gate timeout past the ready wait ends a minute before it", 10 * time.Minute, now.Add(5 * time.Minute), 5 * time.Minute, now.Add(4 * time.Minute), true},
		{"an attached run counts from the ready wait's end, not its length", 10 * time.Minute, now.Add(3 * time.Minute), time.Hour, now.Add(2 * time.Minute), true},
		{"a short ready wait keeps a fifth of it as the margin", 10 * time.Minute, now.Add(2 * time.Minute), 2 * time.Minute, now.Add(96 * time.Second), true},
		{"without a ready wait end the gate timeout is kept", 10 * time.Minute, time.Time{}, 0, now.Add(10 * time.Minute), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, clamped := assessGateDeadline(now, tc.timeout, tc.readyEnd, tc.readyWait)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantClamped, clamped)
		})
	}
}

func TestDeployRefusesAGroupThatDoesNotWaitInReadyBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, false).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeBadInput, res.Outcome)
	assert.Equal(t, ExitBadInput, res.ExitCode)
	assert.Contains(t, res.Message, "deployment group web-dg: deploymentReadyOption CONTINUE_DEPLOYMENT")
	assert.Zero(t, w.writes(), "nothing registered, created or continued")
}

func TestDeployWithAllowUngatedTrafficRecordsGateOneAsNotRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, false, func(o *Options) { o.AllowUngatedTraffic = true }).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	require.Len(t, res.Gates, 2)
	assert.Equal(t, GateReady, res.Gates[0].Name)
	assert.Equal(t, "not_run", res.Gates[0].Verdict)
	assert.Contains(t, res.Gates[0].Reason, "--allow-ungated-traffic")
	assert.Equal(t, "pass", res.Gates[1].Verdict, "gate 2 still soaks")
	assert.Equal(t, []string{"TERMINATION_WAIT"}, w.continues)
}

func TestDeployRefusesATerminationWaitTooShortForTheSoakBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	for _, minutes := range []int32{0, 3} {
		w := newWorld(t)
		w.group.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes = minutes
		w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, stepSucceeded)
		res := w.deployer(t, true).Deploy(context.Background(), deployV2()) // --soak 2m

		assert.Equal(t, ExitBadInput, res.ExitCode, "termination wait %d min", minutes)
		assert.Contains(t, res.Message, "--soak 2m0s needs the group's termination wait (deployment.terminationWaitMinutes")
		assert.Zero(t, w.writes())
	}
}

func TestGateOneEndsWithItsOwnReasonBeforeTheReadyWaitRunsOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption.WaitTimeInMinutes = 5
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, readySince(w.clock.Now()), stepShifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	res := w.deployer(t, false, func(o *Options) { o.GateTimeout = 10 * time.Minute }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, []string{"d-NEW"}, w.stops, "the deployer stops it, not CodeDeploy's ready wait")
	assert.Contains(t, res.Message, "not 3 in a row within gate 1's time (--gate-timeout 10m0s, cut at the group's ready wait less 1m0s)")
	assert.Less(t, res.Gates[0].End.Sub(res.StartedAt), 5*time.Minute)
}

func TestTheDefaultGateTimeoutRunsGateOneUntilShortlyBeforeTheReadyWaitEndsWithoutAWarning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption.WaitTimeInMinutes = 10 // the dev stack
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, readySince(w.clock.Now()), stepShifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	log, logs := newLog(t)
	res := w.deployer(t, false, func(o *Options) { o.Logger = log }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "not 3 in a row within gate 1's time (until the group's ready wait 10m0s less 1m0s)")
	assert.Equal(t, 9*time.Minute, res.Budget.Gate1)
	assert.NotContains(t, logs.String(), "is cut", "nothing was cut that anyone asked for")
	assert.GreaterOrEqual(t, res.Gates[0].End.Sub(res.StartedAt), 8*time.Minute)
	assert.Less(t, res.Gates[0].End.Sub(res.StartedAt), 10*time.Minute)
}

func TestAllowUngatedTrafficIsADeployFlag(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "deploy", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "-allow-ungated-traffic")
}

func TestPlanSaysWhyDeployWouldRefuseAndExitsTwo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}
	res := w.deployer(t, true).Plan(context.Background(), deployV2())

	assert.Equal(t, ExitBadInput, res.ExitCode)
	require.NotNil(t, res.Plan, "the plan is still shown")
	assert.Contains(t, res.Plan.Refusal, "deploymentReadyOption CONTINUE_DEPLOYMENT")
	assert.Contains(t, res.Message, "deploy would refuse: ")
	assert.Zero(t, w.writes())
}
