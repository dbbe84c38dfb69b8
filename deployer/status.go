package deployer

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	rep := &StatusReport{Cluster: d.t.Cluster, Service: d.t.Service, TaskDefinitionArn: aws.ToString(svc.TaskDefinition),
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
	return &LastDeployment{DeploymentID: aws.ToString(l.DeploymentId), Status: string(l.Status), EndTime: l.EndTime}
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
	for _, k := range slices.Sorted(maps.Keys(facts)) {
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

// Follow is `status --follow`: it prints each change of the group's in-flight
// deployment (or of deploymentID, which may have ended already) until the
// deployment ends, then reports the final status. It writes nothing in AWS:
// nothing is continued, stopped or gated. Exit 0 when the deployment ended
// Succeeded (or none was in flight to follow), 1 otherwise; 4 when interrupted
// (the deployment carries on).
func (d *Deployer) Follow(ctx context.Context, deploymentID string) *Result {
	res := d.newResult("status")
	defer func() { res.EndedAt = d.clock.Now() }()
	id := deploymentID
	if id == "" {
		dep, err := d.activeDeployment(ctx)
		if err != nil {
			return d.endBeforeDeployment(ctx, res, err)
		}
		if dep == nil {
			return d.followEnded(ctx, res, nil, fmt.Sprintf("no deployment in flight in group %s; nothing to follow", d.t.DeploymentGroup))
		}
		id = aws.ToString(dep.DeploymentId)
	}
	res.DeploymentID = id
	d.log.Info("following the deployment, read-only: nothing is continued, stopped or gated", "deployment", id)
	r := &release{ID: id}
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	var ended *cdtypes.DeploymentInfo
	// A transient read error is retried for up to watchBlindLimit.
	err := d.waitFor(ctx, blindAfter(watchBlindLimit), func(ctx context.Context) (next, error) {
		snap, err := d.poll(ctx, id)
		if err != nil {
			return next{}, err
		}
		if d.observe(res, r, snap) {
			p.changed()
		}
		if assessDeployment(snap.Deployment, snap.Target).Terminal() {
			res.recordDiagnostics(snap.Deployment, snap.Target)
			ended = snap.Deployment
			return waitOver, nil
		}
		return lookAgainIn(p.next()), nil
	})
	if err != nil {
		return d.followStopped(ctx, res, err)
	}
	return d.followEnded(ctx, res, ended, "")
}

// watchBlindLimit is how long `status --follow` retries reads that keep failing.
const watchBlindLimit = 5 * time.Minute

// followStopped reports a follow cut short by an interrupt or a failed read.
func (d *Deployer) followStopped(ctx context.Context, res *Result, err error) *Result {
	if ctx.Err() != nil {
		res.Outcome, res.ExitCode = OutcomeInterrupted, ExitInterrupted
		res.Message = fmt.Sprintf("stopped following deployment %s; nothing was changed: it carries on in CodeDeploy", res.DeploymentID)
		return res
	}
	res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
	res.setError(fmt.Errorf("follow deployment %s: %w", res.DeploymentID, err))
	return res
}

// followEnded reports how the followed deployment ended (dep nil: there was none)
// with the status as it is now.
func (d *Deployer) followEnded(ctx context.Context, res *Result, dep *cdtypes.DeploymentInfo, msg string) *Result {
	rep, err := d.status(ctx)
	if err != nil {
		d.log.Warn("read the final status", "error", err.Error())
	}
	res.Status = rep
	res.Outcome, res.ExitCode, res.Message = OutcomeOK, ExitReleased, msg
	if dep == nil {
		return res
	}
	ok, msg := assessFollowEnd(dep)
	res.Message = msg
	if rb := dep.RollbackInfo; rb != nil && aws.ToString(rb.RollbackDeploymentId) != "" {
		res.Rollback = d.rollbackNow(ctx, aws.ToString(rb.RollbackDeploymentId))
	}
	if !ok {
		res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
		res.failure().Reason = msg
	}
	d.log.Info(msg, "deployment", aws.ToString(dep.DeploymentId))
	return res
}

// rollbackNow reads a rollback deployment's status once, without following it.
func (d *Deployer) rollbackNow(ctx context.Context, id string) *RollbackInfo {
	info := &RollbackInfo{DeploymentID: id, Status: "unknown"}
	dep, err := d.getDeployment(ctx, id)
	if err != nil {
		info.Message = err.Error()
		return info
	}
	info.Status = string(dep.Status)
	return info
}

// assessFollowEnd says how a followed deployment ended and whether that is
// success (it Succeeded). A rollback deployment that succeeded means production
// is back on the previous version; a deployment that was rolled back names its
// rollback deployment so the operator can follow that one.
func assessFollowEnd(dep *cdtypes.DeploymentInfo) (bool, string) {
	id := aws.ToString(dep.DeploymentId)
	what := "deployment " + id
	if of := rollbackOf(dep); of != "" {
		what = fmt.Sprintf("CodeDeploy's rollback deployment %s (of %s)", id, of)
	}
	msg := fmt.Sprintf("%s ended %s", what, dep.Status)
	if dep.Status == cdtypes.DeploymentStatusSucceeded {
		if rollbackOf(dep) != "" {
			msg += ": production is back on the previous version"
		}
		return true, msg
	}
	if ei := dep.ErrorInformation; ei != nil {
		msg += fmt.Sprintf(": %s: %s", ei.Code, aws.ToString(ei.Message))
	}
	if rb := dep.RollbackInfo; rb != nil && aws.ToString(rb.RollbackDeploymentId) != "" {
		msg += fmt.Sprintf("; CodeDeploy rolls it back with deployment %s: follow it with `deployer status --follow --deployment-id %s`",
			aws.ToString(rb.RollbackDeploymentId), aws.ToString(rb.RollbackDeploymentId))
	}
	return false, msg
}
