package deployer

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusShowsLiveImageListenersAndTheInFlightPhase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[newTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(newTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String(newImage)}}}
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepReady)
	w.scripts["d-NEW"].appSpec = mustAppSpec(t, newTD)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Status(context.Background())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	s := res.Status
	assert.Equal(t, liveTD, s.TaskDefinitionArn)
	assert.Equal(t, "repo/model-server:v1", s.Image)
	assert.Equal(t, prevTD, s.PreviousTaskDefinitionArn)
	assert.Equal(t, tgBlue, s.Prod.LiveTargetGroup)
	assert.Equal(t, tgGreen, s.Test.LiveTargetGroup)
	require.NotNil(t, s.InFlight)
	assert.Equal(t, PhaseReady, s.InFlight.Phase)
	assert.Equal(t, newImage, s.InFlight.Image)
	var out bytes.Buffer
	res.writeText(&out)
	assert.Contains(t, out.String(), "prod serves     web-blue (web-blue=100 web-green=0)")
	assert.Contains(t, out.String(), "in flight       d-NEW Ready (phase ready) image repo/model-server:v2")
	assert.Zero(t, w.writes(), "status writes nothing")
}

func TestPlanShowsTheDiffAndAppSpecAndWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.deployer(t, true).Plan(context.Background(), deployV2())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	p := res.Plan
	assert.Contains(t, p.TaskDefinitionDiff, `~ containerDefinitions[model].image: "repo/model-server:v1" → "repo/model-server:v2"`)
	assert.Contains(t, p.AppSpec, "(new revision of web, registered by deploy)")
	assert.Equal(t, "none: deploy would create a deployment", p.InFlight)
	assert.Equal(t, "STOP_DEPLOYMENT", p.Group.ReadyAction)
	assert.NotZero(t, p.Budget.Total)
	assert.Empty(t, w.registers)
	assert.Empty(t, w.creates)
	var out bytes.Buffer
	res.writeText(&out)
	assert.Contains(t, out.String(), "task definition changes:")
}

func TestPlanShowsAGroupAlarmInAlarmAndTheWorstCaseRunTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.alarms[0].StateValue, w.alarms[0].StateReason = cwtypes.StateValueAlarm, aws.String("Threshold Crossed")
	res := w.deployer(t, true).Plan(context.Background(), deployV2())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	p := res.Plan
	assert.Equal(t, []string{"web-5xx: Threshold Crossed"}, p.AlarmsInAlarm)
	assert.Equal(t, p.Budget.AlarmWait+p.Budget.Total+p.Budget.Rollback, p.Budget.WorstCase)
	assert.Equal(t, 15*time.Minute, p.Budget.Rollback, "--rollback-timeout")
	var out bytes.Buffer
	res.writeText(&out)
	assert.Contains(t, out.String(), "alarm in ALARM   web-5xx: Threshold Crossed (deploy would wait up to 5m0s for it to clear, else exit 1 alarm_active)")
	assert.Contains(t, out.String(), "; worst case "+p.Budget.WorstCase.String()+" (+ alarm wait 5m0s before creating, + rollback 15m0s)")
	assert.Zero(t, w.writes())
}

func TestTheBudgetLineNamesGateTwoForWhatItIs(t *testing.T) {
	t.Parallel()
	g := GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour, TerminationWait: 30 * time.Minute}
	o := DefaultOptions() // soak 5m, metrics lag 3m
	assert.Contains(t, assessBudget(o, g).String(), "+ soak + metrics lag 8m0s +")
	assert.NotContains(t, assessBudget(o, g).String(), "termination wait 8m0s")
	o.Soak = 0
	assert.Contains(t, assessBudget(o, g).String(), "+ termination wait 30m0s +")
}

func TestContinuePromotesPastTheWaitTheDeploymentIsIn(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		step step
		want string
	}{
		{"a deployment in Ready is continued with READY_WAIT", stepReady, "READY_WAIT"},
		{"a deployment in the termination wait is continued with TERMINATION_WAIT", stepTermWait, "TERMINATION_WAIT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.active = []string{"d-NEW"}
			w.addScript("d-NEW", tc.step)
			res := w.deployer(t, true).Continue(context.Background(), "", "")
			require.Equal(t, ExitReleased, res.ExitCode, res.Message)
			assert.Equal(t, []string{tc.want}, w.continues)
		})
	}
}

