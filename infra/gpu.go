package infra

import (
	"encoding/base64"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// GpuCapacityArgs configures a GpuCapacity.
type GpuCapacityArgs struct {
	// ClusterName is the ECS cluster the instances join.
	ClusterName pulumi.StringInput
	// Compute holds instance type, AMI parameter, group sizes and managed scaling target.
	Compute ComputeConfig
	// Partition is the AWS partition (ARN of the ECS instance managed policy).
	Partition string
	// VpcID is the instances' VPC.
	VpcID pulumi.StringInput
	// SubnetIDs are the instances' (private) subnets.
	SubnetIDs pulumi.StringArrayInput
	// HealthCheckGraceSec is the Auto Scaling group's health check grace period.
	HealthCheckGraceSec int
	// Tags go on every taggable resource and the instances.
	Tags map[string]string
}

// GpuCapacity is EC2 GPU capacity for the cluster: a launch template with the ECS GPU-optimised AMI,
// an Auto Scaling group, and a capacity provider whose managed scaling starts instances when green's
// tasks can't be placed beside blue's, registered as the cluster's default strategy.
type GpuCapacity struct {
	pulumi.ResourceState

	CapacityProviderName pulumi.StringOutput `pulumi:"capacityProviderName"`
	// ClusterCapacityProviders registers the provider with the cluster; a service using the provider
	// must depend on it (depending on the component would only wait for the children declared so far).
	ClusterCapacityProviders *ecs.ClusterCapacityProviders
}

// NewGpuCapacity declares the GPU capacity. Invoke: ssm getParameter (the AMI id).
func NewGpuCapacity(ctx *pulumi.Context, name string, args *GpuCapacityArgs, opts ...pulumi.ResourceOption) (*GpuCapacity, error) {
	if args == nil || args.ClusterName == nil || args.VpcID == nil || args.SubnetIDs == nil {
		return nil, fmt.Errorf("gpu capacity %s: ClusterName, VpcID and SubnetIDs are required", name)
	}
	g := &GpuCapacity{}
	if err := ctx.RegisterComponentResource("ai-bluegreen:infra:GpuCapacity", name, g, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(g)
	tags := pulumi.ToStringMap(args.Tags)
	c := args.Compute

	lt, err := g.launchTemplate(ctx, name, args)
	if err != nil {
		return nil, err
	}

	asg, err := g.autoScalingGroup(ctx, name, lt, args)
	if err != nil {
		return nil, err
	}
	cp, err := ecs.NewCapacityProvider(ctx, name+"-cp", &ecs.CapacityProviderArgs{
		AutoScalingGroupProvider: &ecs.CapacityProviderAutoScalingGroupProviderArgs{
			AutoScalingGroupArn:          asg.Arn,
			ManagedTerminationProtection: pulumi.String("ENABLED"),
			ManagedDraining:              pulumi.String("ENABLED"),
			// Green's tasks wait in PROVISIONING until instances join; managed scaling sees the
			// reservation above target and starts them, up to maxInstances (sized for both sides).
			ManagedScaling: &ecs.CapacityProviderAutoScalingGroupProviderManagedScalingArgs{
				Status:                 pulumi.String("ENABLED"),
				TargetCapacity:         pulumi.Int(c.TargetCapacity),
				MinimumScalingStepSize: pulumi.Int(1),
				MaximumScalingStepSize: pulumi.Int(c.MaxInstances),
				InstanceWarmupPeriod:   pulumi.Int(300),
			},
		},
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	if g.ClusterCapacityProviders, err = ecs.NewClusterCapacityProviders(ctx, name+"-cluster-capacity", &ecs.ClusterCapacityProvidersArgs{
		ClusterName:       args.ClusterName,
		CapacityProviders: pulumi.StringArray{cp.Name},
		DefaultCapacityProviderStrategies: ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArray{
			ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs{CapacityProvider: cp.Name, Weight: pulumi.Int(1)},
		},
	}, parent); err != nil {
		return nil, err
	}

	g.CapacityProviderName = cp.Name
	if err := ctx.RegisterResourceOutputs(g, pulumi.Map{"capacityProviderName": g.CapacityProviderName}); err != nil {
		return nil, err
	}
	return g, nil
}

// autoScalingGroup declares the group of instances the capacity provider scales, tagged for ECS managed
// scaling and with the stack's tags propagated to the instances.
func (g *GpuCapacity) autoScalingGroup(ctx *pulumi.Context, name string, lt *ec2.LaunchTemplate, args *GpuCapacityArgs) (*autoscaling.Group, error) {
	asgTags := autoscaling.GroupTagArray{autoscaling.GroupTagArgs{
		// ECS managed scaling only drives groups carrying this tag.
		Key: pulumi.String("AmazonECSManaged"), Value: pulumi.String("true"), PropagateAtLaunch: pulumi.Bool(true),
	}}
	for _, k := range sortedKeys(args.Tags) {
		asgTags = append(asgTags, autoscaling.GroupTagArgs{
			Key: pulumi.String(k), Value: pulumi.String(args.Tags[k]), PropagateAtLaunch: pulumi.Bool(true),
		})
	}
	return autoscaling.NewGroup(ctx, name+"-asg", &autoscaling.GroupArgs{
		MinSize:                pulumi.Int(args.Compute.MinInstances),
		MaxSize:                pulumi.Int(args.Compute.MaxInstances),
		VpcZoneIdentifiers:     args.SubnetIDs,
		HealthCheckGracePeriod: pulumi.Int(args.HealthCheckGraceSec),
		LaunchTemplate: &autoscaling.GroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: pulumi.String("$Latest"),
		},
		// Managed termination protection: scale-in only takes instances without running tasks.
		ProtectFromScaleIn: pulumi.Bool(true),
		Tags:               asgTags,
	}, pulumi.Parent(g))
}

// launchTemplate declares the instances' role, profile, security group (egress only: tasks have their
// own ENIs) and the launch template with the GPU AMI, IMDSv2 and an encrypted gp3 root volume.
func (g *GpuCapacity) launchTemplate(ctx *pulumi.Context, name string, args *GpuCapacityArgs) (*ec2.LaunchTemplate, error) {
	parent := pulumi.Parent(g)
	tags := pulumi.ToStringMap(args.Tags)
	c := args.Compute
	profile, err := g.instanceProfile(ctx, name, args)
	if err != nil {
		return nil, err
	}
	sg, err := ec2.NewSecurityGroup(ctx, name+"-instances-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("GPU container instances of " + name + ": egress only (tasks use their own ENIs)"),
		Tags:        tagsWithName(args.Tags, name+"-instances-sg"),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-instances-egress", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: sg.ID(),
		IpProtocol:      pulumi.String("-1"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Description:     pulumi.String("ECS agent, image pulls"),
		Tags:            tags,
	}, parent); err != nil {
		return nil, err
	}

	ami := ssm.LookupParameterOutput(ctx, ssm.LookupParameterOutputArgs{Name: pulumi.String(c.AmiParameter)}, parent)
	userData := pulumi.Sprintf("#!/bin/bash\ncat >>/etc/ecs/ecs.config <<'EOF'\nECS_CLUSTER=%s\nECS_ENABLE_GPU_SUPPORT=true\nECS_IMAGE_PULL_BEHAVIOR=prefer-cached\nEOF\n", args.ClusterName).
		ApplyT(func(script string) string { return base64.StdEncoding.EncodeToString([]byte(script)) }).(pulumi.StringOutput)
	instanceTags := tagsWithName(args.Tags, name+"-instance")
	return ec2.NewLaunchTemplate(ctx, name+"-lt", &ec2.LaunchTemplateArgs{
		ImageId:             ami.InsecureValue(),
		InstanceType:        pulumi.String(c.InstanceType),
		IamInstanceProfile:  &ec2.LaunchTemplateIamInstanceProfileArgs{Arn: profile.Arn},
		VpcSecurityGroupIds: pulumi.StringArray{sg.ID()},
		UserData:            userData,
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"),
			HttpTokens:   pulumi.String("required"),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/xvda"),
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(c.RootVolumeGiB),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: instanceTags},
			ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: instanceTags},
		},
		Tags: tags,
	}, parent)
}

// instanceProfile declares the instances' role, with the ECS container instance managed policy, and its
// instance profile.
func (g *GpuCapacity) instanceProfile(ctx *pulumi.Context, name string, args *GpuCapacityArgs) (*iam.InstanceProfile, error) {
	parent := pulumi.Parent(g)
	tags := pulumi.ToStringMap(args.Tags)
	role, err := iam.NewRole(ctx, name+"-instance", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("ec2.amazonaws.com")),
		Description:      pulumi.String("ECS container instances of " + name),
		Tags:             tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := iam.NewRolePolicyAttachment(ctx, name+"-instance", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(managedPolicyArn(args.Partition, "service-role/AmazonEC2ContainerServiceforEC2Role")),
	}, parent); err != nil {
		return nil, err
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-instance", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	return profile, nil
}
