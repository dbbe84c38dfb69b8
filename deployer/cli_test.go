package deployer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
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

func TestHelpListsCommandsExitCodesAndFlags(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "--help")
	assert.Equal(t, 0, code)
	for _, want := range []string{"deploy ", "status ", "rollback ", "continue ", "abort ", "plan ",
		"0  released", "1  failed or rolled back", "2  bad input", "3  timed out", "4  interrupted",
		"-image REF", "-soak duration", "(default 5m0s)", "-on-interrupt string", "DEPLOYER_<FLAG>", "AWS_ENDPOINT_URL"} {
		assert.Contains(t, out, want)
	}
}

func TestCommandHelpListsItsFlags(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "deploy", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Usage: deployer deploy [flags]")
	assert.Contains(t, out, "-validation-suite FILE")
	code, out, _ = cliRun(t, nil, nil, "", "continue", "-h")
	assert.Equal(t, 0, code)
	assert.NotContains(t, out, "-image")
}

func TestBadInputExitsTwoBeforeAnyAWSCall(t *testing.T) {
	t.Parallel()
	outputs := stackOutputsJSON(t)
	good := writeJSON(t, outputs)
	without := func(key string) string {
		m := stackOutputsJSON(t)
		delete(m, key)
		return writeJSON(t, m)
	}
	with := func(key string, v any) string {
		m := stackOutputsJSON(t)
		m[key] = v
		return writeJSON(t, m)
	}
	badSuite := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(badSuite, []byte("version: 2\n"), 0o644))
	otherTD := filepath.Join(t.TempDir(), "td.json")
	require.NoError(t, os.WriteFile(otherTD, []byte(`{"family":"web","containerDefinitions":[{"name":"api","image":"x:1"}]}`), 0o644))
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte("Current stack is dev:"), 0o644))
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no command is bad input", nil, nil, "Usage"},
		{"an unknown command is bad input", nil, []string{"ship"}, `unknown command "ship"`},
		{"a missing image is named", nil, []string{"deploy", "--stack-outputs", good}, "--image: is required"},
		{"an untagged image is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", "repo/model-server"}, "no tag or digest"},
		{"a malformed image is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", "Repo/Model:v1"}, "--image: \"Repo/Model:v1\" is not a valid image reference"},
		{"missing stack outputs name the flag and key", nil, []string{"deploy", "--image", newImage}, `--cluster: is required: pass --cluster, set DEPLOYER_CLUSTER, or give --stack-outputs with key "clusterName"`},
		{"a missing output key is named", nil, []string{"deploy", "--stack-outputs", without("testListenerArn"), "--image", newImage}, `key "testListenerArn"`},
		{"a stack outputs file that is not JSON is refused", nil, []string{"deploy", "--stack-outputs", garbage, "--image", newImage}, "--stack-outputs: stack outputs must be the JSON object"},
		{"an unreadable stack outputs file is refused", nil, []string{"status", "--stack-outputs", "/nonexistent/outputs.json"}, "--stack-outputs: read stack outputs"},
		{"a bad port in the outputs names the key", nil, []string{"deploy", "--stack-outputs", with("containerPort", "http"), "--image", newImage}, "stack output containerPort: \"http\": want a port 1-65535"},
		{"a listener that is not an ARN is refused", nil, []string{"status", "--stack-outputs", good, "--prod-listener-arn", "prod"}, "--prod-listener-arn: \"prod\": want a listener ARN"},
		{"a URL with a path is refused", nil, []string{"deploy", "--stack-outputs", with("testUrl", "http://web:8443/x"), "--image", newImage}, "stack output testUrl"},
		{"a zero poll interval is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--poll-interval", "0s"}, "--poll-interval: 0s is out of range"},
		{"a 5xx rate above one is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--max-5xx-rate", "5"}, "--max-5xx-rate: 5: want a fraction 0-1"},
		{"a negative request minimum is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--min-requests", "-1"}, "--min-requests: -1: want 0-1000000000"},
		{"a request minimum that a soak shorter than a minute cannot count is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--min-requests", "10", "--soak", "30s"},
			"--min-requests: needs --soak of at least 1m0s"},
		{"a metrics lag past half an hour is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--metrics-lag", "1h"}, "--metrics-lag: 1h0m0s is out of range"},
		{"an unknown interrupt action is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--on-interrupt", "ignore"}, "--on-interrupt"},
		{"a malformed validation suite is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--validation-suite", badSuite}, "--validation-suite: " + badSuite + ": version: want 1, got 2"},
		{"a bad env override is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--env", "1X=y"}, "--env"},
		{"a task definition without the container is refused", nil, []string{"deploy", "--stack-outputs", good, "--task-definition", otherTD}, `no container "model"`},
		{"a bad environment value names the variable", map[string]string{"DEPLOYER_CONSECUTIVE": "many"}, []string{"deploy", "--stack-outputs", good, "--image", newImage}, "DEPLOYER_CONSECUTIVE"},
		{"an image from the environment is validated", map[string]string{"DEPLOYER_IMAGE": "nope:"}, []string{"deploy", "--stack-outputs", good}, "--image"},
		{"a positional argument is refused", nil, []string{"deploy", "--stack-outputs", good, newImage}, "unexpected argument"},
		{"an unknown flag is refused", nil, []string{"deploy", "--imag", newImage}, "flag provided but not defined: -imag"},
		{"an unknown continue wait is refused", nil, []string{"continue", "--stack-outputs", good, "--wait", "soon"}, `--wait: "soon": want ready (past Ready) or termination`},
		{"status takes a deployment id only to follow it", nil, []string{"status", "--stack-outputs", good, "--deployment-id", "d-ABC"}, "--deployment-id: status takes a deployment id only with --follow"},
		{"a registered revision is not combined with an image", nil, []string{"deploy", "--stack-outputs", good, "--task-definition-arn", "web:9", "--image", newImage}, "--task-definition-arn: cannot be combined with --image"},
		{"a registered revision is not combined with an image from the environment", map[string]string{"DEPLOYER_IMAGE": newImage}, []string{"deploy", "--stack-outputs", good, "--task-definition-arn", "web:9"}, "--task-definition-arn: cannot be combined with --image"},
		{"a registered revision is not combined with a task definition file", nil, []string{"deploy", "--stack-outputs", good, "--task-definition-arn", "web:9", "--task-definition", otherTD}, "--task-definition-arn: cannot be combined with --task-definition FILE"},
		{"a registered revision is not combined with env overrides", nil, []string{"deploy", "--stack-outputs", good, "--task-definition-arn", "web:9", "--env", "A=1"}, "--task-definition-arn: cannot be combined with --env"},
		{"a malformed task definition ARN is refused", nil, []string{"deploy", "--stack-outputs", good, "--task-definition-arn", "arn:aws:ecs:us-east-1:1:service/web"}, `--task-definition-arn: "arn:aws:ecs:us-east-1:1:service/web": want a task definition ARN`},
		{"a bad deployment id is refused", nil, []string{"abort", "--stack-outputs", good, "--deployment-id", "123"}, "--deployment-id"},
		{"an unknown output format is refused", nil, []string{"status", "--stack-outputs", good, "--output", "xml"}, "--output"},
		{"a bad endpoint URL is refused", nil, []string{"status", "--stack-outputs", good, "--endpoint-url", "localhost:4566"}, "--endpoint-url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := cliRun(t, nil, tc.env, "", tc.args...)
			assert.Equal(t, ExitBadInput, code)
			assert.Contains(t, stderr, tc.want)
		})
	}
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

