package deployer

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stackOutputsJSON is `pulumi stack output --json` for the test world; the port
// is a JSON number.
func stackOutputsJSON(t *testing.T, urls ...string) map[string]any {
	t.Helper()
	tgt := testTarget()
	out := map[string]any{
		"region": "us-east-1", "clusterName": tgt.Cluster, "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/ml", "serviceName": tgt.Service,
		"taskDefinitionFamily": "web", "containerName": tgt.ContainerName, "containerPort": 8080,
		"codeDeployApplication": tgt.Application, "codeDeployDeploymentGroup": tgt.DeploymentGroup,
		"blueTargetGroupArn": tgBlue, "blueTargetGroupName": "web-blue", "greenTargetGroupArn": tgGreen, "greenTargetGroupName": "web-green",
		"prodListenerArn": tgt.ProdListenerArn, "testListenerArn": tgt.TestListenerArn, "loadBalancerArn": lbArn,
		"albDnsName": "web-123.us-east-1.elb.amazonaws.com", "prodUrl": "http://web:80", "testUrl": "http://web:8443",
		"deployerPolicyJson": `{"Version":"2012-10-17","Statement":[]}`,
	}
	if len(urls) == 2 {
		out["prodUrl"], out["testUrl"] = urls[0], urls[1]
	}
	return out
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "outputs.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// cliRun runs the CLI with env and, when w is nil, AWS clients that fail the test
// if they are ever built.
func cliRun(t *testing.T, w *world, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	r := runner{
		stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		newClients: func(context.Context, awsSettings) (Clients, error) {
			if w == nil {
				t.Fatalf("AWS clients built for %v", args)
			}
			return w.clients(), nil
		},
	}
	if w != nil {
		r.clock = w.clock
	}
	code := r.run(context.Background(), args)
	return code, stdout.String(), stderr.String()
}

func TestBadInputWithJSONOutputPrintsAResult(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "deploy", "--output", "json", "--image", "x")
	assert.Equal(t, ExitBadInput, code)
	var res Result
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, OutcomeBadInput, res.Outcome)
}

func TestDeployFromEnvironmentAndStdinOutputsPrintsJSONAndStepSummary(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	blue, green := modelServer(t, "v1", 0, true), modelServer(t, "v2", 0, true)
	outputs := stackOutputsJSON(t, blue.URL, green.URL)
	outputs["containerPort"] = "8080" // numbers may arrive as strings
	data, err := json.Marshal(outputs)
	require.NoError(t, err)
	summary := filepath.Join(t.TempDir(), "summary.md")
	env := map[string]string{"DEPLOYER_IMAGE": newImage, "DEPLOYER_STACK_OUTPUTS": "-", "DEPLOYER_ENV": "A=1\nB=2",
		"DEPLOYER_SOAK": "1m", "GITHUB_STEP_SUMMARY": summary, "GITHUB_SHA": "abc123"}
	code, out, stderr := cliRun(t, w, env, string(data), "deploy", "--output", "json")

	require.Equal(t, ExitReleased, code, stderr)
	var res Result
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, OutcomeReleased, res.Outcome)
	assert.Equal(t, "d-NEW", res.DeploymentID)
	assert.Equal(t, "abc123", res.Provenance.GitSHA)
	assert.Equal(t, time.Hour, res.Group.ReadyWait, "durations round-trip as strings")
	assert.Positive(t, res.Budget.Total)
	assert.Contains(t, out, `"total": "`)
	require.Len(t, w.registers, 1)
	assert.Len(t, w.registers[0].ContainerDefinitions[0].Environment, 3, "LOG_LEVEL plus A and B")
	md, err := os.ReadFile(summary)
	require.NoError(t, err)
	assert.Contains(t, string(md), "## ✅ deployer deploy: released")
	assert.Contains(t, string(md), "| ready | pass |")
	assert.Contains(t, stderr, `msg="gate ready passed; continuing to production traffic"`)
}

func TestMainRunsTwiceInOneProcess(t *testing.T) {
	t.Parallel()
	for i := 0; i < 2; i++ {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, ExitReleased, Main(context.Background(), []string{"--help"}, &stdout, &stderr))
		assert.Contains(t, stdout.String(), "Exit codes:")
	}
}

func TestRunDefaultsWhatItIsNotGiven(t *testing.T) {
	// No stdout/stderr given: help still runs and writes nowhere.
	assert.Equal(t, ExitReleased, Run(context.Background(), []string{"--help"}, Env{}))
	var stdout bytes.Buffer
	assert.Equal(t, ExitReleased, Run(context.Background(), []string{"--help"}, Env{Stdout: &stdout}))
	assert.Contains(t, stdout.String(), "deploy")
}
