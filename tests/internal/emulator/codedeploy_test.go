package emulator

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllAtOnceReleaseMovesTrafficToTheOtherTargetGroupAndKeepsAWeightedForward(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	require.Equal(t, "v1", w.version(w.prod))

	id := w.deploy("v2", nil)
	info := w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)

	assert.Equal(t, cdtypes.DeploymentCreatorUser, info.Creator)
	assert.Equal(t, "CodeDeployDefault.ECSAllAtOnce", aws.ToString(info.DeploymentConfigName))
	assert.Equal(t, int64(1), info.DeploymentOverview.Succeeded)
	assert.False(t, info.InstanceTerminationWaitTimeStarted, "ECS never flips it")
	blue, green := w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green}, "prod keeps a weighted forward with the old group at 0")
	blue, green = w.weights(w.test.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green})
	assert.Equal(t, "v2", w.version(w.prod))

	target := w.target(id)
	assert.Equal(t, cdtypes.TargetStatusSucceeded, target.Status)
	var names []string
	for _, ev := range target.LifecycleEvents {
		names = append(names, aws.ToString(ev.LifecycleEventName))
		assert.Equal(t, cdtypes.LifecycleEventStatusSucceeded, ev.Status, aws.ToString(ev.LifecycleEventName))
	}
	assert.Equal(t, ecsLifecycleEvents, names)
	greenSet := taskSetInfo(target, cdtypes.TargetLabelGreen)
	require.NotNil(t, greenSet)
	assert.Equal(t, "web-green", aws.ToString(greenSet.TargetGroup.Name))
	assert.Equal(t, 100.0, greenSet.TrafficWeight)
	assert.Equal(t, "PRIMARY", aws.ToString(greenSet.Status))
	assert.Regexp(t, `^ecs-svc/\d{19}$`, aws.ToString(greenSet.Identifer))

	svc := w.service()
	assert.Contains(t, aws.ToString(svc.TaskDefinition), "task-definition/web:2")
	assert.Equal(t, w.green.ARN, aws.ToString(svc.LoadBalancers[0].TargetGroupArn))

	// The next release goes back to blue: the group the prod listener does not serve.
	id2 := w.deploy("v3", nil)
	w.waitStatus(id2, cdtypes.DeploymentStatusSucceeded)
	blue, green = w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green})
	assert.Equal(t, "v3", w.version(w.prod))
	prev := w.deployment(id2).PreviousRevision
	require.NotNil(t, prev)
	assert.Nil(t, prev.AppSpecContent.Content, "GetDeployment reports the sha256, not the content")
	rev, err := w.cd.GetApplicationRevision(context.Background(), &codedeploy.GetApplicationRevisionInput{
		ApplicationName: aws.String(w.app), Revision: prev})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(rev.Revision.AppSpecContent.Content), "task-definition/web:2")
	assert.Equal(t, []string{w.group}, rev.RevisionInfo.DeploymentGroups)
}

func TestCanaryShiftsThePercentageThenTheRest(t *testing.T) {
	t.Parallel()
	// 20 AWS minutes of canary are two real seconds: room to read it on a loaded machine.
	w := newWorld(t, worldOptions{routing: &TrafficRouting{Type: TimeBasedCanary, Percentage: 20, IntervalMinutes: 20}})
	id := w.deploy("v2", nil)
	w.eventually(func() bool {
		blue, green := w.weights(w.prod.ARN)
		return blue == 80 && green == 20
	}, "canary 80/20")
	target := w.target(id)
	assert.Equal(t, 20.0, taskSetInfo(target, cdtypes.TargetLabelGreen).TrafficWeight)
	assert.Equal(t, 80.0, taskSetInfo(target, cdtypes.TargetLabelBlue).TrafficWeight)
	assert.Equal(t, cdtypes.DeploymentStatusInProgress, w.deployment(id).Status)
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
	blue, green := w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green})
}

