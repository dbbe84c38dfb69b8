package deployer

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Phase is where a blue/green deployment stands, as the deployer sees it.
type Phase string

// Phases of a deployment, in order; the last three are terminal.
const (
	PhaseQueued          Phase = "queued"           // Created or Queued
	PhaseInstalling      Phase = "installing"       // BeforeInstall … AfterAllowTestTraffic: green starts, test traffic
	PhaseReady           Phase = "ready"            // waiting for ContinueDeployment(READY_WAIT): gate 1
	PhaseShifting        Phase = "shifting-traffic" // BeforeAllowTraffic … AfterAllowTraffic
	PhaseTerminationWait Phase = "termination-wait" // green serves prod, blue still exists: gate 2
	PhaseSucceeded       Phase = "succeeded"
	PhaseFailed          Phase = "failed"
	PhaseStopped         Phase = "stopped"
)

// Terminal reports whether the deployment has ended.
func (p Phase) Terminal() bool {
	return p == PhaseSucceeded || p == PhaseFailed || p == PhaseStopped
}

// activeStatuses are the CodeDeploy statuses of a deployment that is not over.
var activeStatuses = []cdtypes.DeploymentStatus{
	cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued, cdtypes.DeploymentStatusInProgress,
	cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady,
}

// trafficEvents are the lifecycle events of the production traffic shift.
var trafficEvents = []string{"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}

// snapshot is one poll of a deployment: GetDeployment and, once it exists,
// GetDeploymentTarget for the ECS service.
type snapshot struct {
	Deployment *cdtypes.DeploymentInfo
	Target     *cdtypes.ECSTarget
	At         time.Time
}

// assessDeployment decides the phase of a deployment. Baking is not terminal. The
// termination wait is not visible in the deployment status (it stays InProgress and
// instanceTerminationWaitTimeStarted does not flip for ECS): it is the ECS target
// being Succeeded while the deployment is not.
func assessDeployment(d *cdtypes.DeploymentInfo, t *cdtypes.ECSTarget) Phase {
	switch d.Status {
	case cdtypes.DeploymentStatusSucceeded:
		return PhaseSucceeded
	case cdtypes.DeploymentStatusFailed:
		return PhaseFailed
	case cdtypes.DeploymentStatusStopped:
		return PhaseStopped
	case cdtypes.DeploymentStatusReady:
		return PhaseReady
	case cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued:
		return PhaseQueued
	}
	if t == nil {
		return PhaseInstalling
	}
	switch t.Status {
	case cdtypes.TargetStatusReady:
		return PhaseReady
	case cdtypes.TargetStatusSucceeded:
		return PhaseTerminationWait
	}
	for _, ev := range t.LifecycleEvents {
		if slices.Contains(trafficEvents, aws.ToString(ev.LifecycleEventName)) && ev.Status != cdtypes.LifecycleEventStatusPending && ev.Status != "" {
			return PhaseShifting
		}
	}
	return PhaseInstalling
}

// taskSet returns the task set with the given label, or nil.
func taskSet(t *cdtypes.ECSTarget, label cdtypes.TargetLabel) *cdtypes.ECSTaskSet {
	if t == nil {
		return nil
	}
	for i := range t.TaskSetsInfo {
		if t.TaskSetsInfo[i].TaskSetLabel == label {
			return &t.TaskSetsInfo[i]
		}
	}
	return nil
}

// describeSnapshot renders the facts of a snapshot that the log reports on change,
// keyed so that changed lines can be found by comparing maps.
func describeSnapshot(s snapshot) map[string]string {
	out := map[string]string{}
	d := s.Deployment
	out["status"] = string(d.Status)
	if s.Target == nil {
		return out
	}
	out["target"] = string(s.Target.Status)
	for _, ev := range s.Target.LifecycleEvents {
		line := string(ev.Status)
		if dg := ev.Diagnostics; dg != nil && dg.ErrorCode != "" && dg.ErrorCode != cdtypes.LifecycleErrorCodeSuccess {
			line += fmt.Sprintf(" (%s: %s)", dg.ErrorCode, aws.ToString(dg.Message))
		}
		out["event "+aws.ToString(ev.LifecycleEventName)] = line
	}
	for _, ts := range s.Target.TaskSetsInfo {
		tg := ""
		if ts.TargetGroup != nil {
			tg = aws.ToString(ts.TargetGroup.Name)
		}
		out["taskset "+string(ts.TaskSetLabel)] = fmt.Sprintf("%s running %d/%d pending %d weight %g%% tg %s",
			aws.ToString(ts.Status), ts.RunningCount, ts.DesiredCount, ts.PendingCount, ts.TrafficWeight, tg)
	}
	return out
}

// snapshotChanges lists "key: value" for every fact that differs from before. A
// lifecycle event first seen as Pending is not news.
func snapshotChanges(before, after map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		old, seen := before[k]
		if !seen && after[k] == string(cdtypes.LifecycleEventStatusPending) {
			continue
		}
		if old != after[k] {
			out = append(out, k+": "+after[k])
		}
	}
	return out
}

// rollbackOf returns the deployment a CodeDeploy rollback deployment rolls back
// ("" when dep is not one): its creator is codeDeployRollback and its
// rollbackInfo names the triggering deployment.
func rollbackOf(dep *cdtypes.DeploymentInfo) string {
	var of string
	if rb := dep.RollbackInfo; rb != nil {
		of = aws.ToString(rb.RollbackTriggeringDeploymentId)
	}
	if of == "" && dep.Creator == cdtypes.DeploymentCreatorCodeDeployRollback {
		of = "an earlier deployment"
	}
	return of
}
