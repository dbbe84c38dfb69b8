package emulator

import (
	"context"
	"slices"
	"sort"
	"strings"
)

func (e *Emulator) ecsService() *service {
	return &service{
		name:          "ecs",
		signingName:   "ecs",
		targetPrefix:  "AmazonEC2ContainerServiceV20141113",
		internalShape: "ServerException",
		ops: map[string]operation{
			"DescribeServices":       op(e.describeServices),
			"DescribeTaskSets":       op(e.describeTaskSets),
			"DescribeTaskDefinition": op(e.describeTaskDefinition),
			"RegisterTaskDefinition": op(e.registerTaskDefinitionAPI),
			"ListTasks":              op(e.listTasks),
			"DescribeTasks":          op(e.describeTasks),
			"TagResource":            op(e.tagResource),
			"ListTagsForResource":    op(e.listTagsForResource),
			"ListClusters":           op(e.listClusters),
			"ListTaskDefinitions":    op(e.listTaskDefinitions),
		},
	}
}

var (
	errClusterNotFound = func() error { return clientErr("ClusterNotFoundException", "Cluster not found.") }
	errServiceNotFound = func() error { return clientErr("ServiceNotFoundException", "Service not found.") }
)

type ecsFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// missing is the failure ECS reports for a resource of the cluster it cannot find: MISSING with the
// ARN asked for, or the one a name would have.
func (e *Emulator) missing(c *cluster, kind, ref string) ecsFailure {
	arn := ref
	if !strings.HasPrefix(ref, "arn:") {
		arn = e.arn("ecs", kind+"/"+c.name+"/"+ref)
	}
	return ecsFailure{Arn: arn, Reason: "MISSING"}
}

type ecsLoadBalancer struct {
	TargetGroupArn string `json:"targetGroupArn"`
	ContainerName  string `json:"containerName"`
	ContainerPort  int    `json:"containerPort"`
}

type awsvpcConfiguration struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
	AssignPublicIp string   `json:"assignPublicIp"`
}

type networkConfiguration struct {
	AwsvpcConfiguration awsvpcConfiguration `json:"awsvpcConfiguration"`
}

type ecsScale struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

type taskSetDescription struct {
	ID                   string               `json:"id"`
	TaskSetArn           string               `json:"taskSetArn"`
	ServiceArn           string               `json:"serviceArn"`
	ClusterArn           string               `json:"clusterArn"`
	StartedBy            string               `json:"startedBy,omitempty"`
	ExternalID           string               `json:"externalId,omitempty"`
	Status               string               `json:"status"`
	TaskDefinition       string               `json:"taskDefinition"`
	ComputedDesiredCount int                  `json:"computedDesiredCount"`
	PendingCount         int                  `json:"pendingCount"`
	RunningCount         int                  `json:"runningCount"`
	CreatedAt            *awsTime             `json:"createdAt,omitempty"`
	UpdatedAt            *awsTime             `json:"updatedAt,omitempty"`
	LaunchType           string               `json:"launchType"`
	PlatformVersion      string               `json:"platformVersion"`
	PlatformFamily       string               `json:"platformFamily"`
	NetworkConfiguration networkConfiguration `json:"networkConfiguration"`
	LoadBalancers        []ecsLoadBalancer    `json:"loadBalancers"`
	ServiceRegistries    []struct{}           `json:"serviceRegistries"`
	Scale                ecsScale             `json:"scale"`
	StabilityStatus      string               `json:"stabilityStatus"`
	StabilityStatusAt    *awsTime             `json:"stabilityStatusAt,omitempty"`
	Tags                 []Tag                `json:"tags,omitempty"`
}

func (s *ecsService) network() networkConfiguration {
	assign := "DISABLED"
	if s.assignPublicIP {
		assign = "ENABLED"
	}
	return networkConfiguration{AwsvpcConfiguration: awsvpcConfiguration{Subnets: nonNil(s.subnets),
		SecurityGroups: nonNil(s.securityGroups), AssignPublicIp: assign}}
}

