package deployer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// finish reports a deployment that ended on its own: released (after checking
// production really serves a healthy green), or failed/stopped by CodeDeploy
// (alarm, ready-wait timeout, hook failure, an operator) and rolled back.
func (d *Deployer) finish(ctx context.Context, res *Result, r *release, s snapshot, phase Phase) error {
	res.recordEvents(s.Target)
	if phase == PhaseSucceeded {
		if !r.gate2Done && d.o.Soak > 0 {
			now := d.clock.Now()
			res.Gates = append(res.Gates, &GateResult{Name: GateSoak, Verdict: "incomplete", Start: now, End: now, MinutesJudged: intPtr(0),
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
// green, serves only the released task set's tasks (otherTargets), and green's
// targets are healthy (CodeDeploy has reported success with unhealthy
// replacement tasks, aws/containers-roadmap#1941). Unhealthy targets are
// outcome unhealthy_after_release: blue is gone, only a redeploy undoes it.
func (d *Deployer) verifyReleased(ctx context.Context, res *Result, r *release, s snapshot) {
	fail := func(msg string) {
		res.Outcome, res.ExitCode, res.Message = OutcomeFailed, ExitFailed, msg
		res.failure().Reason = msg
		d.log.Error(msg)
	}
	var fw []forward
	deadline := d.clock.Now().Add(verifyTimeout)
	if err := d.waitForRead(ctx, blindAt(deadline), func(ctx context.Context) (err error) {
		fw, err = d.listenerForwards(ctx, d.t.ProdListenerArn)
		return err
	}); err != nil {
		fail("CodeDeploy reports success but production could not be verified: " + err.Error())
		return
	}
	live, err := assessLiveTargetGroup(fw)
	if err == nil && r.green != nil && live != r.green.Arn {
		err = fmt.Errorf("production forwards %s, not to green %s", formatForwards(fw), r.green.Name)
	}
	if err != nil {
		fail("CodeDeploy reports success but " + err.Error())
		return
	}
	v, other, err := d.readLiveTargets(ctx, r, s, live, deadline)
	if err != nil {
		fail("CodeDeploy reports success but production could not be verified: " + err.Error())
		return
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
	if len(other) > 0 {
		res.failure().TargetHealth = other
		fail(fmt.Sprintf("CodeDeploy reports success but production target group %s also serves tasks that are not the released task set's (%s): %s; "+
			"production answers with more than one version (tasks left from an earlier release, or a deployment stopped without rollback): "+
			"see them with `deployer status`, then release again", targetGroupName(live), arnTail(r.TaskDefArn), strings.Join(other, "; ")))
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

// readLiveTargets reads production's target group live: its health against the
// service's desired count now, and its targets that are not the release's
// (otherTargets), retrying failed reads until deadline.
func (d *Deployer) readLiveTargets(ctx context.Context, r *release, s snapshot, live string, deadline time.Time) (v healthVerdict, other []string, err error) {
	err = d.waitForRead(ctx, blindAt(deadline), func(ctx context.Context) error {
		descs, err := d.describeTargetHealth(ctx, live)
		if err != nil {
			return err
		}
		v = assessTargetHealth(descs, d.desiredNow(ctx, r, s))
		other, err = d.otherTargets(ctx, r, s, descs)
		return err
	})
	return v, other, err
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

// conclude turns the end of follow into the result: rolls back after a failed
// gate, a timeout or an unexpected error, and handles interrupts.
func (d *Deployer) conclude(ctx context.Context, res *Result, r *release, err error) *Result {
	defer func() { res.EndedAt = d.clock.Now() }()
	if err == nil {
		return res
	}
	if ctx.Err() != nil {
		d.interrupted(ctx, res, r)
		return res
	}
	f := res.failure()
	f.Reason, f.StoppedTasks = err.Error(), r.stopped
	res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
	var ge *GateError
	var blind *BlindError
	switch {
	case errors.As(err, &blind):
		d.leftBlind(res, r, blind)
		return res
	case errors.As(err, &ge):
		res.Message = err.Error()
	case errors.Is(err, errBudgetExceeded):
		res.Outcome, res.ExitCode = OutcomeTimedOut, ExitTimedOut
		res.Message = fmt.Sprintf("%s (%s)", err, res.Budget)
	default:
		res.setError(err)
	}
	d.log.Error("stopping the deployment and rolling back", "deployment", r.ID, "reason", res.Message)
	if rbErr := d.rollBack(ctx, res, r.ID, d.o.RollbackTimeout); rbErr == nil && res.Rollback != nil && res.Rollback.Status == string(cdtypes.DeploymentStatusSucceeded) && res.Outcome == OutcomeFailed {
		res.Outcome = OutcomeRolledBack
	}
	return res
}

// leftBlind reports a release the deployer could no longer see: exit 1, the
// deployment left as it is (neither stopped nor continued), and what to do.
func (d *Deployer) leftBlind(res *Result, r *release, blind *BlindError) {
	res.setError(blind)
	res.Message = fmt.Sprintf("%s; deployment %s was left as it is, neither rolled back nor promoted (not seeing is no verdict on green): "+
		"check it with `deployer status`, then roll back with `deployer abort --deployment-id %s`, promote with `deployer continue --deployment-id %s --wait ready|termination`, "+
		"or re-run the same `deployer deploy` to resume gating", blind, r.ID, r.ID, r.ID)
	d.log.Error(res.Message)
}

// interrupted handles SIGINT/SIGTERM after a deployment exists: stop and roll back
// within the interrupt grace (default), or detach and say how to resume.
func (d *Deployer) interrupted(ctx context.Context, res *Result, r *release) {
	res.Outcome, res.ExitCode = OutcomeInterrupted, ExitInterrupted
	if d.o.OnInterrupt == "detach" {
		res.Outcome = OutcomeDetached
		res.Message = fmt.Sprintf("interrupted: detached from deployment %s, which continues in CodeDeploy without our gates. "+
			"Resume gating by running the same `deployer deploy` command (it attaches to the in-flight deployment of the same image); "+
			"follow it with `deployer status --follow`; stop it with `deployer abort --deployment-id %s`", r.ID, r.ID)
		d.log.Warn(res.Message)
		return
	}
	d.log.Warn("interrupted: stopping the deployment and rolling back", "deployment", r.ID, "grace", d.o.InterruptGrace.String())
	sctx, cancel := withTimeout(context.WithoutCancel(ctx), d.clock, d.o.InterruptGrace+5*time.Second)
	defer cancel()
	err := d.rollBack(sctx, res, r.ID, d.o.InterruptGrace)
	rb := res.Rollback
	switch {
	case err != nil:
		res.Message = fmt.Sprintf("could not stop deployment %s after the interrupt: %v; stop it with `deployer abort --deployment-id %s`", r.ID, err, r.ID)
	case rb != nil && rb.Status == string(cdtypes.DeploymentStatusSucceeded):
		res.Message = fmt.Sprintf("stopped deployment %s; rollback %s succeeded: production is on the previous version", r.ID, rb.DeploymentID)
	case rb != nil && rb.DeploymentID != "":
		res.Message = fmt.Sprintf("stopped deployment %s; rollback %s is %s and continues in CodeDeploy; follow it with `deployer status --follow --deployment-id %s`", r.ID, rb.DeploymentID, rb.Status, rb.DeploymentID)
	default:
		res.Message = fmt.Sprintf("stop of deployment %s requested; check it with `deployer status`", r.ID)
	}
	d.log.Warn(res.Message)
}
