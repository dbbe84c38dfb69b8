package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/infra"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// Results are every figure of one run.
type Results struct {
	Config  Config
	Command string
	Machine machine
	// Began and Ended are the run's real start and end.
	Began, Ended time.Time
	// Stack is the dev stack every scenario is a variant of.
	Stack        *infra.Config
	ZeroDowntime []zeroDowntimeRow
	Tools        []toolRow
	Exposures    []exposure
	Reactions    []reaction
	// Operations and Reads are the deployer's API calls in its canary release; CallsPerRelease its
	// calls in each zero-downtime release.
	Operations      []opCount
	CostRelease     string // which release Reactions, Operations and Reads are of
	Reads           []readStats
	CallsPerRelease map[string]int
	GoTest          *goTestTimes
	// Scenarios are the real time each scenario took; Errors the scenarios that could not run.
	Scenarios []scenarioTime
	Errors    []string
}

// scenarioTime is how long one scenario took in real time.
type scenarioTime struct {
	Name string
	Real time.Duration
}

// Run runs the benchmark: the deployer's releases (all at once, canary, linear), the same canary
// release with the aws CLI, every bad green with the deployer and with the aws CLI, and, with
// cfg.GoTest, the README's test command. With cfg.Smoke it runs the all-at-once release only.
func Run(ctx context.Context, cfg Config, command string) (*Results, error) {
	r := &Results{Config: cfg, Command: command, Began: time.Now(), CallsPerRelease: map[string]int{},
		Machine: readMachine(ctx, cfg.Root, cfg.AWSCLI)}
	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	base := filepath.Join(cfg.Root, "Pulumi.dev.yaml")
	if r.Stack, err = stackConfig(base); err != nil {
		return nil, err
	}
	// The in-process deployer names itself in its User-Agent like the other callers do.
	os.Setenv("AWS_SDK_UA_APP_ID", CallerDeployer)
	good := r.runReleases(ctx, cfg, base, dir)
	if !cfg.Smoke && ctx.Err() == nil {
		r.runExposures(ctx, cfg, base, good)
	}
	if cfg.GoTest && !cfg.Smoke && ctx.Err() == nil {
		progress(cfg, "timing go test ./... cold and warm (minutes)")
		r.GoTest, err = timeGoTest(ctx, cfg.Root)
		if err != nil {
			r.Errors = append(r.Errors, "go test: "+err.Error())
		}
	}
	r.Ended, r.Machine.LoadEnd = time.Now(), loadAverage()
	return r, ctx.Err()
}

// shifts are the dev stack's traffic shifts the deployer releases with (canary is the stack's own).
var shifts = []struct {
	name       string
	deployment map[string]any
}{
	{"all at once", map[string]any{"trafficShift": "allAtOnce"}},
	{"canary", nil},
	{"linear", map[string]any{"trafficShift": "linear", "shiftPercent": 10, "shiftMinutes": 1}},
}

// runReleases makes the good releases: the deployer with each traffic shift, then the aws CLI
// with the stack's canary. It returns each tool's canary release (for calibrating the bad greens).
func (r *Results) runReleases(ctx context.Context, cfg Config, base, dir string) map[string]*outcome {
	good := map[string]*outcome{}
	streams := rehearsal.Streams{Count: 4, Seconds: 60 / cfg.TimeScale} // one-minute generations
	for i, sh := range shifts {
		if cfg.Smoke && i > 0 {
			break
		}
		stack, err := stackVariant(base, filepath.Join(dir, fmt.Sprint(i)), sh.deployment)
		if err != nil {
			r.Errors = append(r.Errors, err.Error())
			continue
		}
		o := r.scenario(ctx, cfg, scenario{Name: sh.name, Stack: stack, Tool: ToolDeployer, Tag: "v2", Env: goodModel, Streams: streams})
		if o == nil {
			continue
		}
		r.ZeroDowntime = append(r.ZeroDowntime, zeroDowntime(o))
		r.CallsPerRelease[sh.name] = len(callsBy(o.Calls, CallerDeployer, o.Start, o.Exit))
		if sh.deployment == nil || cfg.Smoke {
			r.deployerCosts(o)
			good[ToolDeployer] = o
		}
	}
	for _, tool := range []string{ToolAWSDeploy, ToolECSDeploy} {
		if cfg.Smoke || cfg.AWSCLI == "" {
			break
		}
		if o := r.scenario(ctx, cfg, scenario{Name: "canary", Stack: base, Tool: tool, Tag: "v2", Env: goodModel, Streams: streams}); o != nil {
			r.ZeroDowntime = append(r.ZeroDowntime, zeroDowntime(o))
			r.Tools = append(r.Tools, toolRowOf(o))
			good[tool] = o
		}
	}
	return good
}

