package emulator

import (
	"fmt"
	"time"
)

// deployment is a CodeDeploy ECS blue/green deployment (or the rollback deployment of one).
type deployment struct {
	id          string
	group       *deploymentGroup
	config      *deploymentConfig
	rev         *revisionLocation
	prevRev     *revisionLocation
	spec        *appSpec
	status      string
	errCode     string
	errMessage  string
	created     time.Time
	started     time.Time
	completed   time.Time
	creator     string // user, or codeDeployRollback for a rollback deployment
	description string

	autoRollbackEnabled bool
	autoRollbackEvents  []string
	alarmOverride       *alarmConfiguration
	rollbackDeployment  string    // the rollback this deployment triggered
	rollbackVisible     time.Time // when GetDeployment starts showing it (rollbackInfo shows late)
	rollbackTrigger     string    // the deployment this one rolls back
	rollbackMessage     string

	events        []*lifecycleEvent
	current       string // lifecycle event in progress
	targetStatus  string
	targetUpdated time.Time
	original      *taskSet         // BLUE
	replacement   *taskSet         // GREEN
	finalTaskSets []ecsTaskSetInfo // taskSetsInfo as the deployment ended; nil while it runs

	readyContinued       bool
	terminationContinued bool
	stopRequest          *outcome
	stopAt               time.Time // when a requested stop takes effect (StopDeployment answers Pending)
}

func (d *deployment) terminal() bool {
	return d.status == statusSucceeded || d.status == statusFailed || d.status == statusStopped
}

// inTerminationWait reports whether the deployment waits out its termination wait: its ECS target
// has succeeded, the deployment has not (see terminationWait).
func (d *deployment) inTerminationWait() bool {
	return d.status == statusInProgress && d.targetStatus == "Succeeded"
}

// rollbackOn reports whether this deployment's auto-rollback covers event.
func (d *deployment) rollbackOn(event string) bool {
	return d.autoRollbackEnabled && containsString(d.autoRollbackEvents, event)
}

func newLifecycleEvents() []*lifecycleEvent {
	events := make([]*lifecycleEvent, len(ecsLifecycleEvents))
	for i, name := range ecsLifecycleEvents {
		events[i] = &lifecycleEvent{name: name, status: "Pending"}
	}
	return events
}

// groupService returns the ECS service a deployment group deploys.
func (e *Emulator) groupService(g *deploymentGroup) *ecsService {
	c := e.clusterByName(g.spec.ClusterName)
	if c == nil {
		return nil
	}
	return e.serviceByName(c, g.spec.ServiceName)
}

// trafficPair returns the target group the first production listener serves (by weight; a tie
// goes to the primary task set's group) and the other group of the pair.
func (e *Emulator) trafficPair(g *deploymentGroup, svc *ecsService) (live, other *targetGroup) {
	a, b := e.targetGroupByName(g.spec.TargetGroupNames[0]), e.targetGroupByName(g.spec.TargetGroupNames[1])
	prod := e.listenerByARN(g.spec.ProdListenerARNs[0])
	wa, wb := prod.weightOf(a), prod.weightOf(b)
	switch {
	case wa > wb:
		return a, b
	case wb > wa:
		return b, a
	case svc.primary() != nil && svc.primary().tg == b:
		return b, a
	}
	return a, b
}

// route sets the weighted forward of each listener in arns: to gets weight toWeight and from the
// rest of 100.
func (e *Emulator) route(arns []string, to, from *targetGroup, toWeight int) {
	for _, arn := range arns {
		if l := e.listenerByARN(arn); l != nil {
			e.setForward(l, reweigh(l.forward, to, from, toWeight))
		}
	}
}

// reweigh returns a forward action with to at toWeight and from at the rest of 100. Both groups stay
// in it (weight 0 included), as CodeDeploy leaves them.
func reweigh(forward []weightedGroup, to, from *targetGroup, toWeight int) []weightedGroup {
	fwd := make([]weightedGroup, 0, len(forward)+2)
	seenTo, seenFrom := false, false
	for _, w := range forward {
		switch w.group {
		case to:
			w.weight, seenTo = toWeight, true
		case from:
			w.weight, seenFrom = 100-toWeight, true
		}
		fwd = append(fwd, w)
	}
	if !seenFrom {
		fwd = append(fwd, weightedGroup{group: from, weight: 100 - toWeight})
	}
	if !seenTo {
		fwd = append(fwd, weightedGroup{group: to, weight: toWeight})
	}
	return fwd
}

