package deployer

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

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
		id = str(dep.DeploymentId)
	}
	res.DeploymentID = id
	d.log.Info("following the deployment, read-only: nothing is continued, stopped or gated", "deployment", id)
	r := &release{ID: id}
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	var sg sight
	for {
		snap, err := d.poll(ctx, id)
		if err != nil {
			since := sg.since // a transient read error is retried for up to watchBlindLimit
			if since.IsZero() {
				since = d.clock.Now()
			}
			if err = d.retryRead(ctx, &sg, err, since.Add(watchBlindLimit)); err != nil {
				return d.followStopped(ctx, res, err)
			}
			continue
		}
		sg.clear()
		if d.observe(res, r, snap) {
			p.changed()
		}
		if assessDeployment(snap.Deployment, snap.Target).Terminal() {
			res.recordDiagnostics(snap.Deployment, snap.Target)
			return d.followEnded(ctx, res, snap.Deployment, "")
		}
		if err := d.clock.Sleep(ctx, p.next()); err != nil {
			return d.followStopped(ctx, res, err)
		}
	}
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
	if rb := dep.RollbackInfo; rb != nil && str(rb.RollbackDeploymentId) != "" {
		res.Rollback = d.rollbackNow(ctx, str(rb.RollbackDeploymentId))
	}
	if !ok {
		res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
		res.failure().Reason = msg
	}
	d.log.Info(msg, "deployment", str(dep.DeploymentId))
	return res
}

// rollbackNow reads a rollback deployment's status once, without following it.
func (d *Deployer) rollbackNow(ctx context.Context, id string) *RollbackInfo {
	info := &RollbackInfo{DeploymentID: id, Status: "unknown"}
	out, err := d.c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
	if err != nil {
		info.Message = awsError("get rollback deployment "+id, err).Error()
		return info
	}
	info.Status = string(out.DeploymentInfo.Status)
	return info
}

// assessFollowEnd says how a followed deployment ended and whether that is
// success (it Succeeded). A rollback deployment that succeeded means production
// is back on the previous version; a deployment that was rolled back names its
// rollback deployment so the operator can follow that one.
func assessFollowEnd(dep *cdtypes.DeploymentInfo) (bool, string) {
	id := str(dep.DeploymentId)
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
		msg += fmt.Sprintf(": %s: %s", ei.Code, str(ei.Message))
	}
	if rb := dep.RollbackInfo; rb != nil && str(rb.RollbackDeploymentId) != "" {
		msg += fmt.Sprintf("; CodeDeploy rolls it back with deployment %s: follow it with `deployer status --follow --deployment-id %s`",
			str(rb.RollbackDeploymentId), str(rb.RollbackDeploymentId))
	}
	return false, msg
}

// rollbackOf returns the deployment a CodeDeploy rollback deployment rolls back
// ("" when dep is not one): its creator is codeDeployRollback and its
// rollbackInfo names the triggering deployment.
func rollbackOf(dep *cdtypes.DeploymentInfo) string {
	var of string
	if rb := dep.RollbackInfo; rb != nil {
		of = str(rb.RollbackTriggeringDeploymentId)
	}
	if of == "" && dep.Creator == cdtypes.DeploymentCreatorCodeDeployRollback {
		of = "an earlier deployment"
	}
	return of
}
