package emulator

import (
	"context"
	"maps"
	"strings"
)

// describeTaskDef renders a task definition with the fields AWS adds at registration.
func (e *Emulator) describeTaskDef(td *taskDef) map[string]any {
	out := maps.Clone(td.body)
	out["taskDefinitionArn"] = td.arn
	out["family"] = td.family
	out["revision"] = td.revision
	out["status"] = "ACTIVE"
	out["compatibilities"] = []string{"EC2", "FARGATE"}
	out["requiresAttributes"] = []map[string]string{
		{"name": "com.amazonaws.ecs.capability.task-iam-role"},
		{"name": "ecs.capability.task-eni"},
		{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"},
	}
	out["registeredAt"] = awsTime{td.registeredAt}
	out["registeredBy"] = e.arn("sts", "assumed-role/deployer/emulator")
	return out
}

type describeTaskDefinitionInput struct {
	TaskDefinition string   `json:"taskDefinition"`
	Include        []string `json:"include"`
}

type taskDefinitionOutput struct {
	TaskDefinition map[string]any `json:"taskDefinition"`
	Tags           []Tag          `json:"tags,omitempty"`
}

func (e *Emulator) describeTaskDefinition(_ context.Context, in *describeTaskDefinitionInput) (*taskDefinitionOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	td := e.taskDefByRef(in.TaskDefinition)
	if td == nil {
		return nil, clientErr("ClientException", "Unable to describe task definition.")
	}
	out := &taskDefinitionOutput{TaskDefinition: e.describeTaskDef(td)}
	if containsString(in.Include, "TAGS") {
		out.Tags = nonNil(td.tags)
	}
	return out, nil
}

// registerTaskDefinitionAPI keeps every field the caller sends, not only those the emulator uses.
func (e *Emulator) registerTaskDefinitionAPI(_ context.Context, in *map[string]any) (*taskDefinitionOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	body := *in
	if body == nil {
		body = map[string]any{}
	}
	td, err := e.registerTaskDef(body)
	if err != nil {
		return nil, err
	}
	e.log.Info("ecs task definition registered", "arn", td.arn)
	return &taskDefinitionOutput{TaskDefinition: e.describeTaskDef(td), Tags: td.tags}, nil
}

type listTasksInput struct {
	Cluster       string `json:"cluster"`
	Family        string `json:"family"`
	StartedBy     string `json:"startedBy"`
	ServiceName   string `json:"serviceName"`
	DesiredStatus string `json:"desiredStatus"`
	LaunchType    string `json:"launchType"`
	listInput
}

type listTasksOutput struct {
	TaskArns  []string `json:"taskArns"`
	NextToken string   `json:"nextToken,omitempty"`
}

// listTasks filters like ECS: by desired status (RUNNING unless asked), service (the task's
// group), startedBy (the task set id for service tasks) and family; it answers at most maxResults
// (default 100) ARNs and a nextToken for the rest.
func (e *Emulator) listTasks(_ context.Context, in *listTasksInput) (*listTasksOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.clusterByRef(in.Cluster)
	if c == nil {
		return nil, errClusterNotFound()
	}
	if in.ServiceName != "" && e.serviceByName(c, in.ServiceName) == nil {
		return nil, errServiceNotFound()
	}
	desired := in.DesiredStatus
	if desired == "" {
		desired = "RUNNING"
	}
	out := &listTasksOutput{TaskArns: []string{}}
	for _, t := range e.ecs.tasks {
		switch {
		case t.ts.svc.cluster != c, t.desiredStatus != desired,
			in.ServiceName != "" && t.ts.svc.name != in.ServiceName,
			in.StartedBy != "" && t.ts.id != in.StartedBy,
			in.Family != "" && t.ts.td.family != in.Family,
			in.LaunchType != "" && t.ts.svc.launchType != in.LaunchType:
			continue
		}
		out.TaskArns = append(out.TaskArns, t.arn)
	}
	var err error
	out.TaskArns, out.NextToken, err = ecsListPage(out.TaskArns, in.NextToken, in.MaxResults)
	return out, err
}

type describeTasksInput struct {
	Cluster string   `json:"cluster"`
	Tasks   []string `json:"tasks"`
	Include []string `json:"include"`
}

type networkInterface struct {
	AttachmentID       string `json:"attachmentId"`
	PrivateIpv4Address string `json:"privateIpv4Address"`
}

type containerDescription struct {
	ContainerArn      string             `json:"containerArn"`
	TaskArn           string             `json:"taskArn"`
	Name              string             `json:"name"`
	Image             string             `json:"image"`
	RuntimeID         string             `json:"runtimeId,omitempty"`
	LastStatus        string             `json:"lastStatus"`
	ExitCode          *int               `json:"exitCode,omitempty"`
	Reason            string             `json:"reason,omitempty"`
	NetworkBindings   []struct{}         `json:"networkBindings"`
	NetworkInterfaces []networkInterface `json:"networkInterfaces"`
	HealthStatus      string             `json:"healthStatus"`
	Cpu               string             `json:"cpu"`
}

type keyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type attachment struct {
	ID      string     `json:"id"`
	Type    string     `json:"type"`
	Status  string     `json:"status"`
	Details []keyValue `json:"details"`
}

type taskDescription struct {
	TaskArn              string                 `json:"taskArn"`
	ClusterArn           string                 `json:"clusterArn"`
	TaskDefinitionArn    string                 `json:"taskDefinitionArn"`
	LastStatus           string                 `json:"lastStatus"`
	DesiredStatus        string                 `json:"desiredStatus"`
	HealthStatus         string                 `json:"healthStatus"`
	Cpu                  string                 `json:"cpu,omitempty"`
	Memory               string                 `json:"memory,omitempty"`
	Containers           []containerDescription `json:"containers"`
	Attachments          []attachment           `json:"attachments"`
	AvailabilityZone     string                 `json:"availabilityZone"`
	Connectivity         string                 `json:"connectivity"`
	CreatedAt            *awsTime               `json:"createdAt"`
	PullStartedAt        *awsTime               `json:"pullStartedAt,omitempty"`
	PullStoppedAt        *awsTime               `json:"pullStoppedAt,omitempty"`
	StartedAt            *awsTime               `json:"startedAt,omitempty"`
	StoppingAt           *awsTime               `json:"stoppingAt,omitempty"`
	StoppedAt            *awsTime               `json:"stoppedAt,omitempty"`
	ExecutionStoppedAt   *awsTime               `json:"executionStoppedAt,omitempty"`
	StopCode             string                 `json:"stopCode,omitempty"`
	StoppedReason        string                 `json:"stoppedReason,omitempty"`
	Group                string                 `json:"group"`
	StartedBy            string                 `json:"startedBy"`
	LaunchType           string                 `json:"launchType"`
	PlatformVersion      string                 `json:"platformVersion"`
	PlatformFamily       string                 `json:"platformFamily"`
	Version              int                    `json:"version"`
	EnableExecuteCommand bool                   `json:"enableExecuteCommand"`
	Tags                 []Tag                  `json:"tags,omitempty"`
}

// describeTask renders a task as DescribeTasks does, with its ENI attachment carrying the loopback
// address the task really listens on.
func (e *Emulator) describeTask(t *task) taskDescription {
	st := t.state()
	last := t.lastStatus()
	code, reason := st.StopCode, st.StoppedReason
	if t.desiredStatus == "STOPPED" && t.stopCode != "" {
		code, reason = t.stopCode, t.stopReason
	}
	c := t.ts.td.container(t.ts.containerName)
	attachStatus := "ATTACHED"
	if last == "STOPPED" {
		attachStatus = "DETACHED"
	}
	cont := containerDescription{ContainerArn: t.containerARN, TaskArn: t.arn, Name: c.Name, Image: c.Image,
		LastStatus: containerStatus(last), NetworkBindings: []struct{}{},
		NetworkInterfaces: []networkInterface{{AttachmentID: t.attachID, PrivateIpv4Address: t.ip}},
		HealthStatus:      orUnknown(st.HealthStatus), Cpu: "0"}
	if last == "STOPPED" {
		cont.ExitCode = st.ExitCode
	}
	if !st.StartedAt.IsZero() {
		cont.RuntimeID = t.runtimeID
	}
	if code == "TaskFailedToStart" {
		cont.Reason = reason
	}
	d := taskDescription{TaskArn: t.arn, ClusterArn: t.ts.svc.cluster.arn, TaskDefinitionArn: t.ts.td.arn,
		LastStatus: last, DesiredStatus: t.desiredStatus, HealthStatus: orUnknown(st.HealthStatus),
		Cpu: t.ts.td.spec.Cpu, Memory: t.ts.td.spec.Memory, Containers: []containerDescription{cont},
		Attachments: []attachment{{ID: t.attachID, Type: "ElasticNetworkInterface", Status: attachStatus,
			Details: []keyValue{{"subnetId", t.subnet}, {"networkInterfaceId", t.eni}, {"macAddress", t.mac},
				{"privateDnsName", "ip-" + strings.ReplaceAll(t.ip, ".", "-") + ".ec2.internal"},
				{"privateIPv4Address", t.ip}}}},
		AvailabilityZone: e.zoneOf(0), Connectivity: "CONNECTED", CreatedAt: newTime(t.created),
		StartedAt: newTime(st.StartedAt), StoppedAt: newTime(st.StoppedAt),
		Group: "service:" + t.ts.svc.name, StartedBy: t.ts.id, LaunchType: t.ts.svc.launchType,
		PlatformVersion: t.ts.svc.resolvedPlatformVersion(), PlatformFamily: "Linux", Version: taskVersion(last)}
	if !t.pullStarted.IsZero() {
		d.PullStartedAt = newTime(t.pullStarted)
		d.PullStoppedAt = newTime(st.StartedAt) // the container starts once its image is pulled
	}
	if !t.stopping.IsZero() {
		d.StoppingAt = newTime(t.stopping)
	} else {
		d.StoppingAt = newTime(st.StoppingAt)
	}
	if last == "STOPPED" {
		d.ExecutionStoppedAt = newTime(st.StoppedAt)
		d.StopCode, d.StoppedReason = code, reason
	} else if t.desiredStatus == "STOPPED" {
		d.StopCode, d.StoppedReason = code, reason
	}
	return d
}

// containerStatus maps a task's lastStatus to its container's (containers have no DEACTIVATING).
func containerStatus(taskStatus string) string {
	switch taskStatus {
	case "DEACTIVATING", "STOPPING":
		return "RUNNING"
	case "PROVISIONING", "ACTIVATING":
		return "PENDING"
	}
	return taskStatus
}

// taskVersion grows with each state change, like ECS's task version counter.
func taskVersion(status string) int {
	switch status {
	case "PROVISIONING":
		return 1
	case "PENDING":
		return 2
	case "RUNNING":
		return 3
	case "DEACTIVATING", "STOPPING":
		return 4
	}
	return 5
}

func orUnknown(s string) string {
	if s == "" {
		return "UNKNOWN"
	}
	return s
}

type describeTasksOutput struct {
	Tasks    []taskDescription `json:"tasks"`
	Failures []ecsFailure      `json:"failures"`
}

func (e *Emulator) describeTasks(_ context.Context, in *describeTasksInput) (*describeTasksOutput, error) {
	if len(in.Tasks) == 0 {
		return nil, clientErr("InvalidParameterException", "Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, clientErr("InvalidParameterException", "Tasks can have at most 100 items.")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.clusterByRef(in.Cluster)
	if c == nil {
		return nil, errClusterNotFound()
	}
	out := &describeTasksOutput{Tasks: []taskDescription{}, Failures: []ecsFailure{}}
	for _, ref := range in.Tasks {
		var found *task
		for _, t := range e.ecs.tasks {
			if t.ts.svc.cluster == c && (t.arn == ref || t.id == ref) {
				found = t
			}
		}
		if found == nil {
			out.Failures = append(out.Failures, e.missing(c, "task", ref))
			continue
		}
		d := e.describeTask(found)
		if containsString(in.Include, "TAGS") {
			d.Tags = []Tag{}
		}
		out.Tasks = append(out.Tasks, d)
	}
	return out, nil
}
