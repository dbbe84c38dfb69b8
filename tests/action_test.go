package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// The GitHub Action (deployer/action.yml, its steps in deployer/action.sh) is tested the way the
// runner runs it: each step's run: text in `bash --noprofile --norc -eo pipefail FILE`, with the
// step's env: mapped from the inputs, and a stub deployer that records what it was given.

// actionManifest is the part of action.yml the tests read.
type actionManifest struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Uses  string            `yaml:"uses"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

func readActionManifest(t *testing.T) actionManifest {
	t.Helper()
	data, err := os.ReadFile("../deployer/action.yml")
	require.NoError(t, err)
	var m actionManifest
	require.NoError(t, yaml.Unmarshal(data, &m))
	return m
}

func (m actionManifest) step(t *testing.T, id string) actionStep {
	t.Helper()
	for _, s := range m.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("action.yml has no step %q", id)
	return actionStep{}
}

// actionExpr is a ${{ … }} expression as action.yml's env: uses them.
var actionExpr = regexp.MustCompile(`^\$\{\{\s*([a-z_.-]+)\s*\}\}$`)

// actionRun runs one step of the action. inputs are the workflow's with: (defaults from action.yml
// fill the rest), context maps other expressions (steps.build.outputs.path, github.action_ref), env
// is added to the runner's environment.
type actionRun struct {
	t        *testing.T
	dir      string // RUNNER_TEMP and the files of GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH
	manifest actionManifest
	inputs   map[string]string
	context  map[string]string
	env      []string
}

func newActionRun(t *testing.T) *actionRun {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	return &actionRun{t: t, dir: t.TempDir(), manifest: readActionManifest(t), inputs: map[string]string{}, context: map[string]string{}}
}

func (a *actionRun) file(name string) string { return filepath.Join(a.dir, name) }

// command prepares the step the way the runner does: its script in a file, its env resolved.
func (a *actionRun) command(id string) *exec.Cmd {
	a.t.Helper()
	step := a.manifest.step(a.t, id)
	require.Equal(a.t, "bash", step.Shell)
	script := a.file("step-" + id + ".sh")
	require.NoError(a.t, os.WriteFile(script, []byte(step.Run), 0o644))
	actionPath, err := filepath.Abs("../deployer")
	require.NoError(a.t, err)
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"GITHUB_ACTION_PATH=" + actionPath, "RUNNER_TEMP=" + a.dir,
		"GITHUB_OUTPUT=" + a.file("output-"+id), "GITHUB_STEP_SUMMARY=" + a.file("summary-"+id), "GITHUB_PATH=" + a.file("path-"+id),
	}, a.env...)
	for name, value := range step.Env {
		cmd.Env = append(cmd.Env, name+"="+a.resolve(value))
	}
	return cmd
}

func (a *actionRun) resolve(value string) string {
	m := actionExpr.FindStringSubmatch(value)
	require.NotNil(a.t, m, "env value %q is not one ${{ … }} expression", value)
	if name, ok := strings.CutPrefix(m[1], "inputs."); ok {
		input, declared := a.manifest.Inputs[name]
		require.True(a.t, declared, "action.yml uses undeclared input %q", name)
		if v, given := a.inputs[name]; given {
			return v
		}
		return input.Default
	}
	v, ok := a.context[m[1]]
	require.True(a.t, ok, "the test gives no value for %s", m[1])
	return v
}

// outputs reads a step's GITHUB_OUTPUT file (name<<DELIM … DELIM, or name=value).
func (a *actionRun) outputs(id string) map[string]string {
	a.t.Helper()
	data, err := os.ReadFile(a.file("output-" + id))
	if os.IsNotExist(err) {
		return map[string]string{}
	}
	require.NoError(a.t, err)
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok {
			var value []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				value = append(value, lines[i])
			}
			out[name] = strings.Join(value, "\n")
		} else if name, value, ok := strings.Cut(lines[i], "="); ok {
			out[name] = value
		}
	}
	return out
}

// stubDeployer writes a deployer stand-in: it records its PID, arguments (NUL-separated) and the
// summary path it was given, appends to the summary, prints $STUB_RESULT and exits $STUB_EXIT. With
// STUB_WAIT set it waits for SIGINT and then exits 4, as the deployer does.
func stubDeployer(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "deployer")
	script := `#!/usr/bin/env bash
