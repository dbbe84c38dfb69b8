package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// create registers the task definition to release (in; nil for a registered
// revision, r.TaskDefArn) and creates the deployment with the release's
// provenance.
func (d *Deployer) create(ctx context.Context, res *Result, r *release, svc *ecstypes.Service, in *ecs.RegisterTaskDefinitionInput, req DeployRequest) error {
	res.PreviousTaskDefinitionArn = aws.ToString(svc.TaskDefinition)
	if in != nil {
		var err error
		if r.TaskDefArn, err = d.register(ctx, in); err != nil {
			return err
		}
	}
	res.TaskDefinitionArn = r.TaskDefArn
	prov := req.Provenance.forRelease(r.Image, res.PreviousTaskDefinitionArn)
	res.Provenance = &prov
	spec := buildAppSpec(svc, r.TaskDefArn, d.t.ContainerName, d.t.ContainerPort)
	return d.startDeployment(ctx, res, r, spec, prov.description(req.Description))
}

// writeTimeout bounds the writes the deployer finishes even after CI's cancel,
// under context.WithoutCancel: CreateDeployment (else a deployment may exist that
// nobody knows about, running ungated) and the rollback's StopDeployment. It is
// measured on the deployer's clock (withTimeout).
const writeTimeout = 30 * time.Second

// errNoneCreated says a CreateDeployment whose answer was lost created nothing:
// the group has no deployment carrying this release's provenance.
var errNoneCreated = errors.New("no deployment of this release in the group")

// errCreateUnchecked says a CreateDeployment whose answer was lost may have
// created a deployment: looking for it failed too.
var errCreateUnchecked = errors.New("could not check whether it was created")

// startDeployment creates the deployment for r. When CodeDeploy answers that the
// group already has one (another run won the race), it attaches to that one when
// it is the same release, else refuses as busy. When the answer is lost (CI's
// cancel, a timeout, a network or server error), it looks for the deployment
// carrying this release's revision, so a deployment that exists is always
// followed (and, after an interrupt, stopped) rather than reported as nothing to
// undo.
func (d *Deployer) startDeployment(ctx context.Context, res *Result, r *release, spec AppSpec, description string) error {
	content, sum, err := spec.Render()
	if err != nil {
		return err
	}
	id, err := d.createDeployment(ctx, content, sum, description, r.alarmsOverridden)
	switch {
	case err == nil:
	case hasCode(err, "DeploymentLimitExceededException", "DeploymentAlreadyStartedException"):
		active, aerr := d.activeDeployment(ctx)
		if aerr != nil || active == nil {
			return err // it ended meanwhile: the group is free again, but this run reports what it met
		}
		d.log.Warn("another run created a deployment first", "deployment", aws.ToString(active.DeploymentId), "registered", r.TaskDefArn)
		return d.attach(ctx, res, r, active)
	case ctx.Err() != nil || createAnswerLost(err):
		found, ferr := d.findCreated(ctx, content, sum, description)
		switch {
		case ferr != nil:
			return fmt.Errorf("%w; %w: %v; see `deployer status`", err, errCreateUnchecked, ferr)
		case found == "":
			return fmt.Errorf("%w: %w", errNoneCreated, err)
		}
		d.log.Warn("CreateDeployment's answer was lost; found the deployment by this release's revision", "deployment", found, "error", err.Error())
		id = found
	default:
		return err
	}
	r.ID, res.DeploymentID = id, id
	return nil
}

// createAnswerLost says whether a failed CreateDeployment may still have created
// the deployment: the request may have reached CodeDeploy when the error is not an
// answer from it (timeout, cancel, network) or is a server error.
func createAnswerLost(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() >= 500
}

// findCreated looks among the group's active deployments for the one whose
// revision is this release's AppSpec (GetDeployment reports its SHA-256), or,
// when CodeDeploy reports no revision, whose description is ours. It runs under
// context.WithoutCancel: it is what an interrupt needs to know.
func (d *Deployer) findCreated(ctx context.Context, content, sum, description string) (string, error) {
	wctx, cancel := withTimeout(context.WithoutCancel(ctx), d.clock, writeTimeout)
	defer cancel()
	ids, err := d.activeDeploymentIDs(wctx)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		dep, err := d.getDeployment(wctx, id)
		if err != nil {
			return "", err
		}
		if assessOurDeployment(dep, content, sum, description) {
			return id, nil
		}
	}
	return "", nil
}

// assessOurDeployment says whether dep is the deployment this run asked for: the
// same AppSpec (which names the task definition this run registered), or, when
// CodeDeploy reports no AppSpec, the same description (image, git SHA, CI run).
func assessOurDeployment(dep *cdtypes.DeploymentInfo, content, sum, description string) bool {
	if dep == nil {
		return false
	}
	if rev := dep.Revision; rev != nil && rev.AppSpecContent != nil {
		c := rev.AppSpecContent
		if aws.ToString(c.Sha256) != "" || aws.ToString(c.Content) != "" {
			return aws.ToString(c.Sha256) == sum || aws.ToString(c.Content) == content
		}
	}
	return description != "" && aws.ToString(dep.Description) == description
}

// register registers the new task definition revision.
func (d *Deployer) register(ctx context.Context, in *ecs.RegisterTaskDefinitionInput) (string, error) {
	out, err := d.c.ECS.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return "", awsError("register task definition "+aws.ToString(in.Family), err)
	}
	arn := aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	d.log.Info("registered task definition", "arn", arn)
	return arn, nil
}

// createDeployment starts the CodeDeploy deployment with the AppSpec as content.
// CI's cancel does not cut it short (writeTimeout does): the deployment must either
// exist with its id known, or not exist. overrideAlarms turns the group's alarms off
// for this deployment (OverrideAlarmConfiguration, enabled false), which CodeDeploy
// allows only a caller that may also call UpdateDeploymentGroup.
func (d *Deployer) createDeployment(ctx context.Context, content, sum, description string, overrideAlarms bool) (string, error) {
	wctx, cancel := withTimeout(context.WithoutCancel(ctx), d.clock, writeTimeout)
	defer cancel()
	in := &codedeploy.CreateDeploymentInput{
		ApplicationName: &d.t.Application, DeploymentGroupName: &d.t.DeploymentGroup, Description: aws.String(description),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(content), Sha256: aws.String(sum)}},
	}
	if overrideAlarms {
		in.OverrideAlarmConfiguration = &cdtypes.AlarmConfiguration{Enabled: false}
	}
	out, err := d.c.CodeDeploy.CreateDeployment(wctx, in)
	if err != nil {
		err = awsError("create deployment in group "+d.t.DeploymentGroup, err)
		if overrideAlarms && isAuthError(err) {
			err = fmt.Errorf("%w; turning the group's alarms off for this deployment (OverrideAlarmConfiguration) also needs codedeploy:UpdateDeploymentGroup on group %s in the deployer's policy; "+
				"without it, `deployer deploy --task-definition-arn PREVIOUS` redeploys the previous revision after waiting for the alarms to clear", err, d.t.DeploymentGroup)
		}
		return "", err
	}
	id := aws.ToString(out.DeploymentId)
	d.log.Info("created deployment", "deployment", id, "group", d.t.DeploymentGroup)
	return id, nil
}
