package deployer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Gate shift runs while blue and green both take production traffic: each
// canary or linear step, and an all-at-once shift until the termination wait.
// Its reads run on three clocks of their own, none on the poll back-off:
//   - the deployment, at the poll interval (it ends the gate when traffic has
//     moved, or CodeDeploy stopped the deployment);
//   - green's target health and stopped tasks, and one probe of each kind
//     through the test listener, every --check-interval;
//   - CloudWatch, every shiftMetricsInterval: blue's and green's target groups
//     and the load balancer's own 5xx per minute, from 10 minutes before the
//     shift (blue's baseline) to the last whole minute, in one GetMetricData
//     call. A minute CloudWatch has not published yet has no datapoint and is
//     not judged; it is judged at the first read after it arrives.
//
// With the defaults (--poll-max-interval 5s, --check-interval 5s) a quiet shift
// costs 12 × (GetDeployment, GetDeploymentTarget, ListTasks,
// DescribeTargetHealth) = 48 calls a minute, as the fail-fast check it replaces
// did, plus 4 GetMetricData and 1 DescribeListeners (is the test listener still
// on green?): 53 calls a minute, 0.9 a second.

// shiftMetricsInterval is how often gate shift reads CloudWatch: a minute is
// judged within this of its datapoints' publication (they arrive a minute or
// two late, all of a minute's at once).
const shiftMetricsInterval = 15 * time.Second

// shiftBaselineMinutes is how far before the shift blue's baseline reaches.
const shiftBaselineMinutes = 10

// shiftWatch is gate shift's state while production traffic moves.
type shiftWatch struct {
	green, blue  *targetGroupInfo
	lb           string // "" = no CloudWatch to read (cwNote says why)
	cwNote       string
	start        time.Time // when production traffic began to move
	baseFrom     time.Time // blue's baseline: [baseFrom, the minute the shift began in)
	prober       *suite.Prober
	probeReqs    []suite.Request
	probeNames   []string
	probesOn     bool   // the test listener forwards to green
	probeNote    string // why no probe was sent
	nextHealth   time.Time
	nextProbe    time.Time
	nextMetrics  time.Time
	nextListener time.Time
	health       healthVerdict
	checks       int
	minutes      *shiftVerdict // the last CloudWatch judgement; nil: none yet
	judged       []shiftMinute // the minutes it judged
	latest       time.Time     // the newest published minute inside the shift
	probes       []shiftProbe
	probeVerdict *shiftVerdict
}

// passShiftGate runs gate shift until production traffic has moved (the
// deployment left the shift), and records it. It returns the poll that saw the
// deployment leave the shift, for the follow to act on. A *GateError means
// green is worse than blue: the release is rolled back.
func (d *Deployer) passShiftGate(ctx context.Context, res *Result, r *release, s snapshot) (*snapshot, error) {
	g := &GateResult{Name: GateShift, Start: d.clock.Now()}
	sw, err := d.newShiftWatch(ctx, r, s)
	if err != nil { // before the gate could look: the follow retries a read
		return nil, err
	}
	d.log.Info("gate shift: judging green against blue while production traffic moves", "deployment", r.ID,
		"checkInterval", d.o.CheckInterval.String(), "cloudWatchEvery", shiftMetricsInterval.String())
	after, cut, err := d.watchShift(ctx, res, r, sw, s)
	g.End = d.clock.Now()
	g.Evidence, g.MinutesJudged = sw.evidence(d.o.CheckInterval), intPtr(minutesJudged(sw.start, g.End, sw.latest))
	g.Minutes = gateMinutes(sw.judged, true, false)
	res.Gates, r.shiftDone = append(res.Gates, g), true
	switch {
	case err != nil:
		d.gateFailed(ctx, g, err)
		return nil, err
	case cut != "":
		g.Verdict, g.Reason = "incomplete", cut
		d.log.Warn("gate shift incomplete: " + cut)
		return after, nil
	}
	g.Verdict = "pass"
	d.log.Info("gate shift passed: production traffic has moved to green", "deployment", r.ID, "minutesJudged", *g.MinutesJudged)
	return after, nil
}

