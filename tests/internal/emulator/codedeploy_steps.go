package emulator

import "time"

// Step names besides the lifecycle events' own (Step.Event).
const (
	StepReady           = "Ready"           // the ready wait begins (STOP_DEPLOYMENT)
	StepShift           = "Shift"           // production traffic moved during AllowTraffic (Step.Weight)
	StepTerminationWait = "TerminationWait" // the ECS target succeeded: the termination wait begins
)

// Step is an instant of a deployment at which Options.OnStep is called: a lifecycle event starting
// (Event is its name), the ready wait or the termination wait beginning (StepReady,
// StepTerminationWait), or production traffic moving during AllowTraffic (StepShift, Weight the
// replacement target group's new weight).
type Step struct {
	DeploymentID string
	// Rollback says the deployment is a rollback deployment CodeDeploy created.
	Rollback bool
	Event    string
	Weight   int
}

// step calls Options.OnStep, if any, without holding e.mu: the engine of this deployment waits for
// it, API calls are served meanwhile.
func (e *Emulator) step(d *deployment, event string, weight int) {
	if e.onStep != nil {
		e.onStep(Step{DeploymentID: d.id, Rollback: d.creator == "codeDeployRollback", Event: event, Weight: weight})
	}
}

// DeploymentState is a deployment as the engine holds it, read through the Go API (tests observe
// the emulator with it without spending the account's API rate).
type DeploymentState struct {
	ID, Group string
	// Status is CodeDeploy's deployment status; TargetStatus the ECS deployment target's.
	Status, TargetStatus string
	// Creator is "user", or "codeDeployRollback" for a rollback deployment.
	Creator string
	// RollbackOf is the deployment a rollback deployment rolls back; RollbackID the rollback this
	// deployment started (at once, not after GetDeployment's delay).
	RollbackOf, RollbackID string
	// Events are the lifecycle events' statuses by name.
	Events  map[string]string
	Created time.Time
}

// Deployments returns every deployment, in creation order.
func (e *Emulator) Deployments() []DeploymentState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]DeploymentState, 0, len(e.cd.deployments))
	for _, d := range e.cd.deployments {
		s := DeploymentState{ID: d.id, Group: d.group.spec.Name, Status: d.status, TargetStatus: d.targetStatus,
			Creator: d.creator, RollbackOf: d.rollbackTrigger, RollbackID: d.rollbackDeployment,
			Events: map[string]string{}, Created: d.created}
		for _, ev := range d.events {
			s.Events[ev.name] = ev.status
		}
		out = append(out, s)
	}
	return out
}
