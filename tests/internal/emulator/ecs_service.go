package emulator

import (
	"fmt"
	"strings"
	"time"
)

// ServiceLoadBalancer is the service's one load balancer entry (the initial target group).
type ServiceLoadBalancer struct {
	TargetGroupARN string
	ContainerName  string
	ContainerPort  int
}

// ServiceInput describes an ECS service with the CODE_DEPLOY deployment controller.
type ServiceInput struct {
	Cluster                       string // name or ARN
	Name                          string
	TaskDefinition                string // ARN, family:revision or family
	DesiredCount                  int
	LoadBalancer                  ServiceLoadBalancer
	HealthCheckGracePeriodSeconds int
	LaunchType                    string // FARGATE (default)
	PlatformVersion               string // LATEST (default)
	Subnets                       []string
	SecurityGroups                []string
	AssignPublicIP                bool
	Tags                          []Tag
}

// Service is a created ECS service.
type Service struct {
	ARN        string
	Name       string
	ClusterARN string
}

type ecsService struct {
	arn, name                   string
	cluster                     *cluster
	desiredCount                int
	launchType, platformVersion string
	subnets, securityGroups     []string
	assignPublicIP              bool
	healthGrace                 int
	created                     time.Time
	taskSets                    []*taskSet
	events                      []serviceEvent // newest first, as DescribeServices lists them
	tags                        []Tag
}

type serviceEvent struct {
	id      string
	created time.Time
	message string
}

// taskSet is an ECS task set: the unit CodeDeploy creates, shifts traffic to and deletes.
type taskSet struct {
	id, arn       string
	svc           *ecsService
	td            *taskDef
	tg            *targetGroup
	containerName string
	containerPort int
	status        string // PRIMARY, ACTIVE, DRAINING
	startedBy     string
	externalID    string
	created       time.Time
	updated       time.Time
	stableAt      time.Time
	steady        bool
	tasks         []*task // tasks the set wants running (stopping ones are removed)
	failures      int     // consecutive tasks that stopped on their own: launch backoff
	nextLaunch    time.Time
}

// CreateService creates a CODE_DEPLOY-controlled service: its initial task set is PRIMARY on the
// service's target group and the scheduler starts DesiredCount real tasks registered in it.
func (e *Emulator) CreateService(in ServiceInput) (Service, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.clusterByRef(in.Cluster)
	if c == nil {
		return Service{}, fmt.Errorf("create service %s: cluster %s not found", in.Name, in.Cluster)
	}
	if in.Name == "" {
		return Service{}, fmt.Errorf("create service: name is required")
	}
	if e.serviceByName(c, in.Name) != nil {
		return Service{}, fmt.Errorf("create service %s: already exists in cluster %s", in.Name, c.name)
	}
	td := e.taskDefByRef(in.TaskDefinition)
	if td == nil {
		return Service{}, fmt.Errorf("create service %s: task definition %s not found", in.Name, in.TaskDefinition)
	}
	tg := e.targetGroupByARN(in.LoadBalancer.TargetGroupARN)
	if tg == nil {
		return Service{}, fmt.Errorf("create service %s: target group %s not found", in.Name, in.LoadBalancer.TargetGroupARN)
	}
	s := &ecsService{name: in.Name, cluster: c, desiredCount: in.DesiredCount, launchType: in.LaunchType,
		platformVersion: in.PlatformVersion, subnets: in.Subnets, securityGroups: in.SecurityGroups,
		assignPublicIP: in.AssignPublicIP, healthGrace: in.HealthCheckGracePeriodSeconds, created: e.now(),
		tags: in.Tags}
	if s.launchType == "" {
		s.launchType = "FARGATE"
	}
	if s.platformVersion == "" {
		s.platformVersion = "LATEST"
	}
	s.arn = e.arn("ecs", "service/"+c.name+"/"+s.name)
	e.ecs.services = append(e.ecs.services, s)
	ts := e.createTaskSet(s, td, tg, in.LoadBalancer.ContainerName, in.LoadBalancer.ContainerPort, "", "")
	ts.status = "PRIMARY"
	e.goBackground(func() { e.superviseService(s) })
	return Service{ARN: s.arn, Name: s.name, ClusterARN: c.arn}, nil
}

