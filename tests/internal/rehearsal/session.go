package rehearsal

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/infra"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
)

// Session is a rehearsal in progress: the stack provisioned on the emulator, the deployer's inputs
// written, and the production load running. Run is a Session that deploys its releases in-process;
// a test that drives the deployer itself (a process it signals, say) starts one, runs the deployer
// with Args and hands each run to Record, and a benchmark releases with other tools (Release.By);
// then Finish reports.
type Session struct {
	// Stack is the emulator serving the stack; Clock is its AWS clock.
	Stack *provision.Stack
	Clock *awsclock.Clock

	opts                        Options
	repo                        string
	dir, outputsFile, suiteFile string
	lg                          *load
	stopLoad                    context.CancelFunc
	loadDone                    chan struct{}
	rep                         *Report
}

// Start provisions the stack, writes the deployer's inputs, waits until the service serves, starts
// the production load and lets it run for Options.Settle. Close releases what it started.
func Start(ctx context.Context, opts Options) (*Session, error) {
	if opts.Rate <= 0 {
		return nil, fmt.Errorf("rate %d: must be at least 1 request per second", opts.Rate)
	}
	cfg, err := infra.ReadStackConfig(opts.StackFile)
	if err != nil {
		return nil, err
	}
	repo, _, ok := cutTag(cfg[infra.Project+":image"])
	if !ok {
		return nil, fmt.Errorf("read %s: %s:image has no tag to replace", opts.StackFile, infra.Project)
	}
	placeholderCredentials()
	s := &Session{opts: opts, repo: repo}
	if s.dir, err = os.MkdirTemp("", "rehearsal-"); err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	if err := s.provision(ctx); err != nil {
		s.Close()
		return nil, err
	}
	prodURL, _ := s.Stack.Outputs["prodUrl"].(string)
	s.lg = newLoad(prodURL, opts.Rate, opts.Streams)
	loadCtx, stopLoad := context.WithCancel(context.WithoutCancel(ctx))
	s.stopLoad, s.loadDone = stopLoad, make(chan struct{})
	go func() { s.lg.run(loadCtx); close(s.loadDone) }()

	s.rep = &Report{Stack: opts.StackFile, TimeScale: s.Clock.Scale(), Rate: opts.Rate}
	if fs := s.Stack.Server.Faults(); len(fs) > 0 {
		s.rep.Faults, s.rep.FaultSeed = fs.String(), s.Stack.Server.FaultSeed()
	}
	_ = s.Clock.Sleep(ctx, opts.Settle)
	return s, nil
}

// provision starts the emulator with the stack, writes the inputs and waits until it serves.
func (s *Session) provision(ctx context.Context) error {
	stack, err := provision.Start(ctx, provision.Options{StackFile: s.opts.StackFile, Addr: "127.0.0.1:0",
		TimeScale: s.opts.TimeScale, Emulator: s.opts.Emulator})
	if err != nil {
		return err
	}
	s.Stack, s.Clock = stack, stack.Server.Clock()
	if s.outputsFile, s.suiteFile, err = writeInputs(s.dir, stack); err != nil {
		return err
	}
	return stack.WaitServing(ctx)
}

// Image is the stack's image repository with tag.
func (s *Session) Image(tag string) string { return s.repo + ":" + tag }

// OutputsFile is the stack outputs file the deployer reads (--stack-outputs).
func (s *Session) OutputsFile() string { return s.outputsFile }

// Args are the arguments of `deployer deploy` releasing r against the AWS endpoint (the emulator's
// URL, or a proxy in front of it): production timing defaults, the rehearsal's validation suite,
// the JSON result on stdout.
func (s *Session) Args(endpoint string, r Release) []string {
	return deployArgs(s.outputsFile, s.suiteFile, endpoint, s.Image(r.Tag), r)
}

// Deploy makes release r and records it: with r.By when set, else with `deployer deploy` in-process
// on the emulator's clock.
func (s *Session) Deploy(ctx context.Context, r Release) DeployRun {
	var run DeployRun
	if r.By != nil {
		run = runTool(ctx, r.By, s.Image(r.Tag), r.Env)
	} else {
		run = runDeployer(ctx, s.Args(s.Stack.Server.URL, r), s.Clock, s.opts.Progress)
	}
	return s.Record(r, run)
}

// Tool makes a release in place of the in-process deployer (the aws CLI, a script) and says how it
// ended. image is the full image reference to release, env its K=V environment overrides.
type Tool func(ctx context.Context, image string, env []string) ToolResult

// ToolResult is how a Tool's release ended, in the deployer's terms where they apply.
type ToolResult struct {
	Outcome      string
	ExitCode     int
	DeploymentID string
	Reason       string
	// Args is the command the tool ran, for the report.
	Args []string
}

// runTool runs a Tool's release; its result carries only the outcome, exit code, image, deployment
// and reason.
func runTool(ctx context.Context, tool Tool, image string, env []string) DeployRun {
	run := DeployRun{Start: time.Now()}
	out := tool(ctx, image, env)
	run.End = time.Now()
	run.Args, run.ExitCode = out.Args, out.ExitCode
	run.Result = deployer.Result{Outcome: deployer.Outcome(out.Outcome), ExitCode: out.ExitCode, Image: image, DeploymentID: out.DeploymentID}
	if out.Reason != "" {
		run.Result.Failure = &deployer.Failure{Reason: out.Reason}
	}
	return run
}

// Record adds a deployer run to the report and returns it as recorded: its result's AWS times
// become the real instants they happened at, like the load's.
func (s *Session) Record(r Release, run DeployRun) DeployRun {
	onRealTime(&run.Result, s.Clock)
	s.rep.addRelease(s.lg, r, run)
	return run
}

// Finish lets the load run for Options.Settle more, stops it and returns the report; every
// production answer is in its Answers. The stack keeps serving until Close.
func (s *Session) Finish(ctx context.Context) (*Report, error) {
	_ = s.Clock.Sleep(ctx, s.opts.Settle)
	s.stopLoad()
	<-s.loadDone
	samples := s.lg.snapshot()
	s.rep.addLoad(samples, time.Since(s.lg.start))
	s.rep.Answers = answersOf(s.lg.start, samples)
	return s.rep, ctx.Err()
}

// Close stops the load and the emulator and removes the inputs.
func (s *Session) Close() {
	if s.stopLoad != nil {
		s.stopLoad()
		<-s.loadDone
	}
	if s.Stack != nil {
		s.Stack.Close()
	}
	os.RemoveAll(s.dir)
}
