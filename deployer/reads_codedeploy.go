package deployer

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// readGroup reads the deployment group and its deployment config.
func (d *Deployer) readGroup(ctx context.Context) (GroupSettings, *cdtypes.DeploymentGroupInfo, error) {
	out, err := d.c.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName: &d.t.Application, DeploymentGroupName: &d.t.DeploymentGroup,
	})
	if err != nil {
		return GroupSettings{}, nil, awsError(fmt.Sprintf("get deployment group %s of application %s", d.t.DeploymentGroup, d.t.Application), err)
	}
	info := out.DeploymentGroupInfo
	if info == nil {
		return GroupSettings{}, nil, fmt.Errorf("get deployment group %s: empty answer", d.t.DeploymentGroup)
	}
	g := groupSettings(info)
	cfg, err := d.c.CodeDeploy.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: &g.DeploymentConfig})
	if err != nil {
		return GroupSettings{}, nil, awsError("get deployment config "+g.DeploymentConfig, err)
	}
	if cfg.DeploymentConfigInfo != nil {
		g.TrafficRouting, g.ShiftDuration = assessTrafficRouting(cfg.DeploymentConfigInfo.TrafficRoutingConfig)
	}
	return g, info, nil
}

// getDeployment reads one deployment. Every read of a deployment goes through it:
// a failed call is a *ReadError (retried by the wait that makes it), and an answer
// without the deployment is an error.
func (d *Deployer) getDeployment(ctx context.Context, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := d.c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
	if err != nil {
		return nil, readError("get deployment "+id, err)
	}
	if out.DeploymentInfo == nil {
		return nil, fmt.Errorf("get deployment %s: empty answer", id)
	}
	return out.DeploymentInfo, nil
}

// poll reads the deployment and, once it exists, its ECS target.
func (d *Deployer) poll(ctx context.Context, id string) (snapshot, error) {
	dep, err := d.getDeployment(ctx, id)
	if err != nil {
		return snapshot{}, err
	}
	s := snapshot{Deployment: dep, At: d.clock.Now()}
	if st := s.Deployment.Status; st == cdtypes.DeploymentStatusCreated || st == cdtypes.DeploymentStatusQueued {
		return s, nil
	}
	tout, err := d.c.CodeDeploy.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: &id, TargetId: aws.String(d.targetID())})
	switch {
	case hasCode(err, "DeploymentTargetDoesNotExistException", "DeploymentNotStartedException"):
	case err != nil:
		return snapshot{}, readError(fmt.Sprintf("get deployment target %s of %s", d.targetID(), id), err)
	case tout.DeploymentTarget != nil:
		s.Target = tout.DeploymentTarget.EcsTarget
	}
	return s, nil
}

// targetID is CodeDeploy's id of the ECS service target: "<cluster>:<service>".
func (d *Deployer) targetID() string {
	cluster := d.t.Cluster
	if i := strings.LastIndex(cluster, "/"); strings.HasPrefix(cluster, "arn:") && i >= 0 {
		cluster = cluster[i+1:]
	}
	return cluster + ":" + d.t.Service
}

// activeDeploymentIDs lists the group's deployments that have not ended.
func (d *Deployer) activeDeploymentIDs(ctx context.Context) ([]string, error) {
	out, err := d.c.CodeDeploy.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{
		ApplicationName: &d.t.Application, DeploymentGroupName: &d.t.DeploymentGroup, IncludeOnlyStatuses: activeStatuses,
	})
	if err != nil {
		return nil, awsError("list active deployments of group "+d.t.DeploymentGroup, err)
	}
	return out.Deployments, nil
}

// activeDeployment returns the group's deployment that has not ended, if any.
func (d *Deployer) activeDeployment(ctx context.Context) (*cdtypes.DeploymentInfo, error) {
	ids, err := d.activeDeploymentIDs(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return d.getDeployment(ctx, ids[0])
}

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

// deploymentRelease reads which task definition and image a deployment deploys,
// from its AppSpec content (GetApplicationRevision when GetDeployment omits it).
func (d *Deployer) deploymentRelease(ctx context.Context, dep *cdtypes.DeploymentInfo) (arn, image, previous string, err error) {
	var content string
	if rev := dep.Revision; rev != nil && rev.AppSpecContent != nil {
		content = aws.ToString(rev.AppSpecContent.Content)
	}
	if content == "" && dep.Revision != nil {
		out, err := d.c.CodeDeploy.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: &d.t.Application, Revision: dep.Revision})
		if err != nil {
			return "", "", "", awsError("get revision of deployment "+aws.ToString(dep.DeploymentId), err)
		}
		if out.Revision != nil && out.Revision.AppSpecContent != nil {
			content = aws.ToString(out.Revision.AppSpecContent.Content)
		}
	}
	if arn, err = appSpecTaskDefinition(content); err != nil {
		return "", "", "", fmt.Errorf("deployment %s: %w", aws.ToString(dep.DeploymentId), err)
	}
	td, tags, err := d.describeTaskDefinition(ctx, arn)
	if err != nil {
		return "", "", "", err
	}
	return arn, containerImage(td.ContainerDefinitions, d.t.ContainerName), previousTaskDefinition(tags), nil
}
