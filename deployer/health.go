package deployer

import (
	"fmt"
	"sort"
	"strings"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// healthVerdict is the state of a target group's targets against what the task set
// wants.
type healthVerdict struct {
	Healthy  int      `json:"healthy"`
	Desired  int      `json:"desired"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
}

// String renders "2/3 healthy; 10.0.1.7:8080 unhealthy (Target.Timeout)".
func (v healthVerdict) String() string {
	s := fmt.Sprintf("%d/%d healthy", v.Healthy, v.Desired)
	if len(v.Problems) > 0 {
		s += "; " + strings.Join(v.Problems, "; ")
	}
	return s
}

// assessTargetHealth decides whether all desired targets are healthy: at least
// desired targets are healthy and none is unhealthy. Draining targets (old tasks
// leaving) do not count either way; initial/unused/unavailable targets are listed
// as problems but only block by not being healthy.
func assessTargetHealth(descs []elbv2types.TargetHealthDescription, desired int) healthVerdict {
	v := healthVerdict{Desired: desired}
	unhealthy := 0
	for _, d := range descs {
		if d.TargetHealth == nil {
			continue
		}
		th := d.TargetHealth
		switch th.State {
		case elbv2types.TargetHealthStateEnumHealthy:
			v.Healthy++
			continue
		case elbv2types.TargetHealthStateEnumDraining:
			continue
		case elbv2types.TargetHealthStateEnumUnhealthy:
			unhealthy++
		}
		v.Problems = append(v.Problems, fmt.Sprintf("%s %s%s", targetID(d.Target), th.State, reasonSuffix(th)))
	}
	sort.Strings(v.Problems)
	switch {
	case desired <= 0:
		v.Problems = append(v.Problems, "the task set wants no tasks")
	case v.Healthy >= desired && unhealthy == 0:
		v.OK = true
	}
	return v
}

func targetID(t *elbv2types.TargetDescription) string {
	if t == nil {
		return "?"
	}
	if t.Port != nil {
		return fmt.Sprintf("%s:%d", str(t.Id), *t.Port)
	}
	return str(t.Id)
}

func reasonSuffix(th *elbv2types.TargetHealth) string {
	switch {
	case th.Reason != "" && str(th.Description) != "":
		return fmt.Sprintf(" (%s: %s)", th.Reason, str(th.Description))
	case th.Reason != "":
		return fmt.Sprintf(" (%s)", th.Reason)
	}
	return ""
}

// StoppedTask is a green task that stopped, with why.
type StoppedTask struct {
	TaskArn       string           `json:"taskArn"`
	StopCode      string           `json:"stopCode,omitempty"`
	StoppedReason string           `json:"stoppedReason,omitempty"`
	Containers    []StoppedDetails `json:"containers,omitempty"`
	StoppedAt     *time.Time       `json:"stoppedAt,omitempty"`
}

// StoppedDetails is one container of a stopped task.
type StoppedDetails struct {
	Name     string `json:"name"`
	ExitCode *int32 `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// String renders "task abc: EssentialContainerExited: Essential container in task exited; model exit 137 (OOM?)".
func (s StoppedTask) String() string {
	parts := []string{"task " + shortTaskID(s.TaskArn) + ": " + s.StopCode}
	if s.StoppedReason != "" {
		parts[0] += ": " + s.StoppedReason
	}
	for _, c := range s.Containers {
		if c.ExitCode == nil && c.Reason == "" {
			continue
		}
		line := c.Name
		if c.ExitCode != nil {
			line += fmt.Sprintf(" exit %d", *c.ExitCode)
			if *c.ExitCode == 137 {
				line += " (SIGKILL: out of memory or killed)"
			}
		}
		if c.Reason != "" {
			line += " " + c.Reason
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, "; ")
}

func shortTaskID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// assessStoppedTasks picks the green tasks (running taskDefArn, created since the
// deployment began) that stopped because they failed: the container exited, the
// task failed to start, or the scheduler replaced it after failed health checks.
// Scale-in and user stops are not failures.
func assessStoppedTasks(tasks []ecstypes.Task, taskDefArn string, since time.Time) []StoppedTask {
	var out []StoppedTask
	for _, t := range tasks {
		if str(t.TaskDefinitionArn) != taskDefArn {
			continue
		}
		if t.CreatedAt != nil && t.CreatedAt.Before(since) {
			continue
		}
		if !taskFailed(t) {
			continue
		}
		st := StoppedTask{TaskArn: str(t.TaskArn), StopCode: string(t.StopCode), StoppedReason: str(t.StoppedReason), StoppedAt: t.StoppedAt}
		for _, c := range t.Containers {
			st.Containers = append(st.Containers, StoppedDetails{Name: str(c.Name), ExitCode: c.ExitCode, Reason: str(c.Reason)})
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TaskArn < out[j].TaskArn })
	return out
}

func taskFailed(t ecstypes.Task) bool {
	switch t.StopCode {
	case ecstypes.TaskStopCodeEssentialContainerExited, ecstypes.TaskStopCodeTaskFailedToStart:
		return true
	case ecstypes.TaskStopCodeServiceSchedulerInitiated:
		r := strings.ToLower(str(t.StoppedReason))
		return strings.Contains(r, "health check")
	case "":
	default:
		return false // UserInitiated, SpotInterruption, TerminationNotice
	}
	for _, c := range t.Containers {
		if c.ExitCode != nil && *c.ExitCode != 0 {
			return true
		}
	}
	return false
}
