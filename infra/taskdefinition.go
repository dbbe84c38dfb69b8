package infra

import (
	"encoding/json"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// taskDefinitionArgs is the first revision of the family: the container definition is JSON built from
// Go values (the emulator and the deployer read the same shape back).
func taskDefinitionArgs(args *ServiceArgs, logs *cloudwatch.LogGroup, execRole, taskRole *iam.Role) *ecs.TaskDefinitionArgs {
	tags := pulumi.ToStringMap(args.Tags)
	containerDefinitions := logs.Name.ApplyT(func(group string) (string, error) {
		return containerDefinitionsJSON(args, group)
	}).(pulumi.StringOutput)
	taskDef := &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(args.Family),
		Cpu:                     pulumi.String(strconv.Itoa(args.Service.CPU)),
		Memory:                  pulumi.String(strconv.Itoa(args.Service.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		ExecutionRoleArn:        execRole.Arn,
		TaskRoleArn:             taskRole.Arn,
		ContainerDefinitions:    containerDefinitions,
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String("X86_64"),
		},
		Tags: tags,
		// A change here registers a new revision, and Pulumi's replace would deregister the old one. After
		// the first release the old one may be the revision serving production, or the one the deployer
		// recorded as its rollback target; ECS cannot start tasks from an INACTIVE revision.
		SkipDestroy: pulumi.Bool(true),
	}
	if args.Compute.Type == ComputeEC2GPU {
		taskDef.RequiresCompatibilities = pulumi.StringArray{pulumi.String("EC2")}
	} else if args.Service.EphemeralStorageGiB > 20 {
		taskDef.EphemeralStorage = &ecs.TaskDefinitionEphemeralStorageArgs{SizeInGib: pulumi.Int(args.Service.EphemeralStorageGiB)}
	}
	return taskDef
}

// containerDefinition and friends are the ECS container definition fields the program sets.
type containerDefinition struct {
	Name                 string                `json:"name"`
	Image                string                `json:"image"`
	Essential            bool                  `json:"essential"`
	PortMappings         []portMapping         `json:"portMappings"`
	Environment          []nameValue           `json:"environment"`
	Secrets              []secretRef           `json:"secrets,omitempty"`
	LogConfiguration     logConfiguration      `json:"logConfiguration"`
	HealthCheck          *containerHealthCheck `json:"healthCheck,omitempty"`
	ResourceRequirements []nameValueType       `json:"resourceRequirements,omitempty"`
	// StopTimeout is always sent: on EC2 an unset one falls back to the agent's
	// ECS_CONTAINER_STOP_TIMEOUT, which depends on the AMI, not on this stack.
	StopTimeout int `json:"stopTimeout"`
}

type portMapping struct {
	ContainerPort int    `json:"containerPort"`
	HostPort      int    `json:"hostPort"`
	Protocol      string `json:"protocol"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type secretRef struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

type nameValueType struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type logConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

type containerHealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

// containerDefinitionsJSON renders the task's single container as ECS expects it.
func containerDefinitionsJSON(args *ServiceArgs, logGroup string) (string, error) {
	svc := args.Service
	c := containerDefinition{
		Name:      svc.ContainerName,
		Image:     args.Image,
		Essential: true,
		// awsvpc: the host port is the container port.
		PortMappings: []portMapping{{ContainerPort: svc.ContainerPort, HostPort: svc.ContainerPort, Protocol: "tcp"}},
		Environment:  []nameValue{},
		StopTimeout:  svc.StopTimeout,
		LogConfiguration: logConfiguration{
			LogDriver: "awslogs",
			Options: map[string]string{
				"awslogs-group":         logGroup,
				"awslogs-region":        args.Region,
				"awslogs-stream-prefix": svc.ContainerName,
			},
		},
	}
	for _, k := range sortedKeys(svc.Environment) {
		c.Environment = append(c.Environment, nameValue{Name: k, Value: svc.Environment[k]})
	}
	for _, k := range sortedKeys(svc.Secrets) {
		c.Secrets = append(c.Secrets, secretRef{Name: k, ValueFrom: svc.Secrets[k]})
	}
	if hc := args.ContainerHealthCheck; len(hc.Command) > 0 {
		c.HealthCheck = &containerHealthCheck{
			Command: hc.Command, Interval: hc.Interval, Timeout: hc.Timeout, Retries: hc.Retries, StartPeriod: hc.StartPeriod,
		}
	}
	if args.Compute.Type == ComputeEC2GPU {
		c.ResourceRequirements = []nameValueType{{Type: "GPU", Value: strconv.Itoa(args.Compute.GpusPerTask)}}
	}
	b, err := json.Marshal([]containerDefinition{c})
	return string(b), err
}
