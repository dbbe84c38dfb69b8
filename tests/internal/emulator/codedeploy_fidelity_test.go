package emulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// taskSet returns the web service's first task set that match accepts, as DescribeTaskSets reports
// it, or nil.
func (w *world) taskSet(match func(ecstypes.TaskSet) bool) *ecstypes.TaskSet {
	w.t.Helper()
	out, err := w.ecs.DescribeTaskSets(context.Background(), &ecs.DescribeTaskSetsInput{Cluster: aws.String("web-cluster"), Service: aws.String("web")})
	require.NoError(w.t, err)
	for i := range out.TaskSets {
		if match(out.TaskSets[i]) {
			return &out.TaskSets[i]
		}
	}
	return nil
}

// greenTaskSet returns the replacement task set: the one on the green target group.
func (w *world) greenTaskSet() *ecstypes.TaskSet {
	w.t.Helper()
	return w.taskSet(func(ts ecstypes.TaskSet) bool { return aws.ToString(ts.LoadBalancers[0].TargetGroupArn) == w.green.ARN })
}

// taskSetOf returns the task set a deployment created.
func (w *world) taskSetOf(id string) *ecstypes.TaskSet {
	w.t.Helper()
	return w.taskSet(func(ts ecstypes.TaskSet) bool { return aws.ToString(ts.ExternalId) == id })
}

// greenTasks describes the tasks of the replacement task set whose desired status is one of
// statuses: RUNNING when none is given, as ListTasks lists by default.
func (w *world) greenTasks(statuses ...ecstypes.DesiredStatus) []ecstypes.Task {
	w.t.Helper()
	ts := w.greenTaskSet()
	if ts == nil {
		return nil
	}
	if len(statuses) == 0 {
		statuses = []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning}
	}
	ctx := context.Background()
	var arns []string
	for _, status := range statuses {
		list, err := w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), StartedBy: ts.Id, DesiredStatus: status})
		require.NoError(w.t, err)
		arns = append(arns, list.TaskArns...)
	}
	if len(arns) == 0 {
		return nil
	}
	out, err := w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("web-cluster"), Tasks: arns})
	require.NoError(w.t, err)
	return out.Tasks
}

func TestInstallWaitsUntilEveryGreenTargetIsHealthy(t *testing.T) {
	t.Parallel()
	// The model loads in 4 s: a window wide enough that a loaded CI machine still looks inside it.
	w := newWorld(t, worldOptions{desired: 1, grace: 6000}) // the scheduler leaves loading tasks alone
	id := w.deploy("v2", map[string]string{"SIM_STARTUP_SECONDS": "2400"})
	w.eventually(func() bool {
		tasks := w.greenTasks()
		return len(tasks) == 1 && aws.ToString(tasks[0].LastStatus) == "RUNNING" &&
			w.now().Sub(aws.ToTime(tasks[0].StartedAt)) > 180*time.Second
	}, "green RUNNING for far longer than one CodeDeploy poll")
	assert.Equal(t, cdtypes.LifecycleEventStatusInProgress, w.target(id).LifecycleEvents[1].Status,
		"Install waits for the task set's steady state, not for RUNNING")
	assert.Equal(t, ecstypes.StabilityStatusStabilizing, w.greenTaskSet().StabilityStatus, "its target is not healthy yet")
	w.eventually(func() bool { return w.target(id).LifecycleEvents[1].Status == cdtypes.LifecycleEventStatusSucceeded }, "Install done")
	assert.Equal(t, 1, w.healthyTargets(w.green.ARN), "Install succeeded with a healthy green target")
	assert.Equal(t, ecstypes.StabilityStatusSteadyState, w.greenTaskSet().StabilityStatus)
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
}

// CodeDeploy's Install waits on the stability ECS reports: once GetDeploymentTarget says Install
// Succeeded, DescribeTaskSets says STEADY_STATE, reached no later than Install ended. Install
// deciding stability on its own, ahead of ECS, ended it up to a scheduler pass early about every
// other deployment.
func TestInstallEndsOnceECSReportsTheTaskSetSteady(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	for i := range 6 {
		id := w.deploy(fmt.Sprintf("v%d", i+2), nil)
		var install cdtypes.LifecycleEvent
		w.eventually(func() bool {
			if w.deployment(id).Status == cdtypes.DeploymentStatusCreated {
				return false
			}
			install = w.target(id).LifecycleEvents[1]
			return install.Status == cdtypes.LifecycleEventStatusSucceeded
		}, "Install done")
		ts := w.taskSetOf(id)
		require.NotNil(t, ts)
		assert.Equal(t, ecstypes.StabilityStatusSteadyState, ts.StabilityStatus, "deployment %d", i+1)
		if assert.NotNil(t, ts.StabilityStatusAt, "deployment %d", i+1) {
			assert.False(t, aws.ToTime(install.EndTime).Before(*ts.StabilityStatusAt),
				"deployment %d: Install ended at %s, before ECS reported steady state at %s", i+1,
				aws.ToTime(install.EndTime).Format(time.StampMilli), ts.StabilityStatusAt.Format(time.StampMilli))
		}
		w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
	}
}

func TestInstallWaitsForTheContainerHealthCheck(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	// ECS cannot tell what /bin/check says: the container stays UNKNOWN, never HEALTHY.
	td := w.registerWith("v2", nil, &ContainerHealthCheck{Command: []string{"CMD", "/bin/check"}, Interval: 5, Timeout: 2, Retries: 2})
	id, err := w.deployE(td.ARN)
	require.NoError(t, err)
	w.eventually(func() bool { return w.healthyTargets(w.green.ARN) == 1 }, "green target healthy")
	time.Sleep(200 * time.Millisecond) // many CodeDeploy polls
	assert.Equal(t, cdtypes.LifecycleEventStatusInProgress, w.target(id).LifecycleEvents[1].Status,
		"a task whose container health is not HEALTHY is not steady")
	assert.Equal(t, ecstypes.StabilityStatusStabilizing, w.greenTaskSet().StabilityStatus)
	_, err = w.cd.StopDeployment(context.Background(), &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id)})
	require.NoError(t, err)
	w.waitStatus(id, cdtypes.DeploymentStatusStopped)
}