func TestContinueRefusesADeploymentThatIsNotWaiting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepInstalling)
	res := w.deployer(t, true).Continue(context.Background(), "d-NEW", "")
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "deployment d-NEW is in phase installing")
	assert.Empty(t, w.continues)
}

func TestAssessContinue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		phase   Phase
		want    string
		wait    cdtypes.DeploymentWaitType
		wantErr string
	}{
		{"without --wait a deployment in Ready is continued past Ready", PhaseReady, "", cdtypes.DeploymentWaitTypeReadyWait, ""},
		{"without --wait a deployment in the termination wait ends that wait", PhaseTerminationWait, "", cdtypes.DeploymentWaitTypeTerminationWait, ""},
		{"--wait ready continues a deployment in Ready", PhaseReady, WaitReady, cdtypes.DeploymentWaitTypeReadyWait, ""},
		{"--wait termination ends the termination wait", PhaseTerminationWait, WaitTermination, cdtypes.DeploymentWaitTypeTerminationWait, ""},
		{"--wait ready never ends the termination wait", PhaseTerminationWait, WaitReady, "", "deployment d-1 is in phase termination-wait, not in the ready wait: nothing continued"},
		{"--wait termination never promotes past Ready", PhaseReady, WaitTermination, "", "deployment d-1 is in phase ready, not in the termination wait"},
		{"--wait ready refuses a deployment still installing", PhaseInstalling, WaitReady, "", "is in phase installing, not in the ready wait"},
		{"--wait ready refuses a deployment shifting traffic", PhaseShifting, WaitReady, "", "is in phase shifting-traffic, not in the ready wait"},
		{"without --wait a finished deployment is refused", PhaseSucceeded, "", "", "is in phase succeeded; continue applies in ready or termination-wait"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := assessContinue("d-1", tc.phase, tc.want)
			assertDecision(t, got, err, tc.wait, tc.wantErr)
		})
	}
}

func TestContinueWaitReadyRefusesADeploymentAlreadyInTheTerminationWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepTermWait)
	code, _, stderr := cliRun(t, w, nil, "", "continue", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--wait", "ready")

	assert.Equal(t, ExitFailed, code)
	assert.Contains(t, stderr, "deployer continue: failed: deployment d-NEW is in phase termination-wait, not in the ready wait")
	assert.Empty(t, w.continues, "blue is not terminated by an operator who meant past Ready")
}

func TestAbortStopsWithRollbackAndSucceedsWhenTheRollbackDoes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepShifting)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Abort(context.Background(), "")
	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, ExitReleased, res.ExitCode, "abort did what was asked")
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Equal(t, &RollbackInfo{DeploymentID: "d-RB", Status: S}, res.Rollback)
}

func TestAbortWithNothingInFlightFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.deployer(t, true).Abort(context.Background(), "")
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "no deployment in flight")
}

func TestRollbackStopsAnInFlightDeployment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepTermWait)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Rollback(context.Background(), "", "", DeployRequest{})
	assert.Equal(t, ExitReleased, res.ExitCode, res.Message)
	assert.Equal(t, []string{"d-NEW"}, w.stops, "during the termination wait blue is still warm: stop with rollback")
}

func TestRollbackAfterBlueIsGoneRedeploysTheRecordedPreviousTaskDefinition(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[prevTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(prevTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String("repo/model-server:v0")}}}
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Rollback(context.Background(), "", "", DeployRequest{})

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, "rollback", res.Command)
	assert.Equal(t, prevTD, res.TaskDefinitionArn, "the recorded previous revision, not the previous revision in the family")
	assert.Equal(t, "repo/model-server:v0", res.Image)
	assert.Empty(t, w.registers, "an existing revision is deployed as is")
	require.Len(t, w.creates, 1)
	assert.Contains(t, *w.creates[0].Revision.AppSpecContent.Content, prevTD)
}

