package deployer

import (
	"context"
	"testing"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withDesired is st with both task sets wanting n tasks.
func withDesired(st step, n int64) step {
	tgt := *st.target
	tgt.TaskSetsInfo = append([]cdtypes.ECSTaskSet(nil), tgt.TaskSetsInfo...)
	for i := range tgt.TaskSetsInfo {
		tgt.TaskSetsInfo[i].DesiredCount, tgt.TaskSetsInfo[i].RunningCount = n, n
	}
	st.target = &tgt
	return st
}

// fourTasks is newWorld with a 4-task service whose targets are all healthy.
func fourTasks(t *testing.T) *world {
	w := newWorld(t)
	w.service.DesiredCount = 4
	w.health = func(string) []elbv2types.TargetHealthDescription { return healthyTargets(4) }
	return w
}

// scaledInTo2 is st wanting 2 tasks: as it is first served, autoscaling has scaled
// the service in from 4 to 2, so 2 green targets stay healthy and the others drain.
func scaledInTo2(st step, draining ...string) step {
	st = withDesired(st, 2)
	st.enter = func(w *world) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.service.DesiredCount = 2
		w.health = func(string) []elbv2types.TargetHealthDescription {
			out := healthyTargets(2)
			for _, ip := range draining {
				out = append(out, target(ip, "draining", "Target.DeregistrationInProgress"))
			}
			return out
		}
	}
	return st
}

// scaledIn is a release of a 4-task service that autoscaling scales in to 2 shortly
// after the termination wait begins: 2 green targets stay healthy, 2 drain.
func scaledIn(t *testing.T, termWait step) *world {
	w := fourTasks(t)
	before := withDesired(stepTermWait, 4)
	before.waitFor = ""
	w.addScript("d-NEW", stepCreated, withDesired(stepInstalling, 4), withDesired(stepTestTraffic, 4), withDesired(stepReady, 4),
		withDesired(stepShifting, 4), before, scaledInTo2(termWait, "10.0.0.8", "10.0.0.9"), withDesired(stepSucceeded, 2))
	w.expectRollback("d-NEW")
	return w
}

func TestAScaleInDuringTheTerminationWaitIsNotUnhealthyAfterRelease(t *testing.T) {
	t.Parallel()
	tw := stepTermWait
	tw.waitFor = ""
	w := scaledIn(t, tw)
	res := w.deployer(t, true, func(o *Options) { o.Soak = 0 }).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Contains(t, res.Message, "2/2 healthy", "production is judged against the service's desired count now, not at the start")
}

func TestAScaleInDuringTheSoakDoesNotFailGateTwo(t *testing.T) {
	t.Parallel()
	w := scaledIn(t, stepTermWait)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Empty(t, w.stops)
	assert.Equal(t, "pass", gateNamed(t, res, GateSoak).Verdict)
}

func TestAScaleInWhileGateOneWaitsDoesNotFailIt(t *testing.T) {
	t.Parallel()
	w := fourTasks(t)
	before := withDesired(stepReady, 4)
	before.waitFor = ""
	w.addScript("d-NEW", stepCreated, withDesired(stepInstalling, 4), withDesired(stepTestTraffic, 4), before, scaledInTo2(stepReady, "10.0.0.8"),
		withDesired(stepShifting, 2), withDesired(stepTermWait, 2), withDesired(stepSucceeded, 2))
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Contains(t, res.Gates[0].Evidence[0], "2/2 healthy")
}
