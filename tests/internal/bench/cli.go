package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// FindAWSCLI returns the aws CLI to run: the one on PATH, resolved through a pyenv shim to the
// script the shim would run (a shim runs bash and pyenv before Python: seconds on a busy machine,
// which the AWS clock would multiply by its scale).
func FindAWSCLI() (string, error) {
	path, err := exec.LookPath("aws")
	if err != nil {
		return "", fmt.Errorf("the aws CLI is not installed (pip install awscli): %w", err)
	}
	if !strings.Contains(filepath.ToSlash(path), "/shims/") {
		return path, nil
	}
	out, err := exec.Command("pyenv", "which", "aws").Output()
	if err != nil {
		return path, nil
	}
	return strings.TrimSpace(string(out)), nil
}

// awsCLI runs the real aws CLI against the emulator, on its AWS clock, as one caller.
type awsCLI struct {
	path  string
	env   []string
	clock *awsclock.Clock
}

// newAWSCLI returns the aws CLI at path for the stack's endpoint, named caller in its User-Agent.
func newAWSCLI(path string, py *PythonClock, refs stackRefs, clock *awsclock.Clock, caller string) *awsCLI {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ENDPOINT_URL="+refs.endpoint, "AWS_DEFAULT_REGION="+refs.region,
		"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_SDK_UA_APP_ID="+caller)
	return &awsCLI{path: path, env: append(env, py.Env()...), clock: clock}
}

// cliRun is one aws CLI process: what it printed, how it exited, and when it ran (AWS time).
type cliRun struct {
	Args           []string
	Stdout, Stderr string
	ExitCode       int
	Start, End     time.Time
}

// run runs `aws args...` to its end; a non-zero exit is in the result, not an error.
func (c *awsCLI) run(ctx context.Context, args ...string) (cliRun, error) {
	cmd := exec.CommandContext(ctx, c.path, args...)
	cmd.Env = c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	r := cliRun{Args: append([]string{"aws"}, args...), Start: c.clock.Now()}
	err := cmd.Run()
	r.End = c.clock.Now()
	r.Stdout, r.Stderr = stdout.String(), stderr.String()
	if exit, ok := err.(*exec.ExitError); ok {
		r.ExitCode = exit.ExitCode()
		err = nil
	}
	if err != nil {
		return r, fmt.Errorf("run %s: %w", strings.Join(r.Args, " "), err)
	}
	return r, nil
}

// registerInputKeys are the members of RegisterTaskDefinition's input: what a described task
// definition keeps when it is registered again (the rest, ARN, revision, status…, are read-only).
var registerInputKeys = []string{"family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
	"volumes", "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
	"proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform"}

// cloneTaskDefinition is what a release script makes of the live task definition: the register
// input with the container's image replaced and env (K=V) set in its environment.
func cloneTaskDefinition(td map[string]any, container, image string, env []string) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range registerInputKeys {
		if v, ok := td[k]; ok {
			out[k] = v
		}
	}
	containers, _ := out["containerDefinitions"].([]any)
	for _, c := range containers {
		def, _ := c.(map[string]any)
		if def == nil || def["name"] != container {
			continue
		}
		def["image"] = image
		def["environment"] = withEnv(def["environment"], env)
		return out, nil
	}
	return nil, fmt.Errorf("the task definition has no container %s", container)
}

// withEnv sets K=V pairs in an ECS environment list ([{name, value}]), replacing a name's value.
func withEnv(list any, env []string) []any {
	items, _ := list.([]any)
	out := append([]any(nil), items...)
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		pair := map[string]any{"name": name, "value": value}
		replaced := false
		for i, it := range out {
			if m, _ := it.(map[string]any); m != nil && m["name"] == name {
				out[i], replaced = pair, true
			}
		}
		if !replaced {
			out = append(out, pair)
		}
	}
	return out
}

// appSpec is the ECS AppSpec a release script writes, as in AWS's tutorials: the task definition
// and the container and port the load balancer targets.
func appSpec(taskDefinitionArn string, refs stackRefs) string {
	return fmt.Sprintf(`version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: %q
        LoadBalancerInfo:
          ContainerName: %q
          ContainerPort: %d
`, taskDefinitionArn, refs.container, refs.port)
}