func TestLinearShiftsEqualStepsEveryInterval(t *testing.T) {
	t.Parallel()
	// Each step lasts a real second: a poll every few milliseconds sees each even on a loaded machine.
	w := newWorld(t, worldOptions{routing: &TrafficRouting{Type: TimeBasedLinear, Percentage: 25, IntervalMinutes: 10}})
	id := w.deploy("v2", nil)
	seen := map[int32]bool{}
	w.eventually(func() bool {
		_, green := w.weights(w.prod.ARN)
		seen[green] = true
		return green == 100
	}, "linear to 100")
	for _, step := range []int32{25, 50, 75} {
		assert.True(t, seen[step], "saw green at %d%% (saw %v)", step, seen)
	}
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
}

func TestPredefinedConfigsAreServed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{config: "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"})
	out, err := w.cd.GetDeploymentConfig(context.Background(), &codedeploy.GetDeploymentConfigInput{
		DeploymentConfigName: aws.String("CodeDeployDefault.ECSCanary10Percent5Minutes")})
	require.NoError(t, err)
	rc := out.DeploymentConfigInfo.TrafficRoutingConfig
	assert.Equal(t, cdtypes.TrafficRoutingTypeTimeBasedCanary, rc.Type)
	assert.Equal(t, int32(10), rc.TimeBasedCanary.CanaryPercentage)
	assert.Equal(t, int32(5), rc.TimeBasedCanary.CanaryInterval)
	assert.Equal(t, cdtypes.ComputePlatformEcs, out.DeploymentConfigInfo.ComputePlatform)

	id := w.deploy("v2", nil)
	// Each 1-minute step lasts 100 ms: look for any of the nine, not one in particular.
	var step int32
	w.eventually(func() bool { _, step = w.weights(w.prod.ARN); return step > 0 && step < 100 }, "a linear step")
	assert.Zero(t, step%10, "steps of 10%%, saw %d", step)
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
}

func TestReadyWaitHoldsUntilContinue(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{readyWait: 60})
	id := w.deploy("v2", nil)
	info := w.waitStatus(id, cdtypes.DeploymentStatusReady)
	assert.Equal(t, int64(1), info.DeploymentOverview.Ready)
	blue, green := w.weights(w.test.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green}, "test traffic goes to the replacement")
	blue, green = w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green}, "prod traffic has not moved")
	assert.Equal(t, "v2", w.version(w.test))
	assert.Equal(t, "v1", w.version(w.prod))
	target := w.target(id)
	assert.Equal(t, cdtypes.TargetStatusReady, target.Status)
	assert.Equal(t, cdtypes.LifecycleEventStatusSucceeded, target.LifecycleEvents[4].Status, "AfterAllowTestTraffic")
	assert.Equal(t, cdtypes.LifecycleEventStatusPending, target.LifecycleEvents[5].Status, "BeforeAllowTraffic")

	_, err := w.cd.ContinueDeployment(context.Background(), &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeTerminationWait})
	var notReady *cdtypes.DeploymentIsNotInReadyStateException
	require.ErrorAs(t, err, &notReady, "no termination wait yet")

	_, err = w.cd.ContinueDeployment(context.Background(), &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeReadyWait})
	require.NoError(t, err)
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)

	_, err = w.cd.ContinueDeployment(context.Background(), &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeReadyWait})
	var done *cdtypes.DeploymentAlreadyCompletedException
	require.ErrorAs(t, err, &done)
}

