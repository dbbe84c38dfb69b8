package emulator

import (
	"fmt"
	"time"
)

// Traffic routing types of a deployment configuration.
const (
	AllAtOnce       = "AllAtOnce"
	TimeBasedCanary = "TimeBasedCanary"
	TimeBasedLinear = "TimeBasedLinear"
)

// TrafficRouting is how a deployment configuration shifts production traffic: all at once, a
// canary (Percentage, then the rest after IntervalMinutes) or linear (Percentage more every
// IntervalMinutes).
type TrafficRouting struct {
	Type            string
	Percentage      int
	IntervalMinutes int
}

// DeploymentGroupInput describes an ECS blue/green deployment group (BLUE_GREEN,
// WITH_TRAFFIC_CONTROL).
type DeploymentGroupInput struct {
	ApplicationName      string
	Name                 string
	ServiceRoleARN       string
	DeploymentConfigName string // default CodeDeployDefault.ECSAllAtOnce
	ClusterName          string
	ServiceName          string
	// TargetGroupNames is the target group pair; the service starts on the first.
	TargetGroupNames [2]string
	ProdListenerARNs []string
	TestListenerARNs []string // optional
	// ReadyAction is CONTINUE_DEPLOYMENT (default) or STOP_DEPLOYMENT (wait ReadyWaitMinutes for
	// ContinueDeployment READY_WAIT).
	ReadyAction      string
	ReadyWaitMinutes int
	// TerminationAction is TERMINATE (default) or KEEP_ALIVE; the original task set is removed
	// TerminationWaitMinutes after traffic has moved.
	TerminationAction      string
	TerminationWaitMinutes int
	AutoRollbackEnabled    bool
	AutoRollbackEvents     []string // DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST
	AlarmsEnabled          bool
	AlarmNames             []string
	IgnorePollAlarmFailure bool
}

// predefinedConfigs are CodeDeploy's built-in ECS deployment configurations.
var predefinedConfigs = []struct {
	name    string
	routing TrafficRouting
}{
	{"CodeDeployDefault.ECSAllAtOnce", TrafficRouting{Type: AllAtOnce}},
	{"CodeDeployDefault.ECSCanary10Percent5Minutes", TrafficRouting{TimeBasedCanary, 10, 5}},
	{"CodeDeployDefault.ECSCanary10Percent15Minutes", TrafficRouting{TimeBasedCanary, 10, 15}},
	{"CodeDeployDefault.ECSLinear10PercentEvery1Minutes", TrafficRouting{TimeBasedLinear, 10, 1}},
	{"CodeDeployDefault.ECSLinear10PercentEvery3Minutes", TrafficRouting{TimeBasedLinear, 10, 3}},
}

type cdState struct {
	apps        []*application
	configs     []*deploymentConfig
	deployments []*deployment // creation order
}

func (s *cdState) init() {
	created := time.Date(2019, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, p := range predefinedConfigs {
		s.configs = append(s.configs, &deploymentConfig{id: randomUUID(), name: p.name, routing: p.routing,
			created: created})
	}
}

type application struct {
	id, name  string
	created   time.Time
	groups    []*deploymentGroup
	revisions []*revisionRecord
}

type deploymentConfig struct {
	id, name string
	routing  TrafficRouting
	created  time.Time
}

type deploymentGroup struct {
	id             string
	app            *application
	spec           DeploymentGroupInput
	active         *deployment // the one deployment not yet completed, if any
	lastAttempted  *deployment
	lastSuccessful *deployment
}

// revisionRecord is an application revision CodeDeploy registered by using it.
type revisionRecord struct {
	rev       revisionLocation
	groups    []string
	firstUsed time.Time
	lastUsed  time.Time
}

// CreateApplication creates a CodeDeploy application (compute platform ECS) and returns its id.
func (e *Emulator) CreateApplication(name string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if name == "" {
		return "", fmt.Errorf("create application: name is required")
	}
	if e.applicationByName(name) != nil {
		return "", fmt.Errorf("create application %s: already exists", name)
	}
	a := &application{id: randomUUID(), name: name, created: e.now()}
	e.cd.apps = append(e.cd.apps, a)
	return a.id, nil
}

// CreateDeploymentConfig creates a custom ECS deployment configuration.
func (e *Emulator) CreateDeploymentConfig(name string, routing TrafficRouting) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.configByName(name) != nil {
		return fmt.Errorf("create deployment config %s: already exists", name)
	}
	switch routing.Type {
	case AllAtOnce:
	case TimeBasedCanary, TimeBasedLinear:
		if routing.Percentage < 1 || routing.Percentage > 99 || routing.IntervalMinutes < 1 {
			return fmt.Errorf("create deployment config %s: percentage must be 1-99 and interval at least 1 minute", name)
		}
	default:
		return fmt.Errorf("create deployment config %s: unknown traffic routing type %q", name, routing.Type)
	}
	e.cd.configs = append(e.cd.configs, &deploymentConfig{id: randomUUID(), name: name, routing: routing,
		created: e.now()})
	return nil
}

// CreateDeploymentGroup creates an ECS blue/green deployment group and returns its id.
func (e *Emulator) CreateDeploymentGroup(in DeploymentGroupInput) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.applicationByName(in.ApplicationName)
	if a == nil {
		return "", fmt.Errorf("create deployment group %s: application %s not found", in.Name, in.ApplicationName)
	}
	if a.group(in.Name) != nil {
		return "", fmt.Errorf("create deployment group %s: already exists", in.Name)
	}
	if in.DeploymentConfigName == "" {
		in.DeploymentConfigName = "CodeDeployDefault.ECSAllAtOnce"
	}
	if e.configByName(in.DeploymentConfigName) == nil {
		return "", fmt.Errorf("create deployment group %s: deployment config %s not found", in.Name, in.DeploymentConfigName)
	}
	if in.ReadyAction == "" {
		in.ReadyAction = "CONTINUE_DEPLOYMENT"
	}
	if in.TerminationAction == "" {
		in.TerminationAction = "TERMINATE"
	}
	c := e.clusterByName(in.ClusterName)
	if c == nil || e.serviceByName(c, in.ServiceName) == nil {
		return "", fmt.Errorf("create deployment group %s: service %s in cluster %s not found", in.Name, in.ServiceName, in.ClusterName)
	}
	for _, tg := range in.TargetGroupNames {
		if e.targetGroupByName(tg) == nil {
			return "", fmt.Errorf("create deployment group %s: target group %q not found", in.Name, tg)
		}
	}
	if len(in.ProdListenerARNs) == 0 {
		return "", fmt.Errorf("create deployment group %s: a production listener is required", in.Name)
	}
	for _, arn := range append(append([]string{}, in.ProdListenerARNs...), in.TestListenerARNs...) {
		if e.listenerByARN(arn) == nil {
			return "", fmt.Errorf("create deployment group %s: listener %s not found", in.Name, arn)
		}
	}
	g := &deploymentGroup{id: randomUUID(), app: a, spec: in}
	a.groups = append(a.groups, g)
	return g.id, nil
}

func (e *Emulator) applicationByName(name string) *application {
	for _, a := range e.cd.apps {
		if a.name == name {
			return a
		}
	}
	return nil
}

func (a *application) group(name string) *deploymentGroup {
	for _, g := range a.groups {
		if g.spec.Name == name {
			return g
		}
	}
	return nil
}

func (e *Emulator) configByName(name string) *deploymentConfig {
	for _, c := range e.cd.configs {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (e *Emulator) deploymentByID(id string) *deployment {
	for _, d := range e.cd.deployments {
		if d.id == id {
			return d
		}
	}
	return nil
}