// rollbackWorld has blue gone, the previous revision recorded, and the group's
// alarm firing because production is failing.
func rollbackWorld(t *testing.T) *world {
	w := newWorld(t)
	w.taskDefs[prevTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(prevTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String("repo/model-server:v0")}}}
	w.alarms[0].StateValue, w.alarms[0].StateReason = cwtypes.StateValueAlarm, aws.String("Threshold Crossed: production answers 5xx")
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	return w
}

func TestRollbackAfterBlueIsGoneRollsOutWhileProductionAlarmsFire(t *testing.T) {
	t.Parallel()
	w := rollbackWorld(t)
	log, logs := newLog(t)
	res := w.deployer(t, true, func(o *Options) { o.Logger = log }).Rollback(context.Background(), "", "", DeployRequest{})

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	require.Len(t, w.creates, 1)
	require.NotNil(t, w.creates[0].OverrideAlarmConfiguration, "the group's alarms would stop the known-good revision at once")
	assert.False(t, w.creates[0].OverrideAlarmConfiguration.Enabled)
	assert.True(t, res.AlarmsOverridden)
	created, ok := w.firstCallAfter("codedeploy:CreateDeployment", res.StartedAt)
	require.True(t, ok)
	assert.Less(t, created.Sub(res.StartedAt), time.Minute, "no alarm wait before creating")
	assert.NotContains(t, w.callsBetween(res.StartedAt, created.Add(time.Nanosecond)), "cloudwatch:DescribeAlarms")
	assert.Zero(t, res.Budget.AlarmWait)
	assert.Contains(t, logs.String(), "rollback redeploy: not waiting for the group's alarms, and creating the deployment with them turned off (OverrideAlarmConfiguration)")
	assert.Equal(t, "pass", res.Gates[1].Verdict, "gate 2 judges green on its own health and metrics, not on alarms the failed release set off")
	assert.Contains(t, strings.Join(res.Gates[1].Evidence, "\n"), "group alarms not judged: this rollback redeploy turned them off")
}

func TestRollbackThatMayNotOverrideTheGroupsAlarmsNamesThePermission(t *testing.T) {
	t.Parallel()
	w := rollbackWorld(t)
	w.onCreate = func(*world) error {
		return apiError("AccessDeniedException", "User is not authorized to perform: codedeploy:UpdateDeploymentGroup")
	}
	res := w.deployer(t, true).Rollback(context.Background(), "", "", DeployRequest{})

	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "also needs codedeploy:UpdateDeploymentGroup on group web-dg in the deployer's policy")
	assert.Contains(t, res.Message, "`deployer deploy --task-definition-arn PREVIOUS`")
}

func TestDeployAndRollbackWithoutGroupAlarmsOverrideNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())
	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	require.Len(t, w.creates, 1)
	assert.Nil(t, w.creates[0].OverrideAlarmConfiguration, "a release keeps the group's alarms: they stop a bad one")

	w = rollbackWorld(t)
	w.group.AlarmConfiguration = nil
	res = w.deployer(t, true).Rollback(context.Background(), "", "", DeployRequest{})
	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Nil(t, w.creates[0].OverrideAlarmConfiguration, "nothing to turn off: no UpdateDeploymentGroup permission needed")
}

func TestRollbackWithoutARecordFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.tags[liveTD] = nil
	res := w.deployer(t, true).Rollback(context.Background(), "", "", DeployRequest{})
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "pass --to-task-definition")
}

func TestPlanSaysDeployWouldAttachToAnInFlightDeploymentOfTheSameImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[newTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(newTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String(newImage)}}}
	w.active = []string{"d-OLD"}
	w.addScript("d-OLD", stepReady)
	w.scripts["d-OLD"].appSpec = mustAppSpec(t, newTD)
	res := w.deployer(t, true).Plan(context.Background(), deployV2())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	assert.Contains(t, res.Plan.InFlight, "deploy would attach to it")
}
