package emulator

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Tag is an AWS resource tag as ECS spells it.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// KeyValuePair is a container environment variable.
type KeyValuePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PortMapping is a container port mapping.
type PortMapping struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
	Name          string `json:"name,omitempty"`
	AppProtocol   string `json:"appProtocol,omitempty"`
}

// ContainerHealthCheck is a container definition's health check (durations in AWS seconds).
type ContainerHealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval,omitempty"`
	Timeout     int      `json:"timeout,omitempty"`
	Retries     int      `json:"retries,omitempty"`
	StartPeriod int      `json:"startPeriod,omitempty"`
}

// LogConfiguration is a container's log driver configuration (kept, not acted on).
type LogConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options,omitempty"`
}

// ContainerDefinition is a container of a task definition, with ECS's JSON field names, so that
// Pulumi's containerDefinitions JSON string unmarshals into []ContainerDefinition directly.
type ContainerDefinition struct {
	Name              string                `json:"name"`
	Image             string                `json:"image"`
	Cpu               int                   `json:"cpu,omitempty"`
	Memory            *int                  `json:"memory,omitempty"`
	MemoryReservation *int                  `json:"memoryReservation,omitempty"`
	Essential         *bool                 `json:"essential,omitempty"`
	PortMappings      []PortMapping         `json:"portMappings,omitempty"`
	Environment       []KeyValuePair        `json:"environment,omitempty"`
	HealthCheck       *ContainerHealthCheck `json:"healthCheck,omitempty"`
	Command           []string              `json:"command,omitempty"`
	StopTimeout       *int                  `json:"stopTimeout,omitempty"` // seconds from SIGTERM to SIGKILL
	EntryPoint        []string              `json:"entryPoint,omitempty"`
	LogConfiguration  *LogConfiguration     `json:"logConfiguration,omitempty"`
}