printf '%s\n' "$$" > "$STUB_DIR/pid"
printf '%s\0' "$@" > "$STUB_DIR/args"
printf '%s' "$GITHUB_STEP_SUMMARY" > "$STUB_DIR/summary-path"
echo '## deployer summary' >> "$GITHUB_STEP_SUMMARY"
if [ -n "${STUB_WAIT:-}" ]; then
  trap 'echo SIGINT > "$STUB_DIR/signal"; echo "{\"exitCode\": 4}"; exit 4' INT
  : > "$STUB_DIR/ready"
  while :; do sleep 0.05; done
fi
printf '%s' "${STUB_RESULT:-}"
exit "${STUB_EXIT:-0}"
`
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path
}

func (a *actionRun) withStub() *actionRun {
	a.context["steps.build.outputs.path"] = stubDeployer(a.t, a.dir)
	a.env = append(a.env, "STUB_DIR="+a.dir)
	return a
}

func (a *actionRun) stubArgs() []string {
	a.t.Helper()
	data, err := os.ReadFile(a.file("args"))
	require.NoError(a.t, err, "the stub deployer did not run")
	return strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
}

func TestActionPassesEachInputAsOneArgumentAndRunsNothingInIt(t *testing.T) {
	t.Parallel()
	a := newActionRun(t).withStub()
	a.inputs = map[string]string{
		"stack-outputs":    "stack outputs.json",
		"image":            `repo/model:v2 $(touch pwned) "q" 'q' ; touch pwned`,
		"validation-suite": "deploy/suite file.yaml",
		"soak":             "10m",
		"hold-at-ready":    "true",
		"args": "\n  # gate 2 thresholds\n--max-p99 1500ms\n--env SIM_LABEL=a b  \n--description=release `date` of $GITHUB_SHA\n" +
			"--allow-ungated-traffic\n\n",
	}
	a.env = append(a.env, "STUB_RESULT={}")
	cmd := a.command("run")
	cmd.Dir = a.dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	assert.Equal(t, []string{"deploy",
		"--stack-outputs", "stack outputs.json",
		"--image", `repo/model:v2 $(touch pwned) "q" 'q' ; touch pwned`,
		"--validation-suite", "deploy/suite file.yaml",
		"--soak", "10m",
		"--hold-at-ready",
		"--max-p99", "1500ms",
		"--env", "SIM_LABEL=a b",
		"--description=release `date` of $GITHUB_SHA",
		"--allow-ungated-traffic",
		"--output", "json"}, a.stubArgs())
	assert.NoFileExists(t, a.file("pwned"), "an input was run as shell code")
	assert.NotContains(t, string(out), "\n::", "the logged command line starts a workflow command")

	outputs := a.outputs("run")
	assert.Equal(t, a.file("deployer-deploy.json"), outputs["result-path"])
	assert.Equal(t, a.file("deployer-deploy.md"), outputs["summary-path"])
	result, err := os.ReadFile(outputs["result-path"])
	require.NoError(t, err)
	assert.Equal(t, "{}", string(result), "stdout is the result file")
	given, err := os.ReadFile(a.file("summary-path"))
	require.NoError(t, err)
	assert.Equal(t, outputs["summary-path"], string(given), "the deployer's summary goes beside the result")
}

func TestActionCommandsOtherThanDeployTakeOnlyTheInputsGiven(t *testing.T) {
	t.Parallel()
	a := newActionRun(t).withStub()
	a.inputs = map[string]string{"command": "abort", "stack-outputs": "o.json", "deployment-id": "d-ABC", "result-path": a.file("r/abort")}
	out, err := a.command("run").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, []string{"abort", "--stack-outputs", "o.json", "--deployment-id", "d-ABC", "--output", "json"}, a.stubArgs())
	assert.Equal(t, a.file("r/abort.md"), a.outputs("run")["summary-path"])
}

func TestActionRefusesInputsItCannotPassBeforeRunningTheDeployer(t *testing.T) {
	t.Parallel()
	for name, inputs := range map[string]map[string]string{
		"a hold-at-ready that is not a boolean":   {"hold-at-ready": "yes"},
		"an args line that is not a flag":         {"args": "--soak 5m\nimage x"},
		"--output in args":                        {"args": "--output=text"},
		"a command that is not a word":            {"command": "deploy; rm -rf /"},
		"a command that would escape RUNNER_TEMP": {"command": "../deploy"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := newActionRun(t).withStub()
			a.inputs = inputs
			a.inputs["stack-outputs"] = "o.json"
			out, err := a.command("run").CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%s", out)
			assert.Equal(t, 2, exit.ExitCode())
			assert.Contains(t, string(out), "::error title=deployer action::")
			assert.NoFileExists(t, a.file("pid"), "the deployer ran")
		})
	}
}

// The runner cancels a step by signalling the one process it started (kill(pid, SIGINT)), not its
// process group: only if the deployer IS that process does it see the signal and roll back.
func TestActionRunStepIsTheDeployerProcessSoCancellationReachesIt(t *testing.T) {
	t.Parallel()
	a := newActionRun(t).withStub()
	a.inputs = map[string]string{"stack-outputs": "o.json", "image": "repo/model:v2"}
	a.env = append(a.env, "STUB_WAIT=1")
	cmd := a.command("run")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { _, err := os.Stat(a.file("ready")); return err == nil }, 20*time.Second, 20*time.Millisecond, "%s", &out)

	pid, err := os.ReadFile(a.file("pid"))
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(cmd.Process.Pid), strings.TrimSpace(string(pid)), "the deployer runs in a child, which the runner's SIGINT would miss")
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", &out)
	assert.Equal(t, 4, exit.ExitCode(), "the deployer's exit code is the step's")
	assert.FileExists(t, a.file("signal"))
}

func TestActionManifestDeclaresAndDescribesEveryInputAndOutput(t *testing.T) {
	t.Parallel()
	m := readActionManifest(t)
	assert.Equal(t, "composite", m.Runs.Using)
	used := map[string]bool{}
	for _, s := range m.Runs.Steps {
		for name, v := range s.Env {
			assert.False(t, strings.HasPrefix(name, "DEPLOYER_"), "step %s env %s: the deployer would read it as a flag", s.ID, name)
			if input, ok := strings.CutPrefix(strings.Trim(strings.TrimSpace(strings.Trim(v, "${}")), " "), "inputs."); ok {
				used[input] = true
			}
		}
		for _, v := range s.With {
			assert.NotContains(t, v, "inputs.", "step %s passes an input to an action; fine, but say so in this test", s.ID)
		}
		if s.Run != "" {
			assert.NotContains(t, s.Run, "${{", "step %s pastes an expression into its script (script injection): pass it in env:", s.ID)
		}
	}
	used["setup-go"] = true // the setup step's if:
	for name, in := range m.Inputs {
		assert.NotEmpty(t, in.Description, "input %s", name)
		assert.True(t, used[name], "input %s is declared but never passed to a step", name)
	}
	for name, out := range m.Outputs {
		assert.NotEmpty(t, out.Description, "output %s", name)
		assert.NotEmpty(t, out.Value, "output %s", name)
	}
	assert.Empty(t, m.step(t, "run").If, "a step with an if: such as always() is not cancelled with the job")
	assert.True(t, strings.HasPrefix(strings.TrimSpace(m.step(t, "run").Run), "exec "), "the run step must exec, so the deployer is the step's process")
}

// writeResult writes a deployer result as the deployer does (encoding/json, two-space indent).
func writeResult(t *testing.T, path string, res map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(res))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func TestActionReportSetsOutputsCopiesTheSummaryAndAnnotates(t *testing.T) {
	t.Parallel()
	a := newActionRun(t)
	result, summary := a.file("r.json"), a.file("r.md")
	message := `gate ready failed: validation suite: check "argmax" <label> & more: want 1, got 0` + "\nsecond line \\n"
	writeResult(t, result, map[string]any{
		"command": "deploy", "outcome": "rolled_back", "exitCode": 1, "message": message, "deploymentId": "d-XYZ",
		"gates":    []map[string]any{{"name": "ready", "outcome": "nested", "exitCode": 7}},
		"rollback": map[string]any{"deploymentId": "d-ROLLBACK"},
	})
	require.NoError(t, os.WriteFile(summary, []byte("## Release\n"), 0o644))
	a.context["steps.run.outputs.result-path"] = result
	a.context["steps.run.outputs.summary-path"] = summary

	out, err := a.command("report").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, map[string]string{"outcome": "rolled_back", "exit-code": "1", "deployment-id": "d-XYZ", "message": message}, a.outputs("report"))
	copied, err := os.ReadFile(a.file("summary-report"))
	require.NoError(t, err)
	assert.Equal(t, "## Release\n", string(copied))
	assert.Contains(t, string(out), "::error title=deployer rolled_back (exit 1)::gate ready failed: validation suite: check \"argmax\" <label> & more: want 1, got 0%0Asecond line \\n")
}

func TestActionReportReadsTheDeployersOwnJSON(t *testing.T) {
	t.Parallel()
	a := newActionRun(t)
	var stdout, stderr bytes.Buffer
	code := deployer.Main(context.Background(), []string{"deploy", "--output", "json", "--stack-outputs", a.file("missing \"outputs\".json"),
		"--image", "repo/model:v2"}, &stdout, &stderr)
	require.Equal(t, 2, code, "%s", &stderr)
	result := a.file("r.json")
	require.NoError(t, os.WriteFile(result, stdout.Bytes(), 0o644))
	var res struct {
		Outcome, Message string
		ExitCode         int
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res))
	a.context["steps.run.outputs.result-path"] = result
	a.context["steps.run.outputs.summary-path"] = a.file("none.md")

	out, err := a.command("report").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, map[string]string{"outcome": res.Outcome, "exit-code": "2", "deployment-id": "", "message": res.Message}, a.outputs("report"))
	assert.Contains(t, string(out), "::error title=deployer bad_input (exit 2)::")
}

func TestActionReportWithoutAResultWarnsAndSetsNoOutputs(t *testing.T) {
	t.Parallel()
	a := newActionRun(t)
	a.context["steps.run.outputs.result-path"] = a.file("empty.json")
	a.context["steps.run.outputs.summary-path"] = a.file("empty.md")
	require.NoError(t, os.WriteFile(a.file("empty.json"), nil, 0o644))
	out, err := a.command("report").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "::warning title=deployer::no result in")
	assert.Empty(t, a.outputs("report"))
}

func TestActionBuildsTheDeployerAtItsRefAndPutsItOnPath(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the deployer")
	}
	t.Parallel()
	a := newActionRun(t)
	a.context["github.action_ref"] = "v9.8.7"
	out, err := a.command("build").CombinedOutput()
	require.NoError(t, err, "%s", out)
	bin := a.outputs("build")["path"]
	assert.Equal(t, a.file("ai-bluegreen-deployer/deployer"), bin)
	path, err := os.ReadFile(a.file("path-build"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Dir(bin)+"\n", string(path))
	help, err := exec.Command(bin, "--help").CombinedOutput()
	require.NoError(t, err, "%s", help)
}

// actionUses matches a step that runs the deployer's action: ./deployer in this repository, or
// OWNER/REPO/deployer@REF from elsewhere.
var actionUses = regexp.MustCompile(`^(\./deployer/?|[^./][^@]*/deployer@.+)$`)

// actionAddFlag matches a line of action.sh that passes an input as a flag.
var actionAddFlag = regexp.MustCompile(`add_flag --([a-z0-9-]+) "\$\{(INPUT_[A-Z_]+):-\}"`)

// actionInputFlags maps each input of the action to the deployer flag action.sh passes it as.
func actionInputFlags(t *testing.T) map[string]string {
	t.Helper()
	script, err := os.ReadFile("../deployer/action.sh")
	require.NoError(t, err)
	envInput := map[string]string{}
	for name, value := range readActionManifest(t).step(t, "run").Env {
		if m := actionExpr.FindStringSubmatch(value); m != nil && strings.HasPrefix(m[1], "inputs.") {
			envInput[name] = strings.TrimPrefix(m[1], "inputs.")
		}
	}
	flags := map[string]string{"hold-at-ready": "hold-at-ready"} // a boolean: `true) args+=(--hold-at-ready)`
	for _, m := range actionAddFlag.FindAllStringSubmatch(string(script), -1) {
		input, ok := envInput[m[2]]
		require.True(t, ok, "action.sh reads %s, which the run step's env does not set", m[2])
		flags[input] = m[1]
	}
	require.Contains(t, flags, "image", "no add_flag --image in action.sh")
	return flags
}

// actionFindCalls turns each step of a workflow that uses the deployer's action into the deployer
// call it makes (its command, and the flags of its inputs and args), for the docs check.
func actionFindCalls(t *testing.T, file, text string, inputFlags map[string]string) []docsCall {
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []yaml.Node `yaml:"steps"`
		} `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(text), &wf), file)
	var calls []docsCall
	for _, job := range wf.Jobs {
		for _, node := range job.Steps {
			var step actionStep
			require.NoError(t, node.Decode(&step), "%s:%d", file, node.Line)
			if !actionUses.MatchString(step.Uses) {
				continue
			}
			c := docsCall{file: file, line: node.Line, command: "deploy", flags: []string{"output"}, strict: true}
			for input, value := range step.With {
				switch {
				case input == "command":
					c.command = value
				case input == "args":
					c.flags = append(c.flags, actionArgFlags(value)...)
				case inputFlags[input] != "":
					c.flags = append(c.flags, inputFlags[input])
				}
			}
			calls = append(calls, c)
		}
	}
	return calls
}

