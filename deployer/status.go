package deployer

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// StatusReport is what `deployer status` shows.
type StatusReport struct {
	Cluster                   string          `json:"cluster"`
	Service                   string          `json:"service"`
	TaskDefinitionArn         string          `json:"taskDefinitionArn"`
	Image                     string          `json:"image"`
	PreviousTaskDefinitionArn string          `json:"previousTaskDefinitionArn,omitempty"`
	DesiredCount              int32           `json:"desiredCount"`
	RunningCount              int32           `json:"runningCount"`
	Prod                      ListenerReport  `json:"prod"`
	Test                      ListenerReport  `json:"test"`
	Group                     *GroupSettings  `json:"group,omitempty"`
	InFlight                  *InFlightReport `json:"inFlight,omitempty"`
	LastSuccessful            *LastDeployment `json:"lastSuccessful,omitempty"`
	LastAttempted             *LastDeployment `json:"lastAttempted,omitempty"`
}

// ListenerReport is which target group a listener serves.
type ListenerReport struct {
	ListenerArn     string    `json:"listenerArn"`
	LiveTargetGroup string    `json:"liveTargetGroup,omitempty"`
	Forwards        []forward `json:"forwards,omitempty"`
	Error           string    `json:"error,omitempty"`
}

// InFlightReport is the group's deployment that has not ended.
type InFlightReport struct {
	DeploymentID      string        `json:"deploymentId"`
	Status            string        `json:"status"`
	Phase             Phase         `json:"phase"`
	Creator           string        `json:"creator,omitempty"`    // user, codeDeployRollback, …
	RollbackOf        string        `json:"rollbackOf,omitempty"` // set when this is CodeDeploy's rollback of that deployment
	Image             string        `json:"image,omitempty"`
	TaskDefinitionArn string        `json:"taskDefinitionArn,omitempty"`
	CreateTime        *time.Time    `json:"createTime,omitempty"`
	TaskSets          []string      `json:"taskSets,omitempty"`
	Events            []PhaseRecord `json:"events,omitempty"`
}

// LastDeployment is a past deployment of the group.
type LastDeployment struct {
	DeploymentID string     `json:"deploymentId"`
	Status       string     `json:"status"`
	EndTime      *time.Time `json:"endTime,omitempty"`
}

// Status reports the live release: task definition and image, which target group
// serves production and test, and any in-flight deployment with its phase.
func (d *Deployer) Status(ctx context.Context) *Result {
	res := d.newResult("status")
	defer func() { res.EndedAt = d.clock.Now() }()
	rep, err := d.status(ctx)
	if err != nil {
		return d.endBeforeDeployment(ctx, res, err)
	}
	res.Status = rep
	res.Outcome, res.ExitCode = OutcomeOK, ExitReleased
	return res
}

func (d *Deployer) status(ctx context.Context) (*StatusReport, error) {
	svc, err := d.describeService(ctx)
	if err != nil {
		return nil, err
	}
	rep := &StatusReport{Cluster: d.t.Cluster, Service: d.t.Service, TaskDefinitionArn: str(svc.TaskDefinition),
		DesiredCount: svc.DesiredCount, RunningCount: svc.RunningCount}
	td, tags, err := d.describeTaskDefinition(ctx, rep.TaskDefinitionArn)
	if err != nil {
		return nil, err
	}
	rep.Image = containerImage(td.ContainerDefinitions, d.t.ContainerName)
	rep.PreviousTaskDefinitionArn = previousTaskDefinition(tags)
	rep.Prod = d.listenerReport(ctx, d.t.ProdListenerArn)
	rep.Test = d.listenerReport(ctx, d.t.TestListenerArn)
	g, info, err := d.readGroup(ctx)
	if err != nil {
		return nil, err
	}
	rep.Group = &g
	rep.LastSuccessful, rep.LastAttempted = lastDeployment(info.LastSuccessfulDeployment), lastDeployment(info.LastAttemptedDeployment)
	if rep.InFlight, err = d.inFlight(ctx); err != nil {
		return nil, err
	}
	return rep, nil
}

