package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	typeDeploymentGroup  = "aws:codedeploy/deploymentGroup:DeploymentGroup"
	typeDeploymentConfig = "aws:codedeploy/deploymentConfig:DeploymentConfig"
)

func deploymentGroup(t *testing.T, cfg map[string]string) map[string]any {
	t.Helper()
	return runProgram(t, cfg).one(t, typeDeploymentGroup).Inputs
}

func TestDeploymentGroupIsBlueGreenWithTrafficControl(t *testing.T) {
	t.Parallel()
	assert.Equal(t, map[string]any{"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
		deploymentGroup(t, minimalConfig())["deploymentStyle"])
}

func TestDeploymentGroupRoutesProdAndTestListenersOverBothTargetGroups(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	pair := field(r.one(t, typeDeploymentGroup).Inputs, "loadBalancerInfo.targetGroupPairInfo")
	assert.Equal(t, map[string]any{
		"prodTrafficRoute": map[string]any{"listenerArns": []any{r.named(t, typeListener, "dev-lb-prod").ID}},
		"testTrafficRoute": map[string]any{"listenerArns": []any{r.named(t, typeListener, "dev-lb-test").ID}},
		"targetGroups": []any{
			map[string]any{"name": r.named(t, typeTargetGroup, "-blue").State["name"]},
			map[string]any{"name": r.named(t, typeTargetGroup, "-green").State["name"]},
		},
	}, pair)
}

func TestDeploymentGroupDeploysTheECSService(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Equal(t, map[string]any{
		"clusterName": r.one(t, typeCluster).State["name"],
		"serviceName": r.one(t, typeService).State["name"],
	}, r.one(t, typeDeploymentGroup).Inputs["ecsService"])
}

func TestDeploymentGroupRollsBackOnFailureStopRequestAndAlarm(t *testing.T) {
	t.Parallel()
	assert.Equal(t, map[string]any{
		"enabled": true,
		"events":  []any{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"},
	}, deploymentGroup(t, minimalConfig())["autoRollbackConfiguration"])
}

func TestDeploymentGroupWatchesEveryAlarm(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	var names []any
	for _, a := range r.ofType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		names = append(names, a.State["name"])
	}
	alarms := r.one(t, typeDeploymentGroup).Inputs["alarmConfiguration"].(map[string]any)
	assert.Equal(t, true, alarms["enabled"])
	assert.Equal(t, false, alarms["ignorePollAlarmFailure"])
	assert.ElementsMatch(t, names, alarms["alarms"])
}

func TestReadyWaitHoldsProductionUntilContinueDeployment(t *testing.T) {
	t.Parallel()
	g := deploymentGroup(t, with(t, minimalConfig(), "deployment.readyWaitMinutes", 10))
	assert.Equal(t, map[string]any{"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 10.0},
		field(g, "blueGreenDeploymentConfig.deploymentReadyOption"))
}

func TestDefaultReadyWaitHoldsProductionForTheDeployersGate(t *testing.T) {
	t.Parallel()
	// Gate 1 needs the deployment to stop in Ready: with CONTINUE_DEPLOYMENT production would move
	// before the deployer has looked at green.
	assert.Equal(t, map[string]any{"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60.0},
		field(deploymentGroup(t, minimalConfig()), "blueGreenDeploymentConfig.deploymentReadyOption"))
}

func TestZeroReadyWaitContinuesRightAway(t *testing.T) {
	t.Parallel()
	g := deploymentGroup(t, with(t, minimalConfig(), "deployment.readyWaitMinutes", 0))
	assert.Equal(t, map[string]any{"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
		field(g, "blueGreenDeploymentConfig.deploymentReadyOption"))
}

func TestTerminationWaitKeepsBlueWarmForRollback(t *testing.T) {
	t.Parallel()
	g := deploymentGroup(t, with(t, minimalConfig(), "deployment.terminationWaitMinutes", 60))
	assert.Equal(t, map[string]any{"action": "TERMINATE", "terminationWaitTimeInMinutes": 60.0},
		field(g, "blueGreenDeploymentConfig.terminateBlueInstancesOnDeploymentSuccess"))
}

func TestTrafficShiftUsesThePredefinedConfigWhenOneMatches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shift   string
		percent int
		minutes int
		want    string
	}{
		{ShiftAllAtOnce, 10, 5, "CodeDeployDefault.ECSAllAtOnce"},
		{ShiftCanary, 10, 5, "CodeDeployDefault.ECSCanary10Percent5Minutes"},
		{ShiftCanary, 10, 15, "CodeDeployDefault.ECSCanary10Percent15Minutes"},
		{ShiftLinear, 10, 1, "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"},
		{ShiftLinear, 10, 3, "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"},
	} {
		c := with(t, minimalConfig(), "deployment.trafficShift", tc.shift)
		c = with(t, c, "deployment.shiftPercent", tc.percent)
		c = with(t, c, "deployment.shiftMinutes", tc.minutes)
		r := runProgram(t, c)
		assert.Equal(t, tc.want, r.one(t, typeDeploymentGroup).Inputs["deploymentConfigName"], tc.want)
		assert.Empty(t, r.ofType(typeDeploymentConfig), tc.want)
	}
}

func TestOtherTrafficShiftsGetACustomECSDeploymentConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		shift, routing, block string
	}{
		{ShiftCanary, "TimeBasedCanary", "timeBasedCanary"},
		{ShiftLinear, "TimeBasedLinear", "timeBasedLinear"},
	} {
		c := with(t, minimalConfig(), "deployment.trafficShift", tc.shift)
		c = with(t, c, "deployment.shiftPercent", 20)
		c = with(t, c, "deployment.shiftMinutes", 7)
		r := runProgram(t, c)
		custom := r.one(t, typeDeploymentConfig)
		assert.Equal(t, map[string]any{
			"computePlatform": "ECS",
			"trafficRoutingConfig": map[string]any{
				"type":   tc.routing,
				tc.block: map[string]any{"percentage": 20.0, "interval": 7.0},
			},
		}, custom.Inputs, tc.shift)
		assert.Equal(t, custom.State["deploymentConfigName"], r.one(t, typeDeploymentGroup).Inputs["deploymentConfigName"], tc.shift)
	}
}

func TestCodeDeployRoleHasAWSCodeDeployRoleForECS(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	attachment := r.named(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "dev-deploy-role")
	assert.Equal(t, "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS", attachment.Inputs["policyArn"])
	role := r.named(t, "aws:iam/role:Role", "dev-deploy-role")
	assert.Equal(t, role.ID, attachment.Inputs["role"])
	require.Contains(t, role.Inputs["assumeRolePolicy"], "codedeploy.amazonaws.com")
}

func TestCodeDeployApplicationIsForECS(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Equal(t, "ECS", r.one(t, "aws:codedeploy/application:Application").Inputs["computePlatform"])
}
