package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A stop takes AWS-like time: StopDeployment answers Pending and the deployment is still running on
// the next read; once Stopped, its rollbackInfo is not there yet; the rollback deployment takes its
// time to finish. Here a stop takes 1800 AWS seconds, the rollback id 3000 more to show, and the
// rollback 1200 (three, five and two real seconds at 600x: room for a loaded machine's reads).
func TestAStopTakesItsTimeAndTheRollbackShowsLate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{readyWait: 600, rollbackEvents: []string{"DEPLOYMENT_STOP_ON_REQUEST"},
		emu: Options{StopSeconds: 1800, RollbackInfoSeconds: 3000, RollbackSeconds: 1200}})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusReady)
	requested := w.now()
	out, err := w.cd.StopDeployment(context.Background(), &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, cdtypes.StopStatusPending, out.Status)
	assert.Equal(t, cdtypes.DeploymentStatusReady, w.deployment(id).Status, "a stop is not immediate")

	info := w.waitStatus(id, cdtypes.DeploymentStatusStopped)
	assert.Nil(t, info.RollbackInfo, "the rollback id is not on the first read that shows the stop")
	assert.GreaterOrEqual(t, aws.ToTime(info.CompleteTime).Sub(requested), 1800*time.Second)

	rollback := w.waitStatus(w.rollbackOf(id), cdtypes.DeploymentStatusSucceeded)
	took := aws.ToTime(rollback.CompleteTime).Sub(aws.ToTime(rollback.CreateTime))
	assert.GreaterOrEqual(t, took, 1200*time.Second)
	assert.Less(t, took, 12000*time.Second, "not scaled twice")
	assert.Equal(t, "v1", w.version(w.test), "test traffic back on the original")
}

// With InstallIgnoresHealth, CodeDeploy's Install ends once the replacement tasks run, though
// none of their targets is healthy, and the deployment goes on to shift production to them, as
// users report of AWS (aws/containers-roadmap#1941).
func TestInstallCanEndWithUnhealthyTargets(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, grace: 6000, emu: Options{InstallIgnoresHealth: true}})
	id := w.deploy("v2", map[string]string{"SIM_NEVER_READY": "true"})
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
	assert.Zero(t, w.healthyTargets(w.green.ARN), "released with no healthy green target")
	blue, green := w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green})
}

// After a stop without rollback in the termination wait, nothing is rolled back and nothing is
// cleaned up: AWS documents that the components remain as they are. Production stays on green, and
// blue's task set stays ACTIVE with its tasks in blue's target group. The next deployment takes the
// PRIMARY task set (green) as its original and puts its replacement in the other target group, as
// AWS documents: blue's, where the left-over tasks still are. When its traffic shifts, production
// is answered by the left-over and the new version alike, and CodeDeploy, which watches only its
// replacement task set, reports Succeeded. What AWS does with a left-over task set is documented
// nowhere; the emulator assumes it is left alone.
func TestAStopWithoutRollbackLeavesATaskSetTheNextReleaseSharesItsTargetGroupWith(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{terminationMin: 600, emu: Options{StopSeconds: -1}})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusInProgress)
	w.eventually(func() bool { return w.target(id).Status == cdtypes.TargetStatusSucceeded }, "the termination wait")
	_, err := w.cd.StopDeployment(context.Background(), &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(false)})
	require.NoError(t, err)
	info := w.waitStatus(id, cdtypes.DeploymentStatusStopped)
	assert.Nil(t, info.RollbackInfo)
	blue, green := w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green}, "production stays on green")
	sets := w.service().TaskSets
	require.Len(t, sets, 2, "both task sets remain")
	assert.Equal(t, "v2", w.version(w.prod))

	next := w.deploy("v3", nil)
	w.waitStatus(next, cdtypes.DeploymentStatusInProgress)
	w.eventually(func() bool { return w.target(next).Status == cdtypes.TargetStatusSucceeded }, "v3's traffic shifted")
	blue, green = w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green}, "v3's replacement is in blue's target group")
	assert.Equal(t, 4, w.healthyTargets(w.blue.ARN), "the left-over v1 tasks and v3's share it")
	seen := map[string]bool{}
	for range 40 {
		seen[w.version(w.prod)] = true
	}
	assert.Equal(t, map[string]bool{"v1": true, "v3": true}, seen, "production answers with both")
	_, err = w.cd.ContinueDeployment(context.Background(), &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(next), DeploymentWaitType: cdtypes.DeploymentWaitTypeTerminationWait})
	require.NoError(t, err)
	w.waitStatus(next, cdtypes.DeploymentStatusSucceeded)
	w.eventually(func() bool { return len(w.service().TaskSets) == 2 }, "v2, v3's original, removed")
	for _, ts := range w.service().TaskSets {
		assert.Contains(t, []string{"PRIMARY", "ACTIVE"}, aws.ToString(ts.Status), "the left-over v1 stays ACTIVE")
	}
}
