package faults

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// phase is a moment of a release at which a deployer is signalled. The deployer is inside it when
// it has been answered what the phase looks like (seen) and makes its next call: the tap holds that
// call while the signal lands. A phase that lasts an AWS second or so also holds the emulator's
// engine at its step, so that the deployer sees it at all.
type phase struct {
	name string
	step func(emulator.Step) bool
	seen func(call) bool
	// held is the call the deployer must be making when it is signalled; "" is any.
	held string
	// created says whether the deployment exists once the signal has landed.
	created func(syscall.Signal) bool
	// linear runs the case on the dev stack with a linear shift (10% a minute) instead of its canary.
	linear bool
}

// always says a deployment exists whatever the signal.
func always(syscall.Signal) bool { return true }

// phases of the dev stack's release (canary 10% for 5 minutes, 10-minute ready wait, 15-minute
// termination wait), and a step of a linear shift.
var phases = []phase{
	{name: "after registering the task definition", seen: answered("RegisterTaskDefinition"), held: "CreateDeployment",
		// Killed, its CreateDeployment never reaches CodeDeploy; interrupted, it is sent all the same
		// (CI's cancel does not cut it short) and then stopped.
		created: func(sig syscall.Signal) bool { return sig != syscall.SIGKILL }},
	{name: "during Install", seen: eventIs("Install", "InProgress"), created: always},
	{name: "at AllowTestTraffic", step: eventStarts("AllowTestTraffic"), seen: eventIs("AllowTestTraffic", "InProgress"), created: always},
	{name: "in Ready with gate ready running", seen: targetIs("Ready"), created: always},
	{name: "in the canary's 10% step", step: shiftTo(10), seen: shifted(10), created: always},
	{name: "in the canary's 100% step", step: shiftTo(100), seen: shifted(100), created: always},
	{name: "in a linear shift's 30% step", step: shiftTo(30), seen: shifted(30), created: always, linear: true},
	{name: "at AfterAllowTraffic", step: eventStarts("AfterAllowTraffic"), seen: eventIs("AfterAllowTraffic", "InProgress"), created: always},
	{name: "in the termination wait with gate soak running", seen: targetIs("Succeeded"), created: always},
}

func answered(action string) func(call) bool {
	return func(c call) bool { return c.action == action && c.status == 200 }
}

func eventIs(event, status string) func(call) bool {
	return func(c call) bool { return c.target != nil && c.target.event(event) == status }
}

func targetIs(status string) func(call) bool {
	return func(c call) bool { return c.target != nil && c.target.Status == status }
}

func shifted(weight float64) func(call) bool {
	return func(c call) bool {
		return c.target != nil && c.target.event("AllowTraffic") == "InProgress" && c.target.greenWeight() == weight
	}
}

func eventStarts(event string) func(emulator.Step) bool {
	return func(s emulator.Step) bool { return !s.Rollback && s.Event == event }
}

func shiftTo(weight int) func(emulator.Step) bool {
	return func(s emulator.Step) bool { return !s.Rollback && s.Event == emulator.StepShift && s.Weight == weight }
}

// trigger signals a deployer process at a phase; arm it before the process starts.
type trigger struct {
	w       *world
	ph      phase
	reached <-chan emulator.Step
	held    <-chan *heldCall
}

func (w *world) arm(client string, ph phase) *trigger {
	tr := &trigger{w: w, ph: ph, held: w.tap.hold(client, ph.seen)}
	if ph.step != nil {
		tr.reached = w.steps.arm(ph.step)
	}
	return tr
}

// fire waits until p is inside the phase, signals it, waits for the signal to land, then lets the
// held call (dropped after a SIGKILL: it never reached AWS) and the engine go on.
func (tr *trigger) fire(p *proc, sig syscall.Signal) {
	t := tr.w.t
	t.Helper()
	h := waitHeld(t, tr.held, p, tr.ph.name)
	if tr.reached != nil {
		select {
		case <-tr.reached:
		case <-time.After(procTimeout):
			t.Fatalf("the deployment never reached the step of %s", tr.ph.name)
		}
	}
	if tr.ph.held != "" {
		require.Equal(t, tr.ph.held, h.action, "the call the deployer makes %s", tr.ph.name)
	}
	t.Logf("%v %s, while it calls %s", sig, tr.ph.name, h.action)
	p.interrupt(sig)
	h.release <- sig != syscall.SIGKILL
	tr.w.steps.letGo()
}

