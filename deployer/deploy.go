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
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DeployRequest is what to release.
type DeployRequest struct {
	Image              string                           // image for the target container; "" keeps the file's or the revision's
	Env                []EnvVar                         // environment overrides for the target container
	Description        string                           // prefix of the CodeDeploy description
	TaskDefinitionFile *ecs.RegisterTaskDefinitionInput // a full task definition to register instead of cloning the live one
	TaskDefinitionArn  string                           // deploy this registered revision as is (deploy --task-definition-arn, rollback)
	SameFamily         bool                             // refuse a TaskDefinitionArn of another family than the live one (rollback may cross a family rename)
	Provenance         Provenance                       // git SHA and CI run; image fields are filled in
	// OverrideAlarms creates the deployment with the group's alarms turned off
	// (rollback after blue is gone): production is failing, so they fire, and
	// CodeDeploy would stop the known-good revision at once. Needs
	// codedeploy:UpdateDeploymentGroup besides CreateDeployment.
	OverrideAlarms bool
}

// Deploy releases req: it registers the task definition, creates the deployment
// (or attaches to an in-flight one carrying the same image), follows it through
// both gates, and rolls back on failure, timeout or interrupt.
func (d *Deployer) Deploy(ctx context.Context, req DeployRequest) *Result {
	res := d.newResult("deploy")
	r, err := d.prepare(ctx, res, req)
	if err != nil {
		return d.endBeforeDeployment(ctx, res, err)
	}
	err = d.follow(ctx, res, r)
	return d.conclude(ctx, res, r, err)
}

func (d *Deployer) newResult(cmd string) *Result {
	return &Result{Command: cmd, StartedAt: d.clock.Now()}
}

// prepare reads the service, then attaches to the in-flight deployment or
// registers and creates a new one.
func (d *Deployer) prepare(ctx context.Context, res *Result, req DeployRequest) (*release, error) {
	st, err := d.readService(ctx)
	if err != nil {
		return nil, err
	}
	res.Group = &st.Group
	override := req.OverrideAlarms && st.Group.AlarmsEnabled && len(st.Group.Alarms) > 0
	alarmStart := d.clock.Now()
	firstRead := d.given.AlarmWait
	if firstRead <= 0 {
		firstRead = minAlarmWait // derived from the alarms: the floor until they are read
	}
	var alarms []groupAlarm
	if !override {
		if alarms, err = d.readGroupAlarms(ctx, st.Group, alarmStart.Add(firstRead)); err != nil {
			return nil, err
		}
	}
	d.o = assessLimits(d.given, st.Service, st.Group, alarms, len(alarms) == 0)
	budget := assessBudget(d.o, st.Group)
	res.Budget = &budget
	d.log.Info("release budget", "budget", budget.String(), "config", st.Group.DeploymentConfig, "traffic", st.Group.TrafficRouting,
		"greenStartTimeout", d.o.GreenStartTimeout.String(), "gateTimeout", d.o.GateTimeout.String())
	if err := d.checkBeforeWriting(ctx, st.Group); err != nil {
		return nil, err
	}
	image, in, arn, err := d.desiredRelease(ctx, st, req)
	if err != nil {
		return nil, err
	}
	ref, _ := parseImage(image)
	r := &release{Image: image, TaskDefArn: arn, revision: arn != "", Group: st.Group, ServiceCount: st.Service.DesiredCount,
		deadline: d.clock.Now().Add(budget.Total), vars: map[string]string{"IMAGE": image, "IMAGE_TAG": ref.Version()}}
	res.Image = image
	if !st.Group.gatesBeforeTraffic() { // allowed by --allow-ungated-traffic (assessGroup)
		res.Gates = append(res.Gates, &GateResult{Name: GateReady, Verdict: "not_run", Start: d.clock.Now(), End: d.clock.Now(),
			Reason: fmt.Sprintf("deployment group %s does not wait in Ready (%s); released with --allow-ungated-traffic", d.t.DeploymentGroup, st.Group.ReadyAction)})
		r.gate1Done = true
	}
	active, err := d.activeDeployment(ctx)
	if err != nil {
		return nil, err
	}
	if active != nil {
		return r, d.attach(ctx, res, r, active)
	}
	if override {
		r.alarmsOverridden, res.AlarmsOverridden = true, true
		d.log.Warn("rollback redeploy: not waiting for the group's alarms, and creating the deployment with them turned off (OverrideAlarmConfiguration): "+
			"production is failing, so they fire, and CodeDeploy would stop the known-good revision at once; gate 1 and gate 2 still judge green on its own health and metrics",
			"alarms", strings.Join(st.Group.Alarms, ", "), "group", d.t.DeploymentGroup)
	} else if err := d.waitForAlarmsToClear(ctx, st.Group, alarms, alarmStart, d.o.AlarmWait); err != nil {
		return nil, err
	}
	r.deadline = d.clock.Now().Add(budget.Total) // the wait wrote nothing: the release's budget starts now
	if err := d.create(ctx, res, r, st.Service, in, req); err != nil {
		return nil, err
	}
	return r, nil
}

