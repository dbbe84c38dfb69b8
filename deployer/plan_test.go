package deployer

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestPlanSaysDeployWouldAttachToAnInFlightDeploymentOfTheSameImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registerTaskDefinition(newTD, newImage)
	w.inFlight("d-OLD", newTD, stepReady)
	res := w.deployer(t, true).Plan(context.Background(), deployV2())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	assert.Contains(t, res.Plan.InFlight, "deploy would attach to it")
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

func TestPlanReportsATestURLThatDoesNotAnswerAndExitsTwo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.deployer(t, true)
	d.t.TestURL = closedURL(t)
	res := d.Plan(context.Background(), deployV2())

	assert.Equal(t, ExitBadInput, res.ExitCode)
	require.NotNil(t, res.Plan)
	assert.Contains(t, res.Plan.TestURL, "unreachable: "+d.t.TestURL+" did not answer from this runner")
	assert.Contains(t, res.Plan.Refusal, "loadBalancer.testCidrs")
	assert.Zero(t, w.writes())
}