func TestReadyWaitTimesOutToStoppedAndRollsBack(t *testing.T) {
	t.Parallel()
	// A 10-minute ready wait is a real second: long enough to see Ready on a loaded machine.
	w := newWorld(t, worldOptions{readyWait: 10, rollbackEvents: []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"}})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusReady)
	info := w.waitStatus(id, cdtypes.DeploymentStatusStopped)
	require.NotNil(t, info.ErrorInformation)
	assert.Equal(t, cdtypes.ErrorCodeTimeout, info.ErrorInformation.Code)
	rollback := w.waitStatus(w.rollbackOf(id), cdtypes.DeploymentStatusSucceeded)
	assert.Equal(t, cdtypes.DeploymentCreatorCodeDeployRollback, rollback.Creator)
	assert.Equal(t, id, aws.ToString(rollback.RollbackInfo.RollbackTriggeringDeploymentId))
	blue, green := w.weights(w.test.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green}, "test traffic back on the original")
	assert.Equal(t, "v1", w.version(w.test))
}

func TestTerminationWaitKeepsTheOriginalUntilContinued(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{terminationMin: 600})
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusInProgress)
	w.eventually(func() bool { return w.target(id).Status == cdtypes.TargetStatusSucceeded }, "target succeeded")
	info := w.deployment(id)
	assert.Equal(t, cdtypes.DeploymentStatusInProgress, info.Status, "the termination wait is part of the deployment")
	blueSet := taskSetInfo(w.target(id), cdtypes.TargetLabelBlue)
	assert.Equal(t, "ACTIVE", aws.ToString(blueSet.Status))
	assert.Equal(t, int64(2), blueSet.RunningCount, "the original keeps running")

	_, err := w.cd.ContinueDeployment(context.Background(), &codedeploy.ContinueDeploymentInput{
		DeploymentId: aws.String(id), DeploymentWaitType: cdtypes.DeploymentWaitTypeTerminationWait})
	require.NoError(t, err)
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
	assert.Equal(t, "DRAINING", aws.ToString(taskSetInfo(w.target(id), cdtypes.TargetLabelBlue).Status))
	w.eventually(func() bool { return len(w.service().TaskSets) == 1 }, "original task set removed after draining")
}

func TestStopWithRollbackReroutesToTheOriginal(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{routing: &TrafficRouting{Type: TimeBasedCanary, Percentage: 10, IntervalMinutes: 600}})
	id := w.deploy("v2", nil)
	w.eventually(func() bool { _, green := w.weights(w.prod.ARN); return green == 10 }, "canary step")

	out, err := w.cd.StopDeployment(context.Background(), &codedeploy.StopDeploymentInput{DeploymentId: aws.String(id), AutoRollbackEnabled: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, cdtypes.StopStatusPending, out.Status)

	info := w.waitStatus(id, cdtypes.DeploymentStatusStopped)
	rollbackID := w.rollbackOf(id)
	require.NotEmpty(t, rollbackID)
	assert.Equal(t, cdtypes.ErrorCodeManualStop, info.ErrorInformation.Code)
	target := w.target(id)
	assert.Equal(t, cdtypes.LifecycleEventStatusFailed, target.LifecycleEvents[6].Status, "AllowTraffic was interrupted")
	assert.Equal(t, cdtypes.LifecycleEventStatusSkipped, target.LifecycleEvents[7].Status)

	rollback := w.waitStatus(rollbackID, cdtypes.DeploymentStatusSucceeded)
	assert.Equal(t, cdtypes.DeploymentCreatorCodeDeployRollback, rollback.Creator)
	blue, green := w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green})
	assert.Equal(t, "v1", w.version(w.prod))
	assert.Contains(t, aws.ToString(w.service().TaskDefinition), "task-definition/web:1")
	w.eventually(func() bool {
		sets := w.service().TaskSets
		return len(sets) == 1 && aws.ToString(sets[0].Status) == "PRIMARY"
	}, "replacement removed")

	// The group is free again once the rollback is done.
	_, err = w.deployE(w.register("v3", nil).ARN)
	require.NoError(t, err)
}

func TestAlarmInAlarmStopsAndRollsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{routing: &TrafficRouting{Type: TimeBasedCanary, Percentage: 10, IntervalMinutes: 600},
		alarms: []string{"web-5xx"}, rollbackEvents: []string{"DEPLOYMENT_STOP_ON_ALARM"}})
	_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: "web-5xx", Namespace: "AWS/ApplicationELB",
		MetricName: "HTTPCode_Target_5XX_Count", Dimensions: []Dimension{{"LoadBalancer", w.lb.ARNSuffix}, {"TargetGroup", w.green.ARNSuffix}},
		Statistic: "Sum", Period: 36000, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching"})
	require.NoError(t, err)
	id := w.deploy("v2", nil)
	w.eventually(func() bool { _, green := w.weights(w.prod.ARN); return green == 10 }, "canary step")

	require.NoError(t, w.emu.SetAlarmState("web-5xx", AlarmAlarm, "test"))
	info := w.waitStatus(id, cdtypes.DeploymentStatusStopped)
	assert.Equal(t, cdtypes.ErrorCodeAlarmActive, info.ErrorInformation.Code)
	assert.Contains(t, aws.ToString(info.ErrorInformation.Message), "web-5xx")
	w.waitStatus(w.rollbackOf(id), cdtypes.DeploymentStatusSucceeded)
	blue, green := w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green})
}

func TestOneActiveDeploymentPerGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{readyWait: 600})
	id := w.deploy("v2", nil)
	_, err := w.deployE(w.register("v3", nil).ARN)
	var limit *cdtypes.DeploymentLimitExceededException
	require.ErrorAs(t, err, &limit)
	assert.Equal(t, "The Deployment Group 'web-dg' already has an active Deployment '"+id+"'", limit.ErrorMessage())
	assert.Equal(t, "DeploymentLimitExceededException", limit.ErrorCode())

	list, err := w.cd.ListDeployments(context.Background(), &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(w.app),
		DeploymentGroupName: aws.String(w.group), IncludeOnlyStatuses: []cdtypes.DeploymentStatus{"Created", "InProgress", "Ready"}})
	require.NoError(t, err)
	assert.Equal(t, []string{id}, list.Deployments)
}

func TestCrashingReplacementKeepsInstallBusyUntilItsTimeout(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{rollbackEvents: []string{"DEPLOYMENT_FAILURE"}})
	id := w.deploy("v2", map[string]string{"SIM_CRASH_ON_START": "true", "SIM_STARTUP_SECONDS": "1"})
	w.eventually(func() bool {
		out, err := w.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("web-cluster"),
			ServiceName: aws.String("web"), DesiredStatus: "STOPPED"})
		require.NoError(t, err)
		return len(out.TaskArns) > 0
	}, "a stopped green task")
	assert.Equal(t, cdtypes.LifecycleEventStatusInProgress, w.target(id).LifecycleEvents[1].Status, "Install waits")

	info := w.waitStatus(id, cdtypes.DeploymentStatusFailed)
	assert.Equal(t, cdtypes.ErrorCodeTimeout, info.ErrorInformation.Code)
	install := w.target(id).LifecycleEvents[1]
	assert.Equal(t, cdtypes.LifecycleEventStatusFailed, install.Status)
	require.NotNil(t, install.Diagnostics)
	assert.Contains(t, aws.ToString(install.Diagnostics.Message), "60 minutes")
	w.waitStatus(w.rollbackOf(id), cdtypes.DeploymentStatusSucceeded)
	blue, green := w.weights(w.prod.ARN)
	assert.Equal(t, [2]int32{100, 0}, [2]int32{blue, green})
}

