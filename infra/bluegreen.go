package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/codedeploy"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BlueGreenDeploymentArgs configures a BlueGreenDeployment.
type BlueGreenDeploymentArgs struct {
	// Name is the physical name of the CodeDeploy application and deployment group.
	Name string
	// Deployment holds traffic shift, ready wait and termination wait.
	Deployment DeploymentConfig
	// Partition is the AWS partition (ARN of AWSCodeDeployRoleForECS).
	Partition string
	// ClusterName and ServiceName identify the ECS service.
	ClusterName, ServiceName pulumi.StringInput
	// BlueTargetGroupName and GreenTargetGroupName are the target group pair.
	BlueTargetGroupName, GreenTargetGroupName pulumi.StringInput
	// ProdListenerArn and TestListenerArn are the production and test traffic routes.
	ProdListenerArn, TestListenerArn pulumi.StringInput
	// AlarmNames stop and roll back a deployment when they fire.
	AlarmNames pulumi.StringArrayInput
	// Tags go on every taggable resource.
	Tags map[string]string
}

// BlueGreenDeployment is CodeDeploy's side: the application (compute platform ECS), its service role,
// the deployment configuration (predefined when one matches, else custom) and the deployment group
// (BLUE_GREEN with traffic control, both routes, auto-rollback, alarms).
type BlueGreenDeployment struct {
	pulumi.ResourceState

	ApplicationName      pulumi.StringOutput `pulumi:"applicationName"`
	ApplicationArn       pulumi.StringOutput `pulumi:"applicationArn"`
	DeploymentGroupName  pulumi.StringOutput `pulumi:"deploymentGroupName"`
	DeploymentGroupArn   pulumi.StringOutput `pulumi:"deploymentGroupArn"`
	DeploymentConfigName pulumi.StringOutput `pulumi:"deploymentConfigName"`
}

// Predefined CodeDeploy configurations for ECS.
const (
	ECSAllAtOnce                    = "CodeDeployDefault.ECSAllAtOnce"
	ECSCanary10Percent5Minutes      = "CodeDeployDefault.ECSCanary10Percent5Minutes"
	ECSCanary10Percent15Minutes     = "CodeDeployDefault.ECSCanary10Percent15Minutes"
	ECSLinear10PercentEvery1Minutes = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
	ECSLinear10PercentEvery3Minutes = "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"
)

// PredefinedDeploymentConfig returns the CodeDeployDefault.ECS* configuration that shifts traffic as d
// says, or "" when a custom configuration is needed.
func PredefinedDeploymentConfig(d DeploymentConfig) string {
	switch {
	case d.TrafficShift == ShiftAllAtOnce:
		return ECSAllAtOnce
	case d.ShiftPercent != 10:
		return ""
	case d.TrafficShift == ShiftCanary && d.ShiftMinutes == 5:
		return ECSCanary10Percent5Minutes
	case d.TrafficShift == ShiftCanary && d.ShiftMinutes == 15:
		return ECSCanary10Percent15Minutes
	case d.TrafficShift == ShiftLinear && d.ShiftMinutes == 1:
		return ECSLinear10PercentEvery1Minutes
	case d.TrafficShift == ShiftLinear && d.ShiftMinutes == 3:
		return ECSLinear10PercentEvery3Minutes
	}
	return ""
}

