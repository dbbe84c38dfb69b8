package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// badInput is one thing a user can get wrong in the deployer's inputs: its flags and environment,
// the stack outputs file and the validation suite file. The stack file's own corpus is localaws's
// (tests/cmd/localaws/badinput_test.go), where a stack file is input.
type badInput struct {
	name string
	// args are the deployer's arguments; the test adds --endpoint-url (the emulator) and, unless
	// they give one, --stack-outputs of the provisioned stack. In args and want, "{file}" is a file
	// holding file, "{suite}" the rehearsal's good validation suite.
	args []string
	file string
	// edit, when set, makes the file the provisioned stack's outputs with this change instead.
	edit func(outputs map[string]any)
	env  map[string]string
	// want are what the message must say: the input it names and what is allowed.
	want []string
}

const goodImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v2"

func deployWith(extra ...string) []string {
	return append([]string{"deploy", "--image", goodImage, "--validation-suite", "{suite}"}, extra...)
}

var badInputs = []badInput{
	// Flags and the environment.
	{name: "an image that is not a reference", args: []string{"deploy", "--image", "Repo/Model:v1"}, want: []string{"--image", `"Repo/Model:v1" is not a valid image reference`}},
	{name: "an image without a tag or digest", args: []string{"deploy", "--image", "model-server"}, want: []string{"--image", "no tag or digest"}},
	{name: "no image at all", args: []string{"deploy"}, want: []string{"--image: is required"}},
	{name: "an env override without =", args: deployWith("--env", "LOG_LEVEL"), want: []string{"--env", "NAME=value"}},
	{name: "an env override whose name starts with a digit", args: deployWith("--env", "1X=y"), want: []string{"--env", "1X"}},
	{name: "a soak too short to fail", args: deployWith("--soak", "5s"), want: []string{"--soak: 5s is too short", "--consecutive"}},
	{name: "a 5xx rate above one", args: deployWith("--max-5xx-rate", "5"), want: []string{"--max-5xx-rate: 5", "fraction 0-1"}},
	{name: "a latency ratio below one", args: deployWith("--max-p95-ratio", "0.5"), want: []string{"--max-p95-ratio", "1 to 1000"}},
	{name: "too few latency samples", args: deployWith("--latency-samples", "5"), want: []string{"--latency-samples", "10..1000"}},
	{name: "an unknown interrupt action", args: deployWith("--on-interrupt", "ignore"), want: []string{"--on-interrupt", "rollback"}},
	{name: "an unknown output format", args: deployWith("--output", "xml"), want: []string{"--output", "json"}},
	{name: "a duration without a unit", args: deployWith("--soak", "5"), want: []string{"--soak", "30s", "5m"}},
	{name: "a duration with an unknown unit", args: deployWith("--soak", "5x"), want: []string{"--soak", "30s", "5m"}},
	{name: "a misspelt flag", args: []string{"deploy", "--imgae", goodImage}, want: []string{"--imgae", "--image"}},
	{name: "a misspelt command", args: []string{"deploi", "--image", goodImage}, want: []string{`"deploi"`, "deploy"}},
	{name: "a duration in the environment", args: deployWith(), env: map[string]string{"DEPLOYER_SOAK": "forever"}, want: []string{"DEPLOYER_SOAK", "30s"}},
	{name: "a count in the environment", args: deployWith(), env: map[string]string{"DEPLOYER_CONSECUTIVE": "many"}, want: []string{"DEPLOYER_CONSECUTIVE", "many"}},
	{name: "an AWS endpoint that does not answer", args: deployWith("--endpoint-url", "http://127.0.0.1:9"), want: []string{"http://127.0.0.1:9", "--endpoint-url", "nothing was written"}},
	{name: "a stray positional argument", args: deployWith(goodImage), want: []string{"unexpected argument"}},
	{name: "a registered revision and an image", args: deployWith("--task-definition-arn", "model-server:9"), want: []string{"--task-definition-arn: cannot be combined with --image"}},
	{name: "an endpoint URL without a scheme", args: deployWith("--endpoint-url", "localhost:4566"), want: []string{"--endpoint-url", "localhost:4566"}},
	{name: "a deployment id that is not one", args: []string{"abort", "--deployment-id", "123"}, want: []string{"--deployment-id", "123"}},
	{name: "continue waiting for an unknown event", args: []string{"continue", "--wait", "soon"}, want: []string{"--wait", `"soon"`, "ready", "termination"}},
	// The stack outputs file (pulumi stack output --json).
	{name: "outputs without a key the deployer needs", args: deployWith("--stack-outputs", "{file}"), edit: without("testListenerArn"), want: []string{"--stack-outputs", `"testListenerArn"`}},
	{name: "outputs with a port that is not a number", args: deployWith("--stack-outputs", "{file}"), edit: with("containerPort", "http"), want: []string{"containerPort", `"http"`, "1-65535"}},
	{name: "outputs with a cluster that is not a string", args: deployWith("--stack-outputs", "{file}"), edit: with("clusterName", 42), want: []string{"clusterName"}},
	{name: "outputs with a test URL that has a path", args: deployWith("--stack-outputs", "{file}"), edit: with("testUrl", "http://alb:8443/x"), want: []string{"testUrl", "http://alb:8443/x"}},
	{name: "outputs cut off mid-file", args: deployWith("--stack-outputs", "{file}"), file: `{"clusterName": "dev-cluster", "testUrl": "http://`, want: []string{"--stack-outputs", "JSON"}},
	{name: "an empty outputs file", args: deployWith("--stack-outputs", "{file}"), file: "", want: []string{"--stack-outputs", "JSON"}},
	{name: "outputs that are pulumi's text, not JSON", args: deployWith("--stack-outputs", "{file}"), file: "Current stack is dev:\n    clusterName  dev-cluster\n", want: []string{"--stack-outputs", "JSON", "pulumi stack output --json"}},
	{name: "outputs that are a JSON list", args: deployWith("--stack-outputs", "{file}"), file: `["dev-cluster"]`, want: []string{"--stack-outputs", "JSON object"}},
	{name: "an outputs file that does not exist", args: deployWith("--stack-outputs", "/nonexistent/outputs.json"), want: []string{"--stack-outputs", "/nonexistent/outputs.json"}},
	// The validation suite file.
	{name: "a suite that is not YAML", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "version: 1\nchecks: [\n", want: []string{"--validation-suite", "{file}"}},
	{name: "an empty suite", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "", want: []string{"--validation-suite", "{file}", "version"}},
	{name: "a suite of another version", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "version: 2\n", want: []string{"--validation-suite", "version: want 1, got 2"}},
	{name: "a suite with a misspelt key", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "version: 1\nchekcs: []\n", want: []string{"--validation-suite", "chekcs"}},
	{name: "a suite with a count that is text", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "version: 1\ncompare: {requests: [{path: /}]}\nlatency: {samples: many}\n", want: []string{"--validation-suite", "line 3 (latency: {samples: many})", `"many" is not a whole number`}},
	{name: "a suite with too few latency samples", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "version: 1\ncompare: {requests: [{path: /}]}\nlatency: {samples: 5}\n", want: []string{"latency.samples", "10..1000"}},
	{name: "a suite naming an unset variable", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "version: 1\nchecks:\n  - name: auth\n    request: {path: /predict, headers: {Authorization: \"Bearer ${NO_SUCH_TOKEN}\"}}\n", want: []string{"NO_SUCH_TOKEN"}},
	{name: "a suite check whose status is not a number", args: []string{"deploy", "--image", goodImage, "--validation-suite", "{file}"}, file: "version: 1\nchecks:\n  - name: ok\n    request: {path: /health/ready}\n    expect: {status: ok}\n", want: []string{"--validation-suite", "expect: {status: ok}", `"ok" is not a whole number`}},
	{name: "a suite file that does not exist", args: []string{"deploy", "--image", goodImage, "--validation-suite", "/nonexistent/suite.yaml"}, want: []string{"--validation-suite", "/nonexistent/suite.yaml"}},
}

