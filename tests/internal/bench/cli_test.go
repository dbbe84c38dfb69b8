package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// A release script registers the live task definition again with the new image and environment:
// only RegisterTaskDefinition's input members, the other containers untouched.
func TestTheCLIsTaskDefinitionIsTheLiveOneWithTheNewImageAndEnvironment(t *testing.T) {
	t.Parallel()
	live := map[string]any{
		"taskDefinitionArn": "arn:td:7", "revision": 7.0, "status": "ACTIVE", "family": "web", "cpu": "4096",
		"containerDefinitions": []any{
			map[string]any{"name": "sidecar", "image": "envoy:1"},
			map[string]any{"name": "model", "image": "repo/m:v1", "environment": []any{
				map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "SIM_LATENCY_MS", "value": "5"}}},
		},
	}
	got, err := cloneTaskDefinition(live, "model", "repo/m:v2", []string{"SIM_LATENCY_MS=400", "SIM_NEVER_READY=true"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"family": "web", "cpu": "4096", "containerDefinitions": []any{
		map[string]any{"name": "sidecar", "image": "envoy:1"},
		map[string]any{"name": "model", "image": "repo/m:v2", "environment": []any{
			map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "SIM_LATENCY_MS", "value": "400"},
			map[string]any{"name": "SIM_NEVER_READY", "value": "true"}}},
	}}, got)
	_, err = cloneTaskDefinition(live, "nope", "repo/m:v2", nil)
	assert.ErrorContains(t, err, "no container nope")
}

func TestTheCLIsAppSpecIsTheTutorialsOne(t *testing.T) {
	t.Parallel()
	var spec struct {
		Version   float64 `yaml:"version"`
		Resources []map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				TaskDefinition   string `yaml:"TaskDefinition"`
				LoadBalancerInfo struct {
					ContainerName string `yaml:"ContainerName"`
					ContainerPort int    `yaml:"ContainerPort"`
				} `yaml:"LoadBalancerInfo"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(appSpec("arn:aws:ecs:us-east-1:1:task-definition/web:8", stackRefs{container: "model", port: 8080})), &spec))
	ts := spec.Resources[0]["TargetService"]
	assert.Equal(t, "AWS::ECS::Service", ts.Type)
	assert.Equal(t, "arn:aws:ecs:us-east-1:1:task-definition/web:8", ts.Properties.TaskDefinition)
	assert.Equal(t, "model", ts.Properties.LoadBalancerInfo.ContainerName)
	assert.Equal(t, 8080, ts.Properties.LoadBalancerInfo.ContainerPort)
}

func TestTheDeploymentIDIsReadFromWhatAWSECSDeployPrints(t *testing.T) {
	t.Parallel()
	out := "Successfully registered new ECS task definition arn:td:2\nSuccessfully created deployment d-34BR4VHSW\nWaiting for d-34BR4VHSW to succeed (will wait up to 35 minutes)...\n"
	assert.Equal(t, "d-34BR4VHSW", createdDeployment.FindStringSubmatch(out)[1])
}
