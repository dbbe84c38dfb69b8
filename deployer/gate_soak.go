package deployer

import (
	"context"
	"fmt"
	"strings"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// passSoakGate runs gate 2 during the termination wait and, when green held,
// continues the deployment (TERMINATION_WAIT) so blue's capacity is freed early.
func (d *Deployer) passSoakGate(ctx context.Context, res *Result, r *release, s snapshot) error {
	g := &GateResult{Name: GateSoak, Start: d.clock.Now()}
	if d.o.Soak <= 0 {
		g.End, g.Verdict, g.Reason, g.MinutesJudged = g.Start, "skipped", "--soak 0: the group's termination wait runs its course", intPtr(0)
		res.Gates, r.gate2Done = append(res.Gates, g), true
		d.log.Info("gate soak skipped; waiting for CodeDeploy to end the termination wait", "terminationWait", r.Group.TerminationWait.String())
		return nil
	}
	d.log.Info("gate soak: watching green under production traffic", "soak", d.o.Soak.String(), "deployment", r.ID)
	if r.alarmsOverridden && len(r.Group.Alarms) > 0 {
		g.Evidence = append(g.Evidence, "group alarms not judged: this rollback redeploy turned them off (they fire for the release it undoes and clear periods later); judged on green's target health and metrics")
	}
	cut, err := d.runSoak(ctx, res, g, r, s)
	g.End = d.clock.Now()
	if retryableRead(err) { // before the gate could look: the follow retries it
		return err
	}
	res.Gates, r.gate2Done = append(res.Gates, g), true
	switch {
	case err != nil:
		d.gateFailed(ctx, g, err)
		return err
	case cut != "":
		g.Verdict, g.Reason = "incomplete", cut
		d.log.Warn("gate soak incomplete: " + cut)
		return nil
	}
	g.Verdict = "pass"
	d.log.Info("gate soak passed; ending the termination wait", "deployment", r.ID, "minutesJudged", *g.MinutesJudged)
	return d.continueDeployment(ctx, r.ID, cdtypes.DeploymentWaitTypeTerminationWait)
}

// soakObservation is one gate-2 check.
type soakObservation struct {
	Health          healthVerdict
	UnhealthyStreak int
	Alarming        []string
	Metrics         soakMetrics
}

// assessSoak decides one gate-2 check: green fails on K consecutive unhealthy
// checks, any group alarm in ALARM, an error rate above the limit (target 5xx,
// ELB-generated 5xx and connection errors over green's requests), or p99 latency
// above the limit. With no requests and no errors there is no rate to judge.
func assessSoak(obs soakObservation, o Options) (bool, string) {
	m := obs.Metrics
	rate := m.errorRate()
	summary := fmt.Sprintf("targets %s; 5xx %g/%g (%.2f%%: target %g, ELB %g, connection errors %g)", obs.Health, m.errors(), m.Requests, rate*100, m.Target5xx, m.ELB5xx, m.ConnErrors)
	if m.HasP99 {
		summary += fmt.Sprintf("; p99 %.3fs", m.P99)
	}
	switch {
	case obs.UnhealthyStreak >= o.Consecutive:
		return false, fmt.Sprintf("green unhealthy for %d consecutive checks: %s", obs.UnhealthyStreak, obs.Health)
	case len(obs.Alarming) > 0:
		return false, "alarm in ALARM: " + strings.Join(obs.Alarming, "; ")
	case rate > o.Max5xxRate:
		return false, fmt.Sprintf("5xx rate %.2f%% above --max-5xx-rate %.2f%% (%s)", rate*100, o.Max5xxRate*100, summary)
	case o.MaxP99 > 0 && m.HasP99 && m.P99 > o.MaxP99.Seconds():
		return false, fmt.Sprintf("p99 TargetResponseTime %.3fs above --max-p99 %s", m.P99, o.MaxP99)
	}
	return true, summary
}

// assessSoakEnd decides what the whole window's metrics add to gate 2 once the
// soak is over (covered: CloudWatch had a datapoint for its last minute, else
// --metrics-lag ran out): too little traffic for --min-requests fails; none at all
// (with --min-requests 0) passes on health and alarms, and says so.
func assessSoakEnd(m soakMetrics, o Options, covered bool) (bool, []string) {
	var evidence []string
	if !covered {
		evidence = append(evidence, fmt.Sprintf("no datapoint for the window's last minute after --metrics-lag %s: judged on what CloudWatch had", o.MetricsLag))
	}
	evidence = append(evidence, m.window())
	if !m.measured() && o.MinRequests > 0 {
		return false, append(evidence, fmt.Sprintf("no whole minute of requests to count for --min-requests %d: not enough traffic to judge", o.MinRequests))
	}
	if m.Requests < float64(o.MinRequests) {
		return false, append(evidence, fmt.Sprintf("only %g requests reached green during the soak, --min-requests %d: not enough traffic to judge", m.Requests, o.MinRequests))
	}
	if m.Requests == 0 && m.measured() {
		evidence = append(evidence, "no request data: judged on target health and alarms only")
	}
	return true, evidence
}

// soakWindow is gate 2's timeline: the soak from start to end, then CloudWatch's
// lag until lagEnd; failing reads are retried until readDeadline, the last moment
// the deployer can still act before the termination wait ends on its own.
type soakWindow struct {
	tg                               *targetGroupInfo
	lb                               string // "" = no metrics to read
	start, end, lagEnd, readDeadline time.Time
}

func (d *Deployer) newSoakWindow(ctx context.Context, r *release, s snapshot) (*soakWindow, error) {
	tg, err := d.greenTargetGroup(ctx, r, s)
	if err != nil {
		return nil, err
	}
	w := &soakWindow{tg: tg, lb: d.t.LoadBalancerArn, start: d.clock.Now()}
	if w.lb == "" && len(tg.LoadBalancerArns) > 0 {
		w.lb = tg.LoadBalancerArns[0]
	}
	w.end = w.start.Add(d.o.Soak)
	termEnd := assessTerminationWaitEnd(s.Target, r.Group.TerminationWait, w.start)
	w.lagEnd = assessMetricsDeadline(w.end, d.o.MetricsLag, termEnd)
	w.readDeadline = minTime(r.deadline, maxTime(w.lagEnd, termEnd.Add(-continueHeadroom)))
	return w, nil
}

// soakState is what gate 2 carries from one check to the next.
type soakState struct {
	streak    int // unhealthy checks in a row, carried over from the shift
	checks    int
	last      string // the last check's line, logged when it changes
	waiting   bool   // the window is over: waiting for CloudWatch's last minute
	nextCheck time.Time
	metrics   soakMetrics // the last read, for minutesJudged
}

// runSoak checks green every SoakInterval for the soak window, then keeps checking
// health and alarms while it waits for CloudWatch's late datapoints of the
// window's last minute (at most --metrics-lag, and never into the last minute of
// the termination wait), and judges the whole window. Between checks it keeps
// reading the deployment at the poll interval, so that a deployment that leaves
// the termination wait (CodeDeploy's alarm rollback, a hand continue) ends the
// gate within a poll, not at the next check; cut then says in which phase of the
// gate (assessSoakCut). The unhealthy streak starts from the shift's.
func (d *Deployer) runSoak(ctx context.Context, res *Result, g *GateResult, r *release, s snapshot) (cut string, err error) {
	w, err := d.newSoakWindow(ctx, r, s)
	if err != nil {
		return "", err
	}
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	st := &soakState{streak: r.unhealthyStreak, nextCheck: w.start}
	defer func() {
		g.MinutesJudged, g.Minutes = intPtr(minutesJudged(w.start, w.end, st.metrics.Latest)), gateMinutes(st.metrics.Minutes, false, true)
	}()
	lk := d.newLooker(s)
	err = d.waitFor(ctx, blindAt(w.readDeadline), func(ctx context.Context) (next, error) {
		snap, err := d.look(ctx, res, r, p, lk)
		if err != nil {
			return next{}, err
		}
		if phase := assessDeployment(snap.Deployment, snap.Target); phase != PhaseTerminationWait {
			cut = assessSoakCut(w, d.clock.Now(), d.o.MetricsLag, phase)
			return waitOver, nil
		}
		if !d.clock.Now().Before(st.nextCheck) {
			done, err := d.soakCheck(ctx, g, r, w, snap, st)
			switch {
			case done:
				return waitOver, err
			case err != nil:
				return next{}, err
			}
		}
		return lookAgainIn(max(min(p.next(), st.nextCheck.Sub(d.clock.Now())), 0)), nil
	})
	return cut, err
}

// soakCheck is one gate-2 check of green, the deployment just seen in the
// termination wait: it observes green over [start, min(now, end)), fails it
// (assessSoak), or once the window is over judges the whole window when
// CloudWatch has its last minute. done says gate 2 has its verdict (err: a
// *GateError when it failed); else st.nextCheck says when to check again.
func (d *Deployer) soakCheck(ctx context.Context, g *GateResult, r *release, w *soakWindow, snap snapshot, st *soakState) (bool, error) {
	// Autoscaling may scale green in or out during the soak: judge against the task
	// set's desired count now.
	desired := desiredOf(taskSet(snap.Target, cdtypes.TargetLabelGreen), r)
	obs, err := d.observeSoak(ctx, r, w.tg, w.lb, desired, w.start, minTime(d.clock.Now(), w.end))
	if err != nil {
		return false, err
	}
	now := d.clock.Now()
	st.metrics = obs.Metrics
	st.streak, st.checks = assessStreak(st.streak, !obs.Health.OK), st.checks+1
	obs.UnhealthyStreak, r.unhealthyStreak = st.streak, st.streak
	ok, line := assessSoak(obs, d.o)
	if line != st.last {
		d.log.Info("soak check", "ok", ok, "detail", line, "remaining", max(w.end.Sub(now), 0).Round(time.Second).String())
		st.last = line
	}
	if !ok {
		g.Evidence = append(g.Evidence, line)
		return true, &GateError{Gate: GateSoak, Reason: line}
	}
	if !now.Before(w.end) {
		if done, err := d.judgeSoakWindow(g, w, obs.Metrics, now, fmt.Sprintf("%d checks over %s; last: %s", st.checks, now.Sub(w.start).Round(time.Second), line)); done {
			return true, err
		}
		if !st.waiting {
			d.log.Info("soak window over; still checking health and alarms while CloudWatch's datapoints of its last minute arrive",
				"until", w.lagEnd.Sub(now).Round(time.Second).String())
			st.waiting = true
		}
	}
	if now.After(r.deadline) {
		return true, errBudgetExceeded
	}
	st.nextCheck = now.Add(w.nextCheck(now, d.o.SoakInterval))
	return false, nil
}

// nextCheck is how long after now gate 2 checks again: every interval, but not
// past the end of the soak window, nor, after it, past the end of the metrics lag.
func (w *soakWindow) nextCheck(now time.Time, interval time.Duration) time.Duration {
	until := w.end
	if !now.Before(w.end) {
		until = w.lagEnd
	}
	return max(min(interval, until.Sub(now)), 0)
}

// assessSoakCut says how far gate 2 had got when the deployment left the
// termination wait on its own at now, in phase: CodeDeploy ended it (an alarm, an
// operator's stop: it rolls back), or it went on (continued by hand, or a wait
// shorter than it looked) inside the soak window, or after it, when every check
// had passed and the deployer was only waiting for CloudWatch's late datapoints
// of the window's last minute, so the whole window's metrics were never judged.
func assessSoakCut(w *soakWindow, now time.Time, lag time.Duration, phase Phase) string {
	soak := w.end.Sub(w.start)
	switch {
	case phase == PhaseFailed || phase == PhaseStopped:
		return fmt.Sprintf("CodeDeploy ended the deployment (%s: a group alarm, an operator's stop) %s into the %s soak; it rolls back to blue",
			phase, now.Sub(w.start).Round(time.Second), soak)
	case now.Before(w.end):
		return fmt.Sprintf("the termination wait ended before the soak finished (%s into the %s soak)", now.Sub(w.start).Round(time.Second), soak)
	}
	return fmt.Sprintf("the termination wait ended after the %s soak window, whose checks had all passed, while the deployer waited for CloudWatch's late datapoints of its last minute "+
		"(%s into --metrics-lag %s): the whole window's metrics were not judged", soak, now.Sub(w.end).Round(time.Second), lag)
}

// judgeSoakWindow judges the whole window once the soak is over and CloudWatch
// has its last minute (or --metrics-lag ran out): done says gate 2 has its
// verdict, err is a *GateError when it failed.
func (d *Deployer) judgeSoakWindow(g *GateResult, w *soakWindow, m soakMetrics, now time.Time, summary string) (bool, error) {
	covered := w.lb == "" || m.covers(w.start, w.end)
	if !covered && now.Before(w.lagEnd) {
		return false, nil
	}
	ok, evidence := assessSoakEnd(m, d.o, covered)
	g.Evidence = append(append(g.Evidence, summary), evidence...)
	if !ok {
		return true, &GateError{Gate: GateSoak, Reason: evidence[len(evidence)-1]}
	}
	return true, nil
}

// observeSoak gathers one gate-2 observation.
func (d *Deployer) observeSoak(ctx context.Context, r *release, tg *targetGroupInfo, lb string, desired int, start, to time.Time) (soakObservation, error) {
	var obs soakObservation
	if err := d.checkStoppedTasks(ctx, r); err != nil {
		return obs, err
	}
	var err error
	if obs.Health, err = d.targetHealth(ctx, tg.Arn, desired); err != nil {
		return obs, err
	}
	if !r.alarmsOverridden {
		if obs.Alarming, err = d.alarmsInAlarm(ctx, r.Group.Alarms); err != nil {
			return obs, err
		}
	}
	if lb != "" {
		if obs.Metrics, err = d.readSoakMetrics(ctx, lb, tg.Arn, start, to); err != nil {
			return obs, err
		}
	}
	return obs, nil
}
