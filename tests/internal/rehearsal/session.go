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

// Session is a rehearsal in progress: the emulator serving the provisioned stack and production
// load running through its prod listener. Start one, make releases, Finish it for the report, and
// Close it. Run does all of that for a list of releases; a benchmark drives a Session itself to
// release with other tools and read the emulator between releases.
type Session struct {
	opts                   Options
	stack                  *provision.Stack
	repo                   string
	dir, outputs, suiteArg string
	lg                     *load
	stopLoad               context.CancelFunc
	loadDone               chan struct{}
	rep                    *Report
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

// ReleaseRun is one release as it ran: the deployer's JSON result, with its times converted to the
// real instants they happened at, like Start and End (for a Tool: only its outcome, exit code,
// image, deployment and reason). Its production figures are in the Report once Finish has run.
type ReleaseRun struct {
	Result     deployer.Result
	Start, End time.Time
}

// Start provisions the stack, waits for it to serve, starts the load and lets it run for
// opts.Settle. The emulator accepts any credentials; Start sets placeholder ones when none are in
// the environment so that the SDK does not go looking for an instance role.
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
	if err := s.serve(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.startLoad(ctx)
	_ = s.Clock().Sleep(ctx, opts.Settle)
	return s, nil
}

// serve provisions the stack on the emulator, writes the deployer's inputs and waits for the stack
// to serve.
func (s *Session) serve(ctx context.Context) error {
	stack, err := provision.Start(ctx, provision.Options{StackFile: s.opts.StackFile, Addr: "127.0.0.1:0",
		TimeScale: s.opts.TimeScale, Emulator: s.opts.Emulator})
	if err != nil {
		return err
	}
	s.stack = stack
	if s.outputs, s.suiteArg, err = writeInputs(s.dir, stack); err != nil {
		return err
	}
	return stack.WaitServing(ctx)
}

// startLoad starts the production load; it runs until Finish or Close.
func (s *Session) startLoad(ctx context.Context) {
	prodURL, _ := s.stack.Outputs["prodUrl"].(string)
	s.lg = newLoad(prodURL, s.opts.Rate, s.opts.Streams)
	loadCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopLoad, s.loadDone = stop, make(chan struct{})
	go func() { s.lg.run(loadCtx); close(s.loadDone) }()
	clock := s.Clock()
	s.rep = &Report{Stack: s.opts.StackFile, TimeScale: clock.Scale(), Rate: s.opts.Rate}
	if fs := s.stack.Server.Faults(); len(fs) > 0 {
		s.rep.Faults, s.rep.FaultSeed = fs.String(), s.stack.Server.FaultSeed()
	}
}

// Stack is the emulator serving the stack, with its outputs.
func (s *Session) Stack() *provision.Stack { return s.stack }

// Clock is the one AWS clock of the emulator and the deployer.
func (s *Session) Clock() *awsclock.Clock { return s.stack.Server.Clock() }

// OutputsFile is the stack outputs file the deployer reads (`pulumi stack output --json`).
func (s *Session) OutputsFile() string { return s.outputs }

// Image is the stack's image repository with tag.
func (s *Session) Image(tag string) string { return s.repo + ":" + tag }

// Release makes one release: with r.By when set, else with the in-process deployer on the
// emulator's clock. The release is part of the report.
func (s *Session) Release(ctx context.Context, r Release) ReleaseRun {
	image := s.Image(r.Tag)
	var d deployResult
	if r.By != nil {
		d = runTool(ctx, r.By, image, r.Env)
	} else {
		args := deployArgs(s.outputs, s.suiteArg, s.stack.Server.URL, image, r)
		d = runDeployer(ctx, args, s.Clock(), s.opts.Progress)
	}
	s.rep.addRelease(s.lg, r, d)
	return ReleaseRun{Result: d.result, Start: d.start, End: d.end}
}

// runTool runs a Tool's release.
func runTool(ctx context.Context, tool Tool, image string, env []string) deployResult {
	d := deployResult{start: time.Now()}
	out := tool(ctx, image, env)
	d.end = time.Now()
	d.args, d.exitCode = out.Args, out.ExitCode
	d.result = deployer.Result{Outcome: deployer.Outcome(out.Outcome), ExitCode: out.ExitCode, Image: image, DeploymentID: out.DeploymentID}
	if out.Reason != "" {
		d.result.Failure = &deployer.Failure{Reason: out.Reason}
	}
	return d
}

// Finish lets the load run for Settle more, stops it and returns the report; every production
// answer is in its Answers. The stack keeps serving until Close.
func (s *Session) Finish(ctx context.Context) *Report {
	_ = s.Clock().Sleep(ctx, s.opts.Settle)
	s.stopLoad()
	<-s.loadDone
	samples := s.lg.snapshot()
	s.rep.addLoad(samples, time.Since(s.lg.start))
	s.rep.Answers = answersOf(s.lg.start, samples)
	return s.rep
}

// Close stops the load if it still runs, the emulator and everything it runs, and removes the
// work directory.
func (s *Session) Close() {
	if s.stopLoad != nil {
		s.stopLoad()
		<-s.loadDone
	}
	if s.stack != nil {
		s.stack.Close()
	}
	os.RemoveAll(s.dir)
}