func TestFlagsOverrideStackOutputs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepReady)
	code, _, stderr := cliRun(t, w, nil, "", "continue", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--cluster", "other")
	require.Equal(t, ExitReleased, code, stderr)
	assert.Equal(t, 1, w.called("codedeploy:GetDeploymentTarget other:web"))
}

func TestMainRunsTwiceInOneProcess(t *testing.T) {
	t.Parallel()
	for i := 0; i < 2; i++ {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, ExitReleased, Main(context.Background(), []string{"--help"}, &stdout, &stderr))
		assert.Contains(t, stdout.String(), "Exit codes:")
	}
}

func TestReadOutputNamesListsOnlyOutputsThatFillTheTarget(t *testing.T) {
	t.Parallel()
	outputs := map[string]any{ // a distinct value per output, to find it in the target
		OutputRegion: "eu-west-3", OutputClusterName: "cluster-1", OutputServiceName: "service-1", OutputContainerName: "container-1", OutputContainerPort: 9091,
		OutputCodeDeployApplication: "application-1", OutputCodeDeployDeploymentGroup: "group-1",
		OutputProdListenerArn: "arn:aws:elasticloadbalancing:eu-west-3:1:listener/app/x/prod-1", OutputTestListenerArn: "arn:aws:elasticloadbalancing:eu-west-3:1:listener/app/x/test-1",
		OutputLoadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-3:1:loadbalancer/app/x/lb-1", OutputProdURL: "http://prod-1:80", OutputTestURL: "http://test-1:8443",
	}
	_, c := findCommand("deploy").newFlagSet()
	c.stackOutputs = writeJSON(t, outputs)
	inv := &invocation{cmd: "deploy"}
	require.NoError(t, c.resolveTarget(inv, nil))
	target := fmt.Sprintf("%+v", inv.target)
	for _, name := range ReadOutputNames() {
		assert.Contains(t, target, fmt.Sprint(outputs[name]), "ReadOutputNames claims the deployer reads stack output %q, but it fills no target field", name)
	}
}

// halfClock runs twice as fast as real time.
type halfClock struct{ realClock }

func (halfClock) RealDuration(d time.Duration) time.Duration { return d / 2 }

func TestTheSDKRetryBackoffRunsOnAScaledClock(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	wall, scaled := newRetryer(nil), newRetryer(halfClock{})
	require.Equal(t, wall.MaxAttempts(), scaled.MaxAttempts())
	// The backoff is random ("full jitter"): compare the bounds over many draws.
	var wallMax, scaledMax time.Duration
	for range 2000 {
		w, err := wall.RetryDelay(5, throttled)
		require.NoError(t, err)
		s, err := scaled.RetryDelay(5, throttled)
		require.NoError(t, err)
		wallMax, scaledMax = max(wallMax, w), max(scaledMax, s)
	}
	assert.LessOrEqual(t, wallMax, 20*time.Second)
	assert.Greater(t, wallMax, 10*time.Second, "at attempt 5 the wall-clock backoff reaches towards its 20 s cap")
	assert.LessOrEqual(t, scaledMax, 10*time.Second, "a clock running twice as fast halves the real backoff")
	assert.Greater(t, scaledMax, 5*time.Second)
}

func TestRunDefaultsWhatItIsNotGiven(t *testing.T) {
	// No stdout/stderr given: help still runs and writes nowhere.
	assert.Equal(t, ExitReleased, Run(context.Background(), []string{"--help"}, Env{}))
	var stdout bytes.Buffer
	assert.Equal(t, ExitReleased, Run(context.Background(), []string{"--help"}, Env{Stdout: &stdout}))
	assert.Contains(t, stdout.String(), "deploy")
}