// NewBlueGreenDeployment declares the CodeDeploy application, role, configuration and group.
func NewBlueGreenDeployment(ctx *pulumi.Context, name string, args *BlueGreenDeploymentArgs, opts ...pulumi.ResourceOption) (*BlueGreenDeployment, error) {
	if args == nil || args.ClusterName == nil || args.ServiceName == nil || args.BlueTargetGroupName == nil ||
		args.GreenTargetGroupName == nil || args.ProdListenerArn == nil || args.TestListenerArn == nil || args.AlarmNames == nil {
		return nil, fmt.Errorf("blue/green deployment %s: cluster, service, target groups, listeners and alarms are required", name)
	}
	b := &BlueGreenDeployment{}
	if err := ctx.RegisterComponentResource("ai-bluegreen:infra:BlueGreenDeployment", name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)
	tags := pulumi.ToStringMap(args.Tags)

	app, err := codedeploy.NewApplication(ctx, name+"-app", &codedeploy.ApplicationArgs{
		Name:            pulumi.String(args.Name),
		ComputePlatform: pulumi.String("ECS"),
		Tags:            tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	role, attachment, err := b.serviceRole(ctx, name, args)
	if err != nil {
		return nil, err
	}

	configName, err := b.deploymentConfig(ctx, name, args.Deployment)
	if err != nil {
		return nil, err
	}

	group, err := codedeploy.NewDeploymentGroup(ctx, name+"-group", deploymentGroupArgs(args, app, role, configName), parent,
		// The role's policy must be attached before CodeDeploy validates the group with it.
		pulumi.DependsOn([]pulumi.Resource{attachment}))
	if err != nil {
		return nil, err
	}

	b.ApplicationName = app.Name
	b.ApplicationArn = app.Arn
	b.DeploymentGroupName = group.DeploymentGroupName
	b.DeploymentGroupArn = group.Arn
	b.DeploymentConfigName = configName
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{
		"applicationName":      b.ApplicationName,
		"applicationArn":       b.ApplicationArn,
		"deploymentGroupName":  b.DeploymentGroupName,
		"deploymentGroupArn":   b.DeploymentGroupArn,
		"deploymentConfigName": b.DeploymentConfigName,
	}); err != nil {
		return nil, err
	}
	return b, nil
}

// serviceRole declares CodeDeploy's service role with AWSCodeDeployRoleForECS attached; the group must
// wait for the attachment.
func (b *BlueGreenDeployment) serviceRole(ctx *pulumi.Context, name string, args *BlueGreenDeploymentArgs) (*iam.Role, *iam.RolePolicyAttachment, error) {
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("codedeploy.amazonaws.com")),
		Description:      pulumi.String("CodeDeploy service role of " + args.Name),
		Tags:             pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(b))
	if err != nil {
		return nil, nil, err
	}
	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-role", &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(managedPolicyArn(args.Partition, "AWSCodeDeployRoleForECS")),
	}, pulumi.Parent(b))
	if err != nil {
		return nil, nil, err
	}
	return role, attachment, nil
}

// deploymentConfig is the name of the predefined configuration that shifts traffic as d says, or of a
// custom one it declares.
func (b *BlueGreenDeployment) deploymentConfig(ctx *pulumi.Context, name string, d DeploymentConfig) (pulumi.StringOutput, error) {
	if predefined := PredefinedDeploymentConfig(d); predefined != "" {
		return pulumi.String(predefined).ToStringOutput(), nil
	}
	custom, err := codedeploy.NewDeploymentConfig(ctx, name+"-config", customDeploymentConfig(d), pulumi.Parent(b))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return custom.DeploymentConfigName, nil
}

