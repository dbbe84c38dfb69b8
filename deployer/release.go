package deployer

import (
	"context"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// release is one deployment being followed.
type release struct {
	ID           string
	TaskDefArn   string
	revision     bool // releasing a registered revision as is: an in-flight deployment is ours only with that revision
	Image        ImageRef
	Group        GroupSettings
	ServiceCount int32
	vars         map[string]string
	limits       limits    // resolved once, before anything is written (assessLimits)
	deadline     time.Time // when the budget runs out

	installStart     time.Time // our clock: when we first saw the deployment past Queued
	createdAt        time.Time // CodeDeploy's CreateTime: older stopped tasks are not this deployment's
	green            *targetGroupInfo
	greenHealthy     bool // a green target has been healthy at least once
	unhealthyStreak  int
	seenStopped      map[string]bool
	stopped          []StoppedTask
	gateLimit        string // how gate 1's deadline was set, for its failure message
	gate1Done        bool
	shiftDone        bool
	gate2Done        bool
	held             bool // gate 1 passed and --hold-at-ready left the deployment in Ready
	alarmsOverridden bool // created with the group's alarms turned off (rollback redeploy): gate 2 does not judge them
	weights          [2]float64
	latency          []latencyKind   // gate 1's latency comparison: the shift gate's probes are judged against it
	latencyReqs      []suite.Request // the request kinds it timed, which the shift gate's probes send
	facts            map[string]string
	readyLook        snapshot  // gate 1's last look at the deployment (stillReady)
	readyLookAt      time.Time // when it was read; zero before gate 1
}

// follow polls the deployment to its end, gating Ready and the termination wait
// and failing fast on a broken green. It returns nil once the deployment ended
// or was held in Ready (res then says how), a *GateError when the release must be rolled back,
// errBudgetExceeded, or the context's error.
func (d *Deployer) follow(ctx context.Context, res *Result, r *release) error {
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	// A read that failed is retried within the budget: not seeing is no verdict.
	return d.waitFor(ctx, blindAt(r.deadline), func(ctx context.Context) (next, error) {
		done, err := d.followStep(ctx, res, r, p)
		switch {
		case done:
			return waitOver, err
		case err != nil:
			return next{}, err
		case d.clock.Now().After(r.deadline):
			return waitOver, errBudgetExceeded
		}
		return lookAgainIn(p.next()), nil
	})
}

// followStep polls the deployment once and acts on its phase: fail fast while
// green starts, gate 1 in Ready, gate shift while production traffic moves, gate
// 2 in the termination wait, or finish. done says the follow is over; err then says how it ended.
func (d *Deployer) followStep(ctx context.Context, res *Result, r *release, p *poller) (bool, error) {
	snap, err := d.poll(ctx, r.ID)
	if err != nil {
		return false, err
	}
	if d.observe(res, r, snap) {
		p.changed()
	}
	return d.actOn(ctx, res, r, p, snap)
}

// actOn acts on the deployment's phase in snap (see followStep).
func (d *Deployer) actOn(ctx context.Context, res *Result, r *release, p *poller, snap snapshot) (bool, error) {
	switch phase := assessDeployment(snap.Deployment, snap.Target); phase {
	case PhaseSucceeded, PhaseFailed, PhaseStopped:
		return true, d.finish(ctx, res, r, snap, phase)
	case PhaseInstalling:
		return false, d.failFast(ctx, r, snap)
	case PhaseShifting:
		if !r.shiftDone {
			p.changed()
			// The poll that saw the shift end is acted on at once: a termination
			// wait shorter than a poll still gets gate 2.
			after, err := d.passShiftGate(ctx, res, r, snap)
			if err != nil || after == nil {
				return false, err
			}
			return d.actOn(ctx, res, r, p, *after)
		}
	case PhaseReady:
		if !r.gate1Done {
			p.changed()
			if err := d.passReadyGate(ctx, res, r, snap); err != nil {
				return false, err
			}
		}
		if r.held {
			d.holdAtReady(res, r, snap)
			return true, nil
		}
	case PhaseTerminationWait:
		r.gate1Done = true
		if !r.gate2Done {
			p.changed()
			return false, d.passSoakGate(ctx, res, r, snap)
		}
	}
	return false, nil
}

// observe logs what changed since the last poll (one line per change) and
// records the traffic split; it reports whether anything changed.
func (d *Deployer) observe(res *Result, r *release, s snapshot) bool {
	facts := describeSnapshot(s)
	changes := snapshotChanges(r.facts, facts)
	r.facts = facts
	elapsed := d.clock.Now().Sub(res.StartedAt).Round(time.Second)
	for _, c := range changes {
		d.log.Info(c, "deployment", r.ID, "elapsed", elapsed.String())
	}
	res.recordEvents(s.Target)
	if blue, green := taskSet(s.Target, cdtypes.TargetLabelBlue), taskSet(s.Target, cdtypes.TargetLabelGreen); blue != nil || green != nil {
		var w [2]float64
		if blue != nil {
			w[0] = blue.TrafficWeight
		}
		if green != nil {
			w[1] = green.TrafficWeight
		}
		if w != r.weights || len(res.Traffic) == 0 {
			r.weights = w
			res.Traffic = append(res.Traffic, TrafficStep{At: s.At, Blue: w[0], Green: w[1]})
		}
	}
	if s.Deployment.CreateTime != nil && r.createdAt.IsZero() {
		r.createdAt = *s.Deployment.CreateTime
	}
	if phase := assessDeployment(s.Deployment, s.Target); phase != PhaseQueued && r.installStart.IsZero() {
		r.installStart = d.clock.Now()
	}
	return len(changes) > 0
}