// checkBeforeWriting refuses, before anything is written, a group that cannot gate
// the release (assessGroup), a URL on the other listener's port
// (checkListenerPorts) and a testUrl this runner cannot reach (reachTestURL); it
// logs the warnings.
func (d *Deployer) checkBeforeWriting(ctx context.Context, g GroupSettings) error {
	warnings, err := assessGroup(d.given, d.t.DeploymentGroup, g)
	if err != nil {
		return err
	}
	portWarnings, err := d.checkListenerPorts(ctx)
	if err != nil {
		return err
	}
	for _, w := range append(warnings, portWarnings...) {
		d.log.Warn(w)
	}
	if g.gatesBeforeTraffic() {
		reached, err := d.reachTestURL(ctx)
		if err != nil {
			return err
		}
		d.log.Info("test listener reachable", "detail", reached)
	}
	return nil
}

// create registers the task definition to release (in; nil for a registered
// revision, r.TaskDefArn) and creates the deployment with the release's
// provenance.
func (d *Deployer) create(ctx context.Context, res *Result, r *release, svc *ecstypes.Service, in *ecs.RegisterTaskDefinitionInput, req DeployRequest) error {
	res.PreviousTaskDefinitionArn = str(svc.TaskDefinition)
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
// nobody knows about, running ungated) and the rollback's StopDeployment.
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
	content, sum, err := spec.render()
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
		d.log.Warn("another run created a deployment first", "deployment", str(active.DeploymentId), "registered", r.TaskDefArn)
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
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	ids, err := d.activeDeploymentIDs(wctx)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		dep, err := d.c.CodeDeploy.GetDeployment(wctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			return "", awsError("get deployment "+id, err)
		}
		if assessOurDeployment(dep.DeploymentInfo, content, sum, description) {
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
		if str(c.Sha256) != "" || str(c.Content) != "" {
			return str(c.Sha256) == sum || str(c.Content) == content
		}
	}
	return description != "" && str(dep.Description) == description
}

// desiredRelease works out the image to release and either the task definition
// to register or, for an existing revision, its full ARN (and a nil task
// definition to register).
func (d *Deployer) desiredRelease(ctx context.Context, st *serviceState, req DeployRequest) (string, *ecs.RegisterTaskDefinitionInput, string, error) {
	if req.TaskDefinitionArn != "" {
		td, _, err := d.describeTaskDefinition(ctx, req.TaskDefinitionArn)
		if err != nil {
			return "", nil, "", err
		}
		if live := str(st.TaskDef.Family); req.SameFamily && str(td.Family) != live {
			return "", nil, "", fmt.Errorf("task definition %s is a revision of family %s, but service %s runs family %s: --task-definition-arn releases revisions of the service's own family",
				req.TaskDefinitionArn, str(td.Family), d.t.Service, live)
		}
		image := containerImage(td.ContainerDefinitions, d.t.ContainerName)
		if image == "" {
			return "", nil, "", fmt.Errorf("task definition %s has no container %q", req.TaskDefinitionArn, d.t.ContainerName)
		}
		// family:revision becomes the full ARN the AppSpec needs.
		return image, nil, str(td.TaskDefinitionArn), nil
	}
	in := cloneTaskDefinition(st.TaskDef, st.TaskDefTags)
	if req.TaskDefinitionFile != nil {
		cp := *req.TaskDefinitionFile
		cp.ContainerDefinitions = append(cp.ContainerDefinitions[:0:0], cp.ContainerDefinitions...)
		in = &cp
	}
	image := req.Image
	if image == "" {
		image = containerImage(in.ContainerDefinitions, d.t.ContainerName)
	}
	if _, err := parseImage(image); err != nil {
		return "", nil, "", fmt.Errorf("image of container %s: %w", d.t.ContainerName, err)
	}
	prov := req.Provenance.forRelease(image, str(st.Service.TaskDefinition))
	if err := applyRelease(in, d.t.ContainerName, image, req.Env, prov); err != nil {
		return "", nil, "", err
	}
	return image, in, "", nil
}

// register registers the new task definition revision.
func (d *Deployer) register(ctx context.Context, in *ecs.RegisterTaskDefinitionInput) (string, error) {
	out, err := d.c.ECS.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return "", awsError("register task definition "+str(in.Family), err)
	}
	arn := str(out.TaskDefinition.TaskDefinitionArn)
	d.log.Info("registered task definition", "arn", arn)
	return arn, nil
}

// createDeployment starts the CodeDeploy deployment with the AppSpec as content.
// CI's cancel does not cut it short (writeTimeout does): the deployment must either
// exist with its id known, or not exist. overrideAlarms turns the group's alarms off
// for this deployment (OverrideAlarmConfiguration, enabled false), which CodeDeploy
// allows only a caller that may also call UpdateDeploymentGroup.
func (d *Deployer) createDeployment(ctx context.Context, content, sum, description string, overrideAlarms bool) (string, error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
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
	id := str(out.DeploymentId)
	d.log.Info("created deployment", "deployment", id, "group", d.t.DeploymentGroup)
	return id, nil
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
	id := ids[0]
	dep, err := d.c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
	if err != nil {
		return nil, awsError("get deployment "+id, err)
	}
	return dep.DeploymentInfo, nil
}

