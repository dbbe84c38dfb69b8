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
// component and returns the stack outputs by name (see outputs.go). The steps, in the order their
// inputs need them:
//
//	network → load balancer → service → alarms → blue/green deployment → deployer policy → outputs
//
// Invokes a mock must answer: aws:index/getRegion:getRegion always;
// aws:index/getAvailabilityZones:getAvailabilityZones when it creates the VPC;
// aws:ec2/getVpc:getVpc with an existing VPC; aws:ssm/getParameter:getParameter with ec2-gpu.
func Build(ctx *pulumi.Context) (pulumi.Map, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	s, err := newStack(ctx, cfg)
	if err != nil {
		return nil, err
	}
	network, err := s.network()
	if err != nil {
		return nil, err
	}
	lb, err := s.loadBalancer(network)
	if err != nil {
		return nil, err
	}
	svc, err := s.service(network, lb)
	if err != nil {
		return nil, err
	}
	alarms, err := s.alarms(lb)
	if err != nil {
		return nil, err
	}
	deploy, err := s.blueGreenDeployment(svc, lb, alarms)
	if err != nil {
		return nil, err
	}
	policy, err := s.deployerPolicy(svc, deploy, alarms)
	if err != nil {
		return nil, err
	}
	return s.outputs(network, lb, svc, deploy, policy), nil
}

// stack is what every step of Build shares: the context, the validated configuration and where the
// stack runs. Each step declares one component from the configuration and the components before it.
type stack struct {
	ctx               *pulumi.Context
	cfg               *Config
	region, partition string
	tags              map[string]string
}

// newStack looks up the region (names of regional services, ARNs of AWS managed policies).
func newStack(ctx *pulumi.Context, cfg *Config) (*stack, error) {
	region, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("look up region: %w", err)
	}
	return &stack{ctx: ctx, cfg: cfg, region: region.Name, partition: partitionOf(region.Name), tags: cfg.ResourceTags()}, nil
}

// name is a component's logical name: the stack name and what the component is.
func (s *stack) name(component string) string { return s.cfg.Stack + "-" + component }

// network is the VPC: created, or the configured one.
func (s *stack) network() (*Network, error) {
	return NewNetwork(s.ctx, s.name("network"), &NetworkArgs{Config: s.cfg.Network, Region: s.region, Tags: s.tags})
}

// loadBalancer is the ALB, in the public subnets or, when internal, the private ones.
func (s *stack) loadBalancer(network *Network) (*LoadBalancer, error) {
	subnets := network.PublicSubnetIDs
	if s.cfg.LoadBalancer.Scheme == "internal" {
		subnets = network.PrivateSubnetIDs
	}
	return NewLoadBalancer(s.ctx, s.name("lb"), &LoadBalancerArgs{
		Config:        s.cfg.LoadBalancer,
		HealthCheck:   s.cfg.HealthCheck,
		ContainerPort: s.cfg.Service.ContainerPort,
		VpcID:         network.VpcID,
		VpcCidr:       network.VpcCidr,
		NatPublicIPs:  network.NatPublicIPs,
		SubnetIDs:     subnets,
		Tags:          s.tags,
	})
}

// service is the ECS side, its tasks in the private subnets behind the blue target group.
func (s *stack) service(network *Network, lb *LoadBalancer) (*Service, error) {
	cfg := s.cfg
	return NewService(s.ctx, s.name("svc"), &ServiceArgs{
		Image:                  cfg.Image,
		Family:                 cfg.PhysicalName(),
		Service:                cfg.Service,
		ContainerHealthCheck:   cfg.ContainerHealthCheck,
		GracePeriodSeconds:     cfg.HealthCheck.GracePeriod,
		Compute:                cfg.Compute,
		Autoscaling:            cfg.Autoscaling,
		Region:                 s.region,
		Partition:              s.partition,
		VpcID:                  network.VpcID,
		PrivateSubnetIDs:       network.PrivateSubnetIDs,
		TaskSecurityGroupID:    lb.TaskSecurityGroupID,
		BlueTargetGroupArn:     lb.Blue.Arn,
		TargetGroupArnSuffixes: pulumi.StringArray{lb.Blue.ArnSuffix, lb.Green.ArnSuffix},
		Listeners:              []pulumi.Resource{lb.ProdListener, lb.TestListener},
		Tags:                   s.tags,
	})
}

// alarms watch the load balancer and each target group, whichever is green in a release.
func (s *stack) alarms(lb *LoadBalancer) (*Alarms, error) {
	return NewAlarms(s.ctx, s.name("alarms"), &AlarmsArgs{
		Config:                s.cfg.Alarms,
		LoadBalancerArnSuffix: lb.LoadBalancerArnSuffix,
		LoadingSeconds:        s.cfg.HealthCheck.GracePeriod,
		TargetGroups: []AlarmTarget{
			{Label: "blue", ArnSuffix: lb.Blue.ArnSuffix},
			{Label: "green", ArnSuffix: lb.Green.ArnSuffix},
		},
		Tags: s.tags,
	})
}

// blueGreenDeployment is CodeDeploy's group over the service, both target groups and both listeners,
// stopped and rolled back by the alarms.
func (s *stack) blueGreenDeployment(svc *Service, lb *LoadBalancer, alarms *Alarms) (*BlueGreenDeployment, error) {
	return NewBlueGreenDeployment(s.ctx, s.name("deploy"), &BlueGreenDeploymentArgs{
		Name:                 s.cfg.PhysicalName(),
		Deployment:           s.cfg.Deployment,
		Partition:            s.partition,
		ClusterName:          svc.ClusterName,
		ServiceName:          svc.ServiceName,
		BlueTargetGroupName:  lb.Blue.Name,
		GreenTargetGroupName: lb.Green.Name,
		ProdListenerArn:      lb.ProdListener.Arn,
		TestListenerArn:      lb.TestListener.Arn,
		AlarmNames:           alarms.AlarmNames,
		Tags:                 s.tags,
	})
}

// deployerPolicy is the CI deploy step's policy, scoped to what the steps before declared.
func (s *stack) deployerPolicy(svc *Service, deploy *BlueGreenDeployment, alarms *Alarms) (*DeployerPolicy, error) {
	return NewDeployerPolicy(s.ctx, s.name("deployer-policy"), &DeployerPolicyArgs{
		ClusterArn:           svc.ClusterArn,
		ClusterName:          svc.ClusterName,
		ServiceName:          svc.ServiceName,
		Family:               s.cfg.PhysicalName(),
		TaskDefinitionArn:    svc.TaskDefinitionArn,
		TaskRoleArn:          svc.TaskRoleArn,
		ExecutionRoleArn:     svc.ExecutionRoleArn,
		ApplicationArn:       deploy.ApplicationArn,
		DeploymentGroupArn:   deploy.DeploymentGroupArn,
		DeploymentConfigName: deploy.DeploymentConfigName,
		AlarmArns:            alarms.AlarmArns,
	})
}

// outputs maps every output name of the contract (outputs.go) to its value.
func (s *stack) outputs(network *Network, lb *LoadBalancer, svc *Service, deploy *BlueGreenDeployment, policy *DeployerPolicy) pulumi.Map {
	cfg := s.cfg
	return pulumi.Map{
		OutputRegion:                    pulumi.String(s.region),
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
		OutputNatPublicIPs:              network.NatPublicIPArray(),
		OutputDeployerPolicyJSON:        policy.PolicyJSON,
		OutputMaxRequestSeconds:         pulumi.Int(cfg.Service.MaxRequestSeconds),
	}
}
