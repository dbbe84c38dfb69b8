// Package rehearsal rehearses releases end to end with no AWS account: it provisions the emulator from a
// stack file with the real Pulumi program, sends steady production traffic through the prod listener,
// runs the real deployer in-process for each release, with its production defaults, on the emulator's
// one AWS clock, and reports what users would have seen.
package rehearsal

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
)

// Suite is the validation suite each release runs in gate 1: green must answer with its own version,
// and give the same predictions as blue.
//
//go:embed suite.yaml
var Suite []byte

// Release is one `deployer deploy` of a rehearsal.
type Release struct {
	// Tag is the image tag; the repository is the stack's image's.
	Tag string
	// Env are `--env K=V` overrides; SIM_* keys choose how the simulated model server behaves.
	Env []string
	// Why says what the release shows, for the report.
	Why string
	// Expect is the outcome the rehearsal expects (released or rolled_back), and ExpectGate the
	// gate expected to decide it ("" when no gate should fail): the report sets what happened beside
	// them, so a reader knows up front which releases are meant to fail, and why.
	Expect     deployer.Outcome
	ExpectGate string
	// By, when set, makes the release instead of the in-process deployer.
	By Tool
}

// Options configure a rehearsal.
type Options struct {
	StackFile string
	// TimeScale is AWS seconds per real second of the one AWS clock the emulator and the deployer
	// share: the deployer runs with its production defaults, and its 5-minute soak lasts 5 AWS minutes.
	TimeScale float64
	// Rate is production requests per second through the prod listener, for the whole run (real time:
	// CloudWatch counts each request TimeScale times, as the same rate would give over an AWS minute).
	Rate int
	// Streams are streamed answers held open through the prod listener for the whole run.
	Streams  Streams
	Releases []Release
	// Settle is how long (AWS time) the load runs before the first release and after the last.
	Settle time.Duration
	// Progress receives the deployer's progress lines; nil discards them.
	Progress io.Writer
	// Emulator holds the emulator's other options: injected faults, latencies, behaviours.
	Emulator emulator.Options
}

// Run provisions the stack, starts the load, runs every release in order and returns the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	s, err := Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for _, r := range opts.Releases {
		if ctx.Err() != nil {
			break
		}
		s.Deploy(ctx, r)
	}
	return s.Finish(ctx)
}

// placeholderCredentials sets placeholder AWS credentials when none are in the environment, so
// that the SDK does not go looking for an instance role (the emulator accepts any).
func placeholderCredentials() {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, "rehearsal")
		}
	}
}

// writeInputs writes the deployer's inputs into dir: the stack outputs and the validation suite.
func writeInputs(dir string, stack *provision.Stack) (outputs, suite string, err error) {
	outputs, suite = filepath.Join(dir, "outputs.json"), filepath.Join(dir, "suite.yaml")
	var buf bytes.Buffer
	if err := stack.WriteOutputs(&buf); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(outputs, buf.Bytes(), 0o600); err != nil {
		return "", "", fmt.Errorf("write stack outputs: %w", err)
	}
	if err := os.WriteFile(suite, Suite, 0o600); err != nil {
		return "", "", fmt.Errorf("write validation suite: %w", err)
	}
	return outputs, suite, nil
}

// deployArgs are the arguments of a release's `deployer deploy`: its inputs, its image and
// environment, and no timing flag (on the emulator's clock the production defaults hold).
func deployArgs(outputs, suite, endpoint, image string, r Release) []string {
	args := []string{"deploy", "--stack-outputs", outputs, "--endpoint-url", endpoint,
		"--image", image, "--validation-suite", suite, "--output", "json", "--description", "rehearsal: " + r.Why}
	for _, e := range r.Env {
		args = append(args, "--env", e)
	}
	return args
}

// DeployRun is one run of the deployer: the arguments, the exit code, its JSON result (times in AWS
// time, as the deployer prints them) and the real times it ran between. Err says the result could
// not be read (a killed deployer prints none).
type DeployRun struct {
	Args       []string
	ExitCode   int
	Result     deployer.Result
	Start, End time.Time
	Err        error
}

// runDeployer runs `deployer <args>` in-process on the emulator's AWS clock.
func runDeployer(ctx context.Context, args []string, clock *awsclock.Clock, progress io.Writer) DeployRun {
	if progress == nil {
		progress = io.Discard
	}
	var out bytes.Buffer
	r := DeployRun{Args: args, Start: time.Now()}
	r.ExitCode = deployer.Run(ctx, args, deployer.Env{Stdout: &out, Stderr: progress, Clock: clock})
	r.End = time.Now()
	r.Result, r.Err = ReadResult(out.Bytes(), r.ExitCode)
	return r
}

// ReadResult reads a deployer's JSON result (--output json) from what it printed on stdout.
func ReadResult(stdout []byte, exitCode int) (deployer.Result, error) {
	var res deployer.Result
	if err := json.Unmarshal(stdout, &res); err != nil {
		return res, fmt.Errorf("read the deployer's JSON result (exit %d): %w", exitCode, err)
	}
	return res, nil
}

// onRealTime converts a deployer result's AWS times to the real instants they happened at.
func onRealTime(res *deployer.Result, clock *awsclock.Clock) {
	real := func(t *time.Time) {
		if t != nil && !t.IsZero() {
			*t = clock.RealTime(*t)
		}
	}
	real(&res.StartedAt)
	real(&res.EndedAt)
	for _, g := range res.Gates {
		real(&g.Start)
		real(&g.End)
	}
	for i := range res.Phases {
		real(res.Phases[i].Start)
		real(res.Phases[i].End)
	}
	for i := range res.Traffic {
		real(&res.Traffic[i].At)
	}
}

// cutTag splits "repo:tag" (the repository may hold a registry host with a port).
func cutTag(image string) (repo, tag string, ok bool) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, "", false
	}
	return image[:i], image[i+1:], true
}