// createTaskSet adds an ACTIVE task set at scale 100% of the service's desired count.
func (e *Emulator) createTaskSet(s *ecsService, td *taskDef, tg *targetGroup, container string, port int,
	startedBy, externalID string) *taskSet {
	ts := &taskSet{id: "ecs-svc/" + randomDigits(19), svc: s, td: td, tg: tg, containerName: container,
		containerPort: port, status: "ACTIVE", startedBy: startedBy, externalID: externalID,
		created: e.now(), updated: e.now()}
	ts.arn = e.arn("ecs", "task-set/"+s.cluster.name+"/"+s.name+"/"+ts.id)
	s.taskSets = append(s.taskSets, ts)
	return ts
}

// setPrimary makes ts the service's PRIMARY task set (UpdateServicePrimaryTaskSet); the previous
// primary becomes ACTIVE. The service's taskDefinition and loadBalancers follow the primary.
func (e *Emulator) setPrimary(ts *taskSet) {
	for _, other := range ts.svc.taskSets {
		if other.status == "PRIMARY" && other != ts {
			other.status = "ACTIVE"
			other.updated = e.now()
		}
	}
	ts.status = "PRIMARY"
	ts.updated = e.now()
}

// deleteTaskSet drains a task set: its targets are deregistered (draining for the group's
// deregistration delay) and its tasks stopped after that; the set disappears once they are.
func (e *Emulator) deleteTaskSet(ts *taskSet) {
	ts.status = "DRAINING"
	ts.updated = e.now()
	e.addEvent(ts.svc, fmt.Sprintf("(service %s, taskSet %s) has begun draining connections on %d tasks.",
		ts.svc.name, ts.id, len(ts.tasks)))
	for _, t := range append([]*task(nil), ts.tasks...) {
		e.stopTask(t, "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment "+ts.id+")")
	}
}

// resolvedPlatformVersion is the Fargate platform version task sets and tasks report: LATEST is
// 1.4.0.
func (s *ecsService) resolvedPlatformVersion() string {
	if s.platformVersion == "LATEST" {
		return "1.4.0"
	}
	return s.platformVersion
}

// primary returns the service's PRIMARY task set.
func (s *ecsService) primary() *taskSet {
	for _, ts := range s.taskSets {
		if ts.status == "PRIMARY" {
			return ts
		}
	}
	return nil
}

func (e *Emulator) serviceByName(c *cluster, name string) *ecsService {
	name = strings.TrimPrefix(arnResource(name), "service/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	for _, s := range e.ecs.services {
		if s.cluster == c && s.name == name {
			return s
		}
	}
	return nil
}

// addEvent records a service event (DescribeServices keeps the newest 100) and logs it.
func (e *Emulator) addEvent(s *ecsService, msg string) {
	s.events = append([]serviceEvent{{id: randomUUID(), created: e.now(), message: msg}}, s.events...)
	if len(s.events) > 100 {
		s.events = s.events[:100]
	}
	e.log.Info("ecs event", "message", msg)
}

// desired returns how many tasks a task set wants: its scale (100%) of the service's desired count.
func (ts *taskSet) desired() int {
	if ts.status == "DRAINING" {
		return 0
	}
	return ts.svc.desiredCount
}

// counts returns the task set's pending and running task counts.
func (ts *taskSet) counts() (pending, running int) {
	for _, t := range ts.tasks {
		switch t.lastStatus() {
		case "RUNNING":
			running++
		case "STOPPED", "DEACTIVATING", "STOPPING", "DEPROVISIONING":
		default:
			pending++
		}
	}
	return pending, running
}

// serviceCounts sums the counts of every task set, as DescribeServices reports them.
func (s *ecsService) counts() (pending, running int) {
	for _, ts := range s.taskSets {
		p, r := ts.counts()
		pending += p
		running += r
	}
	return pending, running
}
