package deployer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployReleasesWhenBothGatesPass(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, ExitReleased, res.ExitCode)
	assert.Equal(t, "d-NEW", res.DeploymentID)
	assert.Equal(t, newTD, res.TaskDefinitionArn)
	assert.Equal(t, liveTD, res.PreviousTaskDefinitionArn)
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues, "gate 1 then gate 2 continue the deployment")
	assert.Empty(t, w.stops)
	require.Len(t, res.Gates, 3)
	assert.Equal(t, []string{GateReady, GateShift, GateSoak}, gateNames(res))
	assert.Equal(t, "pass", res.Gates[0].Verdict)
	assert.Equal(t, "pass", gateNamed(t, res, GateSoak).Verdict)
	assert.Contains(t, strings.Join(res.Gates[0].Evidence, "\n"), "readiness probe GET /health/ready via the test listener: 200")
	assert.Equal(t, []TrafficStep{{At: res.Traffic[0].At, Blue: 100, Green: 0}, {At: res.Traffic[1].At, Blue: 0, Green: 100}}, res.Traffic)
}

func TestDeployAttachesToTheInFlightDeploymentOfTheSameImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registerTaskDefinition(newTD, newImage)
	w.tags[newTD] = []ecstypes.Tag{{Key: aws.String(TagPreviousTaskDefinition), Value: aws.String(liveTD)}}
	w.inFlight("d-OLD", newTD, stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Equal(t, "d-OLD", res.DeploymentID)
	assert.Equal(t, liveTD, res.PreviousTaskDefinitionArn)
	assert.Empty(t, w.registers, "resuming registers nothing")
	assert.Empty(t, w.creates, "resuming never creates a second deployment")
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues, "the resumed run still gates")
}

func TestDeployRefusesWhenAnotherImageIsInFlight(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	other := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9"
	w.registerTaskDefinition(other, "repo/model-server:v3")
	w.inFlight("d-OTHER", other, stepReady)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeBusy, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Equal(t, "d-OTHER", res.DeploymentID)
	assert.Contains(t, res.Message, "deployment d-OTHER (phase ready) deploys repo/model-server:v3")
	assert.Empty(t, w.registers)
	assert.Empty(t, w.creates)
	assert.Empty(t, w.stops, "someone else's deployment is left alone")
}

func TestDeployNeverAttachesToCodeDeploysRollback(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registerTaskDefinition(newTD, newImage)
	w.inFlight("d-RB", newTD, codeDeployRollback)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeBusy, res.Outcome)
	assert.Contains(t, res.Message, "deployment d-RB (phase installing) is CodeDeploy's rollback of d-NEW; wait for it with `deployer status --follow --deployment-id d-RB`")
	assert.Zero(t, w.writes())
}

func TestDeployWithAllowUngatedTrafficRecordsGateOneAsNotRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, false, func(o *Options) { o.AllowUngatedTraffic = true }).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	require.Len(t, res.Gates, 3)
	assert.Equal(t, GateReady, res.Gates[0].Name)
	assert.Equal(t, "not_run", res.Gates[0].Verdict)
	assert.Contains(t, res.Gates[0].Reason, "--allow-ungated-traffic")
	assert.Equal(t, "pass", gateNamed(t, res, GateSoak).Verdict, "gate 2 still soaks")
	assert.Equal(t, []string{"TERMINATION_WAIT"}, w.continues)
}

// pulumiTD is a revision Pulumi registered after a config change: the live image,
// a new environment, no deployer tags.
const pulumiTD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9"

func (w *world) registeredRevision(arn, family string) {
	td := liveTaskDefinition()
	td.TaskDefinitionArn, td.Family, td.Revision = aws.String(arn), aws.String(family), 9
	td.ContainerDefinitions[0].Environment = append(td.ContainerDefinitions[0].Environment, ecstypes.KeyValuePair{Name: aws.String("MAX_BATCH_SIZE"), Value: aws.String("32")})
	w.taskDefs[arn] = td
}