func (ts *taskSet) loadBalancers() []ecsLoadBalancer {
	if ts.tg == nil {
		return []ecsLoadBalancer{}
	}
	return []ecsLoadBalancer{{TargetGroupArn: ts.tg.arn, ContainerName: ts.containerName, ContainerPort: ts.containerPort}}
}

func (ts *taskSet) describe() taskSetDescription {
	pending, running := ts.counts()
	stability := "STABILIZING"
	if ts.steady {
		stability = "STEADY_STATE"
	}
	return taskSetDescription{ID: ts.id, TaskSetArn: ts.arn, ServiceArn: ts.svc.arn, ClusterArn: ts.svc.cluster.arn,
		StartedBy: ts.startedBy, ExternalID: ts.externalID, Status: ts.status, TaskDefinition: ts.td.arn,
		ComputedDesiredCount: ts.desired(), PendingCount: pending, RunningCount: running,
		CreatedAt: newTime(ts.created), UpdatedAt: newTime(ts.updated), LaunchType: ts.svc.launchType,
		PlatformVersion: ts.svc.resolvedPlatformVersion(), PlatformFamily: "Linux", NetworkConfiguration: ts.svc.network(),
		LoadBalancers: ts.loadBalancers(), ServiceRegistries: []struct{}{},
		Scale: ecsScale{Value: 100, Unit: "PERCENT"}, StabilityStatus: stability,
		StabilityStatusAt: newTime(ts.stableAt)}
}

type deploymentController struct {
	Type string `json:"type"`
}

type deploymentConfiguration struct {
	MaximumPercent        int `json:"maximumPercent"`
	MinimumHealthyPercent int `json:"minimumHealthyPercent"`
}

type serviceEventDescription struct {
	ID        string   `json:"id"`
	CreatedAt *awsTime `json:"createdAt"`
	Message   string   `json:"message"`
}

type serviceDescription struct {
	ServiceArn                    string                    `json:"serviceArn"`
	ServiceName                   string                    `json:"serviceName"`
	ClusterArn                    string                    `json:"clusterArn"`
	LoadBalancers                 []ecsLoadBalancer         `json:"loadBalancers"`
	ServiceRegistries             []struct{}                `json:"serviceRegistries"`
	Status                        string                    `json:"status"`
	DesiredCount                  int                       `json:"desiredCount"`
	RunningCount                  int                       `json:"runningCount"`
	PendingCount                  int                       `json:"pendingCount"`
	LaunchType                    string                    `json:"launchType"`
	PlatformVersion               string                    `json:"platformVersion"`
	PlatformFamily                string                    `json:"platformFamily"`
	TaskDefinition                string                    `json:"taskDefinition,omitempty"`
	DeploymentConfiguration       deploymentConfiguration   `json:"deploymentConfiguration"`
	TaskSets                      []taskSetDescription      `json:"taskSets"`
	Deployments                   []struct{}                `json:"deployments"`
	Events                        []serviceEventDescription `json:"events"`
	CreatedAt                     *awsTime                  `json:"createdAt"`
	PlacementConstraints          []struct{}                `json:"placementConstraints"`
	PlacementStrategy             []struct{}                `json:"placementStrategy"`
	NetworkConfiguration          networkConfiguration      `json:"networkConfiguration"`
	HealthCheckGracePeriodSeconds int                       `json:"healthCheckGracePeriodSeconds"`
	SchedulingStrategy            string                    `json:"schedulingStrategy"`
	DeploymentController          deploymentController      `json:"deploymentController"`
	Tags                          []Tag                     `json:"tags,omitempty"`
	CreatedBy                     string                    `json:"createdBy"`
	EnableECSManagedTags          bool                      `json:"enableECSManagedTags"`
	PropagateTags                 string                    `json:"propagateTags"`
	EnableExecuteCommand          bool                      `json:"enableExecuteCommand"`
}