// newShiftWatch finds green's and blue's target groups and the load balancer,
// and what the probes send: gate 1's latency requests, else the suite's, else
// the readiness path.
func (d *Deployer) newShiftWatch(ctx context.Context, r *release, s snapshot) (*shiftWatch, error) {
	green, err := d.greenTargetGroup(ctx, r, s)
	if err != nil {
		return nil, err
	}
	now := d.clock.Now()
	sw := &shiftWatch{green: green, start: assessShiftStart(s.Target, now), nextHealth: now, nextProbe: now, nextMetrics: now, nextListener: now}
	sw.baseFrom = sw.start.Truncate(time.Minute).Add(-shiftBaselineMinutes * time.Minute)
	if sw.blue, err = d.blueTargetGroup(ctx, s, green); err != nil {
		return nil, err
	}
	sw.lb = d.t.LoadBalancerArn
	if sw.lb == "" && len(green.LoadBalancerArns) > 0 {
		sw.lb = green.LoadBalancerArns[0]
	}
	switch {
	case sw.lb == "":
		sw.cwNote = "CloudWatch not read: no load balancer to read it for (--load-balancer-arn)"
	case sw.blue == nil:
		sw.lb, sw.cwNote = "", "CloudWatch not read: blue's target group was not found (no BLUE task set, and production forwards only to green)"
	}
	sw.prober = d.prober(r)
	if sw.probeReqs = r.latencyReqs; len(sw.probeReqs) == 0 {
		sw.probeReqs, _ = d.latencyRequests(d.readyPath(green))
	}
	for i, req := range sw.probeReqs {
		sw.probeNames = append(sw.probeNames, latencyKindName(sw.probeReqs, i, req))
	}
	return sw, nil
}

// assessShiftStart is when production traffic began to move: AllowTraffic's
// start, else when the deployer first saw the shift.
func assessShiftStart(t *cdtypes.ECSTarget, seen time.Time) time.Time {
	if t != nil {
		for _, ev := range t.LifecycleEvents {
			if aws.ToString(ev.LifecycleEventName) == "AllowTraffic" && ev.StartTime != nil && ev.StartTime.Before(seen) {
				return *ev.StartTime
			}
		}
	}
	return seen
}

// blueTargetGroup finds the original target group: the BLUE task set's, else
// the production listener's other group than green. nil: not found.
func (d *Deployer) blueTargetGroup(ctx context.Context, s snapshot, green *targetGroupInfo) (*targetGroupInfo, error) {
	if ts := taskSet(s.Target, cdtypes.TargetLabelBlue); ts != nil && ts.TargetGroup != nil && aws.ToString(ts.TargetGroup.Name) != "" {
		return d.describeTargetGroup(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{aws.ToString(ts.TargetGroup.Name)}})
	}
	fw, err := d.listenerForwards(ctx, d.t.ProdListenerArn)
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(fw, func(f forward) bool { return f.TargetGroupArn != green.Arn }); i >= 0 {
		return &targetGroupInfo{Arn: fw[i].TargetGroupArn, Name: targetGroupName(fw[i].TargetGroupArn)}, nil
	}
	return nil, nil
}

// watchShift looks at the deployment at the poll interval and, when due, at
// green (shiftLook), until the deployment leaves the shift; after is the poll
// that saw it leave. cut says CodeDeploy ended the deployment meanwhile. The
// first look judges green on first, the poll that saw the shift begin: an
// all-at-once shift may last no longer than a poll.
func (d *Deployer) watchShift(ctx context.Context, res *Result, r *release, sw *shiftWatch, first snapshot) (after *snapshot, cut string, err error) {
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	lk := d.newLooker(first)
	err = d.waitFor(ctx, blindAt(r.deadline), func(ctx context.Context) (next, error) {
		snap, err := d.look(ctx, res, r, p, lk)
		if err != nil {
			return next{}, err
		}
		switch phase := assessDeployment(snap.Deployment, snap.Target); {
		case phase == PhaseFailed || phase == PhaseStopped:
			after, cut = &snap, fmt.Sprintf("CodeDeploy ended the deployment (%s: a group alarm, an operator's stop) %s into the shift; it rolls back to blue",
				phase, d.clock.Now().Sub(sw.start).Round(time.Second))
			return waitOver, nil
		case phase != PhaseShifting:
			after = &snap
			return waitOver, nil
		}
		if err := d.shiftLook(ctx, r, sw, snap); err != nil {
			return next{}, err
		}
		if d.clock.Now().After(r.deadline) {
			return waitOver, errBudgetExceeded
		}
		return lookAgainIn(sw.nextLook(d.clock.Now(), p.next())), nil
	})
	return after, cut, err
}

