package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// scenario is one release under production load, on an emulator of its own (so that no alarm,
// task set or rate-limit bucket carries over from another).
type scenario struct {
	Name    string // what the row is called in the document
	Stack   string // the stack file the emulator is provisioned from
	Tool    string // ToolDeployer, ToolAWSDeploy or ToolECSDeploy
	Tag     string
	Env     []string
	Streams rehearsal.Streams
	// DegradeInShift, when set, degrades the green this long (AWS time) after production traffic
	// first reaches it.
	DegradeInShift time.Duration
}

// answer is one production answer on the AWS clock.
type answer struct {
	At      time.Time
	Latency time.Duration
	Version string
	Err     string
	Stream  bool
}

// outcome is what a scenario measured; every instant is AWS time.
type outcome struct {
	scenario
	Scale      float64
	Report     *rehearsal.Report
	Answers    []answer
	Calls      []emulator.Call
	Deployment deploymentFacts
	// Start and Exit are when the tool began and when it exited, with ExitCode and Outcome (the
	// deployer's, or for the aws CLI: released when CodeDeploy succeeded, rolled_back when its
	// rollback did).
	Start, Exit time.Time
	ExitCode    int
	Outcome     string
	// Result is the deployer's JSON result (the deployer only), times on the AWS clock.
	Result deployer.Result
	// CLI is the aws CLI's release (the aws CLI only).
	CLI *cliRelease
}

// caller is the User-Agent application id of the scenario's tool.
func (o *outcome) caller() string {
	switch o.Tool {
	case ToolAWSDeploy:
		return CallerAWSDeploy
	case ToolECSDeploy:
		return CallerECSDeploy
	}
	return CallerDeployer
}

// runScenario provisions the scenario's stack, makes its release under load, waits for the
// deployment and any rollback to end, and gathers what happened.
func runScenario(ctx context.Context, cfg Config, sc scenario) (*outcome, error) {
	calls := &CallLog{}
	clock := awsclock.New(cfg.TimeScale)
	degradeEnv, onStep, stopDegrade, err := degradeInShift(ctx, sc.DegradeInShift, clock)
	if err != nil {
		return nil, err
	}
	defer stopDegrade()
	s, err := rehearsal.Start(ctx, rehearsal.Options{StackFile: sc.Stack, TimeScale: cfg.TimeScale, Rate: cfg.Rate,
		Streams: sc.Streams, Settle: cfg.Settle, Progress: cfg.DeployerLog,
		Emulator: emulator.Options{Clock: clock, OnCall: calls.Add, OnStep: onStep}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Name, err)
	}
	defer s.Close()
	refs := refsOf(s.Stack.Server.URL, s.Stack.Outputs)
	obs := newObserver(refs, clock)
	rel := rehearsal.Release{Tag: sc.Tag, Env: append(sc.Env[:len(sc.Env):len(sc.Env)], degradeEnv...), Why: sc.Name}
	var tool *cliTool
	if sc.Tool != ToolDeployer {
		if tool, err = newCLITool(cfg, sc.Tool, refs, clock, obs); err != nil {
			return nil, err
		}
		defer os.RemoveAll(tool.dir)
		rel.By = tool.release
	}
	run := s.Deploy(ctx, rel)
	o := &outcome{scenario: sc, Scale: clock.Scale(), Start: clock.AWSTime(run.Start), Exit: clock.AWSTime(run.End),
		ExitCode: run.Result.ExitCode, Outcome: string(run.Result.Outcome), Result: onAWSTime(run.Result, clock)}
	if tool != nil {
		o.CLI, o.Exit, o.ExitCode, o.Result = &tool.rec, tool.rec.Exit, tool.rec.ExitCode, deployer.Result{}
	}
	if id := run.Result.DeploymentID; id != "" {
		if err := obs.waitEnded(ctx, id, 3*time.Hour); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
		if o.Deployment, err = obs.facts(ctx, id); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
	}
	if o.Report, err = s.Finish(ctx); err != nil {
		return nil, err
	}
	o.Answers = onAWSClock(o.Report.Answers, clock)
	o.Calls = calls.Calls()
	return o, ctx.Err()
}

// degradeInShift, for after > 0, returns the environment that degrades the green
// (SIM_DEGRADE_WHEN_FILE) and the emulator's step hook that writes that file after (AWS time) once
// production traffic first reaches green; stop removes the file's directory.
func degradeInShift(ctx context.Context, after time.Duration, clock *awsclock.Clock) (env []string, onStep func(emulator.Step), stop func(), err error) {
	if after <= 0 {
		return nil, nil, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "bench-degrade-")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("degrade file: %w", err)
	}
	file := filepath.Join(dir, "degrade")
	var once sync.Once
	onStep = func(st emulator.Step) {
		if st.Rollback || st.Event != emulator.StepShift || st.Weight == 0 {
			return
		}
		once.Do(func() {
			go func() { // the hook holds the deployment: wait elsewhere
				if clock.Sleep(ctx, after) == nil {
					_ = os.WriteFile(file, nil, 0o600)
				}
			}()
		})
	}
	return []string{"SIM_DEGRADE_WHEN_FILE=" + file}, onStep, func() { os.RemoveAll(dir) }, nil
}

// newCLITool prepares an aws CLI release: its work directory, the Python clock shim, the CLI as
// the tool's caller, and the operator beside it.
func newCLITool(cfg Config, kind string, refs stackRefs, clock *awsclock.Clock, obs *observer) (*cliTool, error) {
	dir, err := os.MkdirTemp("", "bench-cli-")
	if err != nil {
		return nil, err
	}
	py, err := NewPythonClock(dir, clock)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	caller := CallerAWSDeploy
	if kind == ToolECSDeploy {
		caller = CallerECSDeploy
	}
	op := &operator{cd: newOperatorClient(refs), clock: clock, app: refs.app, group: refs.group,
		look: cfg.OperatorLook, delay: cfg.OperatorDelay}
	return &cliTool{kind: kind, cli: newAWSCLI(cfg.AWSCLI, py, refs, clock, caller), obs: obs, op: op, refs: refs,
		dir: dir, waitLimit: 3 * time.Hour}, nil
}

// onAWSClock converts the load's answers to AWS time.
func onAWSClock(answers []rehearsal.Answer, clock *awsclock.Clock) []answer {
	out := make([]answer, len(answers))
	for i, a := range answers {
		out[i] = answer{At: clock.AWSTime(a.At), Latency: a.Latency, Version: a.Version, Err: a.Err, Stream: a.Stream}
	}
	return out
}

// onAWSTime converts a deployer result's instants (real, as the rehearsal reports them) back to
// AWS time.
func onAWSTime(res deployer.Result, clock *awsclock.Clock) deployer.Result {
	aws := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return clock.AWSTime(t)
	}
	res.StartedAt, res.EndedAt = aws(res.StartedAt), aws(res.EndedAt)
	for _, g := range res.Gates {
		g.Start, g.End = aws(g.Start), aws(g.End)
	}
	return res
}

// logTo returns w, or a writer that discards when w is nil.
func logTo(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
