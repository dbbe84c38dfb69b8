package deployer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// rollBack stops the deployment with automatic rollback and follows the rollback
// deployment for at most limit. res.Rollback says how far it got.
func (d *Deployer) rollBack(ctx context.Context, res *Result, id string, limit time.Duration) error {
	// A signal landing now must not cut the stop short: it is what the signal asks for.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	out, err := d.c.CodeDeploy.StopDeployment(wctx, &codedeploy.StopDeploymentInput{DeploymentId: &id, AutoRollbackEnabled: aws.Bool(true)})
	cancel()
	switch {
	case hasCode(err, "DeploymentAlreadyCompletedException"):
		d.log.Warn("stop deployment: it had already ended", "deployment", id)
	case err != nil:
		err = awsError("stop deployment "+id, err)
		res.Rollback = &RollbackInfo{Status: "not-started", Message: err.Error()}
		d.log.Error("could not stop the deployment", "deployment", id, "error", err.Error())
		return err
	default:
		d.log.Info("stop requested with rollback", "deployment", id, "status", string(out.Status), "message", str(out.StatusMessage))
	}
	return d.followRollback(ctx, res, id, limit)
}

// followRollback waits for the deployment to name its rollback deployment and
// follows that one by id to its end. A rollback can finish within seconds and
// vanish from "active" lists, so it is never searched for.
func (d *Deployer) followRollback(ctx context.Context, res *Result, id string, limit time.Duration) error {
	deadline := d.clock.Now().Add(limit)
	rbID, err := d.awaitRollbackID(ctx, res, id, deadline)
	if err != nil || rbID == "" {
		return err
	}
	res.Rollback = &RollbackInfo{DeploymentID: rbID, Status: "Created"}
	d.log.Info("following the rollback deployment", "rollback", rbID, "of", id)
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	var sg sight
	for {
		out, err := d.c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &rbID})
		if err != nil {
			if err = d.retryRead(ctx, &sg, readError("get rollback deployment "+rbID, err), deadline); err != nil {
				res.Rollback.Message = "stopped following: " + err.Error()
				return err
			}
			continue
		}
		sg.clear()
		dep := out.DeploymentInfo
		if string(dep.Status) != res.Rollback.Status {
			res.Rollback.Status = string(dep.Status)
			d.log.Info("rollback deployment", "rollback", rbID, "status", res.Rollback.Status)
			p.changed()
		}
		if assessDeployment(dep, nil).Terminal() {
			if dep.ErrorInformation != nil {
				res.Rollback.Message = fmt.Sprintf("%s: %s", dep.ErrorInformation.Code, str(dep.ErrorInformation.Message))
			}
			if dep.Status != cdtypes.DeploymentStatusSucceeded {
				d.log.Error("ROLLBACK DID NOT SUCCEED: production may still be on green; check `deployer status`", "rollback", rbID, "status", res.Rollback.Status)
			}
			return nil
		}
		if d.clock.Now().After(deadline) {
			res.Rollback.Message = fmt.Sprintf("still %s after %s; it continues in CodeDeploy", dep.Status, limit)
			return nil
		}
		if err := d.clock.Sleep(ctx, p.next()); err != nil {
			res.Rollback.Message = "stopped following: " + err.Error()
			return err
		}
	}
}

// awaitRollbackID polls the stopped deployment until rollbackInfo names the
// rollback deployment. It gives up (empty id) when the deployment ended and still
// names none after a few polls, or at the deadline.
func (d *Deployer) awaitRollbackID(ctx context.Context, res *Result, id string, deadline time.Time) (string, error) {
	endedPolls := 0
	var sg sight
	for {
		out, err := d.c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
		if err != nil {
			if err = d.retryRead(ctx, &sg, readError("get deployment "+id, err), deadline); err != nil {
				return "", err
			}
			continue
		}
		sg.clear()
		dep := out.DeploymentInfo
		if rb := dep.RollbackInfo; rb != nil && str(rb.RollbackDeploymentId) != "" {
			return str(rb.RollbackDeploymentId), nil
		}
		if assessDeployment(dep, nil).Terminal() {
			if endedPolls++; endedPolls > 5 {
				msg := "CodeDeploy created no rollback deployment"
				if dep.RollbackInfo != nil && str(dep.RollbackInfo.RollbackMessage) != "" {
					msg = str(dep.RollbackInfo.RollbackMessage)
				}
				res.Rollback = &RollbackInfo{Status: "none", Message: fmt.Sprintf("deployment %s ended %s; %s", id, dep.Status, msg)}
				return "", nil
			}
		}
		if d.clock.Now().After(deadline) {
			res.Rollback = &RollbackInfo{Status: "pending", Message: "stop requested; CodeDeploy had not named a rollback deployment yet"}
			return "", nil
		}
		if err := d.clock.Sleep(ctx, d.o.PollInterval); err != nil {
			return "", err
		}
	}
}

