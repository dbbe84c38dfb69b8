package emulator

import (
	"context"
	"time"
)

func (e *Emulator) codeDeployService() *service {
	return &service{
		name:          "codedeploy",
		signingName:   "codedeploy",
		targetPrefix:  "CodeDeploy_20141006",
		internalShape: "InternalFailure",
		ops: map[string]operation{
			"GetApplication":            op(e.getApplication),
			"ListApplications":          op(e.listApplications),
			"ListDeploymentGroups":      op(e.listDeploymentGroups),
			"GetDeploymentGroup":        op(e.getDeploymentGroup),
			"GetDeploymentConfig":       op(e.getDeploymentConfig),
			"GetApplicationRevision":    op(e.getApplicationRevision),
			"CreateDeployment":          op(e.createDeployment),
			"GetDeployment":             op(e.getDeployment),
			"ListDeployments":           op(e.listDeployments),
			"ContinueDeployment":        op(e.continueDeployment),
			"StopDeployment":            op(e.stopDeployment),
			"ListDeploymentTargets":     op(e.listDeploymentTargets),
			"GetDeploymentTarget":       op(e.getDeploymentTarget),
			"BatchGetDeploymentTargets": op(e.batchGetDeploymentTargets),
		},
	}
}

// findApplication resolves an application name with CodeDeploy's errors.
func (e *Emulator) findApplication(name string) (*application, error) {
	if name == "" {
		return nil, clientErr("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
	}
	a := e.applicationByName(name)
	if a == nil {
		return nil, clientErr("ApplicationDoesNotExistException", "No application found for name: %s", name)
	}
	return a, nil
}

// findGroup resolves an application and deployment group name with CodeDeploy's errors.
func (e *Emulator) findGroup(app, name string) (*deploymentGroup, error) {
	a, err := e.findApplication(app)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, clientErr("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
	}
	g := a.group(name)
	if g == nil {
		return nil, clientErr("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: %s", name)
	}
	return g, nil
}

type applicationInfo struct {
	ApplicationID   string   `json:"applicationId"`
	ApplicationName string   `json:"applicationName"`
	CreateTime      *awsTime `json:"createTime"`
	LinkedToGitHub  bool     `json:"linkedToGitHub"`
	ComputePlatform string   `json:"computePlatform"`
}

type applicationNameInput struct {
	ApplicationName string `json:"applicationName"`
	NextToken       string `json:"nextToken"` // for the List* calls that take it
}

// codeDeployPage pages a CodeDeploy List* answer: 100 a page after nextToken.
func codeDeployPage(list []string, token string) ([]string, string, error) {
	page, next, ok := pageOf(list, token, 100)
	if !ok {
		return nil, "", clientErr("InvalidNextTokenException", "The next token was specified in an invalid format.")
	}
	return nonNil(page), next, nil
}

type getApplicationOutput struct {
	Application applicationInfo `json:"application"`
}

func (e *Emulator) getApplication(_ context.Context, in *applicationNameInput) (*getApplicationOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.findApplication(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	return &getApplicationOutput{Application: applicationInfo{ApplicationID: a.id, ApplicationName: a.name,
		CreateTime: newTime(a.created), ComputePlatform: "ECS"}}, nil
}

type listApplicationsOutput struct {
	Applications []string `json:"applications"`
	NextToken    string   `json:"nextToken,omitempty"`
}

func (e *Emulator) listApplications(_ context.Context, in *applicationNameInput) (*listApplicationsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var names []string
	for _, a := range e.cd.apps {
		names = append(names, a.name)
	}
	out := &listApplicationsOutput{}
	var err error
	out.Applications, out.NextToken, err = codeDeployPage(names, in.NextToken)
	return out, err
}

type listDeploymentGroupsOutput struct {
	ApplicationName  string   `json:"applicationName"`
	DeploymentGroups []string `json:"deploymentGroups"`
	NextToken        string   `json:"nextToken,omitempty"`
}

func (e *Emulator) listDeploymentGroups(_ context.Context, in *applicationNameInput) (*listDeploymentGroupsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.findApplication(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range a.groups {
		names = append(names, g.spec.Name)
	}
	out := &listDeploymentGroupsOutput{ApplicationName: a.name}
	out.DeploymentGroups, out.NextToken, err = codeDeployPage(names, in.NextToken)
	return out, err
}

type alarm struct {
	Name string `json:"name"`
}

type alarmConfiguration struct {
	Enabled                bool    `json:"enabled"`
	IgnorePollAlarmFailure bool    `json:"ignorePollAlarmFailure"`
	Alarms                 []alarm `json:"alarms"`
}

type autoRollbackConfiguration struct {
	Enabled bool     `json:"enabled"`
	Events  []string `json:"events"`
}

type deploymentStyle struct {
	DeploymentType   string `json:"deploymentType"`
	DeploymentOption string `json:"deploymentOption"`
}

type blueInstanceTerminationOption struct {
	Action                       string `json:"action"`
	TerminationWaitTimeInMinutes int    `json:"terminationWaitTimeInMinutes"`
}

type deploymentReadyOption struct {
	ActionOnTimeout   string `json:"actionOnTimeout"`
	WaitTimeInMinutes int    `json:"waitTimeInMinutes"`
}

type blueGreenDeploymentConfiguration struct {
	TerminateBlueInstancesOnDeploymentSuccess blueInstanceTerminationOption `json:"terminateBlueInstancesOnDeploymentSuccess"`
	DeploymentReadyOption                     deploymentReadyOption         `json:"deploymentReadyOption"`
}

type targetGroupInfo struct {
	Name string `json:"name"`
}

type trafficRoute struct {
	ListenerArns []string `json:"listenerArns"`
}

type targetGroupPairInfo struct {
	TargetGroups     []targetGroupInfo `json:"targetGroups"`
	ProdTrafficRoute trafficRoute      `json:"prodTrafficRoute"`
	TestTrafficRoute *trafficRoute     `json:"testTrafficRoute,omitempty"`
}

type loadBalancerInfo struct {
	TargetGroupPairInfoList []targetGroupPairInfo `json:"targetGroupPairInfoList"`
}

type lastDeploymentInfo struct {
	DeploymentID string   `json:"deploymentId"`
	Status       string   `json:"status"`
	EndTime      *awsTime `json:"endTime,omitempty"`
	CreateTime   *awsTime `json:"createTime"`
}

type ecsServiceRef struct {
	ServiceName string `json:"serviceName"`
	ClusterName string `json:"clusterName"`
}

type deploymentGroupInfo struct {
	ApplicationName                  string                           `json:"applicationName"`
	DeploymentGroupID                string                           `json:"deploymentGroupId"`
	DeploymentGroupName              string                           `json:"deploymentGroupName"`
	DeploymentConfigName             string                           `json:"deploymentConfigName"`
	Ec2TagFilters                    []struct{}                       `json:"ec2TagFilters"`
	OnPremisesInstanceTagFilters     []struct{}                       `json:"onPremisesInstanceTagFilters"`
	AutoScalingGroups                []struct{}                       `json:"autoScalingGroups"`
	ServiceRoleArn                   string                           `json:"serviceRoleArn,omitempty"`
	TargetRevision                   *revisionLocation                `json:"targetRevision,omitempty"`
	TriggerConfigurations            []struct{}                       `json:"triggerConfigurations"`
	AlarmConfiguration               alarmConfiguration               `json:"alarmConfiguration"`
	AutoRollbackConfiguration        autoRollbackConfiguration        `json:"autoRollbackConfiguration"`
	DeploymentStyle                  deploymentStyle                  `json:"deploymentStyle"`
	OutdatedInstancesStrategy        string                           `json:"outdatedInstancesStrategy"`
	BlueGreenDeploymentConfiguration blueGreenDeploymentConfiguration `json:"blueGreenDeploymentConfiguration"`
	LoadBalancerInfo                 loadBalancerInfo                 `json:"loadBalancerInfo"`
	LastSuccessfulDeployment         *lastDeploymentInfo              `json:"lastSuccessfulDeployment,omitempty"`
	LastAttemptedDeployment          *lastDeploymentInfo              `json:"lastAttemptedDeployment,omitempty"`
	ComputePlatform                  string                           `json:"computePlatform"`
	EcsServices                      []ecsServiceRef                  `json:"ecsServices"`
	TerminationHookEnabled           bool                             `json:"terminationHookEnabled"`
}

func (g *deploymentGroup) alarmConfig() alarmConfiguration {
	ac := alarmConfiguration{Enabled: g.spec.AlarmsEnabled, IgnorePollAlarmFailure: g.spec.IgnorePollAlarmFailure,
		Alarms: []alarm{}}
	for _, n := range g.spec.AlarmNames {
		ac.Alarms = append(ac.Alarms, alarm{Name: n})
	}
	return ac
}

func (g *deploymentGroup) blueGreenConfig() blueGreenDeploymentConfiguration {
	return blueGreenDeploymentConfiguration{
		TerminateBlueInstancesOnDeploymentSuccess: blueInstanceTerminationOption{Action: g.spec.TerminationAction,
			TerminationWaitTimeInMinutes: g.spec.TerminationWaitMinutes},
		DeploymentReadyOption: deploymentReadyOption{ActionOnTimeout: g.spec.ReadyAction,
			WaitTimeInMinutes: g.spec.ReadyWaitMinutes},
	}
}

func (g *deploymentGroup) loadBalancerInfo() loadBalancerInfo {
	pair := targetGroupPairInfo{ProdTrafficRoute: trafficRoute{ListenerArns: nonNil(g.spec.ProdListenerARNs)}}
	for _, n := range g.spec.TargetGroupNames {
		pair.TargetGroups = append(pair.TargetGroups, targetGroupInfo{Name: n})
	}
	if len(g.spec.TestListenerARNs) > 0 {
		pair.TestTrafficRoute = &trafficRoute{ListenerArns: g.spec.TestListenerARNs}
	}
	return loadBalancerInfo{TargetGroupPairInfoList: []targetGroupPairInfo{pair}}
}

func lastDeployment(d *deployment) *lastDeploymentInfo {
	if d == nil {
		return nil
	}
	return &lastDeploymentInfo{DeploymentID: d.id, Status: d.status, EndTime: newTime(d.completed),
		CreateTime: newTime(d.created)}
}

type getDeploymentGroupInput struct {
	ApplicationName     string `json:"applicationName"`
	DeploymentGroupName string `json:"deploymentGroupName"`
}

type getDeploymentGroupOutput struct {
	DeploymentGroupInfo deploymentGroupInfo `json:"deploymentGroupInfo"`
}

func (e *Emulator) getDeploymentGroup(_ context.Context, in *getDeploymentGroupInput) (*getDeploymentGroupOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, err := e.findGroup(in.ApplicationName, in.DeploymentGroupName)
	if err != nil {
		return nil, err
	}
	s := g.spec
	info := deploymentGroupInfo{ApplicationName: g.app.name, DeploymentGroupID: g.id, DeploymentGroupName: s.Name,
		DeploymentConfigName: s.DeploymentConfigName, Ec2TagFilters: []struct{}{},
		OnPremisesInstanceTagFilters: []struct{}{}, AutoScalingGroups: []struct{}{}, ServiceRoleArn: s.ServiceRoleARN,
		TriggerConfigurations: []struct{}{}, AlarmConfiguration: g.alarmConfig(),
		AutoRollbackConfiguration: autoRollbackConfiguration{Enabled: s.AutoRollbackEnabled,
			Events: nonNil(s.AutoRollbackEvents)},
		DeploymentStyle:                  deploymentStyle{DeploymentType: "BLUE_GREEN", DeploymentOption: "WITH_TRAFFIC_CONTROL"},
		OutdatedInstancesStrategy:        "UPDATE",
		BlueGreenDeploymentConfiguration: g.blueGreenConfig(), LoadBalancerInfo: g.loadBalancerInfo(),
		LastSuccessfulDeployment: lastDeployment(g.lastSuccessful), LastAttemptedDeployment: lastDeployment(g.lastAttempted),
		ComputePlatform: "ECS", EcsServices: []ecsServiceRef{{ServiceName: s.ServiceName, ClusterName: s.ClusterName}}}
	if g.lastSuccessful != nil {
		info.TargetRevision = g.lastSuccessful.rev.summary()
	}
	return &getDeploymentGroupOutput{DeploymentGroupInfo: info}, nil
}

type timeBasedCanary struct {
	CanaryPercentage int `json:"canaryPercentage"`
	CanaryInterval   int `json:"canaryInterval"`
}

type timeBasedLinear struct {
	LinearPercentage int `json:"linearPercentage"`
	LinearInterval   int `json:"linearInterval"`
}

type trafficRoutingConfig struct {
	Type            string           `json:"type"`
	TimeBasedCanary *timeBasedCanary `json:"timeBasedCanary,omitempty"`
	TimeBasedLinear *timeBasedLinear `json:"timeBasedLinear,omitempty"`
}

type deploymentConfigInfo struct {
	DeploymentConfigID   string               `json:"deploymentConfigId"`
	DeploymentConfigName string               `json:"deploymentConfigName"`
	CreateTime           *awsTime             `json:"createTime"`
	ComputePlatform      string               `json:"computePlatform"`
	TrafficRoutingConfig trafficRoutingConfig `json:"trafficRoutingConfig"`
}

type getDeploymentConfigInput struct {
	DeploymentConfigName string `json:"deploymentConfigName"`
}

type getDeploymentConfigOutput struct {
	DeploymentConfigInfo deploymentConfigInfo `json:"deploymentConfigInfo"`
}

func (e *Emulator) getDeploymentConfig(_ context.Context, in *getDeploymentConfigInput) (*getDeploymentConfigOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if in.DeploymentConfigName == "" {
		return nil, clientErr("DeploymentConfigNameRequiredException", "Deployment configuration name was not specified.")
	}
	c := e.configByName(in.DeploymentConfigName)
	if c == nil {
		return nil, clientErr("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s",
			in.DeploymentConfigName)
	}
	trc := trafficRoutingConfig{Type: c.routing.Type}
	switch c.routing.Type {
	case TimeBasedCanary:
		trc.TimeBasedCanary = &timeBasedCanary{CanaryPercentage: c.routing.Percentage, CanaryInterval: c.routing.IntervalMinutes}
	case TimeBasedLinear:
		trc.TimeBasedLinear = &timeBasedLinear{LinearPercentage: c.routing.Percentage, LinearInterval: c.routing.IntervalMinutes}
	}
	return &getDeploymentConfigOutput{DeploymentConfigInfo: deploymentConfigInfo{DeploymentConfigID: c.id,
		DeploymentConfigName: c.name, CreateTime: newTime(c.created), ComputePlatform: "ECS",
		TrafficRoutingConfig: trc}}, nil
}

type getApplicationRevisionInput struct {
	ApplicationName string            `json:"applicationName"`
	Revision        *revisionLocation `json:"revision"`
}

type genericRevisionInfo struct {
	DeploymentGroups []string `json:"deploymentGroups"`
	FirstUsedTime    *awsTime `json:"firstUsedTime"`
	LastUsedTime     *awsTime `json:"lastUsedTime"`
	RegisterTime     *awsTime `json:"registerTime"`
}

type getApplicationRevisionOutput struct {
	ApplicationName string              `json:"applicationName"`
	Revision        *revisionLocation   `json:"revision"`
	RevisionInfo    genericRevisionInfo `json:"revisionInfo"`
}

// getApplicationRevision answers for revisions registered by being deployed.
func (e *Emulator) getApplicationRevision(_ context.Context, in *getApplicationRevisionInput) (*getApplicationRevisionOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.findApplication(in.ApplicationName)
	if err != nil {
		return nil, err
	}
	if in.Revision == nil || in.Revision.RevisionType == "" {
		return nil, clientErr("RevisionRequiredException", "The revision ID was not specified.")
	}
	if in.Revision.content() == nil {
		return nil, invalidRevision("The revision is missing its %s content.", in.Revision.RevisionType)
	}
	for _, r := range a.revisions {
		if r.rev.sameAs(in.Revision) {
			return &getApplicationRevisionOutput{ApplicationName: a.name, Revision: &r.rev,
				RevisionInfo: genericRevisionInfo{DeploymentGroups: r.groups, FirstUsedTime: newTime(r.firstUsed),
					LastUsedTime: newTime(r.lastUsed), RegisterTime: newTime(r.firstUsed)}}, nil
		}
	}
	return nil, clientErr("RevisionDoesNotExistException", "No application revision found for revision.")
}

// registerRevision records that a group used a revision (CreateDeployment registers it).
func (a *application) registerRevision(rev *revisionLocation, group string, now time.Time) {
	for _, r := range a.revisions {
		if r.rev.sameAs(rev) {
			r.lastUsed = now
			if !containsString(r.groups, group) {
				r.groups = append(r.groups, group)
			}
			return
		}
	}
	a.revisions = append(a.revisions, &revisionRecord{rev: *rev, groups: []string{group}, firstUsed: now, lastUsed: now})
}