// actionArgFlags returns the flag names of an args input, read as action.sh reads it.
func actionArgFlags(args string) []string {
	var flags []string
	for _, line := range strings.Split(args, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.Fields(line)[0], "=")
		flags = append(flags, strings.TrimLeft(name, "-"))
	}
	return flags
}

func TestActionStepsAreCheckedAsTheDeployerCallsTheyMake(t *testing.T) {
	t.Parallel()
	workflow := `on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./deployer
        with:
          stack-outputs: o.json
          image: repo/model:v2
          hold-at-ready: true
          args: |
            # a comment
            --soak 5m
            --no-such-flag=1
      - uses: acme/ai-bluegreen/deployer@v1
        with:
          command: promote
          stack-outputs: o.json
`
	cli := docsCLI{
		"deploy": {"help": true, "output": true, "stack-outputs": true, "image": true, "hold-at-ready": true, "soak": true},
	}
	calls := actionFindCalls(t, "ci.yml", workflow, actionInputFlags(t))
	require.Len(t, calls, 2)
	assert.ElementsMatch(t, []string{"ci.yml:7: deployer deploy --no-such-flag: no such flag; `deployer deploy --help` lists " +
		"--help, --hold-at-ready, --image, --output, --soak, --stack-outputs",
		"ci.yml:16: deployer promote: no such command; `deployer --help` lists deploy"}, docsCheck(cli, calls))
}