// waitHeld waits for the call a trap holds, failing the case if p exits first or it takes too long.
func waitHeld(t *testing.T, held <-chan *heldCall, p *proc, what string) *heldCall {
	t.Helper()
	select {
	case h := <-held:
		return h
	case <-p.exited:
		t.Fatalf("%s: the deployer exited (code %d) before it was %s", p.name, p.run.ExitCode, what)
	case <-time.After(procTimeout):
		t.Fatalf("%s: the deployer was not %s within %s", p.name, what, procTimeout)
	}
	return nil
}

// interruption is how a deployer is stopped: the signal, and whether it was asked to detach.
type interruption struct {
	name   string
	sig    syscall.Signal
	detach bool
}

var interruptions = []interruption{
	{"SIGKILL", syscall.SIGKILL, false},
	{"SIGINT", syscall.SIGINT, false},
	{"SIGTERM", syscall.SIGTERM, false},
	{"SIGINT with --on-interrupt detach", syscall.SIGINT, true},
	{"SIGTERM with --on-interrupt detach", syscall.SIGTERM, true},
}

// A deployer killed at any phase leaves a deployment a re-run with the same arguments attaches to and
// finishes; interrupted, it rolls back to blue and exits 4, or, told to detach, leaves the deployment
// running for the re-run to resume. Never a second deployment, never a failed production request.
func TestADeployerStoppedAtEachPhase(t *testing.T) {
	matrix(t)
	for _, ph := range phases {
		for _, in := range interruptions {
			t.Run(in.name+" "+ph.name, func(t *testing.T) {
				t.Parallel()
				stoppedAt(t, ph, in, worldOptions{})
			})
		}
	}
}

// Under an unkind AWS (30 % of calls throttled, 5 % answered 500 or 503, on top of the rate limits)
// the same holds: the re-run's retries, the attach and the interrupted rollback get through.
func TestADeployerStoppedUnderThrottlingAndServerErrors(t *testing.T) {
	matrix(t)
	faults, err := emulator.ParseFaults("throttle=0.3,5xx=0.05")
	require.NoError(t, err)
	for i, c := range []struct{ interruption, phase string }{
		{"SIGKILL", "after registering the task definition"},
		{"SIGKILL", "in Ready with gate ready running"},
		{"SIGINT", "in Ready with gate ready running"},
		{"SIGTERM", "in the termination wait with gate soak running"},
		{"SIGINT with --on-interrupt detach", "in the termination wait with gate soak running"},
	} {
		in, ph := named(t, interruptions, c.interruption), named(t, phases, c.phase)
		t.Run(in.name+" "+ph.name, func(t *testing.T) {
			t.Parallel()
			stoppedAt(t, ph, in, worldOptions{emulator: emulator.Options{Faults: faults, FaultSeed: uint64(11 + i)}})
		})
	}
}

// named finds the phase or interruption of that name.
func named[T interface{ label() string }](t *testing.T, list []T, name string) T {
	t.Helper()
	for _, x := range list {
		if x.label() == name {
			return x
		}
	}
	t.Fatalf("no %q", name)
	var zero T
	return zero
}

func (p phase) label() string        { return p.name }
func (i interruption) label() string { return i.name }

func stoppedAt(t *testing.T, ph phase, in interruption, o worldOptions) {
	if ph.linear {
		o.stackFile = linearStack(t)
	}
	w := newWorld(t, o)
	rel := release("v2", "a good model; its deployer gets "+in.name+" "+ph.name)
	var extra []string
	if in.detach {
		extra = []string{"--on-interrupt", "detach"}
	}
	tr := w.arm("first", ph)
	first := w.start("first", rel, extra...)
	tr.fire(first, in.sig)
	run := w.record(rel, first.wait())
	switch {
	case in.sig == syscall.SIGKILL:
		assert.Equal(t, -1, run.ExitCode, "killed")
	case in.detach:
		assert.Equal(t, 4, run.ExitCode, run.Result.Message)
		assert.Equal(t, "detached", string(run.Result.Outcome), run.Result.Message)
	default:
		assert.Equal(t, 4, run.ExitCode, run.Result.Message)
		assert.Equal(t, "interrupted", string(run.Result.Outcome), run.Result.Message)
		w.finish(outcome{version: "v1", deployments: 1, rollbacks: 1})
		return
	}
	again := w.start("again", rel, extra...)
	rerun := w.record(rel, again.wait())
	assert.Equal(t, 0, rerun.ExitCode, rerun.Result.Message)
	assert.Equal(t, "released", string(rerun.Result.Outcome), rerun.Result.Message)
	assert.Equal(t, ph.created(in.sig), rerun.Result.Attached, "the re-run attached to the deployment in flight")
	w.finish(outcome{version: "v2", deployments: 1})
}
