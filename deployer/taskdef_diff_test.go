package deployer

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanShowsWhichEnvironmentVariablesChangeButNotTheirValues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	req := deployV2()
	req.Env = []EnvVar{{"API_KEY", token}, {"LOG_LEVEL", "debug-" + token}}
	res := w.deployer(t, true).Plan(context.Background(), req)
	require.Equal(t, OutcomeOK, res.Outcome, res.Message)

	diff := strings.Join(res.Plan.TaskDefinitionDiff, "\n")
	assert.Contains(t, diff, "+ containerDefinitions[model].environment[API_KEY].value: (set, value redacted)")
	assert.Contains(t, diff, "~ containerDefinitions[model].environment[LOG_LEVEL].value: (changed, values redacted)")
	assert.Contains(t, diff, `~ containerDefinitions[model].image: "repo/model-server:v1" → "repo/model-server:v2"`, "the rest of the diff is shown")
	var out bytes.Buffer
	require.NoError(t, res.writeJSON(&out))
	res.writeText(&out)
	assert.NotContains(t, out.String(), token)
	assert.NotContains(t, out.String(), `"info"`, "the live value is not shown either")
}
