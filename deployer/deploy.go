package deployer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// DeployRequest is what to release.
type DeployRequest struct {
	Image              ImageRef                         // image for the target container; zero keeps the file's or the revision's
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

// prepare reads the service, resolves the release's limits and budget once, checks
// what must hold before anything is written, then attaches to the in-flight
// deployment or registers and creates a new one.
func (d *Deployer) prepare(ctx context.Context, res *Result, req DeployRequest) (*release, error) {
	st, err := d.readService(ctx)
	if err != nil {
		return nil, err
	}
	res.Group = &st.Group
	override := req.OverrideAlarms && st.Group.AlarmsEnabled && len(st.Group.Alarms) > 0
	alarmStart := d.clock.Now()
	alarms, lim, err := d.resolveLimits(ctx, st, override, alarmStart)
	if err != nil {
		return nil, err
	}
	budget := assessBudget(d.o, lim, st.Group)
	res.Budget = &budget
	d.log.Info("release budget", "budget", budget.String(), "config", st.Group.DeploymentConfig, "traffic", st.Group.TrafficRouting,
		"greenStartTimeout", lim.GreenStartTimeout.String(), "gateTimeout", lim.GateTimeout.String())
	ls, err := d.readListeners(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.checkBeforeWriting(ctx, st.Group, ls); err != nil {
		return nil, err
	}
	for _, w := range d.streamWarnings(ctx, ls) {
		d.log.Warn("streams: "+w, "maxRequestSeconds", int(d.t.MaxRequest.Seconds()))
	}
	image, in, arn, err := d.desiredRelease(ctx, st, req)
	if err != nil {
		return nil, err
	}
	r := &release{Image: image, TaskDefArn: arn, revision: arn != "", Group: st.Group, ServiceCount: st.Service.DesiredCount,
		limits: lim, deadline: d.clock.Now().Add(budget.Total), vars: map[string]string{"IMAGE": image.String(), "IMAGE_TAG": image.Version()}}
	res.Image = image.String()
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
	} else if err := d.waitForAlarmsToClear(ctx, st.Group, alarms, alarmStart, lim.AlarmWait); err != nil {
		return nil, err
	}
	r.deadline = d.clock.Now().Add(budget.Total) // the wait wrote nothing: the release's budget starts now
	if err := d.create(ctx, res, r, st.Service, in, req); err != nil {
		return nil, err
	}
	return r, nil
}

// resolveLimits reads the group's alarms from start (unless the release overrides
// them) and resolves the release's limits once (assessLimits).
func (d *Deployer) resolveLimits(ctx context.Context, st *serviceState, override bool, start time.Time) ([]groupAlarm, limits, error) {
	firstRead := d.o.AlarmWait
	if firstRead <= 0 {
		firstRead = minAlarmWait // derived from the alarms: the floor until they are read
	}
	var alarms []groupAlarm
	if !override {
		var err error
		if alarms, err = d.readGroupAlarms(ctx, st.Group, start.Add(firstRead)); err != nil {
			return nil, limits{}, err
		}
	}
	return alarms, assessLimits(d.o, st.Service, st.Group, alarms, len(alarms) == 0), nil
}

// desiredRelease works out the image to release and either the task definition
// to register or, for an existing revision, its full ARN (and a nil task
// definition to register).
func (d *Deployer) desiredRelease(ctx context.Context, st *serviceState, req DeployRequest) (ImageRef, *ecs.RegisterTaskDefinitionInput, string, error) {
	if req.TaskDefinitionArn != "" {
		td, _, err := d.describeTaskDefinition(ctx, req.TaskDefinitionArn)
		if err != nil {
			return ImageRef{}, nil, "", err
		}
		if live := aws.ToString(st.TaskDef.Family); req.SameFamily && aws.ToString(td.Family) != live {
			return ImageRef{}, nil, "", fmt.Errorf("task definition %s is a revision of family %s, but service %s runs family %s: --task-definition-arn releases revisions of the service's own family",
				req.TaskDefinitionArn, aws.ToString(td.Family), d.t.Service, live)
		}
		image := containerImage(td.ContainerDefinitions, d.t.ContainerName)
		if image == "" {
			return ImageRef{}, nil, "", fmt.Errorf("task definition %s has no container %q", req.TaskDefinitionArn, d.t.ContainerName)
		}
		// family:revision becomes the full ARN the AppSpec needs.
		return revisionImage(image), nil, aws.ToString(td.TaskDefinitionArn), nil
	}
	in := cloneTaskDefinition(st.TaskDef, st.TaskDefTags)
	if req.TaskDefinitionFile != nil {
		cp := *req.TaskDefinitionFile
		cp.ContainerDefinitions = append(cp.ContainerDefinitions[:0:0], cp.ContainerDefinitions...)
		in = &cp
	}
	image := req.Image
	if image.isZero() { // a library caller that names no image: the task definition's, parsed here
		var err error
		if image, err = parseImage(containerImage(in.ContainerDefinitions, d.t.ContainerName)); err != nil {
			return ImageRef{}, nil, "", fmt.Errorf("image of container %s: %w", d.t.ContainerName, err)
		}
	}
	prov := req.Provenance.forRelease(image, aws.ToString(st.Service.TaskDefinition))
	if err := applyRelease(in, d.t.ContainerName, image.String(), req.Env, prov); err != nil {
		return ImageRef{}, nil, "", err
	}
	return image, in, "", nil
}

// attach follows an in-flight deployment when it deploys our image (our revision,
// when releasing a registered one), else refuses.
func (d *Deployer) attach(ctx context.Context, res *Result, r *release, dep *cdtypes.DeploymentInfo) error {
	id := aws.ToString(dep.DeploymentId)
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
	return image == r.Image.String()
}
