package infra

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gpuConfig(t *testing.T) map[string]string {
	return with(t, minimalConfig(), "compute.type", ComputeEC2GPU)
}

func TestGPUServicePlacesTasksThroughTheCapacityProvider(t *testing.T) {
	t.Parallel()
	r := runProgram(t, gpuConfig(t))
	svc := r.one(t, typeService).Inputs
	cp := r.one(t, "aws:ecs/capacityProvider:CapacityProvider").State["name"]
	assert.NotContains(t, svc, "launchType", "a launch type would bypass the capacity provider")
	assert.Equal(t, []any{map[string]any{"capacityProvider": cp, "weight": 1.0}}, svc["capacityProviderStrategies"])
}

func TestGPUTaskDefinitionReservesGPUsOnEC2(t *testing.T) {
	t.Parallel()
	c := with(t, gpuConfig(t), "compute.instanceType", "g5.12xlarge")
	r := runProgram(t, with(t, c, "compute.gpusPerTask", 2))
	assert.Equal(t, []any{"EC2"}, r.one(t, typeTaskDefinition).Inputs["requiresCompatibilities"])
	assert.Equal(t, []any{map[string]any{"type": "GPU", "value": "2"}}, containerDefinitions(t, r)[0]["resourceRequirements"])
}

func TestGPULaunchTemplateUsesTheAMIFromTheConfiguredSSMParameter(t *testing.T) {
	t.Parallel()
	r := runProgram(t, gpuConfig(t))
	lt := r.one(t, "aws:ec2/launchTemplate:LaunchTemplate").Inputs
	assert.Equal(t, "ami-0123456789abcdef0", lt["imageId"], "the mock's answer to getParameter")
	assert.Contains(t, r.invokes, "aws:ssm/getParameter:getParameter")
	assert.Equal(t, "g5.xlarge", lt["instanceType"])
	userData, err := base64.StdEncoding.DecodeString(lt["userData"].(string))
	require.NoError(t, err)
	assert.Contains(t, string(userData), "ECS_CLUSTER="+r.one(t, typeCluster).State["name"].(string))
}

func TestGPUGroupAndManagedScalingLeaveRoomForGreenBesideBlue(t *testing.T) {
	t.Parallel()
	r := runProgram(t, gpuConfig(t))
	asg := r.one(t, "aws:autoscaling/group:Group").Inputs
	assert.Equal(t, 4.0, asg["maxSize"], "two tasks, one per instance, twice")
	assert.Equal(t, true, asg["protectFromScaleIn"])
	assert.Contains(t, asg["tags"], map[string]any{"key": "AmazonECSManaged", "value": "true", "propagateAtLaunch": true})
	provider := r.one(t, "aws:ecs/capacityProvider:CapacityProvider").Inputs
	assert.Equal(t, "ENABLED", field(provider, "autoScalingGroupProvider.managedScaling.status"))
	assert.Equal(t, "ENABLED", field(provider, "autoScalingGroupProvider.managedTerminationProtection"))
}

func TestGPUClusterUsesTheCapacityProviderByDefault(t *testing.T) {
	t.Parallel()
	r := runProgram(t, gpuConfig(t))
	cp := r.one(t, "aws:ecs/capacityProvider:CapacityProvider").State["name"]
	ccp := r.one(t, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").Inputs
	assert.Equal(t, []any{cp}, ccp["capacityProviders"])
	assert.Equal(t, []any{map[string]any{"capacityProvider": cp, "weight": 1.0}}, ccp["defaultCapacityProviderStrategies"])
}

func TestFargateStackDeclaresNoGPUCapacity(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Empty(t, r.ofType("ai-bluegreen:infra:GpuCapacity"))
	assert.Empty(t, r.ofType("aws:autoscaling/group:Group"))
}

func TestGPUServiceWaitsForTheCapacityProviderToJoinTheCluster(t *testing.T) {
	t.Parallel()
	r := runProgram(t, gpuConfig(t))
	assert.Contains(t, r.one(t, typeService).DependsOn, r.one(t, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").URN)
}