// finish reports a deployment that ended on its own: released (after checking
// production really serves a healthy green), or failed/stopped by CodeDeploy
// (alarm, ready-wait timeout, hook failure, an operator) and rolled back.
func (d *Deployer) finish(ctx context.Context, res *Result, r *release, s snapshot, phase Phase) error {
	res.recordEvents(s.Target)
	if phase == PhaseSucceeded {
		if !r.gate2Done && d.o.Soak > 0 {
			now := d.clock.Now()
			res.Gates = append(res.Gates, &GateResult{Name: GateSoak, Verdict: "incomplete", Start: now, End: now,
				Reason: "the deployment left the termination wait before gate 2 began (continued by hand, or a termination wait shorter than a poll)"})
		}
		d.verifyReleased(ctx, res, r, s)
		return nil
	}
	res.recordDiagnostics(s.Deployment, s.Target)
	f := res.failure()
	f.StoppedTasks = r.stopped
	f.Reason = fmt.Sprintf("CodeDeploy ended deployment %s as %s", r.ID, s.Deployment.Status)
	if f.ErrorCode != "" {
		f.Reason += fmt.Sprintf(": %s: %s", f.ErrorCode, f.ErrorMessage)
	}
	res.Message = f.Reason
	d.log.Error("deployment ended without release", "deployment", r.ID, "status", string(s.Deployment.Status), "reason", f.Reason)
	res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
	if err := d.followRollback(ctx, res, r.ID, d.o.RollbackTimeout); err != nil {
		return err
	}
	if res.Rollback != nil && res.Rollback.Status == string(cdtypes.DeploymentStatusSucceeded) {
		res.Outcome = OutcomeRolledBack
	}
	return nil
}

// verifyReleased checks what CodeDeploy reports as success: production forwards to
// green and green's targets are healthy (CodeDeploy has reported success with
// unhealthy replacement tasks, aws/containers-roadmap#1941). Unhealthy targets are
// outcome unhealthy_after_release: blue is gone, only a redeploy undoes it.
func (d *Deployer) verifyReleased(ctx context.Context, res *Result, r *release, s snapshot) {
	fail := func(msg string) {
		res.Outcome, res.ExitCode, res.Message = OutcomeFailed, ExitFailed, msg
		res.failure().Reason = msg
		d.log.Error(msg)
	}
	var fw []forward
	var sg sight
	deadline := d.clock.Now().Add(verifyTimeout)
	for {
		var err error
		if fw, err = d.listenerForwards(ctx, d.t.ProdListenerArn); err == nil {
			break
		}
		if err = d.retryRead(ctx, &sg, err, deadline); err != nil {
			fail("CodeDeploy reports success but production could not be verified: " + err.Error())
			return
		}
	}
	live, err := assessLiveTargetGroup(fw)
	if err == nil && r.green != nil && live != r.green.Arn {
		err = fmt.Errorf("production forwards %s, not to green %s", formatForwards(fw), r.green.Name)
	}
	if err != nil {
		fail("CodeDeploy reports success but " + err.Error())
		return
	}
	var v healthVerdict
	for sg.clear(); ; {
		if v, err = d.targetHealth(ctx, live, d.desiredNow(ctx, r, s)); err == nil {
			break
		}
		if err = d.retryRead(ctx, &sg, err, deadline); err != nil {
			fail("CodeDeploy reports success but production could not be verified: " + err.Error())
			return
		}
	}
	if !v.OK {
		detail := v.String()
		res.failure().TargetHealth = v.Problems
		fail(fmt.Sprintf("CodeDeploy reports success but production target group %s is not healthy (%s)", targetGroupName(live), detail))
		res.Outcome = OutcomeUnhealthyAfterRelease
		res.Message += "; blue is already gone, so there is no fast rollback: run `" + undoCommand(res.PreviousTaskDefinitionArn) +
			"` now (add your --stack-outputs and CI's gate flags) to redeploy the previous task definition through the gates"
		return
	}
	if ok, why := assessReleaseVerified(res.Gates, d.o.Soak); !ok {
		res.Outcome, res.ExitCode = OutcomeReleasedUnverified, ExitFailed
		res.Message = fmt.Sprintf("released %s but gate 2 did not verify it: %s; production forwards to %s, %s, and blue is gone: "+
			"watch it, and if it misbehaves run `%s`", r.Image, why, targetGroupName(live), v, undoCommand(res.PreviousTaskDefinitionArn))
		res.failure().Reason = "gate 2 did not verify the release: " + why
		d.log.Error(res.Message, "deployment", r.ID)
		return
	}
	res.Outcome, res.ExitCode = OutcomeReleased, ExitReleased
	res.Message = fmt.Sprintf("released %s: production forwards to %s, %s", r.Image, targetGroupName(live), v)
	d.log.Info(res.Message, "deployment", r.ID)
}

// verifyTimeout bounds the retries of the reads that check production after
// CodeDeploy reported success.
const verifyTimeout = 2 * time.Minute