func TestCodeDeployTaskSetsAreStartedByCODE_DEPLOY(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, readyWait: 600})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusReady)
	green := w.greenTaskSet()
	require.NotNil(t, green)
	assert.Equal(t, "CODE_DEPLOY", aws.ToString(green.StartedBy))
	assert.Equal(t, id, aws.ToString(green.ExternalId))
}

func TestTheAppSpecMustMatchTheTaskDefinition(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		container string
		port      int
		want      string
	}{
		"unknown container": {"web", 8080, "The ECS service cannot be updated due to an unexpected error: The container web does not exist in the task definition."},
		"unmapped port":     {"model", 9090, "The ECS service cannot be updated due to an unexpected error: The container model did not have a container port 9090 defined."},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{desired: 1, rollbackEvents: []string{"DEPLOYMENT_FAILURE"}})
			id, err := w.deployAppSpec(appSpecWith(w.register("v2", nil).ARN, c.container, c.port, ""))
			require.NoError(t, err)
			info := w.waitStatus(id, cdtypes.DeploymentStatusFailed)
			assert.Equal(t, cdtypes.ErrorCodeEcsUpdateError, info.ErrorInformation.Code)
			assert.Contains(t, aws.ToString(info.ErrorInformation.Message), c.want)
			install := w.target(id).LifecycleEvents[1]
			assert.Equal(t, cdtypes.LifecycleEventStatusFailed, install.Status)
			require.NotNil(t, install.Diagnostics)
			assert.Contains(t, aws.ToString(install.Diagnostics.Message), c.want)
			assert.Nil(t, w.greenTaskSet(), "no replacement task set was created")
		})
	}
}

func TestTheAppSpecTaskDefinitionMustBeAnARN(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	w.register("v2", nil)
	id, err := w.deployAppSpec(appSpecWith("web:2", "model", 8080, ""))
	require.NoError(t, err, "CreateDeployment accepts it; the deployment then fails")
	info := w.waitStatus(id, cdtypes.DeploymentStatusFailed)
	assert.Equal(t, cdtypes.ErrorCodeInvalidRevision, info.ErrorInformation.Code)
	assert.Contains(t, aws.ToString(info.ErrorInformation.Message), "TaskDefinition")
}

func TestLambdaHooksFailTheirLifecycleEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, rollbackEvents: []string{"DEPLOYMENT_FAILURE"}})
	hooks := "Hooks:\n  - AfterAllowTestTraffic: \"arn:aws:lambda:us-east-1:123456789012:function:smoke\"\n"
	id, err := w.deployAppSpec(appSpecWith(w.register("v2", nil).ARN, "model", 8080, hooks))
	require.NoError(t, err)
	info := w.waitStatus(id, cdtypes.DeploymentStatusFailed)
	assert.Equal(t, cdtypes.ErrorCodeHookExecutionFailure, info.ErrorInformation.Code)
	ev := w.target(id).LifecycleEvents[4]
	assert.Equal(t, "AfterAllowTestTraffic", aws.ToString(ev.LifecycleEventName))
	assert.Equal(t, cdtypes.LifecycleEventStatusFailed, ev.Status)
	require.NotNil(t, ev.Diagnostics)
	assert.Contains(t, aws.ToString(ev.Diagnostics.Message),
		"the emulator cannot invoke Lambda hook arn:aws:lambda:us-east-1:123456789012:function:smoke")
	w.waitStatus(w.rollbackOf(id), cdtypes.DeploymentStatusSucceeded)
	assert.Equal(t, "v1", w.version(w.prod))
}

func TestAnEndedDeploymentKeepsTheTaskSetsItEndedWith(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	first := w.deploy("v2", nil)
	w.waitStatus(first, cdtypes.DeploymentStatusSucceeded)
	before := w.target(first)
	second := w.deploy("v3", nil)
	w.waitStatus(second, cdtypes.DeploymentStatusSucceeded) // traffic is back on blue, v2's task set is gone
	after := w.target(first)
	assert.Equal(t, before.TaskSetsInfo, after.TaskSetsInfo, "GetDeploymentTarget describes the deployment, not today's service")
	assert.Equal(t, 100.0, taskSetInfo(after, cdtypes.TargetLabelGreen).TrafficWeight)
	assert.Equal(t, 0.0, taskSetInfo(after, cdtypes.TargetLabelBlue).TrafficWeight)
}

func TestAStopRequestedAsTheTerminationWaitEndsIsNotLost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, terminationMin: 600})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusInProgress)
	w.eventually(func() bool { return w.target(id).Status == cdtypes.TargetStatusSucceeded }, "termination wait")
	// StopDeployment answers Pending in the same instant the wait runs out: the engine must see it.
	w.emu.mu.Lock()
	d := w.emu.deploymentByID(id)
	w.emu.requestStop(d, aws.Bool(true))
	w.emu.finishDeployment(d, nil)
	w.emu.mu.Unlock()
	info := w.waitStatus(id, cdtypes.DeploymentStatusStopped)
	assert.Equal(t, cdtypes.ErrorCodeManualStop, info.ErrorInformation.Code)
	w.waitStatus(w.rollbackOf(id), cdtypes.DeploymentStatusSucceeded)
	assert.Equal(t, "v1", w.version(w.prod))
}
