package deployer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

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
	parts := []string{"task " + arnTail(s.TaskArn) + ": " + s.StopCode}
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

// arnTail is what follows an ARN's last slash: a task's id, a task
// definition's family:revision.
func arnTail(arn string) string {
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
		if aws.ToString(t.TaskDefinitionArn) != taskDefArn {
			continue
		}
		if t.CreatedAt != nil && t.CreatedAt.Before(since) {
			continue
		}
		if !taskFailed(t) {
			continue
		}
		st := StoppedTask{TaskArn: aws.ToString(t.TaskArn), StopCode: string(t.StopCode), StoppedReason: aws.ToString(t.StoppedReason), StoppedAt: t.StoppedAt}
		for _, c := range t.Containers {
			st.Containers = append(st.Containers, StoppedDetails{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason)})
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
		r := strings.ToLower(aws.ToString(t.StoppedReason))
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

// checkStoppedTasks looks for green tasks that stopped because they failed. Only
// newly stopped task ARNs are described.
func (d *Deployer) checkStoppedTasks(ctx context.Context, r *release) error {
	arns, err := d.listTasks(ctx, ecstypes.DesiredStatusStopped)
	if err != nil {
		return err
	}
	if r.seenStopped == nil {
		r.seenStopped = map[string]bool{}
	}
	var fresh []string
	for _, arn := range arns {
		if !r.seenStopped[arn] {
			fresh = append(fresh, arn)
		}
	}
	var tasks []ecstypes.Task
	for i := 0; i < len(fresh); i += 100 { // DescribeTasks takes at most 100 tasks
		batch := fresh[i:min(i+100, len(fresh))]
		described, err := d.describeTasks(ctx, batch)
		if err != nil {
			return err
		}
		for _, arn := range batch { // seen only once described: a failed read is retried
			r.seenStopped[arn] = true
		}
		tasks = append(tasks, described...)
	}
	if len(tasks) == 0 {
		return nil
	}
	since := r.createdAt
	if since.IsZero() {
		since = r.installStart
	}
	since = since.Add(-time.Minute) // clock skew between us and AWS
	for _, st := range assessStoppedTasks(tasks, r.TaskDefArn, since) {
		d.log.Warn("green task stopped", "task", arnTail(st.TaskArn), "detail", st.String())
		r.stopped = append(r.stopped, st)
	}
	if len(r.stopped) > d.o.MaxGreenTaskStops {
		return &GateError{Gate: "green-tasks", Reason: fmt.Sprintf("%d green task(s) stopped: %s", len(r.stopped), r.stopped[len(r.stopped)-1])}
	}
	return nil
}
