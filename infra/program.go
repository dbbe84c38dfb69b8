package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is the Pulumi program: it declares the stack and exports its outputs. main.go runs it, and the
// emulator provisioning runs the very same function under mocks.
func Program(ctx *pulumi.Context) error {
	outputs, err := Build(ctx)
	if err != nil {
		return err
	}
	for _, name := range OutputNames {
		ctx.Export(name, outputs[name])
	}
	return nil
}

// Build loads and validates the configuration (before any resource is declared), declares every
// component and returns the stack outputs by name (see outputs.go).
//
// Invokes a mock must answer: aws:index/getRegion:getRegion always;
// aws:index/getAvailabilityZones:getAvailabilityZones when it creates the VPC;
// aws:ec2/getVpc:getVpc with an existing VPC; aws:ssm/getParameter:getParameter with ec2-gpu.
func Build(ctx *pulumi.Context) (pulumi.Map, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("look up region: %w", err)
	}
	partition := partitionOf(region.Name)
	tags := cfg.ResourceTags()
	base := cfg.Stack

	network, err := NewNetwork(ctx, base+"-network", &NetworkArgs{Config: cfg.Network, Region: region.Name, Tags: tags})
	if err != nil {
		return nil, err
	}
	albSubnets := network.PublicSubnetIDs
	if cfg.LoadBalancer.Scheme == "internal" {
		albSubnets = network.PrivateSubnetIDs
	}
	lb, err := NewLoadBalancer(ctx, base+"-lb", &LoadBalancerArgs{
		Config:        cfg.LoadBalancer,
		HealthCheck:   cfg.HealthCheck,
		ContainerPort: cfg.Service.ContainerPort,
		VpcID:         network.VpcID,
		VpcCidr:       network.VpcCidr,
		NatPublicIPs:  network.NatPublicIPs,
		SubnetIDs:     albSubnets,
		Tags:          tags,
	})
	if err != nil {
		return nil, err
	}
	svc, err := NewService(ctx, base+"-svc", &ServiceArgs{
		Image:                  cfg.Image,
		Family:                 cfg.PhysicalName(),
		Service:                cfg.Service,
		ContainerHealthCheck:   cfg.ContainerHealthCheck,
		GracePeriodSeconds:     cfg.HealthCheck.GracePeriod,
		Compute:                cfg.Compute,
		Autoscaling:            cfg.Autoscaling,
		Region:                 region.Name,
		Partition:              partition,
		VpcID:                  network.VpcID,
		PrivateSubnetIDs:       network.PrivateSubnetIDs,
		TaskSecurityGroupID:    lb.TaskSecurityGroupID,
		BlueTargetGroupArn:     lb.Blue.Arn,
		TargetGroupArnSuffixes: pulumi.StringArray{lb.Blue.ArnSuffix, lb.Green.ArnSuffix},
		Listeners:              []pulumi.Resource{lb.ProdListener, lb.TestListener},
		Tags:                   tags,
	})
	if err != nil {
		return nil, err
	}
	alarms, err := NewAlarms(ctx, base+"-alarms", &AlarmsArgs{
		Config:                cfg.Alarms,
		LoadBalancerArnSuffix: lb.LoadBalancerArnSuffix,
		LoadingSeconds:        cfg.HealthCheck.GracePeriod,
		TargetGroups: []AlarmTarget{
			{Label: "blue", ArnSuffix: lb.Blue.ArnSuffix},
			{Label: "green", ArnSuffix: lb.Green.ArnSuffix},
		},
		Tags: tags,
	})
	if err != nil {
		return nil, err
	}
	deploy, err := NewBlueGreenDeployment(ctx, base+"-deploy", &BlueGreenDeploymentArgs{
		Name:                 cfg.PhysicalName(),
		Deployment:           cfg.Deployment,
		Partition:            partition,
		ClusterName:          svc.ClusterName,
		ServiceName:          svc.ServiceName,
		BlueTargetGroupName:  lb.Blue.Name,
		GreenTargetGroupName: lb.Green.Name,
		ProdListenerArn:      lb.ProdListener.Arn,
		TestListenerArn:      lb.TestListener.Arn,
		AlarmNames:           alarms.AlarmNames,
		Tags:                 tags,
	})
	if err != nil {
		return nil, err
	}
	policy, err := NewDeployerPolicy(ctx, base+"-deployer-policy", &DeployerPolicyArgs{
		ClusterArn:           svc.ClusterArn,
		ClusterName:          svc.ClusterName,
		ServiceName:          svc.ServiceName,
		Family:               cfg.PhysicalName(),
		TaskDefinitionArn:    svc.TaskDefinitionArn,
		TaskRoleArn:          svc.TaskRoleArn,
		ExecutionRoleArn:     svc.ExecutionRoleArn,
		ApplicationArn:       deploy.ApplicationArn,
		DeploymentGroupArn:   deploy.DeploymentGroupArn,
		DeploymentConfigName: deploy.DeploymentConfigName,
		AlarmArns:            alarms.AlarmArns,
	})
	if err != nil {
		return nil, err
	}

	outputs := stackOutputs(cfg, region.Name, lb, svc, deploy, policy)
	outputs[OutputNatPublicIPs] = network.NatPublicIPArray()
	return outputs, nil
}

// stackOutputs maps every output name of the contract (outputs.go) to its value.
func stackOutputs(cfg *Config, region string, lb *LoadBalancer, svc *Service, deploy *BlueGreenDeployment, policy *DeployerPolicy) pulumi.Map {
	return pulumi.Map{
		OutputRegion:                    pulumi.String(region),
		OutputClusterName:               svc.ClusterName,
		OutputClusterArn:                svc.ClusterArn,
		OutputServiceName:               svc.ServiceName,
		OutputTaskDefinitionFamily:      pulumi.String(cfg.PhysicalName()),
		OutputTaskDefinitionArn:         svc.TaskDefinitionArn,
		OutputContainerName:             pulumi.String(cfg.Service.ContainerName),
		OutputContainerPort:             pulumi.Int(cfg.Service.ContainerPort),
		OutputCodeDeployApplication:     deploy.ApplicationName,
		OutputCodeDeployDeploymentGroup: deploy.DeploymentGroupName,
		OutputBlueTargetGroupArn:        lb.Blue.Arn,
		OutputBlueTargetGroupName:       lb.Blue.Name,
		OutputGreenTargetGroupArn:       lb.Green.Arn,
		OutputGreenTargetGroupName:      lb.Green.Name,
		OutputProdListenerArn:           lb.ProdListener.Arn,
		OutputTestListenerArn:           lb.TestListener.Arn,
		OutputLoadBalancerArn:           lb.LoadBalancerArn,
		OutputAlbDNSName:                lb.DNSName,
		OutputProdURL:                   lb.ProdURL,
		OutputTestURL:                   lb.TestURL,
		OutputDeployerPolicyJSON:        policy.PolicyJSON,
	}
}
