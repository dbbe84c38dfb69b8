package deployer

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployReadsTheInFlightAppSpecFromTheRevisionWhenGetDeploymentOmitsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.contentOnlyFromRevision = true
	w.registerTaskDefinition(newTD, newImage)
	w.inFlight("d-OLD", newTD, stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Equal(t, 1, w.called("codedeploy:GetApplicationRevision"))
}
