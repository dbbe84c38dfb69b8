package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ServiceArgs configures a Service.
type ServiceArgs struct {
	// Image is the image the first task definition revision runs.
	Image string
	// Family is the task definition family (also the log group's name suffix).
	Family string
	// Service describes the container, its size, environment and secrets.
	Service ServiceConfig
	// ContainerHealthCheck is the container health check (off when its command is empty).
	ContainerHealthCheck ContainerHealthCheckConfig
	// GracePeriodSeconds is the service's health check grace period.
	GracePeriodSeconds int
	// Compute says Fargate or EC2 GPU.
	Compute ComputeConfig
	// Autoscaling is the optional target tracking policy.
	Autoscaling AutoscalingConfig
	// Region and Partition are where the stack runs (log configuration, ARNs of managed policies).
	Region, Partition string

	// VpcID is the VPC (GPU instances' security group).
	VpcID pulumi.StringInput
	// PrivateSubnetIDs are the tasks' (and GPU instances') subnets.
	PrivateSubnetIDs pulumi.StringArrayInput
	// TaskSecurityGroupID is the tasks' security group.
	TaskSecurityGroupID pulumi.StringInput
	// BlueTargetGroupArn is the one target group the service starts on.
	BlueTargetGroupArn pulumi.StringInput
	// TargetGroupArnSuffixes are both target groups' ARN suffixes (autoscaling metrics).
	TargetGroupArnSuffixes pulumi.StringArrayInput
	// Listeners must exist before the service: ECS rejects a target group no listener uses.
	Listeners []pulumi.Resource
	// Tags go on every taggable resource.
	Tags map[string]string
}

// Service is the ECS side: cluster (Container Insights on), log group, task execution and task roles,
// task definition, and the service with the CODE_DEPLOY deployment controller; with ec2-gpu also its
// GpuCapacity; with autoscaling the scalable target and policy.
type Service struct {
	pulumi.ResourceState

	ClusterName       pulumi.StringOutput `pulumi:"clusterName"`
	ClusterArn        pulumi.StringOutput `pulumi:"clusterArn"`
	ServiceName       pulumi.StringOutput `pulumi:"serviceName"`
	TaskDefinitionArn pulumi.StringOutput `pulumi:"taskDefinitionArn"`
	TaskRoleArn       pulumi.StringOutput `pulumi:"taskRoleArn"`
	ExecutionRoleArn  pulumi.StringOutput `pulumi:"executionRoleArn"`
}

