package deployer

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

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
