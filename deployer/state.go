package deployer

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
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
		if slices.Contains(trafficEvents, str(ev.LifecycleEventName)) && ev.Status != cdtypes.LifecycleEventStatusPending && ev.Status != "" {
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
			line += fmt.Sprintf(" (%s: %s)", dg.ErrorCode, str(dg.Message))
		}
		out["event "+str(ev.LifecycleEventName)] = line
	}
	for _, ts := range s.Target.TaskSetsInfo {
		tg := ""
		if ts.TargetGroup != nil {
			tg = str(ts.TargetGroup.Name)
		}
		out["taskset "+string(ts.TaskSetLabel)] = fmt.Sprintf("%s running %d/%d pending %d weight %g%% tg %s",
			str(ts.Status), ts.RunningCount, ts.DesiredCount, ts.PendingCount, ts.TrafficWeight, tg)
	}
	return out
}

// snapshotChanges lists "key: value" for every fact that differs from before. A
// lifecycle event first seen as Pending is not news.
func snapshotChanges(before, after map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(after) {
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

// forward is one target group of a weighted forward action.
type forward struct {
	TargetGroupArn string `json:"targetGroupArn"`
	Weight         int32  `json:"weight"`
}

// actionForwards extracts the forwards of the first forward action. A plain
// forward (TargetGroupArn only) has weight 1, as ELB documents.
func actionForwards(actions []elbv2types.Action) []forward {
	for _, a := range actions {
		if a.Type != elbv2types.ActionTypeEnumForward {
			continue
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			var out []forward
			for _, tg := range a.ForwardConfig.TargetGroups {
				w := int32(1)
				if tg.Weight != nil {
					w = *tg.Weight
				}
				out = append(out, forward{TargetGroupArn: str(tg.TargetGroupArn), Weight: w})
			}
			return out
		}
		if a.TargetGroupArn != nil {
			return []forward{{TargetGroupArn: *a.TargetGroupArn, Weight: 1}}
		}
	}
	return nil
}

// assessLiveTargetGroup picks the target group that serves a listener: the one
// with the highest weight. CodeDeploy swaps groups each release and leaves the old
// one at weight 0, so names and positions mean nothing. A tie (50/50 mid-shift) has
// no single live group.
func assessLiveTargetGroup(fw []forward) (string, error) {
	if len(fw) == 0 {
		return "", fmt.Errorf("listener has no forward action")
	}
	sorted := append([]forward(nil), fw...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Weight > sorted[j].Weight })
	if sorted[0].Weight <= 0 {
		return "", fmt.Errorf("every target group has weight 0")
	}
	if len(sorted) > 1 && sorted[1].Weight == sorted[0].Weight {
		return "", fmt.Errorf("traffic is split evenly between %s and %s", sorted[0].TargetGroupArn, sorted[1].TargetGroupArn)
	}
	return sorted[0].TargetGroupArn, nil
}

// formatForwards renders weights as "name=90 name=10".
func formatForwards(fw []forward) string {
	parts := make([]string, len(fw))
	for i, f := range fw {
		parts[i] = fmt.Sprintf("%s=%d", targetGroupName(f.TargetGroupArn), f.Weight)
	}
	return strings.Join(parts, " ")
}

// targetGroupName extracts the name from a target group ARN
// (arn:…:targetgroup/NAME/ID); anything else is returned unchanged.
func targetGroupName(arn string) string {
	_, res, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(res, "/")
	return name
}

// arnResource returns what CloudWatch calls the dimension value for an ELB ARN:
// "targetgroup/name/id" for a target group, "app/name/id" for a load balancer.
func arnResource(arn string) string {
	i := strings.LastIndex(arn, ":")
	res := arn[i+1:]
	return strings.TrimPrefix(res, "loadbalancer/")
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
