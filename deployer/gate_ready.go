package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// passReadyGate runs gate 1 while the deployment waits in Ready and, when green
// passes, continues the deployment (READY_WAIT) so production traffic shifts, or,
// with HoldAtReady, leaves it waiting in Ready (r.held).
func (d *Deployer) passReadyGate(ctx context.Context, res *Result, r *release, s snapshot) error {
	g := &GateResult{Name: GateReady, Start: d.clock.Now()}
	r.readyLook, r.readyLookAt = s, g.Start
	d.log.Info("gate ready: checking green before production traffic", "deployment", r.ID)
	err := d.runReadyGate(ctx, res, g, r, s)
	g.End = d.clock.Now()
	if retryableRead(err) { // before the gate could look: the follow retries it
		return err
	}
	res.Gates = append(res.Gates, g)
	if errors.Is(err, errLeftReady) {
		g.Verdict, g.Reason = "incomplete", "the deployment left Ready before gate 1 finished (continued by someone else, or its ready wait ran out)"
		d.log.Warn("gate ready incomplete: " + g.Reason)
		r.gate1Done = true
		return nil
	}
	if err != nil {
		d.gateFailed(ctx, g, err)
		return err
	}
	g.Verdict = "pass"
	r.gate1Done = true
	if d.o.HoldAtReady {
		r.held = true
		d.log.Info("gate ready passed; holding in Ready (--hold-at-ready): production stays on blue", "deployment", r.ID)
		return nil
	}
	d.log.Info("gate ready passed; continuing to production traffic", "deployment", r.ID)
	return d.continueDeployment(ctx, r.ID, cdtypes.DeploymentWaitTypeReadyWait)
}

// errLeftReady means the deployment left Ready while gate 1 was running.
var errLeftReady = errors.New("the deployment left Ready")

// stillReady polls the deployment so gate 1 notices when it leaves Ready on its
// own (an operator continued it, or the group's ready wait ran out). A look less
// than a poll interval after the last one reuses it: gate 1 writes nothing, and a
// streak's first look follows the poll that saw Ready, or the previous streak's
// last look, at once; reading again would learn nothing.
func (d *Deployer) stillReady(ctx context.Context, res *Result, r *release) (snapshot, error) {
	if !r.readyLookAt.IsZero() && d.clock.Now().Sub(r.readyLookAt) < d.o.PollInterval {
		return r.readyLook, nil
	}
	s, err := d.poll(ctx, r.ID)
	if err != nil {
		return s, err
	}
	r.readyLook, r.readyLookAt = s, d.clock.Now()
	d.observe(res, r, s)
	if assessDeployment(s.Deployment, s.Target) != PhaseReady {
		return s, errLeftReady
	}
	return s, nil
}

// runReadyGate runs gate 1's steps in order: all desired green targets healthy K
// times in a row, the readiness probe through the test listener K times in a row,
// the validation suite (warm-up, checks, blue-vs-green comparison), then green's
// latency against blue's.
func (d *Deployer) runReadyGate(ctx context.Context, res *Result, g *GateResult, r *release, s snapshot) error {
	tg, err := d.greenTargetGroup(ctx, r, s)
	if err != nil {
		return err
	}
	deadline := d.readyGateDeadline(r, s)
	path, p := d.readyPath(tg), d.prober(r)
	streaks := []struct {
		what  string
		check check
	}{
		{"green targets all healthy", d.greenTargetsHealthy(res, r, tg)},
		{"readiness probe GET " + path + " via the test listener", d.greenAnswersReady(res, r, tg, p, path)},
	}
	for _, st := range streaks {
		ev, err := d.streak(ctx, r, GateReady, deadline, st.what, st.check)
		if err != nil {
			return err
		}
		g.Evidence = append(g.Evidence, ev)
	}
	if d.o.Suite != nil {
		if err := d.runSuite(ctx, g, p); err != nil {
			return err
		}
	}
	return d.runLatencyComparison(ctx, g, r, p, path, deadline)
}

// check is one look of a gate's streak: whether green passed, what was seen, or
// an error (a *ReadError is no observation and is retried).
type check func(context.Context) (ok bool, detail string, err error)

// greenTargetsHealthy checks, while the deployment stays in Ready, that no green
// task stopped and that all of green's desired targets are healthy.
func (d *Deployer) greenTargetsHealthy(res *Result, r *release, tg *targetGroupInfo) check {
	return func(ctx context.Context) (bool, string, error) {
		now, err := d.stillReady(ctx, res, r)
		if err != nil {
			return false, "", err
		}
		if err := d.checkStoppedTasks(ctx, r); err != nil {
			return false, "", err
		}
		// Autoscaling may change green's desired count while it waits: judge against now.
		v, err := d.targetHealth(ctx, tg.Arn, desiredOf(taskSet(now.Target, cdtypes.TargetLabelGreen), r))
		return v.OK, tg.Name + " " + v.String(), err
	}
}

// greenAnswersReady sends the readiness probe through the test listener, once
// the test listener is seen to forward to green; K checks in a row that it
// forwards elsewhere fail the gate.
func (d *Deployer) greenAnswersReady(res *Result, r *release, tg *targetGroupInfo, p *suite.Prober, path string) check {
	elsewhere := 0
	return func(ctx context.Context) (bool, string, error) {
		if _, err := d.stillReady(ctx, res, r); err != nil {
			return false, "", err
		}
		// The probe proves green only if the test listener forwards to green: a rule
		// or a hand edit could leave it on blue, which is ready too.
		fw, err := d.listenerForwards(ctx, d.t.TestListenerArn)
		if err != nil {
			return false, "", err
		}
		if live, lerr := assessLiveTargetGroup(fw); lerr != nil || live != tg.Arn {
			detail := fmt.Sprintf("the test listener forwards %s, not to green %s", formatForwards(fw), tg.Name)
			if elsewhere++; elsewhere >= d.o.Consecutive {
				return false, "", &GateError{Gate: GateReady, Reason: fmt.Sprintf("%s, %d checks in a row", detail, elsewhere)}
			}
			return false, detail, nil
		}
		elsewhere = 0
		pr := p.Send(ctx, d.t.TestURL, suite.Request{Path: path})
		return pr.Err == nil && pr.Status >= 200 && pr.Status < 300, p.Redact(pr.Summary()), nil
	}
}

