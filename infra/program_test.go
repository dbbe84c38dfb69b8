package infra

import (
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgramExportsExactlyTheContractOutputs(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	var got []string
	for k := range r.outputs {
		got = append(got, k)
	}
	want := append([]string{}, OutputNames...)
	sort.Strings(got)
	sort.Strings(want)
	assert.Equal(t, want, got)
}

func TestContainerPortOutputIsANumber(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	require.Contains(t, r.outputs, OutputContainerPort)
	assert.EqualValues(t, 8080, r.outputs[OutputContainerPort])
}

func TestMaxRequestSecondsOutputIsTheConfiguredNumber(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, with(t, minimalConfig(), "service.maxRequestSeconds", 240), "loadBalancer.idleTimeout", 240))
	require.Contains(t, r.outputs, OutputMaxRequestSeconds)
	assert.EqualValues(t, 240, r.outputs[OutputMaxRequestSeconds])
}

func TestTaskDefinitionArnOutputIsTheRevisionPulumiRegistered(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	require.Contains(t, r.outputs, OutputTaskDefinitionArn)
	assert.Equal(t, r.one(t, typeTaskDefinition).State["arn"], r.outputs[OutputTaskDefinitionArn])
}

func TestBadConfigFailsBeforeAnyResourceIsDeclared(t *testing.T) {
	t.Parallel()
	r, err := runProgramE(t, with(t, minimalConfig(), "healthCheck.interval", 400))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ai-bluegreen:healthCheck.interval = 400: must be 5–300 seconds")
	assert.Empty(t, r.resources)
}

func TestEveryResourceIsParentedToAComponentAndPrefixedWithItsName(t *testing.T) {
	t.Parallel()
	for _, cfg := range []map[string]string{minimalConfig(), gpuConfig(t), autoscaledConfig(t), httpsConfig(t)} {
		r := runProgram(t, cfg)
		for _, d := range r.resources {
			if !d.Custom {
				assert.True(t, strings.HasPrefix(d.Type, "ai-bluegreen:infra:"), "component %s", d.Type)
				continue
			}
			require.NotEmpty(t, d.Parent, "%s %s has no parent", d.Type, d.Name)
			parent := resource.URN(d.Parent)
			assert.True(t, strings.HasPrefix(string(parent.Type()), "ai-bluegreen:infra:"), "%s %s is parented to %s", d.Type, d.Name, parent)
			assert.True(t, strings.HasPrefix(d.Name, parent.Name()+"-"), "%s is not prefixed with its component's name %s", d.Name, parent.Name())
		}
	}
}

func TestTaggableResourcesCarryTheStackTags(t *testing.T) {
	t.Parallel()
	untaggable := map[string]bool{
		"aws:ec2/route:Route": true, "aws:ec2/routeTableAssociation:RouteTableAssociation": true,
		"aws:iam/rolePolicy:RolePolicy": true, "aws:iam/rolePolicyAttachment:RolePolicyAttachment": true,
		"aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": true, "aws:appautoscaling/policy:Policy": true,
		"aws:codedeploy/deploymentConfig:DeploymentConfig": true,
		"aws:autoscaling/group:Group":                      true, // tags as a list of {key, value, propagateAtLaunch}
	}
	r := runProgram(t, with(t, gpuConfig(t), "tags", map[string]string{"team": "ml"}))
	for _, d := range r.resources {
		if !d.Custom || untaggable[d.Type] {
			continue
		}
		tags, _ := d.Inputs["tags"].(map[string]any)
		assert.Equal(t, "dev", tags["pulumi-stack"], "%s %s", d.Type, d.Name)
		assert.Equal(t, "ml", tags["team"], "%s %s", d.Type, d.Name)
	}
	asg := r.one(t, "aws:autoscaling/group:Group").Inputs["tags"]
	assert.Contains(t, asg, map[string]any{"key": "team", "value": "ml", "propagateAtLaunch": true})
}

func TestProgramCallsOnlyTheDocumentedInvokes(t *testing.T) {
	t.Parallel()
	documented := []string{
		"aws:index/getRegion:getRegion", "aws:index/getAvailabilityZones:getAvailabilityZones",
		"aws:ec2/getVpc:getVpc", "aws:ssm/getParameter:getParameter",
	}
	for _, cfg := range []map[string]string{minimalConfig(), gpuConfig(t), existingVPCConfig(t)} {
		r := runProgram(t, cfg)
		for _, tok := range r.invokes {
			assert.Contains(t, documented, tok)
		}
	}
}