func lastDeployment(l *cdtypes.LastDeploymentInfo) *LastDeployment {
	if l == nil || l.DeploymentId == nil {
		return nil
	}
	return &LastDeployment{DeploymentID: str(l.DeploymentId), Status: string(l.Status), EndTime: l.EndTime}
}

func (d *Deployer) listenerReport(ctx context.Context, arn string) ListenerReport {
	rep := ListenerReport{ListenerArn: arn}
	fw, err := d.listenerForwards(ctx, arn)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	rep.Forwards = fw
	live, err := assessLiveTargetGroup(fw)
	if err != nil {
		rep.Error = err.Error()
	}
	rep.LiveTargetGroup = live
	return rep
}

func (d *Deployer) inFlight(ctx context.Context) (*InFlightReport, error) {
	id, err := d.pickDeployment(ctx, "") // poll reads the deployment itself
	if err != nil || id == "" {
		return nil, err
	}
	s, err := d.poll(ctx, id)
	if err != nil {
		return nil, err
	}
	rep := &InFlightReport{DeploymentID: id, Status: string(s.Deployment.Status), Phase: assessDeployment(s.Deployment, s.Target), CreateTime: s.Deployment.CreateTime,
		Creator: string(s.Deployment.Creator), RollbackOf: rollbackOf(s.Deployment)}
	if arn, image, _, err := d.deploymentRelease(ctx, s.Deployment); err == nil {
		rep.TaskDefinitionArn, rep.Image = arn, image
	}
	facts := describeSnapshot(s)
	for _, k := range sortedKeys(facts) {
		if strings.HasPrefix(k, "taskset ") {
			rep.TaskSets = append(rep.TaskSets, strings.TrimPrefix(k, "taskset ")+": "+facts[k])
		}
	}
	rep.Events = phaseRecords(s.Target)
	return rep, nil
}

// writeText prints the status for people.
func (s *StatusReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "service         %s/%s (%d/%d running)\n", s.Cluster, s.Service, s.RunningCount, s.DesiredCount)
	fmt.Fprintf(w, "task definition %s\n", s.TaskDefinitionArn)
	fmt.Fprintf(w, "image           %s\n", s.Image)
	if s.PreviousTaskDefinitionArn != "" {
		fmt.Fprintf(w, "previous        %s\n", s.PreviousTaskDefinitionArn)
	}
	for _, l := range []struct {
		name string
		r    ListenerReport
	}{{"prod", s.Prod}, {"test", s.Test}} {
		line := targetGroupName(l.r.LiveTargetGroup)
		if len(l.r.Forwards) > 0 {
			line += " (" + formatForwards(l.r.Forwards) + ")"
		}
		if l.r.Error != "" {
			line += " [" + l.r.Error + "]"
		}
		fmt.Fprintf(w, "%-15s %s\n", l.name+" serves", line)
	}
	if s.InFlight == nil {
		fmt.Fprintln(w, "in flight       none")
	} else {
		f := s.InFlight
		fmt.Fprintf(w, "in flight       %s %s (phase %s) image %s\n", f.DeploymentID, f.Status, f.Phase, f.Image)
		if f.RollbackOf != "" {
			fmt.Fprintf(w, "                CodeDeploy's rollback of %s: follow it with `deployer status --follow --deployment-id %s`\n", f.RollbackOf, f.DeploymentID)
		}
		for _, ts := range f.TaskSets {
			fmt.Fprintf(w, "                %s\n", ts)
		}
		for _, ev := range f.Events {
			fmt.Fprintf(w, "                %-22s %s\n", ev.Name, ev.Status)
		}
	}
	for _, l := range []struct {
		name string
		d    *LastDeployment
	}{{"last succeeded", s.LastSuccessful}, {"last attempted", s.LastAttempted}} {
		if l.d != nil {
			fmt.Fprintf(w, "%-15s %s %s\n", l.name, l.d.DeploymentID, l.d.Status)
		}
	}
}
