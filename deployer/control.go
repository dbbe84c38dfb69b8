package deployer

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// pickDeployment returns id when given, else the group's in-flight deployment id
// ("" when there is none).
func (d *Deployer) pickDeployment(ctx context.Context, id string) (string, error) {
	if id != "" {
		return id, nil
	}
	ids, err := d.activeDeploymentIDs(ctx)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// Waits an operator names with `continue --wait`.
const (
	WaitReady       = "ready"       // the Ready wait, before production traffic (READY_WAIT)
	WaitTermination = "termination" // the termination wait, before blue is terminated (TERMINATION_WAIT)
)

// assessContinue decides which wait a deployment in phase may be continued past.
// want is the wait the operator named ("" = the one it is in). Anything else is
// refused with the deployment's actual phase, so "past Ready" can never end the
// termination wait because the deployment moved on between two commands.
func assessContinue(id string, phase Phase, want string) (cdtypes.DeploymentWaitType, error) {
	var in string
	switch phase {
	case PhaseReady:
		in = WaitReady
	case PhaseTerminationWait:
		in = WaitTermination
	}
	switch {
	case in == "" && want == "":
		return "", fmt.Errorf("deployment %s is in phase %s; continue applies in %s or %s", id, phase, PhaseReady, PhaseTerminationWait)
	case in == "" || (want != "" && want != in):
		return "", fmt.Errorf("deployment %s is in phase %s, not in the %s wait: nothing continued (--wait %s refuses any other phase; see `deployer status`)", id, phase, want, want)
	case in == WaitReady:
		return cdtypes.DeploymentWaitTypeReadyWait, nil
	}
	return cdtypes.DeploymentWaitTypeTerminationWait, nil
}

// Continue promotes an in-flight deployment past the wait it is in: Ready
// (READY_WAIT: production traffic shifts) or the termination wait
// (TERMINATION_WAIT: blue is terminated). With wait (WaitReady or
// WaitTermination) it refuses a deployment in any other phase. It does not run
// the gates.
func (d *Deployer) Continue(ctx context.Context, deploymentID, wait string) *Result {
	res := d.newResult("continue")
	defer func() { res.EndedAt = d.clock.Now() }()
	id, err := d.pickDeployment(ctx, deploymentID)
	if err == nil && id == "" {
		err = fmt.Errorf("no deployment in flight in group %s", d.t.DeploymentGroup)
	}
	if err != nil {
		return d.endBeforeDeployment(ctx, res, err)
	}
	res.DeploymentID = id
	s, err := d.poll(ctx, id)
	if err != nil {
		return d.endBeforeDeployment(ctx, res, err)
	}
	waitType, err := assessContinue(id, assessDeployment(s.Deployment, s.Target), wait)
	if err != nil {
		return d.endBeforeDeployment(ctx, res, err)
	}
	// The wait type sent is the one decided from the phase just read: if the
	// deployment moved on since, CodeDeploy refuses it (InvalidDeploymentWaitType,
	// DeploymentIsNotInReadyState) instead of promoting past the next wait.
	if _, err := d.c.CodeDeploy.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: &id, DeploymentWaitType: waitType}); err != nil {
		return d.endBeforeDeployment(ctx, res, awsError(fmt.Sprintf("continue deployment %s (%s)", id, waitType), err))
	}
	res.Outcome, res.ExitCode = OutcomeOK, ExitReleased
	res.Message = fmt.Sprintf("continued deployment %s past %s", id, waitType)
	d.log.Info(res.Message)
	return res
}

// Abort stops an in-flight deployment with rollback and follows the rollback.
// deploymentID, when given, must be the group's in-flight deployment. CodeDeploy's
// own rollback deployment is never stopped. Exit 0 means the rollback succeeded.
func (d *Deployer) Abort(ctx context.Context, deploymentID string) *Result {
	res := d.newResult("abort")
	id, err := d.pickStopTarget(ctx, deploymentID)
	if err == nil && id == "" {
		err = fmt.Errorf("no deployment in flight in group %s; to undo a finished release use `deployer rollback`", d.t.DeploymentGroup)
	}
	if err != nil {
		return d.refuseStop(ctx, res, err)
	}
	return d.stopCommand(ctx, res, id)
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
	id := str(inFlight.DeploymentId)
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