// nextLook is how long after now the next look comes: the next poll, or sooner
// when a check of green comes due.
func (sw *shiftWatch) nextLook(now time.Time, poll time.Duration) time.Duration {
	due := []time.Time{sw.nextHealth, sw.nextProbe}
	if sw.lb != "" {
		due = append(due, sw.nextMetrics)
	}
	for _, t := range due {
		poll = min(poll, t.Sub(now))
	}
	return max(poll, 0)
}

// shiftLook runs the checks of green that are due. Each sets its next time only
// once it has read what it needs, so a read that failed is retried (a failed
// read is no observation: it neither grows nor resets the unhealthy streak).
func (d *Deployer) shiftLook(ctx context.Context, r *release, sw *shiftWatch, snap snapshot) error {
	if now := d.clock.Now(); !now.Before(sw.nextHealth) {
		if err := d.shiftHealthCheck(ctx, r, sw, snap); err != nil {
			return err
		}
		sw.nextHealth = now.Add(d.o.CheckInterval)
	}
	if now := d.clock.Now(); !now.Before(sw.nextProbe) {
		if err := d.shiftProbe(ctx, r, sw); err != nil {
			return err
		}
		sw.nextProbe = now.Add(d.o.CheckInterval)
	}
	if now := d.clock.Now(); sw.lb != "" && !now.Before(sw.nextMetrics) {
		if err := d.shiftMinutesCheck(ctx, sw); err != nil {
			return err
		}
		sw.nextMetrics = now.Add(shiftMetricsInterval)
	}
	return nil
}

// shiftHealthCheck fails green when a green task stopped for good reason too
// often (green-tasks), or its targets were unhealthy --consecutive checks in a
// row; the streak carries on into gate 2.
func (d *Deployer) shiftHealthCheck(ctx context.Context, r *release, sw *shiftWatch, snap snapshot) error {
	if err := d.checkStoppedTasks(ctx, r); err != nil {
		return err
	}
	v, err := d.targetHealth(ctx, sw.green.Arn, desiredOf(taskSet(snap.Target, cdtypes.TargetLabelGreen), r))
	if err != nil {
		return err
	}
	sw.health, sw.checks = v, sw.checks+1
	if v.Healthy > 0 {
		r.greenHealthy = true
	}
	if r.unhealthyStreak = assessStreak(r.unhealthyStreak, !v.OK); r.unhealthyStreak >= d.o.Consecutive {
		return &GateError{Gate: GateShift, Reason: fmt.Sprintf("green target group %s unhealthy for %d consecutive checks %s apart: %s",
			sw.green.Name, r.unhealthyStreak, d.o.CheckInterval, v)}
	}
	return nil
}

// evidence is what the gate saw: target health, every CloudWatch minute for
// both sides with the rate tests, and the probes.
func (sw *shiftWatch) evidence(every time.Duration) []string {
	out := []string{fmt.Sprintf("green target health: %d checks every %s; last: %s", sw.checks, every, sw.health)}
	switch {
	case sw.cwNote != "":
		out = append(out, sw.cwNote)
	case sw.minutes == nil:
		out = append(out, "CloudWatch: no reading during the shift")
	default:
		out = append(out, sw.minutes.Evidence...)
	}
	switch {
	case sw.probeVerdict != nil:
		out = append(out, sw.probeVerdict.Evidence...)
	case sw.probeNote != "":
		out = append(out, sw.probeNote)
	}
	return out
}
