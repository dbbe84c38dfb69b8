package emulator

import (
	"context"
	"regexp"
	"sort"
	"time"
)

type createDeploymentInput struct {
	ApplicationName            string                     `json:"applicationName"`
	DeploymentGroupName        string                     `json:"deploymentGroupName"`
	Revision                   *revisionLocation          `json:"revision"`
	DeploymentConfigName       string                     `json:"deploymentConfigName"`
	Description                string                     `json:"description"`
	AutoRollbackConfiguration  *autoRollbackConfiguration `json:"autoRollbackConfiguration"`
	OverrideAlarmConfiguration *alarmConfiguration        `json:"overrideAlarmConfiguration"`
}

type createDeploymentOutput struct {
	DeploymentID string `json:"deploymentId"`
}

func (e *Emulator) createDeployment(_ context.Context, in *createDeploymentInput) (*createDeploymentOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, err := e.findGroup(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	if len(in.Description) > 512 {
		return nil, clientErr("DescriptionTooLongException", "The description is too long.")
	}
	configName := g.spec.DeploymentConfigName
	if in.DeploymentConfigName != "" {
		configName = in.DeploymentConfigName
	}
	config := e.configByName(configName)
	if config == nil {
		return nil, clientErr("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", configName)
	}
	rev, err := checkRevision(in.Revision)
	if err != nil {
		return nil, err
	}
	if g.active != nil {
		return nil, clientErr("DeploymentLimitExceededException",
			"The Deployment Group '%s' already has an active Deployment '%s'", g.spec.Name, g.active.id)
	}
	now := e.now()
	d := &deployment{id: newDeploymentID(), group: g, config: config, rev: rev,
		status: statusCreated, created: now, creator: "user", description: in.Description,
		autoRollbackEnabled: g.spec.AutoRollbackEnabled, autoRollbackEvents: g.spec.AutoRollbackEvents,
		alarmOverride: in.OverrideAlarmConfiguration, events: newLifecycleEvents(), targetStatus: "Pending",
		targetUpdated: now}
	if in.AutoRollbackConfiguration != nil {
		d.autoRollbackEnabled, d.autoRollbackEvents = in.AutoRollbackConfiguration.Enabled, in.AutoRollbackConfiguration.Events
	}
	if g.lastSuccessful != nil {
		d.prevRev = g.lastSuccessful.rev
	}
	g.app.registerRevision(rev, g.spec.Name, now)
	g.active, g.lastAttempted = d, d
	e.cd.deployments = append(e.cd.deployments, d)
	e.log.Info("codedeploy deployment created", "deployment", d.id, "group", g.spec.Name, "config", config.name)
	e.goBackground(func() { e.runDeployment(d) })
	return &createDeploymentOutput{DeploymentID: d.id}, nil
}

var deploymentIDPattern = regexp.MustCompile(`^d-[A-Z0-9]{9}$`)

// findDeployment resolves a deployment id with CodeDeploy's errors.
func (e *Emulator) findDeployment(id string) (*deployment, error) {
	if id == "" {
		return nil, clientErr("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
	}
	if !deploymentIDPattern.MatchString(id) {
		return nil, clientErr("InvalidDeploymentIdException", "Specified DeploymentId is not in the valid format: %s", id)
	}
	d := e.deploymentByID(id)
	if d == nil {
		return nil, clientErr("DeploymentDoesNotExistException", "The deployment %s could not be found.", id)
	}
	return d, nil
}

type errorInformation struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type rollbackInfo struct {
	RollbackDeploymentID           string `json:"rollbackDeploymentId,omitempty"`
	RollbackTriggeringDeploymentID string `json:"rollbackTriggeringDeploymentId,omitempty"`
	RollbackMessage                string `json:"rollbackMessage,omitempty"`
}

type deploymentOverview struct {
	Pending    int `json:"Pending"`
	InProgress int `json:"InProgress"`
	Succeeded  int `json:"Succeeded"`
	Failed     int `json:"Failed"`
	Skipped    int `json:"Skipped"`
	Ready      int `json:"Ready"`
}

type deploymentInfo struct {
	ApplicationName                    string                           `json:"applicationName"`
	DeploymentGroupName                string                           `json:"deploymentGroupName"`
	DeploymentConfigName               string                           `json:"deploymentConfigName"`
	DeploymentID                       string                           `json:"deploymentId"`
	PreviousRevision                   *revisionLocation                `json:"previousRevision,omitempty"`
	Revision                           *revisionLocation                `json:"revision,omitempty"`
	Status                             string                           `json:"status"`
	ErrorInformation                   *errorInformation                `json:"errorInformation,omitempty"`
	CreateTime                         *awsTime                         `json:"createTime"`
	StartTime                          *awsTime                         `json:"startTime,omitempty"`
	CompleteTime                       *awsTime                         `json:"completeTime,omitempty"`
	DeploymentOverview                 deploymentOverview               `json:"deploymentOverview"`
	Description                        string                           `json:"description,omitempty"`
	Creator                            string                           `json:"creator"`
	IgnoreApplicationStopFailures      bool                             `json:"ignoreApplicationStopFailures"`
	AutoRollbackConfiguration          autoRollbackConfiguration        `json:"autoRollbackConfiguration"`
	UpdateOutdatedInstancesOnly        bool                             `json:"updateOutdatedInstancesOnly"`
	RollbackInfo                       *rollbackInfo                    `json:"rollbackInfo,omitempty"`
	DeploymentStyle                    deploymentStyle                  `json:"deploymentStyle"`
	InstanceTerminationWaitTimeStarted bool                             `json:"instanceTerminationWaitTimeStarted"`
	BlueGreenDeploymentConfiguration   blueGreenDeploymentConfiguration `json:"blueGreenDeploymentConfiguration"`
	LoadBalancerInfo                   loadBalancerInfo                 `json:"loadBalancerInfo"`
	FileExistsBehavior                 string                           `json:"fileExistsBehavior"`
	DeploymentStatusMessages           []string                         `json:"deploymentStatusMessages"`
	ComputePlatform                    string                           `json:"computePlatform"`
	OverrideAlarmConfiguration         *alarmConfiguration              `json:"overrideAlarmConfiguration,omitempty"`
}

// info renders GetDeployment's deploymentInfo at the AWS instant now. instanceTerminationWaitTimeStarted
// stays false for ECS, as reported: the termination wait shows on the deployment target instead. The
// rollback a deployment triggered shows in its rollbackInfo only a while after it ended, as reported.
func (d *deployment) info(now time.Time) deploymentInfo {
	g := d.group
	out := deploymentInfo{ApplicationName: g.app.name, DeploymentGroupName: g.spec.Name,
		DeploymentConfigName: d.config.name, DeploymentID: d.id, PreviousRevision: d.prevRev.summary(), Revision: d.rev.summary(),
		Status: d.status, CreateTime: newTime(d.created), StartTime: newTime(d.started),
		CompleteTime: newTime(d.completed), Description: d.description, Creator: d.creator,
		AutoRollbackConfiguration: autoRollbackConfiguration{Enabled: d.autoRollbackEnabled,
			Events: nonNil(d.autoRollbackEvents)},
		DeploymentStyle:                  deploymentStyle{DeploymentType: "BLUE_GREEN", DeploymentOption: "WITH_TRAFFIC_CONTROL"},
		BlueGreenDeploymentConfiguration: g.blueGreenConfig(), LoadBalancerInfo: g.loadBalancerInfo(),
		FileExistsBehavior: "DISALLOW", DeploymentStatusMessages: []string{}, ComputePlatform: "ECS",
		OverrideAlarmConfiguration: d.alarmOverride}
	if d.errCode != "" {
		out.ErrorInformation = &errorInformation{Code: d.errCode, Message: d.errMessage}
	}
	if (d.rollbackDeployment != "" && !now.Before(d.rollbackVisible)) || d.rollbackTrigger != "" {
		out.RollbackInfo = &rollbackInfo{RollbackDeploymentID: d.rollbackDeployment,
			RollbackTriggeringDeploymentID: d.rollbackTrigger, RollbackMessage: d.rollbackMessage}
	}
	switch d.targetStatus {
	case "Pending":
		out.DeploymentOverview.Pending = 1
	case "InProgress":
		out.DeploymentOverview.InProgress = 1
	case "Succeeded":
		out.DeploymentOverview.Succeeded = 1
	case "Failed":
		out.DeploymentOverview.Failed = 1
	case "Skipped":
		out.DeploymentOverview.Skipped = 1
	case "Ready":
		out.DeploymentOverview.Ready = 1
	}
	return out
}

type deploymentIDInput struct {
	DeploymentID string `json:"deploymentId"`
}

type getDeploymentOutput struct {
	DeploymentInfo deploymentInfo `json:"deploymentInfo"`
}

func (e *Emulator) getDeployment(_ context.Context, in *deploymentIDInput) (*getDeploymentOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.findDeployment(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	return &getDeploymentOutput{DeploymentInfo: d.info(e.now())}, nil
}

type timeRange struct {
	Start *awsTime `json:"start"`
	End   *awsTime `json:"end"`
}

type listDeploymentsInput struct {
	ApplicationName     string     `json:"applicationName"`
	DeploymentGroupName string     `json:"deploymentGroupName"`
	IncludeOnlyStatuses []string   `json:"includeOnlyStatuses"`
	CreateTimeRange     *timeRange `json:"createTimeRange"`
	NextToken           string     `json:"nextToken"`
}

type listDeploymentsOutput struct {
	Deployments []string `json:"deployments"`
	NextToken   string   `json:"nextToken,omitempty"`
}

// listDeployments lists newest first, 100 per page, filtered by group, status and create time.
func (e *Emulator) listDeployments(_ context.Context, in *listDeploymentsInput) (*listDeploymentsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var group *deploymentGroup
	switch {
	case in.ApplicationName != "":
		g, err := e.findGroup(in.ApplicationName, in.DeploymentGroupName)
		if err != nil {
			return nil, err
		}
		group = g
	case in.DeploymentGroupName != "":
		return nil, clientErr("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
	}
	for _, s := range in.IncludeOnlyStatuses {
		switch s {
		case statusCreated, "Queued", statusInProgress, "Baking", statusSucceeded, statusFailed, statusStopped, statusReady:
		default:
			return nil, clientErr("InvalidDeploymentStatusException", "The deployment status %s is not valid.", s)
		}
	}
	var ids []string
	list := append([]*deployment(nil), e.cd.deployments...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].created.After(list[j].created) })
	for _, d := range list {
		switch {
		case group != nil && d.group != group,
			len(in.IncludeOnlyStatuses) > 0 && !containsString(in.IncludeOnlyStatuses, d.status),
			in.CreateTimeRange != nil && in.CreateTimeRange.Start != nil && d.created.Before(in.CreateTimeRange.Start.Time),
			in.CreateTimeRange != nil && in.CreateTimeRange.End != nil && d.created.After(in.CreateTimeRange.End.Time):
			continue
		}
		ids = append(ids, d.id)
	}
	out := &listDeploymentsOutput{}
	var err error
	out.Deployments, out.NextToken, err = codeDeployPage(ids, in.NextToken)
	return out, err
}

type continueDeploymentInput struct {
	DeploymentID       string `json:"deploymentId"`
	DeploymentWaitType string `json:"deploymentWaitType"`
}

// continueDeployment ends the ready wait (READY_WAIT, the default) or the termination wait.
func (e *Emulator) continueDeployment(_ context.Context, in *continueDeploymentInput) (*empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.findDeployment(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	wait := in.DeploymentWaitType
	if wait == "" {
		wait = "READY_WAIT"
	}
	if wait != "READY_WAIT" && wait != "TERMINATION_WAIT" {
		return nil, clientErr("InvalidDeploymentWaitTypeException", "The wait type %s is invalid.", wait)
	}
	if d.terminal() {
		return nil, clientErr("DeploymentAlreadyCompletedException", "The deployment %s has already completed.", d.id)
	}
	switch {
	case wait == "READY_WAIT" && d.status == statusReady:
		d.readyContinued = true
	case wait == "TERMINATION_WAIT" && d.inTerminationWait():
		d.terminationContinued = true
	default:
		return nil, clientErr("DeploymentIsNotInReadyStateException",
			"The deployment %s is not in a state where it can continue with wait type %s.", d.id, wait)
	}
	e.log.Info("codedeploy deployment continued", "deployment", d.id, "waitType", wait)
	return &empty{}, nil
}

type stopDeploymentInput struct {
	DeploymentID        string `json:"deploymentId"`
	AutoRollbackEnabled *bool  `json:"autoRollbackEnabled"`
}

type stopDeploymentOutput struct {
	Status        string `json:"status"`
	StatusMessage string `json:"statusMessage"`
}

// requestStop records a StopDeployment request (the first one wins), which takes effect StopSeconds
// later; the caller holds e.mu.
func (e *Emulator) requestStop(d *deployment, autoRollback *bool) {
	if d.stopRequest == nil {
		d.stopAt = e.now().Add(seconds(e.stopDelay))
		d.stopRequest = &outcome{status: statusStopped, code: "MANUAL_STOP",
			message: "The deployment was stopped by a user request.", rollbackEvent: "DEPLOYMENT_STOP_ON_REQUEST",
			forceRollback: autoRollback}
	}
	e.log.Info("codedeploy deployment stop requested", "deployment", d.id)
}

// stopDeployment asks the deployment to stop; it answers Pending and the engine stops it (and
// starts the rollback deployment) StopSeconds later.
func (e *Emulator) stopDeployment(_ context.Context, in *stopDeploymentInput) (*stopDeploymentOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.findDeployment(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if d.terminal() {
		return nil, clientErr("DeploymentAlreadyCompletedException", "The deployment %s has already completed.", d.id)
	}
	e.requestStop(d, in.AutoRollbackEnabled)
	return &stopDeploymentOutput{Status: "Pending", StatusMessage: "Stopping Pending. Stopping to deploy " + d.id}, nil
}
