package deployer

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

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

func TestAbortPinnedToADeploymentThatIsNotInFlightStopsNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEXT"}
	w.addScript("d-NEXT", stepInstalling)
	res := w.deployer(t, true).Abort(context.Background(), "d-NEW")

	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "deployment d-NEW is not the group's in-flight deployment (that is d-NEXT, InProgress)")
	assert.Empty(t, w.stops, "the next release is not stopped by an abort meant for an earlier one")
}

func TestAbortPinnedToTheInFlightDeploymentStopsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepReady)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Abort(context.Background(), "d-NEW")

	assert.Equal(t, OutcomeRolledBack, res.Outcome, res.Message)
	assert.Equal(t, []string{"d-NEW"}, w.stops)
}