// deploymentRelease reads which task definition and image a deployment deploys,
// from its AppSpec content (GetApplicationRevision when GetDeployment omits it).
func (d *Deployer) deploymentRelease(ctx context.Context, dep *cdtypes.DeploymentInfo) (arn, image, previous string, err error) {
	var content string
	if rev := dep.Revision; rev != nil && rev.AppSpecContent != nil {
		content = str(rev.AppSpecContent.Content)
	}
	if content == "" && dep.Revision != nil {
		out, err := d.c.CodeDeploy.GetApplicationRevision(ctx, &codedeploy.GetApplicationRevisionInput{ApplicationName: &d.t.Application, Revision: dep.Revision})
		if err != nil {
			return "", "", "", awsError("get revision of deployment "+str(dep.DeploymentId), err)
		}
		if out.Revision != nil && out.Revision.AppSpecContent != nil {
			content = str(out.Revision.AppSpecContent.Content)
		}
	}
	if arn, err = appSpecTaskDefinition(content); err != nil {
		return "", "", "", fmt.Errorf("deployment %s: %w", str(dep.DeploymentId), err)
	}
	td, tags, err := d.describeTaskDefinition(ctx, arn)
	if err != nil {
		return "", "", "", err
	}
	return arn, containerImage(td.ContainerDefinitions, d.t.ContainerName), previousTaskDefinition(tags), nil
}

// attach follows an in-flight deployment when it deploys our image (our revision,
// when releasing a registered one), else refuses.
func (d *Deployer) attach(ctx context.Context, res *Result, r *release, dep *cdtypes.DeploymentInfo) error {
	id := str(dep.DeploymentId)
	arn, image, previous, err := d.deploymentRelease(ctx, dep)
	if err != nil {
		return err
	}
	// CodeDeploy's own rollback is never attached to, whatever it deploys: gating it
	// could stop it and leave production between two versions.
	if of := rollbackOf(dep); of != "" || !sameRelease(r, arn, image) {
		want := ""
		if r.revision {
			want = r.TaskDefArn
		}
		return &BusyError{DeploymentID: id, Phase: assessDeployment(dep, nil), Image: image, TaskDefinitionArn: arn, WantTaskDefinitionArn: want, RollbackOf: of}
	}
	r.ID, r.TaskDefArn = id, arn
	res.Attached, res.DeploymentID, res.TaskDefinitionArn, res.PreviousTaskDefinitionArn = true, id, arn, previous
	d.log.Info("attaching to the in-flight deployment of the same image", "deployment", id, "status", string(dep.Status), "taskDefinition", arn)
	return nil
}

// sameRelease says whether an in-flight deployment of arn (image) is the release
// r wants: the same revision when r names one, else the same image.
func sameRelease(r *release, arn, image string) bool {
	if r.revision {
		return arn == r.TaskDefArn
	}
	return image == r.Image
}

// endBeforeDeployment reports an error that happened before any deployment was
// created or attached: nothing to roll back.
func (d *Deployer) endBeforeDeployment(ctx context.Context, res *Result, err error) *Result {
	res.EndedAt = d.clock.Now()
	var busy *BusyError
	var bad *InputError
	switch {
	case errors.As(err, &bad):
		res.Outcome, res.ExitCode = OutcomeBadInput, ExitBadInput
	case ctx.Err() != nil:
		res.Outcome, res.ExitCode = OutcomeInterrupted, ExitInterrupted
		res.Message = "interrupted before a deployment was created; nothing to undo"
		if errors.Is(err, errNoneCreated) {
			res.Message = fmt.Sprintf("interrupted while creating the deployment; checked: no deployment of this release in group %s: nothing to undo", d.t.DeploymentGroup)
		} else if errors.Is(err, errCreateUnchecked) {
			res.Message = "interrupted while creating the deployment: " + err.Error()
		}
		return res
	case errors.As(err, &busy):
		res.Outcome, res.ExitCode, res.DeploymentID = OutcomeBusy, ExitFailed, busy.DeploymentID
	case errors.As(err, new(*AlarmActiveError)):
		res.Outcome, res.ExitCode = OutcomeAlarmActive, ExitFailed
	default:
		res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
	}
	res.setError(err)
	return res
}

// setError records err as the result's error and message.
func (res *Result) setError(err error) {
	res.Error = &ErrorInfo{Message: err.Error()}
	var ae *AWSError
	if errors.As(err, &ae) {
		res.Error.Code = ae.Code
	}
	if res.Message == "" {
		res.Message = err.Error()
	}
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
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.o.InterruptGrace+5*time.Second)
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
