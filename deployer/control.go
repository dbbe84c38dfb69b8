package deployer

import (
	"context"
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
	out, err := d.c.CodeDeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: &d.t.Application, DeploymentGroupName: &d.t.DeploymentGroup, IncludeOnlyStatuses: activeStatuses,
	})
	if err != nil {
		return "", awsError("list active deployments of group "+d.t.DeploymentGroup, err)
	}
	if len(out.Deployments) == 0 {
		return "", nil
	}
	return out.Deployments[0], nil
}

// Continue promotes an in-flight deployment past the wait it is in: Ready
// (READY_WAIT: production traffic shifts) or the termination wait
// (TERMINATION_WAIT: blue is terminated). It does not run the gates.
func (d *Deployer) Continue(ctx context.Context, deploymentID string) *Result {
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
	var wait cdtypes.DeploymentWaitType
	switch phase := assessDeployment(s.Deployment, s.Target); phase {
	case PhaseReady:
		wait = cdtypes.DeploymentWaitTypeReadyWait
	case PhaseTerminationWait:
		wait = cdtypes.DeploymentWaitTypeTerminationWait
	default:
		return d.endBeforeDeployment(ctx, res, fmt.Errorf("deployment %s is in phase %s; continue applies in %s or %s", id, phase, PhaseReady, PhaseTerminationWait))
	}
	if _, err := d.c.CodeDeploy.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: &id, DeploymentWaitType: wait}); err != nil {
		return d.endBeforeDeployment(ctx, res, awsError(fmt.Sprintf("continue deployment %s (%s)", id, wait), err))
	}
	res.Outcome, res.ExitCode = OutcomeOK, ExitReleased
	res.Message = fmt.Sprintf("continued deployment %s past %s", id, wait)
	d.log.Info(res.Message)
	return res
}

// Abort stops an in-flight deployment with rollback and follows the rollback.
// Exit 0 means the rollback succeeded.
func (d *Deployer) Abort(ctx context.Context, deploymentID string) *Result {
	res := d.newResult("abort")
	id, err := d.pickDeployment(ctx, deploymentID)
	if err == nil && id == "" {
		err = fmt.Errorf("no deployment in flight in group %s; to undo a finished release use `deployer rollback`", d.t.DeploymentGroup)
	}
	if err != nil {
		return d.endBeforeDeployment(ctx, res, err)
	}
	return d.stopCommand(ctx, res, id)
}
