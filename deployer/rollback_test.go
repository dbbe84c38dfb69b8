package deployer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestRollbackPinnedToADeploymentThatEndedRedeploysNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registerTaskDefinition(prevTD, "repo/model-server:v0")
	res := w.deployer(t, true).Rollback(context.Background(), "d-NEW", "", DeployRequest{})

	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "deployment d-NEW is not in flight (the group has none): nothing stopped")
	assert.Empty(t, w.creates, "a pinned rollback never turns into a redeploy")
}

func TestRollbackAfterBlueIsGoneRedeploysTheRecordedPreviousTaskDefinition(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registerTaskDefinition(prevTD, "repo/model-server:v0")
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
	w.registerTaskDefinition(prevTD, "repo/model-server:v0")
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
	assert.Equal(t, "pass", gateNamed(t, res, GateSoak).Verdict, "gate 2 judges green on its own health and metrics, not on alarms the failed release set off")
	assert.Contains(t, strings.Join(gateNamed(t, res, GateSoak).Evidence, "\n"), "group alarms not judged: this rollback redeploy turned them off")
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