// readyGateDeadline is when gate 1 gives up (assessGateDeadline), recording in
// r.gateLimit what set it for the failure message.
func (d *Deployer) readyGateDeadline(r *release, s snapshot) time.Time {
	now := d.clock.Now()
	var readyEnd time.Time
	if end, ok := assessReadyWaitEnd(s.Deployment, s.Target, r.Group.ReadyWait, now); ok {
		readyEnd = end
	}
	deadline, clamped := assessGateDeadline(now, r.limits.GateTimeout, readyEnd, r.Group.ReadyWait)
	switch {
	case r.limits.Derived.GateTimeout: // derived: it ends there by design, nothing to warn about
		r.gateLimit = fmt.Sprintf("gate 1's time (until the group's ready wait %s less %s)", r.Group.ReadyWait, readyMargin(r.Group.ReadyWait))
		if r.Group.ReadyWait <= 0 {
			r.gateLimit = fmt.Sprintf("gate 1's time (%s: the group sets no ready wait)", r.limits.GateTimeout)
		}
	case clamped:
		r.gateLimit = fmt.Sprintf("gate 1's time (--gate-timeout %s, cut at the group's ready wait less %s)", r.limits.GateTimeout, readyMargin(r.Group.ReadyWait))
		d.log.Warn("--gate-timeout is cut: gate 1 ends before the group's ready wait runs out", "gateEndsAt", deadline.UTC().Format(time.RFC3339), "readyWaitEndsAt", readyEnd.UTC().Format(time.RFC3339))
	default:
		r.gateLimit = fmt.Sprintf("--gate-timeout %s", r.limits.GateTimeout)
	}
	return deadline
}

// assessGateDeadline is when gate 1 gives up: --gate-timeout from now, but no later
// than readyMargin(readyWait) before the group's ready wait ends (readyEnd; zero:
// unknown), so that gate 1 fails with its own reason and the deployer's rollback
// instead of CodeDeploy's TIMEOUT. clamped says the ready wait decided.
func assessGateDeadline(now time.Time, timeout time.Duration, readyEnd time.Time, readyWait time.Duration) (deadline time.Time, clamped bool) {
	deadline = now.Add(timeout)
	if readyEnd.IsZero() {
		return deadline, false
	}
	if limit := readyEnd.Add(-readyMargin(readyWait)); limit.Before(deadline) {
		return limit, true
	}
	return deadline, false
}

// readyPath is the probe path: --ready-path, else the target group's health check
// path, else "/".
func (d *Deployer) readyPath(tg *targetGroupInfo) string {
	switch {
	case d.o.ReadyPath != "":
		return d.o.ReadyPath
	case tg.HealthCheckPath != "":
		return tg.HealthCheckPath
	}
	return "/"
}

// prober sends the readiness probe and the suite's requests for release r.
func (d *Deployer) prober(r *release) *suite.Prober {
	return suite.NewProber(d.http, d.o.RequestTimeout, r.vars, d.o.Suite)
}

// streak runs look every CheckInterval until it passes K times in a row. It fails
// with a *GateError at the gate deadline and with errBudgetExceeded at the release
// deadline; an error from look ends it at once.
func (d *Deployer) streak(ctx context.Context, r *release, gate string, deadline time.Time, what string, look check) (string, error) {
	n, last, evidence := 0, "", ""
	// A failed read is no observation: the streak neither grows nor resets.
	err := d.waitFor(ctx, blindAt(minTime(deadline, r.deadline)), func(ctx context.Context) (next, error) {
		ok, detail, err := look(ctx)
		if err != nil {
			return next{}, err
		}
		if detail != last {
			d.log.Info(what, "ok", ok, "detail", detail)
		}
		last = detail
		if n = assessStreak(n, ok); n >= d.o.Consecutive {
			evidence = fmt.Sprintf("%s: %s (%d in a row)", what, detail, n)
			return waitOver, nil
		}
		now := d.clock.Now()
		switch {
		case now.After(r.deadline):
			return waitOver, errBudgetExceeded
		case now.After(deadline):
			return waitOver, &GateError{Gate: gate, Reason: fmt.Sprintf("%s: not %d in a row within %s; last: %s", what, d.o.Consecutive, r.gateLimit, last)}
		}
		return lookAgainIn(d.o.CheckInterval), nil
	})
	return evidence, err
}

// assessStreak is how many checks in a row have passed after one more check.
func assessStreak(n int, ok bool) int {
	if ok {
		return n + 1
	}
	return 0
}

// runSuite is gate 1's last step: the validation suite's warm-up, checks and
// blue-vs-green comparison, sent to green through the test URL and to blue
// through the production URL.
func (d *Deployer) runSuite(ctx context.Context, g *GateResult, p *suite.Prober) error {
	rep, err := d.o.Suite.Run(ctx, p, d.t.TestURL, d.t.ProdURL, d.log)
	g.Evidence = append(g.Evidence, rep.Evidence...)
	g.Disagreements = append(g.Disagreements, rep.Disagreements...)
	switch {
	case err != nil:
		return err
	case rep.Failure != "":
		return &GateError{Gate: GateReady, Reason: rep.Failure}
	}
	return nil
}