// assessReleaseVerified decides whether a release CodeDeploy finished kept the
// promise that blue goes only after green held: with a soak asked for (--soak > 0),
// gate 2 must have passed. An incomplete or missing gate 2 (the termination wait
// ended early, by hand or by CodeDeploy) is released but unverified, and CI must
// see it. --soak 0 asks for no verification, and gate 1 skipped by
// --allow-ungated-traffic was the operator's explicit choice.
func assessReleaseVerified(gates []*GateResult, soak time.Duration) (bool, string) {
	if soak <= 0 {
		return true, ""
	}
	for _, g := range gates {
		if g.Name != GateSoak {
			continue
		}
		if g.Verdict == "pass" {
			return true, ""
		}
		return false, g.Reason
	}
	return false, "gate 2 did not run"
}

// desiredNow is how many tasks production should have now: the service's desired
// count re-read (autoscaling may have scaled in or out since the release began),
// else the green task set's desired count from the last poll, else the count at the
// start.
func (d *Deployer) desiredNow(ctx context.Context, r *release, s snapshot) int {
	svc, err := d.describeService(ctx)
	if err == nil {
		return int(svc.DesiredCount)
	}
	d.log.Warn("re-read the service's desired count; using the task set's", "error", err.Error())
	return desiredOf(taskSet(s.Target, cdtypes.TargetLabelGreen), r)
}

// undoCommand is the command that redeploys the previous task definition after
// blue is gone. It names the revision: one released with --task-definition-arn
// carries no deployer:previous-task-definition tag for `rollback` to find.
func undoCommand(previous string) string {
	if previous == "" {
		return "deployer rollback"
	}
	return "deployer rollback --to-task-definition " + previous
}

// Rollback returns production to the previous version: an in-flight deployment
// (including one in its termination wait; deploymentID, when given, must be it) is
// stopped with rollback to blue, unless it is CodeDeploy's own rollback deployment,
// which is refused; after blue is gone, the recorded previous task definition (tag
// deployer:previous-task-definition on the live one, or toTaskDefinition) is
// deployed through the same gates, without waiting for the group's alarms and with
// them turned off for that deployment (DeployRequest.OverrideAlarms): they fire
// because production is failing. Exit 0 means production is on the previous
// version.
func (d *Deployer) Rollback(ctx context.Context, deploymentID, toTaskDefinition string, req DeployRequest) *Result {
	res := d.newResult("rollback")
	id, err := d.pickStopTarget(ctx, deploymentID)
	if err != nil {
		return d.refuseStop(ctx, res, err)
	}
	if id != "" {
		return d.stopCommand(ctx, res, id)
	}
	target := toTaskDefinition
	if target == "" {
		svc, err := d.describeService(ctx)
		if err != nil {
			return d.endBeforeDeployment(ctx, res, err)
		}
		_, tags, err := d.describeTaskDefinition(ctx, str(svc.TaskDefinition))
		if err != nil {
			return d.endBeforeDeployment(ctx, res, err)
		}
		if target = previousTaskDefinition(tags); target == "" {
			return d.endBeforeDeployment(ctx, res, fmt.Errorf("nothing in flight, and live task definition %s records no previous one (tag %s); pass --to-task-definition ARN", str(svc.TaskDefinition), TagPreviousTaskDefinition))
		}
	}
	d.log.Info("no deployment in flight: redeploying the previous task definition", "taskDefinition", target)
	req.TaskDefinitionArn, req.OverrideAlarms = target, true
	out := d.Deploy(ctx, req)
	out.Command = "rollback"
	return out
}

// stopCommand stops deployment id with rollback and follows the rollback (abort,
// and rollback while a deployment is in flight).
func (d *Deployer) stopCommand(ctx context.Context, res *Result, id string) *Result {
	defer func() { res.EndedAt = d.clock.Now() }()
	res.DeploymentID = id
	err := d.rollBack(ctx, res, id, d.o.RollbackTimeout)
	switch {
	case ctx.Err() != nil:
		res.Outcome, res.ExitCode = OutcomeInterrupted, ExitInterrupted
		res.Message = fmt.Sprintf("interrupted while following the rollback of %s; it continues in CodeDeploy", id)
	case err != nil:
		res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
		res.setError(err)
	case res.Rollback != nil && res.Rollback.Status == string(cdtypes.DeploymentStatusSucceeded):
		res.Outcome, res.ExitCode = OutcomeRolledBack, ExitReleased
		res.Message = fmt.Sprintf("deployment %s stopped; rollback %s succeeded: production is on the previous version", id, res.Rollback.DeploymentID)
	default:
		res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
		if res.Rollback != nil {
			res.Message = strings.TrimSpace(fmt.Sprintf("deployment %s stopped; rollback %s: %s %s", id, res.Rollback.DeploymentID, res.Rollback.Status, res.Rollback.Message))
		}
	}
	return res
}
