package emulator

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepLog records the steps Options.OnStep sees.
type stepLog struct {
	mu    sync.Mutex
	steps []string
}

func (l *stepLog) record(s Step) {
	name := s.Event
	if s.Event == StepShift {
		name = fmt.Sprintf("%s %d", s.Event, s.Weight)
	}
	if s.Rollback {
		name = "rollback " + name
	}
	l.mu.Lock()
	l.steps = append(l.steps, name)
	l.mu.Unlock()
}

func (l *stepLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.steps...)
}

func TestOnStepSeesEveryStepOfADeploymentInOrder(t *testing.T) {
	t.Parallel()
	var log stepLog
	w := newWorld(t, worldOptions{routing: &TrafficRouting{Type: TimeBasedCanary, Percentage: 10, IntervalMinutes: 1},
		readyWait: 30, terminationMin: 1, emu: Options{OnStep: log.record}})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusReady)
	_, err := w.cd.ContinueDeployment(context.Background(), &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id)})
	require.NoError(t, err)
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
	assert.Equal(t, []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
		StepReady, "BeforeAllowTraffic", "AllowTraffic", "Shift 10", "Shift 100", "AfterAllowTraffic", StepTerminationWait},
		log.all())
}

// A test signals a deployer at AllowTestTraffic, an instant of one AWS second: the engine must wait
// for the hook, and serve API calls meanwhile.
func TestADeploymentWaitsForOnStepToReturnWhileTheAPIServes(t *testing.T) {
	t.Parallel()
	reached, release := make(chan string, 1), make(chan struct{})
	hold := func(s Step) {
		if s.Event == "AllowTestTraffic" {
			reached <- s.DeploymentID
			<-release
		}
	}
	w := newWorld(t, worldOptions{readyWait: 30, emu: Options{OnStep: hold}})
	id := w.deploy("v2", nil)
	require.Equal(t, id, <-reached)

	// 100 AWS seconds held: the event would have lasted one.
	time.Sleep(w.emu.Clock().RealDuration(100 * time.Second))
	state := w.emu.Deployments()
	require.Len(t, state, 1)
	assert.Equal(t, "InProgress", state[0].Events["AllowTestTraffic"])
	assert.Equal(t, "Pending", state[0].Events["AfterAllowTestTraffic"])
	blue, green := w.weights(w.test.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green}, "the test listener moves only once the hook returns")

	close(release)
	w.waitStatus(id, cdtypes.DeploymentStatusReady)
	blue, green = w.weights(w.test.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green})
}

func TestDeploymentsReportsStatusesEventsAndRollbacks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{readyWait: 30, rollbackEvents: []string{"DEPLOYMENT_STOP_ON_REQUEST"}})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusReady)
	_, err := w.cd.StopDeployment(context.Background(), &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id),
		AutoRollbackEnabled: aws.Bool(true)})
	require.NoError(t, err)
	rollback := w.rollbackOf(id)
	w.waitStatus(rollback, cdtypes.DeploymentStatusSucceeded)

	state := w.emu.Deployments()
	require.Len(t, state, 2)
	dep, rb := state[0], state[1]
	assert.Equal(t, id, dep.ID)
	assert.Equal(t, w.group, dep.Group)
	assert.Equal(t, "Stopped", dep.Status)
	assert.Equal(t, "user", dep.Creator)
	assert.Equal(t, rollback, dep.RollbackID)
	assert.Equal(t, "Succeeded", dep.Events["Install"])
	assert.Equal(t, "Skipped", dep.Events["AllowTraffic"])
	assert.Equal(t, rollback, rb.ID)
	assert.Equal(t, "codeDeployRollback", rb.Creator)
	assert.Equal(t, id, rb.RollbackOf)
	assert.Equal(t, "Succeeded", rb.Status)
	assert.Equal(t, "Succeeded", rb.TargetStatus)
	assert.False(t, rb.Created.Before(dep.Created))
}