// TaskDefinitionInput is what RegisterTaskDefinition takes (the subset the emulator knows; the
// AWS API path keeps every other field it is sent).
type TaskDefinitionInput struct {
	Family                  string                `json:"family"`
	TaskRoleArn             string                `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string                `json:"executionRoleArn,omitempty"`
	NetworkMode             string                `json:"networkMode,omitempty"`
	Cpu                     string                `json:"cpu,omitempty"`
	Memory                  string                `json:"memory,omitempty"`
	RequiresCompatibilities []string              `json:"requiresCompatibilities,omitempty"`
	ContainerDefinitions    []ContainerDefinition `json:"containerDefinitions"`
	Tags                    []Tag                 `json:"tags,omitempty"`
	// ContainerDefinitionsJSON, when set, replaces ContainerDefinitions with this JSON array kept
	// verbatim (every field, as Pulumi's containerDefinitions string holds it).
	ContainerDefinitionsJSON string `json:"-"`
}

// TaskDefinition is a registered task definition revision.
type TaskDefinition struct {
	ARN      string
	Family   string
	Revision int
}

// Cluster is a created ECS cluster.
type Cluster struct {
	ARN  string
	Name string
}

type ecsState struct {
	clusters []*cluster
	families map[string][]*taskDef // revisions in order; index = revision-1
	tasks    []*task               // every task, newest last; stopped ones pruned after an hour
	services []*ecsService
}

func (s *ecsState) init() { s.families = map[string][]*taskDef{} }

// close stops every task at once (the emulator is shutting down).
func (s *ecsState) close() {
	for _, t := range s.tasks {
		if t.dp != nil {
			go t.dp.Stop("UserInitiated", "Emulator closed")
		}
	}
}

type cluster struct {
	arn, name string
	tags      []Tag
	created   time.Time
}

type taskDef struct {
	arn, family  string
	revision     int
	body         map[string]any // the registered fields, AWS defaults filled in
	spec         TaskDefinitionInput
	tags         []Tag
	registeredAt time.Time
}

// CreateCluster creates an ECS cluster (idempotent, like the API).
func (e *Emulator) CreateCluster(name string) (Cluster, error) {
	if name == "" {
		name = "default"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.clusterByName(name); c != nil {
		return Cluster{ARN: c.arn, Name: c.name}, nil
	}
	c := &cluster{name: name, arn: e.arn("ecs", "cluster/"+name), created: e.now()}
	e.ecs.clusters = append(e.ecs.clusters, c)
	return Cluster{ARN: c.arn, Name: c.name}, nil
}

// RegisterTaskDefinition registers a new revision of a task definition family.
func (e *Emulator) RegisterTaskDefinition(in TaskDefinitionInput) (TaskDefinition, error) {
	raw, err := json.Marshal(in)
	if err != nil {
		return TaskDefinition{}, fmt.Errorf("register task definition %s: %w", in.Family, err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return TaskDefinition{}, fmt.Errorf("register task definition %s: %w", in.Family, err)
	}
	if in.ContainerDefinitionsJSON != "" {
		var defs []any
		if err := json.Unmarshal([]byte(in.ContainerDefinitionsJSON), &defs); err != nil {
			return TaskDefinition{}, fmt.Errorf("register task definition %s: container definitions: %w", in.Family, err)
		}
		body["containerDefinitions"] = defs
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	td, err := e.registerTaskDef(body)
	if err != nil {
		return TaskDefinition{}, fmt.Errorf("register task definition %s: %w", in.Family, err)
	}
	return TaskDefinition{ARN: td.arn, Family: td.family, Revision: td.revision}, nil
}

var familyPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// registerTaskDef validates and stores a task definition from its wire form (tags included).
func (e *Emulator) registerTaskDef(body map[string]any) (*taskDef, error) {
	var tags []Tag
	if raw, ok := body["tags"]; ok {
		if err := remarshal(raw, &tags); err != nil {
			return nil, clientErr("ClientException", "Invalid tags: %v", err)
		}
		delete(body, "tags")
	}
	var spec TaskDefinitionInput
	if err := remarshal(body, &spec); err != nil {
		return nil, clientErr("ClientException", "Invalid task definition: %v", err)
	}
	if !familyPattern.MatchString(spec.Family) {
		return nil, clientErr("ClientException",
			"Family contains invalid characters or is empty. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.")
	}
	if len(spec.ContainerDefinitions) == 0 {
		return nil, clientErr("ClientException", "Container list cannot be empty.")
	}
	for _, c := range spec.ContainerDefinitions {
		if c.Name == "" {
			return nil, clientErr("ClientException", "Container.name should not be null or empty.")
		}
		if c.Image == "" {
			return nil, clientErr("ClientException", "Container.image should not be null or empty.")
		}
	}
	fillTaskDefDefaults(body)
	revs := e.ecs.families[spec.Family]
	td := &taskDef{family: spec.Family, revision: len(revs) + 1, body: body, spec: spec, tags: tags,
		registeredAt: e.now()}
	td.arn = e.arn("ecs", "task-definition/"+td.family+":"+strconv.Itoa(td.revision))
	e.ecs.families[spec.Family] = append(revs, td)
	return td, nil
}

// fillTaskDefDefaults adds what DescribeTaskDefinition reports for fields left out at registration.
func fillTaskDefDefaults(body map[string]any) {
	setDefault := func(m map[string]any, k string, v any) {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	setDefault(body, "networkMode", "awsvpc")
	setDefault(body, "volumes", []any{})
	setDefault(body, "placementConstraints", []any{})
	containers, _ := body["containerDefinitions"].([]any)
	for _, c := range containers {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		setDefault(m, "cpu", 0)
		setDefault(m, "essential", true)
		setDefault(m, "environment", []any{})
		setDefault(m, "mountPoints", []any{})
		setDefault(m, "volumesFrom", []any{})
		setDefault(m, "portMappings", []any{})
		ports, _ := m["portMappings"].([]any)
		for _, p := range ports {
			pm, ok := p.(map[string]any)
			if !ok {
				continue
			}
			setDefault(pm, "hostPort", pm["containerPort"]) // awsvpc: host port = container port
			setDefault(pm, "protocol", "tcp")
		}
	}
}

// remarshal converts between JSON-shaped values through encoding/json.
func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// taskDefByRef resolves a family, family:revision or task definition ARN (latest revision for
// a bare family).
func (e *Emulator) taskDefByRef(ref string) *taskDef {
	ref = strings.TrimPrefix(arnResource(ref), "task-definition/")
	family, rev, hasRev := strings.Cut(ref, ":")
	revs := e.ecs.families[family]
	if len(revs) == 0 {
		return nil
	}
	if !hasRev {
		return revs[len(revs)-1]
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(revs) {
		return nil
	}
	return revs[n-1]
}

func (e *Emulator) clusterByName(name string) *cluster {
	for _, c := range e.ecs.clusters {
		if c.name == name {
			return c
		}
	}
	return nil
}

// clusterByRef resolves a cluster name or ARN; "" is the default cluster.
func (e *Emulator) clusterByRef(ref string) *cluster {
	if ref == "" {
		ref = "default"
	}
	return e.clusterByName(strings.TrimPrefix(arnResource(ref), "cluster/"))
}

// containerNamed returns the named container of a task definition, or nil.
func (td *taskDef) containerNamed(name string) *ContainerDefinition {
	for i := range td.spec.ContainerDefinitions {
		if td.spec.ContainerDefinitions[i].Name == name {
			return &td.spec.ContainerDefinitions[i]
		}
	}
	return nil
}

// container returns the named container of a task definition, or its first essential one.
func (td *taskDef) container(name string) *ContainerDefinition {
	if c := td.containerNamed(name); c != nil {
		return c
	}
	for i := range td.spec.ContainerDefinitions {
		c := &td.spec.ContainerDefinitions[i]
		if c.Essential == nil || *c.Essential {
			return c
		}
	}
	return &td.spec.ContainerDefinitions[0]
}
