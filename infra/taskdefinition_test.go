package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func containerDefinitions(t *testing.T, r *run) []map[string]any {
	t.Helper()
	var defs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.one(t, typeTaskDefinition).Inputs["containerDefinitions"].(string)), &defs))
	return defs
}

func TestContainerDefinitionCarriesImagePortEnvironmentSecretsAndLogs(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "service.environment", map[string]string{"B": "2", "A": "1"})
	c = with(t, c, "service.secrets", map[string]string{"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/token"})
	r := runProgram(t, c)
	defs := containerDefinitions(t, r)
	require.Len(t, defs, 1)
	d := defs[0]
	assert.Equal(t, "model-server", d["name"])
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v1", d["image"])
	assert.Equal(t, []any{map[string]any{"containerPort": 8080.0, "hostPort": 8080.0, "protocol": "tcp"}}, d["portMappings"])
	assert.Equal(t, []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "B", "value": "2"}}, d["environment"])
	assert.Equal(t, []any{map[string]any{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/token"}}, d["secrets"])
	assert.Equal(t, map[string]any{"logDriver": "awslogs", "options": map[string]any{
		"awslogs-group": "/ecs/ai-bluegreen-dev", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "model-server",
	}}, d["logConfiguration"])
}

func TestContainerHealthCheckIsSetOnlyWithACommand(t *testing.T) {
	t.Parallel()
	assert.NotContains(t, containerDefinitions(t, runProgram(t, minimalConfig()))[0], "healthCheck")
	r := runProgram(t, with(t, minimalConfig(), "containerHealthCheck.command", []string{"CMD-SHELL", "curl -f localhost:8080/health/live"}))
	assert.Equal(t, map[string]any{
		"command": []any{"CMD-SHELL", "curl -f localhost:8080/health/live"}, "interval": 30.0, "timeout": 5.0, "retries": 3.0, "startPeriod": 300.0,
	}, containerDefinitions(t, r)[0]["healthCheck"])
}

func TestTaskDefinitionRevisionsAreNeverDeregisteredByAReplace(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Equal(t, true, r.one(t, typeTaskDefinition).Inputs["skipDestroy"],
		"a replaced revision may be live or the deployer's rollback target")
}

func TestContainerStopTimeoutComesFromConfig(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 30.0, containerDefinitions(t, runProgram(t, minimalConfig()))[0]["stopTimeout"], "ECS's default, written down")
	r := runProgram(t, with(t, minimalConfig(), "service.stopTimeout", 90))
	assert.Equal(t, 90.0, containerDefinitions(t, r)[0]["stopTimeout"])
}
