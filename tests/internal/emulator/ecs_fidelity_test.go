package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stoppedBy returns the green tasks the scheduler stopped.
func stoppedBy(tasks []ecstypes.Task, reason string) []ecstypes.Task {
	var out []ecstypes.Task
	for _, task := range tasks {
		if task.StopCode == ecstypes.TaskStopCodeServiceSchedulerInitiated && aws.ToString(task.StoppedReason) == reason {
			out = append(out, task)
		}
	}
	return out
}

// allGreenTasks describes every task of the replacement task set, stopped ones included.
func (w *world) allGreenTasks() []ecstypes.Task {
	w.t.Helper()
	return w.greenTasks(ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped)
}

func TestTheGracePeriodShieldsUnhealthyContainersThenTheyAreReplaced(t *testing.T) {
	t.Parallel()
	// A grace period of 600 AWS seconds is one real second; the container turns UNHEALTHY at once.
	w := newWorld(t, worldOptions{desired: 1, grace: 600})
	td := w.registerWith("v2", nil, &ContainerHealthCheck{Command: []string{"CMD-SHELL", "exit 1"}, Interval: 5, Timeout: 2, Retries: 1})
	_, err := w.deployE(td.ARN)
	require.NoError(t, err)
	w.eventually(func() bool {
		tasks := w.greenTasks()
		return len(tasks) == 1 && tasks[0].HealthStatus == ecstypes.HealthStatusUnhealthy
	}, "an UNHEALTHY green container")
	started := aws.ToTime(w.greenTasks()[0].StartedAt)
	for {
		stopped := stoppedBy(w.allGreenTasks(), "Task failed container health checks")
		if w.now().Sub(started) >= 540*time.Second {
			break // a read that may have ended after the grace period proves nothing about it
		}
		assert.Empty(t, stopped, "stopped within the grace period")
		time.Sleep(20 * time.Millisecond)
	}
	var stopped []ecstypes.Task
	w.eventually(func() bool {
		stopped = stoppedBy(w.allGreenTasks(), "Task failed container health checks")
		return len(stopped) > 0
	}, "the unhealthy container replaced after the grace period")
	assert.GreaterOrEqual(t, aws.ToTime(stopped[0].StoppingAt).Sub(aws.ToTime(stopped[0].StartedAt)), 600*time.Second)
}

func TestTheGracePeriodShieldsFailingELBHealthChecksThenTheTaskIsReplaced(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, grace: 600, readyWait: 600})
	w.deploy("v2", map[string]string{"SIM_NEVER_READY": "true"})
	reason := "Task failed ELB health checks in (target-group " + w.green.ARN + ")"
	var stopped []ecstypes.Task
	w.eventually(func() bool {
		stopped = stoppedBy(w.allGreenTasks(), reason)
		return len(stopped) > 0
	}, "a green task stopped by the scheduler")
	assert.GreaterOrEqual(t, aws.ToTime(stopped[0].StoppingAt).Sub(aws.ToTime(stopped[0].StartedAt)), time.Second,
		"the scheduler waits out the grace period")
}

func TestTasksProvisionAndPullTheirImageBeforeRunning(t *testing.T) {
	t.Parallel()
	// 300 AWS seconds of image pull is half a real second; registration takes two.
	w := newWorld(t, worldOptions{desired: 1, readyWait: 600, emu: Options{ImagePullSeconds: 300, TargetRegistrationSeconds: 1200}})
	id := w.deploy("v2", nil)
	seen := map[string]bool{}
	w.eventually(func() bool {
		for _, task := range w.greenTasks() {
			seen[aws.ToString(task.LastStatus)] = true
		}
		return seen["RUNNING"]
	}, "green RUNNING")
	assert.True(t, seen["PENDING"], "a task is PENDING while its image is pulled (saw %v)", seen)
	task := w.greenTasks()[0]
	require.NotNil(t, task.PullStartedAt)
	require.NotNil(t, task.PullStoppedAt)
	assert.GreaterOrEqual(t, aws.ToTime(task.PullStoppedAt).Sub(aws.ToTime(task.PullStartedAt)), 500*time.Millisecond, "the whole pull")
	assert.False(t, aws.ToTime(task.StartedAt).Before(aws.ToTime(task.PullStoppedAt)), "started after the pull")

	// ECS registers a task's target once it runs, a scheduler pass later: wait for it to appear.
	var health *elbv2.DescribeTargetHealthOutput
	w.eventually(func() bool {
		var err error
		health, err = w.elb.DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(w.green.ARN)})
		require.NoError(t, err)
		return len(health.TargetHealthDescriptions) > 0
	}, "green target registered")
	require.Len(t, health.TargetHealthDescriptions, 1)
	assert.Equal(t, "Elb.RegistrationInProgress", string(health.TargetHealthDescriptions[0].TargetHealth.Reason),
		"a just-registered target is still registering")
	w.waitStatus(id, cdtypes.DeploymentStatusReady)
}

func TestListTasksPagesByMaxResults(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 3})
	ctx := context.Background()
	in := &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), ServiceName: aws.String("web"), MaxResults: aws.Int32(2)}
	first, err := w.ecs.ListTasks(ctx, in)
	require.NoError(t, err)
	assert.Len(t, first.TaskArns, 2)
	require.NotNil(t, first.NextToken)
	in.NextToken = first.NextToken
	second, err := w.ecs.ListTasks(ctx, in)
	require.NoError(t, err)
	assert.Len(t, second.TaskArns, 1)
	assert.Nil(t, second.NextToken)
	assert.NotContains(t, first.TaskArns, second.TaskArns[0])

	var all []string
	pages := ecs.NewListTasksPaginator(w.ecs, &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), MaxResults: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		require.NoError(t, err)
		all = append(all, page.TaskArns...)
	}
	assert.Len(t, all, 3)

	_, err = w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), MaxResults: aws.Int32(101)})
	var invalid *ecstypes.InvalidParameterException
	require.ErrorAs(t, err, &invalid)
}

func TestTheLoadBalancerIdleTimeoutReachesItsListeners(t *testing.T) {
	t.Parallel()
	emu := New(Options{TimeScale: testScale})
	t.Cleanup(emu.Close)
	lb, err := emu.CreateLoadBalancer(LoadBalancerInput{Name: "alb", IdleTimeoutSeconds: 300})
	require.NoError(t, err)
	tg, err := emu.CreateTargetGroup(TargetGroupInput{Name: "tg", Port: 8080})
	require.NoError(t, err)
	l, err := emu.CreateListener(ListenerInput{LoadBalancerARN: lb.ARN, Port: 80, Forward: []WeightedTarget{{tg.ARN, 1}}})
	require.NoError(t, err)
	emu.mu.Lock()
	idle := emu.listenerByARN(l.ARN).dp.IdleTimeout()
	emu.mu.Unlock()
	assert.Equal(t, 300*time.Second, idle, "unscaled: it bounds real request latency")

	def, err := emu.CreateLoadBalancer(LoadBalancerInput{Name: "alb2"})
	require.NoError(t, err)
	l2, err := emu.CreateListener(ListenerInput{LoadBalancerARN: def.ARN, Port: 80, Forward: []WeightedTarget{{tg.ARN, 1}}})
	require.NoError(t, err)
	emu.mu.Lock()
	idle = emu.listenerByARN(l2.ARN).dp.IdleTimeout()
	emu.mu.Unlock()
	assert.Equal(t, 60*time.Second, idle, "ALB's default")
}