// describeService renders a service; with the CODE_DEPLOY controller its taskDefinition and loadBalancers
// are those of the PRIMARY task set, and deployments is empty (CodeDeploy's are task sets).
func (e *Emulator) describeService(s *ecsService, withTags bool) serviceDescription {
	pending, running := s.counts()
	d := serviceDescription{ServiceArn: s.arn, ServiceName: s.name, ClusterArn: s.cluster.arn,
		LoadBalancers: []ecsLoadBalancer{}, ServiceRegistries: []struct{}{}, Status: "ACTIVE",
		DesiredCount: s.desiredCount, RunningCount: running, PendingCount: pending, LaunchType: s.launchType,
		PlatformVersion: s.platformVersion, PlatformFamily: "Linux",
		DeploymentConfiguration: deploymentConfiguration{MaximumPercent: 200, MinimumHealthyPercent: 100},
		TaskSets:                []taskSetDescription{}, Deployments: []struct{}{}, Events: []serviceEventDescription{},
		CreatedAt: newTime(s.created), PlacementConstraints: []struct{}{}, PlacementStrategy: []struct{}{},
		NetworkConfiguration: s.network(), HealthCheckGracePeriodSeconds: s.healthGrace,
		SchedulingStrategy: "REPLICA", DeploymentController: deploymentController{Type: "CODE_DEPLOY"},
		CreatedBy: e.arn("iam", "role/provisioner"), PropagateTags: "NONE"}
	if p := s.primary(); p != nil {
		d.TaskDefinition = p.td.arn
		d.LoadBalancers = p.loadBalancers()
	}
	for _, ts := range s.taskSets {
		d.TaskSets = append(d.TaskSets, ts.describe())
	}
	for _, ev := range s.events {
		d.Events = append(d.Events, serviceEventDescription{ID: ev.id, CreatedAt: newTime(ev.created), Message: ev.message})
	}
	if withTags {
		d.Tags = nonNil(s.tags)
	}
	return d
}

type describeServicesInput struct {
	Cluster  string   `json:"cluster"`
	Services []string `json:"services"`
	Include  []string `json:"include"`
}

type describeServicesOutput struct {
	Services []serviceDescription `json:"services"`
	Failures []ecsFailure         `json:"failures"`
}

