package deployer

import (
	"context"
	"errors"
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
	wctx, cancel := withTimeout(context.WithoutCancel(ctx), d.clock, writeTimeout)
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
		d.log.Info("stop requested with rollback", "deployment", id, "status", string(out.Status), "message", aws.ToString(out.StatusMessage))
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
	err = d.waitFor(ctx, blindAt(deadline), func(ctx context.Context) (next, error) {
		dep, err := d.getDeployment(ctx, rbID)
		if err != nil {
			return next{}, err
		}
		if string(dep.Status) != res.Rollback.Status {
			res.Rollback.Status = string(dep.Status)
			d.log.Info("rollback deployment", "rollback", rbID, "status", res.Rollback.Status)
			p.changed()
		}
		if assessDeployment(dep, nil).Terminal() {
			if dep.ErrorInformation != nil {
				res.Rollback.Message = fmt.Sprintf("%s: %s", dep.ErrorInformation.Code, aws.ToString(dep.ErrorInformation.Message))
			}
			if dep.Status != cdtypes.DeploymentStatusSucceeded {
				d.log.Error("ROLLBACK DID NOT SUCCEED: production may still be on green; check `deployer status`", "rollback", rbID, "status", res.Rollback.Status)
			}
			return waitOver, nil
		}
		if d.clock.Now().After(deadline) {
			res.Rollback.Message = fmt.Sprintf("still %s after %s; it continues in CodeDeploy", dep.Status, limit)
			return waitOver, nil
		}
		return lookAgainIn(p.next()), nil
	})
	if err != nil {
		res.Rollback.Message = "stopped following: " + err.Error()
	}
	return err
}

// awaitRollbackID polls the stopped deployment until rollbackInfo names the
// rollback deployment. It gives up (empty id) when the deployment ended and still
// names none after a few polls, or at the deadline.
func (d *Deployer) awaitRollbackID(ctx context.Context, res *Result, id string, deadline time.Time) (string, error) {
	endedPolls, rbID := 0, ""
	err := d.waitFor(ctx, blindAt(deadline), func(ctx context.Context) (next, error) {
		dep, err := d.getDeployment(ctx, id)
		if err != nil {
			return next{}, err
		}
		if rb := dep.RollbackInfo; rb != nil && aws.ToString(rb.RollbackDeploymentId) != "" {
			rbID = aws.ToString(rb.RollbackDeploymentId)
			return waitOver, nil
		}
		if assessDeployment(dep, nil).Terminal() {
			if endedPolls++; endedPolls > 5 {
				msg := "CodeDeploy created no rollback deployment"
				if dep.RollbackInfo != nil && aws.ToString(dep.RollbackInfo.RollbackMessage) != "" {
					msg = aws.ToString(dep.RollbackInfo.RollbackMessage)
				}
				res.Rollback = &RollbackInfo{Status: "none", Message: fmt.Sprintf("deployment %s ended %s; %s", id, dep.Status, msg)}
				return waitOver, nil
			}
		}
		if d.clock.Now().After(deadline) {
			res.Rollback = &RollbackInfo{Status: "pending", Message: "stop requested; CodeDeploy had not named a rollback deployment yet"}
			return waitOver, nil
		}
		return lookAgainIn(d.o.PollInterval), nil
	})
	return rbID, err
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

// pickStopTarget returns the deployment abort or rollback may stop: the group's
// in-flight deployment ("" when there is none), checked by assessStopTarget.
func (d *Deployer) pickStopTarget(ctx context.Context, pinned string) (string, error) {
	dep, err := d.activeDeployment(ctx)
	if err != nil {
		return "", err
	}
	return assessStopTarget(dep, pinned)
}

// assessStopTarget decides whether the in-flight deployment (nil: none) may be
// stopped with rollback. A pinned id must be that deployment: a deployment that
// ended or was replaced meanwhile is never acted on by mistake. CodeDeploy's own
// rollback deployment is refused: it is already taking production back, and
// stopping it would leave production between the two versions.
func assessStopTarget(inFlight *cdtypes.DeploymentInfo, pinned string) (string, error) {
	if inFlight == nil {
		if pinned != "" {
			return "", fmt.Errorf("deployment %s is not in flight (the group has none): nothing stopped; see how it ended with `deployer status --follow --deployment-id %s`", pinned, pinned)
		}
		return "", nil
	}
	id := aws.ToString(inFlight.DeploymentId)
	if pinned != "" && pinned != id {
		return "", fmt.Errorf("deployment %s is not the group's in-flight deployment (that is %s, %s): nothing stopped; check `deployer status`", pinned, id, inFlight.Status)
	}
	if of := rollbackOf(inFlight); of != "" {
		return "", &RollbackInFlightError{DeploymentID: id, RollbackOf: of}
	}
	return id, nil
}

// refuseStop reports an abort or rollback that stopped nothing.
func (d *Deployer) refuseStop(ctx context.Context, res *Result, err error) *Result {
	var rb *RollbackInFlightError
	if errors.As(err, &rb) {
		res.DeploymentID = rb.DeploymentID
	}
	return d.endBeforeDeployment(ctx, res, err)
}
