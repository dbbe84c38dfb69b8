package deployer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	fewSamples := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(fewSamples, []byte("version: 1\ncompare: {requests: [{path: /}]}\nlatency: {samples: 5}\n"), 0o644))
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte("Current stack is dev:"), 0o644))
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no command is bad input", nil, nil, "Usage"},
		{"an unknown command is bad input", nil, []string{"ship"}, `deployer: unknown command "ship"; commands: deploy`},
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
		{"a soak too short for --consecutive checks at --soak-interval is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--soak", "5s", "--soak-interval", "15s"},
			"--soak: 5s is too short for --consecutive 3 checks at --soak-interval 15s"},
		{"plan refuses it the same way", nil, []string{"plan", "--stack-outputs", good, "--image", newImage, "--soak", "5s"}, "use --soak of at least 30s, or --soak-interval of at most 2.5s"},
		{"so does a rollback redeploy through the gates", nil, []string{"rollback", "--stack-outputs", good, "--soak", "20s", "--consecutive", "4"}, "--soak: 20s is too short for --consecutive 4 checks"},
		{"a longest request that is not whole seconds is refused", nil, []string{"plan", "--stack-outputs", with("maxRequestSeconds", "10m"), "--image", newImage}, `stack output maxRequestSeconds: "10m": want whole seconds 1-86400`},
		{"a metrics lag past half an hour is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--metrics-lag", "1h"}, "--metrics-lag: 1h0m0s is out of range"},
		{"an unknown interrupt action is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--on-interrupt", "ignore"}, "--on-interrupt"},
		{"a malformed validation suite is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--validation-suite", badSuite}, "--validation-suite: " + badSuite + ": version: want 1, got 2"},
		{"too few latency samples are refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--latency-samples", "5"}, "--latency-samples: want 0 (off) or 10..1000"},
		{"a latency ratio under 1 is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--max-p95-ratio", "0.5"}, "--max-p95-ratio: want a ratio of 1 to 1000"},
		{"too few latency samples in the suite name its key", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--validation-suite", fewSamples}, fewSamples + ": latency.samples: want 0 (off) or 10..1000"},
		{"a bad env override is refused", nil, []string{"deploy", "--stack-outputs", good, "--image", newImage, "--env", "1X=y"}, "--env"},
		{"a task definition without the container is refused", nil, []string{"deploy", "--stack-outputs", good, "--task-definition", otherTD}, `no container "model"`},
		{"a bad environment value names the variable", map[string]string{"DEPLOYER_CONSECUTIVE": "many"}, []string{"deploy", "--stack-outputs", good, "--image", newImage}, "DEPLOYER_CONSECUTIVE"},
		{"an image from the environment is validated", map[string]string{"DEPLOYER_IMAGE": "nope:"}, []string{"deploy", "--stack-outputs", good}, "--image"},
		{"a positional argument is refused", nil, []string{"deploy", "--stack-outputs", good, newImage}, "unexpected argument"},
		{"an unknown flag is refused", nil, []string{"deploy", "--imag", newImage}, "deployer deploy: unknown flag --imag; did you mean --image?"},
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

func TestASuiteNamingAnUnsetVariableIsBadInput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte("version: 1\nheaders: {Authorization: 'Bearer ${env:API_TOKEN}'}\nchecks: [{request: {path: /}}]\n"), 0o644))
	code, _, stderr := cliRun(t, nil, nil, "", "deploy", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--image", newImage, "--validation-suite", path)

	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "--validation-suite: "+path+": ${env:API_TOKEN}: API_TOKEN is not set")
}

func TestTheSuitesLatencyKeysWinOverTheDefaultsAndAFlagGivenWinsOverTheSuite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte("version: 1\ncompare: {requests: [{path: /}]}\nlatency: {samples: 50, p50: {maxRatio: 1.2, minIncrease: 20ms}, p95: {maxRatio: 3}}\n"), 0o644))
	outputs := writeJSON(t, stackOutputsJSON(t))
	parse := func(env map[string]string, args ...string) Options {
		t.Helper()
		r := runner{getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, stdout: io.Discard, stderr: io.Discard}
		inv, code := r.parse(findCommand("plan"), append([]string{"--stack-outputs", outputs, "--image", newImage, "--validation-suite", path}, args...))
		require.NotNil(t, inv, "exit %d", code)
		return inv.opts
	}
	o := parse(nil)
	assert.Equal(t, 50, o.LatencySamples)
	assert.Equal(t, 1.2, o.MaxP50Ratio)
	assert.Equal(t, 20*time.Millisecond, o.MinP50Increase)
	assert.Equal(t, 3.0, o.MaxP95Ratio)
	assert.Equal(t, 100*time.Millisecond, o.MinP95Increase, "a key the suite leaves out keeps the default")

	o = parse(map[string]string{"DEPLOYER_MAX_P95_RATIO": "4"}, "--latency-samples", "20")
	assert.Equal(t, 20, o.LatencySamples, "a flag given wins over the suite")
	assert.Equal(t, 4.0, o.MaxP95Ratio, "so does DEPLOYER_<FLAG>")
	assert.Equal(t, 1.2, o.MaxP50Ratio)
}

func TestADeployWhoseSoakCannotFailExitsTwoBeforeAnyClientIsBuilt(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	built := 0
	r := runner{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) (string, bool) { return "", false },
		newClients: func(context.Context, awsSettings) (Clients, error) { built++; return Clients{}, nil }}
	code := r.run(context.Background(), []string{"deploy", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--image", newImage,
		"--soak", "5s", "--soak-interval", "15s", "--output", "json"})

	assert.Equal(t, ExitBadInput, code)
	assert.Zero(t, built, "no AWS client, so no AWS call, let alone a write")
	assert.Contains(t, stderr.String(), "could never see 3 unhealthy checks in a row")
	assert.Contains(t, stdout.String(), `"outcome": "bad_input"`)
}

func TestTheLongestRequestComesFromTheStackOutputsAndTheFlagWins(t *testing.T) {
	t.Parallel()
	m := stackOutputsJSON(t)
	m["maxRequestSeconds"] = 600
	outputs := writeJSON(t, m)
	r := runner{getenv: func(string) (string, bool) { return "", false }, stdout: io.Discard, stderr: io.Discard}
	inv, _ := r.parse(findCommand("plan"), []string{"--stack-outputs", outputs, "--image", newImage})
	require.NotNil(t, inv)
	assert.Equal(t, 600*time.Second, inv.target.MaxRequest)
	inv, _ = r.parse(findCommand("plan"), []string{"--stack-outputs", outputs, "--image", newImage, "--max-request-seconds", "90"})
	require.NotNil(t, inv)
	assert.Equal(t, 90*time.Second, inv.target.MaxRequest)
	inv, _ = r.parse(findCommand("plan"), []string{"--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--image", newImage})
	require.NotNil(t, inv)
	assert.Zero(t, inv.target.MaxRequest, "optional: older stacks lack it")
}
