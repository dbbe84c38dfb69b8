package bench

import (
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// toolRow is one tool's good release, for the comparison.
type toolRow struct {
	Tool, Outcome string
	ExitCode      int
	// Wall is from the tool's CreateDeployment to its exit (AWS time): what a pipeline waits.
	Wall time.Duration
	// BlueAfterShift is how long blue kept running once production had all moved: from the
	// termination wait's start to blue's task set's removal (the deployment's success).
	BlueAfterShift time.Duration
	// SucceededToExit is from the deployment's success to the tool's exit, and SucceededToLastCall
	// to its last API call (the read that saw it; a Python process's own exit is real time the
	// AWS clock multiplies).
	SucceededToExit, SucceededToLastCall time.Duration
	// ReadyToContinue is from Ready to the ContinueDeployment that ended it (by the deployer, or
	// by the operator beside the aws CLI).
	ReadyToContinue      time.Duration
	Calls, OperatorCalls int
	Rates                []phaseRate
	// Startup is the aws CLI processes' mean real time from start to their first API call.
	Startup time.Duration
	ok      bool
}

// toolRowOf measures a good release; ok is false when the tool created no deployment.
func toolRowOf(o *outcome) toolRow {
	r := toolRow{Tool: o.Tool, Outcome: o.Outcome, ExitCode: o.ExitCode}
	calls := callsBy(o.Calls, o.caller(), time.Time{}, time.Time{})
	create, ok := firstCall(calls, time.Time{}, func(c emulator.Call) bool { return c.Action == "CreateDeployment" })
	if !ok {
		return r
	}
	r.ok = true
	f := o.Deployment
	r.Wall = o.Exit.Sub(create.At)
	if gone := f.blueRemoved(); !gone.IsZero() {
		r.BlueAfterShift = gone.Sub(f.shift().End)
		r.SucceededToExit = o.Exit.Sub(f.Completed)
		if len(calls) > 0 {
			r.SucceededToLastCall = calls[len(calls)-1].At.Sub(f.Completed)
		}
	}
	all := append(append([]emulator.Call(nil), calls...), callsBy(o.Calls, CallerOperator, time.Time{}, time.Time{})...)
	if c, ok := firstCall(sortCalls(all), f.readyAt(), func(c emulator.Call) bool { return c.Action == "ContinueDeployment" }); ok && !f.readyAt().IsZero() {
		r.ReadyToContinue = c.At.Sub(f.readyAt())
	}
	r.Calls = len(callsBy(calls, o.caller(), create.At, o.Exit))
	r.OperatorCalls = len(callsBy(o.Calls, CallerOperator, time.Time{}, time.Time{}))
	r.Rates = ratesByPhase(calls, releasePhases(f, create.At, o.Exit))
	r.Startup = cliStartup(o)
	return r
}

// cliStartup is the aws CLI processes' mean real time from their start to their first API call.
func cliStartup(o *outcome) time.Duration {
	if o.CLI == nil {
		return 0
	}
	var sum time.Duration
	n := 0
	for _, p := range o.CLI.Processes {
		first := callsBy(o.Calls, o.caller(), p.Start, p.End)
		if len(first) > 0 {
			sum += first[0].At.Sub(p.Start)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return time.Duration(float64(sum) / float64(n) / o.Scale)
}

// reaction is how soon the deployer acted on a change of state.
type reaction struct {
	Change string
	// Noticed is from the change to the deployer's next GetDeployment (the poll that saw it), Gate
	// is the gate's run (from its start to its verdict), Write the deployer's next write and
	// WriteAfter how long after the change it came, AfterVerdict how long after the gate's verdict.
	Noticed, GateRan, WriteAfter, AfterVerdict time.Duration
	Gate, Write                                string
}

// reactions measures the deployer's reaction to Ready and to the termination wait's start.
func reactions(o *outcome) []reaction {
	calls := callsBy(o.Calls, CallerDeployer, time.Time{}, time.Time{})
	var out []reaction
	for _, ch := range []struct {
		change, gate string
		at           time.Time
	}{{"Ready", "ready", o.Deployment.readyAt()}, {"termination wait started", "soak", o.Deployment.shift().End}} {
		if ch.at.IsZero() {
			continue
		}
		r := reaction{Change: ch.change, Gate: ch.gate}
		if c, ok := firstCall(calls, ch.at, func(c emulator.Call) bool { return c.Action == "GetDeployment" }); ok {
			r.Noticed = c.At.Sub(ch.at)
		}
		w, ok := firstCall(calls, ch.at, func(c emulator.Call) bool { return isWrite(c.Action) })
		if ok {
			r.Write, r.WriteAfter = w.Action, w.At.Sub(ch.at)
		}
		for _, g := range o.Result.Gates {
			if g.Name == ch.gate && !g.End.IsZero() {
				r.GateRan = g.End.Sub(g.Start)
				if ok {
					r.AfterVerdict = w.At.Sub(g.End)
				}
			}
		}
		out = append(out, r)
	}
	return out
}