// with and without change one key of the provisioned stack's outputs.
func with(key string, v any) func(map[string]any) {
	return func(m map[string]any) { m[key] = v }
}

func without(key string) func(map[string]any) {
	return func(m map[string]any) { delete(m, key) }
}

// Every bad input is refused before anything is written: exit 2, one message naming the input and
// what is allowed, and not one mutating call reaches AWS (the emulator's call log). The deployer
// runs in-process against a provisioned stack, so a refusal that came only after a write would be
// seen.
func TestBadInputIsRefusedBeforeAnyWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("provisions the dev stack")
	}
	log := &mutations{}
	stack, err := provision.Start(context.Background(), provision.Options{StackFile: filepath.Join("..", "Pulumi.dev.yaml"),
		Addr: "127.0.0.1:0", TimeScale: 60, Emulator: emulator.Options{OnCall: log.add}})
	require.NoError(t, err)
	defer stack.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	var outputs bytes.Buffer
	require.NoError(t, stack.WriteOutputs(&outputs))
	dir := t.TempDir()
	outputsFile, suiteFile := filepath.Join(dir, "outputs.json"), filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(outputsFile, outputs.Bytes(), 0o600))
	require.NoError(t, os.WriteFile(suiteFile, rehearsal.Suite, 0o600))

	require.GreaterOrEqual(t, len(badInputs), 40, "the corpus: at least 40 bad inputs")
	for i, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("case-%d", i))
			require.NoError(t, os.WriteFile(file, caseFile(t, tc, outputs.Bytes()), 0o600))
			expand := strings.NewReplacer("{file}", file, "{suite}", suiteFile).Replace
			args := []string{}
			for _, a := range tc.args {
				args = append(args, expand(a))
			}
			if !slices.Contains(args, "--endpoint-url") {
				args = append(args, "--endpoint-url", stack.Server.URL)
			}
			if !slices.Contains(args, "--stack-outputs") {
				args = append(args, "--stack-outputs", outputsFile)
			}
			before := log.count()
			var stdout, stderr bytes.Buffer
			code := deployer.Run(context.Background(), args, deployer.Env{Stdout: &stdout, Stderr: &stderr, Clock: stack.Server.Clock(),
				Getenv: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }})
			msg := stderr.String()
			assert.Equal(t, deployer.ExitBadInput, code, "exit code; stderr:\n%s", msg)
			for _, w := range tc.want {
				assert.Contains(t, msg, expand(w), "the message names the input and what is allowed")
			}
			assert.Empty(t, log.since(before), "mutating AWS calls made before the refusal")
		})
	}
}

// caseFile is a case's file content: as given, or the provisioned stack's outputs edited.
func caseFile(t *testing.T, tc badInput, outputs []byte) []byte {
	if tc.edit == nil {
		return []byte(tc.file)
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(outputs, &m))
	tc.edit(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// mutations records the AWS calls that change something: every operation but reads.
type mutations struct {
	mu    sync.Mutex
	calls []string
}

func (m *mutations) add(c emulator.Call) {
	for _, read := range []string{"Describe", "List", "Get", "BatchGet"} {
		if strings.HasPrefix(c.Action, read) {
			return
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, c.Service+":"+c.Action)
}

func (m *mutations) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

func (m *mutations) since(i int) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.calls[i:]...)
}