func deployRevision(arn string) DeployRequest {
	return DeployRequest{TaskDefinitionArn: arn, SameFamily: true, Provenance: Provenance{GitSHA: "abc123"}}
}

func TestDeployTaskDefinitionArnReleasesTheRegisteredRevisionThroughTheGates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registeredRevision(pulumiTD, "web")
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Deploy(context.Background(), deployRevision(pulumiTD))

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, pulumiTD, res.TaskDefinitionArn)
	assert.Equal(t, liveTD, res.PreviousTaskDefinitionArn)
	assert.Equal(t, "repo/model-server:v1", res.Image, "the revision's own image")
	assert.Empty(t, w.registers, "the registered revision is released as is")
	require.Len(t, w.creates, 1)
	assert.Contains(t, *w.creates[0].Revision.AppSpecContent.Content, pulumiTD)
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues, "the same gates")
}

func TestDeployTaskDefinitionArnResolvesFamilyRevisionToTheFullARN(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registeredRevision(pulumiTD, "web")
	w.taskDefs["web:9"] = w.taskDefs[pulumiTD]
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Deploy(context.Background(), deployRevision("web:9"))

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, pulumiTD, res.TaskDefinitionArn)
	assert.Contains(t, *w.creates[0].Revision.AppSpecContent.Content, `"TaskDefinition": "`+pulumiTD+`"`, "the AppSpec names the full ARN")
}

func TestDeployTaskDefinitionArnRefusesARevisionOfAnotherFamily(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	other := "arn:aws:ecs:us-east-1:123456789012:task-definition/batch:3"
	w.registeredRevision(other, "batch")
	res := w.deployer(t, true).Deploy(context.Background(), deployRevision(other))

	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "task definition "+other+" is a revision of family batch, but service web runs family web")
	assert.Empty(t, w.creates)
}

func TestDeployTaskDefinitionArnRefusesAnInFlightDeploymentOfTheSameImageButAnotherRevision(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registeredRevision(pulumiTD, "web")
	w.registerTaskDefinition(newTD, "repo/model-server:v1")
	w.inFlight("d-OTHER", newTD, stepReady)
	res := w.deployer(t, true).Deploy(context.Background(), deployRevision(pulumiTD))

	assert.Equal(t, OutcomeBusy, res.Outcome, "same image is not enough: the config change is in the revision")
	assert.Contains(t, res.Message, "deploys repo/model-server:v1 ("+newTD+"), not our task definition "+pulumiTD)
	assert.Empty(t, w.creates)
}

func TestDeployTaskDefinitionArnAttachesToTheInFlightDeploymentOfThatRevision(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registeredRevision(pulumiTD, "web")
	w.inFlight("d-OLD", pulumiTD, stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Deploy(context.Background(), deployRevision(pulumiTD))

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Empty(t, w.creates)
}

// A gate starts on the poll that saw its phase begin, and a check of green that falls due between
// polls judges on the last read: the deployment is never read twice within a poll interval with
// nothing written between (the benchmark counted such re-reads in Ready, the shift and the
// termination wait).
func TestDeployNeverReadsTheDeploymentFasterThanThePollInterval(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())
	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)

	w.mu.Lock()
	defer w.mu.Unlock()
	var lastRead time.Time
	for i, call := range w.calls {
		switch {
		case strings.HasPrefix(call, "codedeploy:GetDeployment "):
			assert.False(t, !lastRead.IsZero() && w.callAt[i].Sub(lastRead) < time.Second, "GetDeployment read again at %s, %s after the last, with nothing written between",
				w.callAt[i], w.callAt[i].Sub(lastRead))
			lastRead = w.callAt[i]
		case strings.Contains(call, "Continue") || strings.Contains(call, "Create") || strings.Contains(call, "Stop"):
			lastRead = time.Time{}
		}
	}
}
