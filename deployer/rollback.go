package deployer

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

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
		_, tags, err := d.describeTaskDefinition(ctx, aws.ToString(svc.TaskDefinition))
		if err != nil {
			return d.endBeforeDeployment(ctx, res, err)
		}
		if target = previousTaskDefinition(tags); target == "" {
			return d.endBeforeDeployment(ctx, res, fmt.Errorf("nothing in flight, and live task definition %s records no previous one (tag %s); pass --to-task-definition ARN", aws.ToString(svc.TaskDefinition), TagPreviousTaskDefinition))
		}
	}
	d.log.Info("no deployment in flight: redeploying the previous task definition", "taskDefinition", target)
	req.TaskDefinitionArn, req.OverrideAlarms = target, true
	out := d.Deploy(ctx, req)
	out.Command = "rollback"
	return out
}