// deployerCosts records the deployer's release as the comparison's deployer row, its reactions
// and its API calls.
func (r *Results) deployerCosts(o *outcome) {
	r.Tools = append([]toolRow{toolRowOf(o)}, r.Tools...)
	r.Reactions, r.CostRelease = reactions(o), o.Name
	calls := callsBy(o.Calls, CallerDeployer, o.Start, o.Exit)
	r.Operations = countByOperation(calls)
	r.Reads = readAnalysis(calls, releasePhases(o.Deployment, o.Start, o.Exit))
}

// runExposures releases every bad green with the deployer and with the aws CLI (create-deployment
// and wait: what CodeDeploy's alarms alone give).
func (r *Results) runExposures(ctx context.Context, cfg Config, base string, good map[string]*outcome) {
	cal := calibration{rate: cfg.Rate, desired: r.Stack.Service.DesiredCount, shiftPercent: r.Stack.Deployment.ShiftPercent,
		shiftMinutes: r.Stack.Deployment.ShiftMinutes, scale: cfg.TimeScale, terminationWaitAt: map[string]time.Duration{}}
	for tool, o := range good {
		if start, tw := o.Deployment.installStart(), o.Deployment.shift().End; !start.IsZero() && !tw.IsZero() {
			cal.terminationWaitAt[tool] = tw.Sub(start)
		}
	}
	tools := []string{ToolDeployer}
	if cfg.AWSCLI != "" {
		tools = append(tools, ToolAWSDeploy)
	}
	for _, k := range badGreens {
		for _, tool := range tools {
			if _, ok := cal.terminationWaitAt[tool]; !ok && k.Name == "degrading in the termination wait" {
				r.Errors = append(r.Errors, fmt.Sprintf("%s with %s: no good release of that tool to time it by", k.Name, tool))
				continue
			}
			cal.tool = tool
			env := append(append([]string(nil), goodModel...), k.Env(cal)...)
			if o := r.scenario(ctx, cfg, scenario{Name: k.Name, Stack: base, Tool: tool, Tag: "v3", Env: env, DegradeInShift: k.degradeInShiftAfter(cal)}); o != nil {
				r.Exposures = append(r.Exposures, exposureOf(o, k))
			}
		}
	}
}

// scenario runs one scenario, timing it; an error is recorded and gives nil.
func (r *Results) scenario(ctx context.Context, cfg Config, sc scenario) *outcome {
	if ctx.Err() != nil {
		return nil
	}
	progress(cfg, "%s with %s", sc.Name, sc.Tool)
	began := time.Now()
	o, err := runScenario(ctx, cfg, sc)
	r.Scenarios = append(r.Scenarios, scenarioTime{Name: sc.Name + " with " + sc.Tool, Real: time.Since(began)})
	if err != nil {
		r.Errors = append(r.Errors, fmt.Sprintf("%s with %s: %v", sc.Name, sc.Tool, err))
		progress(cfg, "  error: %v", err)
		return nil
	}
	progress(cfg, "  %s, exit %d, %s real", o.Outcome, o.ExitCode, time.Since(began).Round(time.Second))
	return o
}

func progress(cfg Config, format string, args ...any) {
	fmt.Fprintf(logTo(cfg.Progress), "bench: "+format+"\n", args...)
}
