package deployer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployReadsTheInFlightAppSpecFromTheRevisionWhenGetDeploymentOmitsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.contentOnlyFromRevision = true
	w.taskDefs[newTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(newTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String(newImage)}}}
	w.active = []string{"d-OLD"}
	w.addScript("d-OLD", stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.scripts["d-OLD"].appSpec = mustAppSpec(t, newTD)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Equal(t, 1, w.called("codedeploy:GetApplicationRevision"))
}
