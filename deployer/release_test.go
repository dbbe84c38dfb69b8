package deployer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployPollsWithinTheAPIBudgetInSteadyStateAndReactsWithinTheMaxInterval(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	start := w.clock.Now()
	change := start.Add(10*time.Minute + 2500*time.Millisecond)
	installing := stepInstalling // green starts for ten unchanged minutes, then test traffic moves
	installing.until = change
	w.addScript("d-NEW", stepCreated, installing, stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	d := w.deployer(t, true)
	res := d.Deploy(context.Background(), deployV2())
	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)

	// After the fast window (fastPolls polls at --poll-interval) only the capped interval
	// remains: each install poll is GetDeployment, GetDeploymentTarget, ListTasks and
	// DescribeTargetHealth, 4 calls per --poll-max-interval (5 s) = 0.8 calls/s, clock.go's budget.
	from := start.Add(time.Minute)
	steady := w.callsBetween(from, change)
	perSecond := float64(len(steady)) / change.Sub(from).Seconds()
	assert.LessOrEqual(t, perSecond, 0.81, "AWS calls per second while nothing changes")
	assert.GreaterOrEqual(t, perSecond, 0.5, "still polling")

	seen, ok := w.firstCallAfter("codedeploy:GetDeployment d-NEW", change)
	require.True(t, ok)
	assert.LessOrEqual(t, seen.Sub(change), d.o.PollMaxInterval, "a change is seen within --poll-max-interval")
}
