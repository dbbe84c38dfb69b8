package deployer

import (
	"context"
	"fmt"
)

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
