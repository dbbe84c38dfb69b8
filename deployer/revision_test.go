package deployer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	w.taskDefs[newTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(newTD), Family: aws.String("web"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String("repo/model-server:v1")}}}
	w.active = []string{"d-OTHER"}
	w.addScript("d-OTHER", stepReady)
	w.scripts["d-OTHER"].appSpec = mustAppSpec(t, newTD)
	res := w.deployer(t, true).Deploy(context.Background(), deployRevision(pulumiTD))

	assert.Equal(t, OutcomeBusy, res.Outcome, "same image is not enough: the config change is in the revision")
	assert.Contains(t, res.Message, "deploys repo/model-server:v1 ("+newTD+"), not our task definition "+pulumiTD)
	assert.Empty(t, w.creates)
}

func TestDeployTaskDefinitionArnAttachesToTheInFlightDeploymentOfThatRevision(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registeredRevision(pulumiTD, "web")
	w.active = []string{"d-OLD"}
	w.addScript("d-OLD", stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.scripts["d-OLD"].appSpec = mustAppSpec(t, pulumiTD)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Deploy(context.Background(), deployRevision(pulumiTD))

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Empty(t, w.creates)
}