// begin moves a deployment from Created to InProgress an AWS second after its creation; it
// reports false when the emulator closed first.
func (e *Emulator) begin(d *deployment) bool {
	if !e.sleepAWS(time.Second) {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	d.status, d.started = statusInProgress, e.now()
	d.setTarget("InProgress", d.started)
	return true
}

// complete gives a deployment its terminal status: the task sets it ends with are recorded and its
// group is free for the next deployment.
func (e *Emulator) complete(d *deployment, status string, now time.Time) {
	d.status, d.completed = status, now
	e.freezeTarget(d)
	if status == statusSucceeded {
		d.group.lastSuccessful = d
	}
	if d.group.active == d {
		d.group.active = nil
	}
}

// succeed completes a deployment: the original task set is removed (unless KEEP_ALIVE).
func (e *Emulator) succeed(d *deployment) {
	if d.group.spec.TerminationAction != "KEEP_ALIVE" && d.original != nil {
		e.deleteTaskSet(d.original)
	}
	e.complete(d, statusSucceeded, e.now())
	e.log.Info("codedeploy deployment succeeded", "deployment", d.id)
}

// endDeployment stops or fails a deployment and starts its rollback when auto-rollback covers
// the cause (or StopDeployment asked for it).
func (e *Emulator) endDeployment(d *deployment, o *outcome) {
	now := e.now()
	d.errCode, d.errMessage = o.code, o.message
	for _, ev := range d.events {
		switch ev.status {
		case "InProgress":
			ev.status, ev.end = "Failed", now
			ev.diag = &diagnostics{ErrorCode: "UnknownError", Message: o.message}
		case "Pending":
			ev.status = "Skipped"
		}
	}
	if d.targetStatus != "Succeeded" {
		d.setTarget("Failed", now)
	}
	e.complete(d, o.status, now)
	e.log.Info("codedeploy deployment ended", "deployment", d.id, "status", o.status, "reason", o.message)
	rollback := d.rollbackOn(o.rollbackEvent)
	if o.forceRollback != nil {
		rollback = *o.forceRollback
	}
	if rollback && d.creator != "codeDeployRollback" {
		e.startRollback(d)
	}
}

// startRollback creates the rollback deployment that reroutes the production and test listeners
// to the original task set and removes the replacement.
func (e *Emulator) startRollback(d *deployment) {
	now := e.now()
	r := &deployment{id: newDeploymentID(), group: d.group, config: d.config, rev: d.prevRev, prevRev: d.rev,
		spec: &appSpec{Hooks: map[string]string{}}, status: statusCreated, created: now,
		creator: "codeDeployRollback", rollbackTrigger: d.id, events: newLifecycleEvents(),
		original: d.original, replacement: d.replacement, targetStatus: "Pending", targetUpdated: now,
		autoRollbackEnabled: d.autoRollbackEnabled, autoRollbackEvents: d.autoRollbackEvents}
	r.rollbackMessage = fmt.Sprintf("Rollback deployment for deployment %s, which was %s.", d.id, d.status)
	d.rollbackDeployment, d.rollbackVisible = r.id, now.Add(seconds(e.rollbackInfoDelay))
	d.rollbackMessage = fmt.Sprintf("Deployment %s was %s; rollback deployment %s reroutes traffic to the original task set.",
		d.id, d.status, r.id)
	e.cd.deployments = append(e.cd.deployments, r)
	d.group.active = r
	d.group.lastAttempted = r
	e.log.Info("codedeploy rollback started", "deployment", d.id, "rollback", r.id)
	e.goBackground(func() { e.runRollback(r) })
}

// runRollback reroutes test then production traffic to the original task set, makes it PRIMARY
// again and drains the replacement. Install-type events are Skipped: nothing is installed. Traffic
// is back within its first seconds; the deployment ends RollbackSeconds after its creation.
func (e *Emulator) runRollback(r *deployment) {
	if !e.begin(r) {
		return
	}
	reroute := func(listeners []string) func(*deployment) (bool, error) {
		return func(r *deployment) (bool, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			if len(listeners) == 0 || r.original == nil || r.replacement == nil {
				return true, nil
			}
			e.route(listeners, r.original.tg, r.replacement.tg, 100)
			if r.current == "AllowTraffic" {
				e.setPrimary(r.original)
			}
			return false, nil
		}
	}
	skip := func(*deployment) (bool, error) { return true, nil }
	spec := r.group.spec
	for _, ev := range ecsLifecycleEvents {
		run := skip
		switch ev {
		case "AllowTestTraffic":
			run = reroute(spec.TestListenerARNs)
		case "AllowTraffic":
			run = reroute(spec.ProdListenerARNs)
		}
		if err := e.runEvent(r, ev, run); err != nil {
			return
		}
	}
	if !e.sleepAWS(max(r.created.Add(seconds(e.rollbackDuration)).Sub(e.now()), time.Second)) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.replacement != nil && r.replacement.status != "DRAINING" {
		e.deleteTaskSet(r.replacement)
	}
	now := e.now()
	r.setTarget("Succeeded", now)
	e.complete(r, statusSucceeded, now)
	e.log.Info("codedeploy rollback succeeded", "deployment", r.id)
}