func (e *Emulator) describeServices(_ context.Context, in *describeServicesInput) (*describeServicesOutput, error) {
	if len(in.Services) == 0 {
		return nil, clientErr("InvalidParameterException", "Services cannot be empty.")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.clusterByRef(in.Cluster)
	if c == nil {
		return nil, errClusterNotFound()
	}
	out := &describeServicesOutput{Services: []serviceDescription{}, Failures: []ecsFailure{}}
	for _, name := range in.Services {
		s := e.serviceByName(c, name)
		if s == nil {
			out.Failures = append(out.Failures, e.missing(c, "service", name))
			continue
		}
		out.Services = append(out.Services, e.describeService(s, containsString(in.Include, "TAGS")))
	}
	return out, nil
}

type describeTaskSetsInput struct {
	Cluster  string   `json:"cluster"`
	Service  string   `json:"service"`
	TaskSets []string `json:"taskSets"`
}

type describeTaskSetsOutput struct {
	TaskSets []taskSetDescription `json:"taskSets"`
	Failures []ecsFailure         `json:"failures"`
}

func (e *Emulator) describeTaskSets(_ context.Context, in *describeTaskSetsInput) (*describeTaskSetsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.clusterByRef(in.Cluster)
	if c == nil {
		return nil, errClusterNotFound()
	}
	s := e.serviceByName(c, in.Service)
	if s == nil {
		return nil, errServiceNotFound()
	}
	out := &describeTaskSetsOutput{TaskSets: []taskSetDescription{}, Failures: []ecsFailure{}}
	for _, ts := range s.taskSets {
		if len(in.TaskSets) == 0 || containsString(in.TaskSets, ts.id) || containsString(in.TaskSets, ts.arn) {
			out.TaskSets = append(out.TaskSets, ts.describe())
		}
	}
	for _, ref := range in.TaskSets {
		found := false
		for _, ts := range s.taskSets {
			found = found || ref == ts.id || ref == ts.arn
		}
		if !found {
			out.Failures = append(out.Failures, ecsFailure{Arn: ref, Reason: "MISSING"})
		}
	}
	return out, nil
}

// ecsListPage pages an ECS List* answer: maxResults 1-100 (100 when absent) after nextToken.
func ecsListPage(list []string, token string, maxResults int) ([]string, string, error) {
	n, ok := pageSize(maxResults, 100, 1, 100)
	if !ok {
		return nil, "", clientErr("InvalidParameterException", "maxResults must be between 1 and 100.")
	}
	page, next, ok := pageOf(list, token, n)
	if !ok {
		return nil, "", clientErr("InvalidParameterException", "Invalid nextToken.")
	}
	return nonNil(page), next, nil
}

type listInput struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

type listClustersOutput struct {
	ClusterArns []string `json:"clusterArns"`
	NextToken   string   `json:"nextToken,omitempty"`
}

func (e *Emulator) listClusters(_ context.Context, in *listInput) (*listClustersOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var arns []string
	for _, c := range e.ecs.clusters {
		arns = append(arns, c.arn)
	}
	out := &listClustersOutput{}
	var err error
	out.ClusterArns, out.NextToken, err = ecsListPage(arns, in.NextToken, in.MaxResults)
	return out, err
}

type listTaskDefinitionsInput struct {
	FamilyPrefix string `json:"familyPrefix"`
	Status       string `json:"status"`
	Sort         string `json:"sort"`
	listInput
}

type listTaskDefinitionsOutput struct {
	TaskDefinitionArns []string `json:"taskDefinitionArns"`
	NextToken          string   `json:"nextToken,omitempty"`
}

// listTaskDefinitions lists ACTIVE revisions (the emulator deregisters none) by family name, then
// revision, ascending unless sort is DESC.
func (e *Emulator) listTaskDefinitions(_ context.Context, in *listTaskDefinitionsInput) (*listTaskDefinitionsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	families := make([]string, 0, len(e.ecs.families))
	for f := range e.ecs.families {
		if strings.HasPrefix(f, in.FamilyPrefix) {
			families = append(families, f)
		}
	}
	sort.Strings(families)
	var arns []string
	for _, f := range families {
		for _, td := range e.ecs.families[f] {
			arns = append(arns, td.arn)
		}
	}
	if in.Status != "" && in.Status != "ACTIVE" {
		arns = nil
	}
	if in.Sort == "DESC" {
		slices.Reverse(arns)
	}
	out := &listTaskDefinitionsOutput{}
	var err error
	out.TaskDefinitionArns, out.NextToken, err = ecsListPage(arns, in.NextToken, in.MaxResults)
	return out, err
}

type tagResourceInput struct {
	ResourceArn string `json:"resourceArn"`
	Tags        []Tag  `json:"tags"`
}

// resourceTags returns the tag list of an ECS resource ARN, or nil when it does not exist.
func (e *Emulator) resourceTags(arn string) *[]Tag {
	for _, c := range e.ecs.clusters {
		if c.arn == arn {
			return &c.tags
		}
	}
	for _, s := range e.ecs.services {
		if s.arn == arn {
			return &s.tags
		}
	}
	for _, revs := range e.ecs.families {
		for _, td := range revs {
			if td.arn == arn {
				return &td.tags
			}
		}
	}
	return nil
}

func (e *Emulator) tagResource(_ context.Context, in *tagResourceInput) (*empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tags := e.resourceTags(in.ResourceArn)
	if tags == nil {
		return nil, clientErr("ResourceNotFoundException", "The specified resource could not be found.")
	}
	*tags = mergeTags(*tags, in.Tags)
	return &empty{}, nil
}

type listTagsForResourceInput struct {
	ResourceArn string `json:"resourceArn"`
}

type listTagsForResourceOutput struct {
	Tags []Tag `json:"tags"`
}

func (e *Emulator) listTagsForResource(_ context.Context, in *listTagsForResourceInput) (*listTagsForResourceOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	tags := e.resourceTags(in.ResourceArn)
	if tags == nil {
		return nil, clientErr("ResourceNotFoundException", "The specified resource could not be found.")
	}
	return &listTagsForResourceOutput{Tags: nonNil(*tags)}, nil
}

// mergeTags adds or overwrites tags by key.
func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value, replaced = t.Value, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

// nonNil returns list, or an empty list for nil so that JSON writes [] as AWS does.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