// deploymentGroupArgs is the BLUE_GREEN group with traffic control over the listener and target group
// pair, the ready and termination waits, auto-rollback and the alarms.
func deploymentGroupArgs(args *BlueGreenDeploymentArgs, app *codedeploy.Application, role *iam.Role, configName pulumi.StringOutput) *codedeploy.DeploymentGroupArgs {
	d := args.Deployment
	return &codedeploy.DeploymentGroupArgs{
		AppName:              app.Name,
		DeploymentGroupName:  pulumi.String(args.Name),
		ServiceRoleArn:       role.Arn,
		DeploymentConfigName: configName,
		DeploymentStyle: &codedeploy.DeploymentGroupDeploymentStyleArgs{
			DeploymentType:   pulumi.String("BLUE_GREEN"),
			DeploymentOption: pulumi.String("WITH_TRAFFIC_CONTROL"),
		},
		BlueGreenDeploymentConfig: &codedeploy.DeploymentGroupBlueGreenDeploymentConfigArgs{
			DeploymentReadyOption: readyOption(d),
			TerminateBlueInstancesOnDeploymentSuccess: &codedeploy.DeploymentGroupBlueGreenDeploymentConfigTerminateBlueInstancesOnDeploymentSuccessArgs{
				Action:                       pulumi.String("TERMINATE"),
				TerminationWaitTimeInMinutes: pulumi.Int(d.TerminationWaitMinutes),
			},
		},
		EcsService: &codedeploy.DeploymentGroupEcsServiceArgs{
			ClusterName: args.ClusterName,
			ServiceName: args.ServiceName,
		},
		LoadBalancerInfo: &codedeploy.DeploymentGroupLoadBalancerInfoArgs{
			TargetGroupPairInfo: &codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoArgs{
				ProdTrafficRoute: &codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoProdTrafficRouteArgs{
					ListenerArns: pulumi.StringArray{args.ProdListenerArn},
				},
				TestTrafficRoute: &codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTestTrafficRouteArgs{
					ListenerArns: pulumi.StringArray{args.TestListenerArn},
				},
				TargetGroups: codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroupArray{
					codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroupArgs{Name: args.BlueTargetGroupName},
					codedeploy.DeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroupArgs{Name: args.GreenTargetGroupName},
				},
			},
		},
		AutoRollbackConfiguration: &codedeploy.DeploymentGroupAutoRollbackConfigurationArgs{
			Enabled: pulumi.Bool(true),
			Events:  pulumi.ToStringArray([]string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"}),
		},
		AlarmConfiguration: &codedeploy.DeploymentGroupAlarmConfigurationArgs{
			Enabled: pulumi.Bool(true),
			Alarms:  args.AlarmNames,
			// An alarm CodeDeploy can't read must stop the deployment, not be skipped.
			IgnorePollAlarmFailure: pulumi.Bool(false),
		},
		Tags: pulumi.ToStringMap(args.Tags),
	}
}

// readyOption holds production traffic in Ready for the deployer's gate 1; readyWaitMinutes 0 is the
// explicit opt-out: no gate before production traffic.
func readyOption(d DeploymentConfig) *codedeploy.DeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOptionArgs {
	if d.ReadyWaitMinutes == 0 {
		return &codedeploy.DeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOptionArgs{
			ActionOnTimeout: pulumi.String("CONTINUE_DEPLOYMENT"),
		}
	}
	// Production traffic moves only when the deployer calls ContinueDeployment after checking the
	// test listener; if nobody does within the wait, CodeDeploy stops (and rolls back).
	return &codedeploy.DeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOptionArgs{
		ActionOnTimeout:   pulumi.String("STOP_DEPLOYMENT"),
		WaitTimeInMinutes: pulumi.Int(d.ReadyWaitMinutes),
	}
}

// customDeploymentConfig is a TimeBasedCanary, TimeBasedLinear or AllAtOnce configuration for ECS.
func customDeploymentConfig(d DeploymentConfig) *codedeploy.DeploymentConfigArgs {
	routing := &codedeploy.DeploymentConfigTrafficRoutingConfigArgs{Type: pulumi.String("AllAtOnce")}
	switch d.TrafficShift {
	case ShiftCanary:
		routing = &codedeploy.DeploymentConfigTrafficRoutingConfigArgs{
			Type: pulumi.String("TimeBasedCanary"),
			TimeBasedCanary: &codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedCanaryArgs{
				Percentage: pulumi.Int(d.ShiftPercent),
				Interval:   pulumi.Int(d.ShiftMinutes),
			},
		}
	case ShiftLinear:
		routing = &codedeploy.DeploymentConfigTrafficRoutingConfigArgs{
			Type: pulumi.String("TimeBasedLinear"),
			TimeBasedLinear: &codedeploy.DeploymentConfigTrafficRoutingConfigTimeBasedLinearArgs{
				Percentage: pulumi.Int(d.ShiftPercent),
				Interval:   pulumi.Int(d.ShiftMinutes),
			},
		}
	}
	return &codedeploy.DeploymentConfigArgs{
		ComputePlatform:      pulumi.String("ECS"),
		TrafficRoutingConfig: routing,
	}
}