// NewService declares the ECS service and what it needs.
func NewService(ctx *pulumi.Context, name string, args *ServiceArgs, opts ...pulumi.ResourceOption) (*Service, error) {
	if args == nil || args.PrivateSubnetIDs == nil || args.TaskSecurityGroupID == nil || args.BlueTargetGroupArn == nil {
		return nil, fmt.Errorf("service %s: PrivateSubnetIDs, TaskSecurityGroupID and BlueTargetGroupArn are required", name)
	}
	s := &Service{}
	if err := ctx.RegisterComponentResource("ai-bluegreen:infra:Service", name, s, opts...); err != nil {
		return nil, err
	}
	cluster, logs, err := s.clusterAndLogs(ctx, name, args)
	if err != nil {
		return nil, err
	}
	execRole, taskRole, err := s.roles(ctx, name, logs, args)
	if err != nil {
		return nil, err
	}

	td, err := ecs.NewTaskDefinition(ctx, name+"-taskdef", taskDefinitionArgs(args, logs, execRole, taskRole), pulumi.Parent(s))
	if err != nil {
		return nil, err
	}

	svc, err := s.ecsService(ctx, name, cluster, td, args)
	if err != nil {
		return nil, err
	}
	if args.Autoscaling.Enabled {
		if err := s.autoscaling(ctx, name, cluster, svc, args); err != nil {
			return nil, err
		}
	}

	s.ClusterName = cluster.Name
	s.ClusterArn = cluster.Arn
	s.ServiceName = svc.Name
	s.TaskDefinitionArn = td.Arn
	s.TaskRoleArn = taskRole.Arn
	s.ExecutionRoleArn = execRole.Arn
	if err := ctx.RegisterResourceOutputs(s, pulumi.Map{
		"clusterName":       s.ClusterName,
		"clusterArn":        s.ClusterArn,
		"serviceName":       s.ServiceName,
		"taskDefinitionArn": s.TaskDefinitionArn,
		"taskRoleArn":       s.TaskRoleArn,
		"executionRoleArn":  s.ExecutionRoleArn,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// clusterAndLogs declares the cluster (Container Insights on) and the containers' log group.
func (s *Service) clusterAndLogs(ctx *pulumi.Context, name string, args *ServiceArgs) (*ecs.Cluster, *cloudwatch.LogGroup, error) {
	tags := pulumi.ToStringMap(args.Tags)
	cluster, err := ecs.NewCluster(ctx, name+"-cluster", &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{ecs.ClusterSettingArgs{
			Name:  pulumi.String("containerInsights"),
			Value: pulumi.String("enabled"),
		}},
		Tags: tags,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, nil, err
	}
	logs, err := cloudwatch.NewLogGroup(ctx, name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String("/ecs/" + args.Family),
		RetentionInDays: pulumi.Int(args.Service.LogRetentionDays),
		Tags:            tags,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, nil, err
	}
	return cluster, logs, nil
}

// ecsService declares the service on its capacity (ec2-gpu: the GpuCapacity's capacity provider,
// else Fargate), created after the listeners and leaving to CodeDeploy what CodeDeploy owns.
func (s *Service) ecsService(ctx *pulumi.Context, name string, cluster *ecs.Cluster, td *ecs.TaskDefinition, args *ServiceArgs) (*ecs.Service, error) {
	svcArgs := ecsServiceArgs(cluster, td, args)
	dependsOn := append([]pulumi.Resource{}, args.Listeners...)
	if args.Compute.Type == ComputeEC2GPU {
		capacity, err := s.gpuPlacement(ctx, name, cluster, svcArgs, args)
		if err != nil {
			return nil, err
		}
		dependsOn = append(dependsOn, capacity)
	} else {
		svcArgs.LaunchType = pulumi.String("FARGATE")
		svcArgs.PlatformVersion = pulumi.String(args.Compute.PlatformVersion)
	}

	// After the first release CodeDeploy owns the running task definition and the target group the
	// service points at; ECS refuses to change either under a CODE_DEPLOY controller ("Use AWS
	// CodeDeploy to trigger a new deployment"), and reverting them would undo a release (pulumi-aws
	// #1096, #3821).
	ignored := []string{"taskDefinition", "loadBalancers"}
	if args.Autoscaling.Enabled {
		// Application Auto Scaling owns the task count.
		ignored = append(ignored, "desiredCount")
	}
	return ecs.NewService(ctx, name+"-service", svcArgs, pulumi.Parent(s),
		pulumi.DependsOn(dependsOn), pulumi.IgnoreChanges(ignored))
}

// ecsServiceArgs is the service whatever its capacity: CODE_DEPLOY controller, one load balancer
// entry, private subnets.
func ecsServiceArgs(cluster *ecs.Cluster, td *ecs.TaskDefinition, args *ServiceArgs) *ecs.ServiceArgs {
	return &ecs.ServiceArgs{
		Cluster:        cluster.Arn,
		TaskDefinition: td.Arn,
		DesiredCount:   pulumi.Int(args.Service.DesiredCount),
		DeploymentController: &ecs.ServiceDeploymentControllerArgs{
			Type: pulumi.String("CODE_DEPLOY"),
		},
		// Exactly one entry, the blue group: CodeDeploy attaches the replacement task set to the other
		// group itself, and a service listing both groups hangs in Install.
		LoadBalancers: ecs.ServiceLoadBalancerArray{ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: args.BlueTargetGroupArn,
			ContainerName:  pulumi.String(args.Service.ContainerName),
			ContainerPort:  pulumi.Int(args.Service.ContainerPort),
		}},
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        args.PrivateSubnetIDs,
			SecurityGroups: pulumi.StringArray{args.TaskSecurityGroupID},
			AssignPublicIp: pulumi.Bool(false),
		},
		HealthCheckGracePeriodSeconds: pulumi.Int(args.GracePeriodSeconds),
		PropagateTags:                 pulumi.String("SERVICE"),
		EnableEcsManagedTags:          pulumi.Bool(true),
		Tags:                          pulumi.ToStringMap(args.Tags),
	}
}

// gpuPlacement declares the GpuCapacity and places the service on its capacity provider, spread over
// the zones. It returns what the service must wait for: the cluster's capacity provider association.
func (s *Service) gpuPlacement(ctx *pulumi.Context, name string, cluster *ecs.Cluster, svcArgs *ecs.ServiceArgs, args *ServiceArgs) (pulumi.Resource, error) {
	capacity, err := NewGpuCapacity(ctx, name+"-gpu", &GpuCapacityArgs{
		ClusterName:         cluster.Name,
		Compute:             args.Compute,
		Partition:           args.Partition,
		VpcID:               args.VpcID,
		SubnetIDs:           args.PrivateSubnetIDs,
		Tags:                args.Tags,
		HealthCheckGraceSec: args.GracePeriodSeconds,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, err
	}
	svcArgs.CapacityProviderStrategies = ecs.ServiceCapacityProviderStrategyArray{ecs.ServiceCapacityProviderStrategyArgs{
		CapacityProvider: capacity.CapacityProviderName,
		Weight:           pulumi.Int(1),
	}}
	svcArgs.OrderedPlacementStrategies = ecs.ServiceOrderedPlacementStrategyArray{ecs.ServiceOrderedPlacementStrategyArgs{
		Type:  pulumi.String("spread"),
		Field: pulumi.String("attribute:ecs.availability-zone"),
	}}
	return capacity.ClusterCapacityProviders, nil
}

// roles declares the task execution role (pull from this image's repository and the listed ones, write
// this log group, read only the listed secrets and decrypt them only with the listed keys) and the task
// role (no permissions: the model server calls no AWS API).
func (s *Service) roles(ctx *pulumi.Context, name string, logs *cloudwatch.LogGroup, args *ServiceArgs) (*iam.Role, *iam.Role, error) {
	parent := pulumi.Parent(s)
	tags := pulumi.ToStringMap(args.Tags)
	execRole, err := iam.NewRole(ctx, name+"-execution", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("ecs-tasks.amazonaws.com")),
		Description:      pulumi.String("ECS task execution role of " + args.Family),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	policy := logs.Arn.ApplyT(func(logGroupArn string) (string, error) {
		return executionPolicyJSON(args, logGroupArn)
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-execution", &iam.RolePolicyArgs{
		Role:   execRole.ID(),
		Policy: policy,
	}, parent); err != nil {
		return nil, nil, err
	}
	taskRole, err := iam.NewRole(ctx, name+"-task", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("ecs-tasks.amazonaws.com")),
		Description:      pulumi.String("Role of the " + args.Family + " containers (no permissions by default)"),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	return execRole, taskRole, nil
}

// executionPolicyJSON is the execution role's inline policy: pull the image, write the log group, read
// the secrets.
func executionPolicyJSON(args *ServiceArgs, logGroupArn string) (string, error) {
	doc := policyDocument{Version: "2012-10-17"}
	doc.Statement = append(doc.Statement, pullStatements(args, logGroupArn)...)
	doc.Statement = append(doc.Statement, policyStatement{
		Sid:      "WriteLogs",
		Effect:   "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: []string{logGroupArn + ":log-stream:*"},
	})
	doc.Statement = append(doc.Statement, secretStatements(args)...)
	return doc.json()
}

// pullStatements let the execution role pull from the image's ECR repository and the listed ones (none
// for other registries). logGroupArn gives the stack's partition, region and account, for repositories
// named without an ARN.
func pullStatements(args *ServiceArgs, logGroupArn string) []policyStatement {
	var repos []string
	if repo := ecrRepositoryArn(args.Image); repo != "" {
		repos = append(repos, repo)
	}
	for _, repo := range args.Service.ImageRepositories {
		if !strings.HasPrefix(repo, "arn:") {
			// arn:partition:logs:region:account → arn:partition:ecr:region:account
			parts := strings.SplitN(arnPrefix(logGroupArn), ":", 5)
			repo = strings.Join([]string{parts[0], parts[1], "ecr", parts[3], parts[4]}, ":") + ":repository/" + repo
		}
		repos = append(repos, repo)
	}
	if repos = dedupe(repos); len(repos) == 0 {
		return nil
	}
	return []policyStatement{
		{
			Sid:    "EcrToken",
			Effect: "Allow",
			Action: []string{"ecr:GetAuthorizationToken"},
			// GetAuthorizationToken has no resource-level permissions: AWS requires "*".
			Resource: "*",
		},
		{
			Sid:      "PullImage",
			Effect:   "Allow",
			Action:   []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"},
			Resource: repos,
		},
	}
}

// secretStatements let the execution role read exactly the listed SSM parameters and Secrets Manager
// secrets, and decrypt them with the listed KMS keys only through those services.
func secretStatements(args *ServiceArgs) []policyStatement {
	var statements []policyStatement
	var params, secrets []string
	for _, name := range sortedKeys(args.Service.Secrets) {
		arn := secretResourceArn(args.Service.Secrets[name])
		if arnService(arn) == "ssm" {
			params = append(params, arn)
		} else {
			secrets = append(secrets, arn)
		}
	}
	if len(params) > 0 {
		statements = append(statements, policyStatement{
			Sid: "ReadParameters", Effect: "Allow", Action: []string{"ssm:GetParameters"}, Resource: dedupe(params),
		})
	}
	if len(secrets) > 0 {
		statements = append(statements, policyStatement{
			Sid: "ReadSecrets", Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: dedupe(secrets),
		})
	}
	if keys := args.Service.SecretsKmsKeyArns; len(keys) > 0 {
		// SSM and Secrets Manager decrypt with the caller's permission; kms:ViaService keeps these keys
		// from decrypting anything the role reads directly.
		var via []string
		if len(secrets) > 0 {
			via = append(via, "secretsmanager."+args.Region+".amazonaws.com")
		}
		if len(params) > 0 {
			via = append(via, "ssm."+args.Region+".amazonaws.com")
		}
		var services any = via
		if len(via) == 1 {
			services = via[0]
		}
		statements = append(statements, policyStatement{
			Sid: "DecryptSecrets", Effect: "Allow", Action: []string{"kms:Decrypt"}, Resource: dedupe(keys),
			Condition: map[string]map[string]any{"StringEquals": {"kms:ViaService": services}},
		})
	}
	return statements
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