func TestCreateDeploymentValidatesTheRevision(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	create := func(rev *cdtypes.RevisionLocation, desc string) error {
		_, err := w.cd.CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(w.app),
			DeploymentGroupName: aws.String(w.group), Revision: rev, Description: aws.String(desc)})
		return err
	}
	content := appSpecFor(w.td.ARN)
	var invalid *cdtypes.InvalidRevisionException
	err := create(&cdtypes.RevisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &cdtypes.AppSpecContent{
		Content: aws.String(content), Sha256: aws.String("00")}}, "")
	require.ErrorAs(t, err, &invalid, "sha256 mismatch")
	err = create(&cdtypes.RevisionLocation{RevisionType: "AppSpecContent"}, "")
	require.ErrorAs(t, err, &invalid, "no content")
	var tooLong *cdtypes.DescriptionTooLongException
	err = create(&cdtypes.RevisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &cdtypes.AppSpecContent{
		Content: aws.String(content)}}, string(make([]byte, 513)))
	require.ErrorAs(t, err, &tooLong)
	err = create(&cdtypes.RevisionLocation{RevisionType: "AppSpecContent", AppSpecContent: &cdtypes.AppSpecContent{
		Content: aws.String(`{"version":0.0,"Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"` +
			w.td.ARN + `","LoadBalancerInfo":{"ContainerName":"model","ContainerPort":8080}}}}]}`),
		Sha256: aws.String(appSpecDigest(`{"version":0.0,"Resources":[{"TargetService":{"Type":"AWS::ECS::Service","Properties":{"TaskDefinition":"` +
			w.td.ARN + `","LoadBalancerInfo":{"ContainerName":"model","ContainerPort":8080}}}}]}`))}}, "json appspec")
	require.NoError(t, err, "JSON AppSpec with a matching sha256")
	list, err := w.cd.ListDeployments(context.Background(), &codedeploy.ListDeploymentsInput{})
	require.NoError(t, err)
	w.waitStatus(list.Deployments[0], cdtypes.DeploymentStatusSucceeded)

	// An AppSpec CodeDeploy cannot read is accepted, then the deployment fails.
	out, err := w.cd.CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(w.app),
		DeploymentGroupName: aws.String(w.group), Revision: &cdtypes.RevisionLocation{RevisionType: "AppSpecContent",
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String("version: 0.0\nResources: [")}}})
	require.NoError(t, err)
	info := w.waitStatus(aws.ToString(out.DeploymentId), cdtypes.DeploymentStatusFailed)
	assert.Equal(t, cdtypes.ErrorCodeInvalidRevision, info.ErrorInformation.Code)
	assert.Contains(t, aws.ToString(info.ErrorInformation.Message), "not well-formed yaml")

	var missing *cdtypes.DeploymentDoesNotExistException
	_, err = w.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-AAAAAAAAA")})
	require.ErrorAs(t, err, &missing)
	var badID *cdtypes.InvalidDeploymentIdException
	_, err = w.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String("nope")})
	require.ErrorAs(t, err, &badID)
	var noGroup *cdtypes.DeploymentGroupDoesNotExistException
	_, err = w.cd.GetDeploymentGroup(context.Background(), &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(w.app), DeploymentGroupName: aws.String("x")})
	require.ErrorAs(t, err, &noGroup)
}

func TestGetDeploymentGroupDescribesTheBlueGreenSetup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{readyWait: 30, terminationMin: 5, rollbackEvents: []string{"DEPLOYMENT_FAILURE"}, alarms: []string{"a"}, desired: 1})
	out, err := w.cd.GetDeploymentGroup(context.Background(), &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(w.app), DeploymentGroupName: aws.String(w.group)})
	require.NoError(t, err)
	g := out.DeploymentGroupInfo
	assert.Equal(t, cdtypes.DeploymentTypeBlueGreen, g.DeploymentStyle.DeploymentType)
	assert.Equal(t, cdtypes.DeploymentOptionWithTrafficControl, g.DeploymentStyle.DeploymentOption)
	assert.Equal(t, cdtypes.DeploymentReadyActionStopDeployment, g.BlueGreenDeploymentConfiguration.DeploymentReadyOption.ActionOnTimeout)
	assert.Equal(t, int32(30), g.BlueGreenDeploymentConfiguration.DeploymentReadyOption.WaitTimeInMinutes)
	assert.Equal(t, int32(5), g.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes)
	pair := g.LoadBalancerInfo.TargetGroupPairInfoList[0]
	assert.Equal(t, []string{w.prod.ARN}, pair.ProdTrafficRoute.ListenerArns)
	assert.Equal(t, []string{w.test.ARN}, pair.TestTrafficRoute.ListenerArns)
	assert.Equal(t, "web-blue", aws.ToString(pair.TargetGroups[0].Name))
	assert.True(t, g.AlarmConfiguration.Enabled)
	assert.Equal(t, "a", aws.ToString(g.AlarmConfiguration.Alarms[0].Name))
	assert.Equal(t, []cdtypes.AutoRollbackEvent{"DEPLOYMENT_FAILURE"}, g.AutoRollbackConfiguration.Events)
	assert.Equal(t, "web", aws.ToString(g.EcsServices[0].ServiceName))
	assert.Equal(t, cdtypes.ComputePlatformEcs, g.ComputePlatform)
}
