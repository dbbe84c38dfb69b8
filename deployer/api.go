package deployer

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// ECSAPI lists the ECS operations the deployer calls. Every method name must be
// allowed as ecs:<Method> by the deployer policy infra exports.
type ECSAPI interface {
	ecs.DescribeServicesAPIClient
	ecs.DescribeTasksAPIClient
	ecs.ListTasksAPIClient
	DescribeTaskDefinition(ctx context.Context, params *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(ctx context.Context, params *ecs.RegisterTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
}

// CodeDeployAPI lists the CodeDeploy operations the deployer calls.
type CodeDeployAPI interface {
	codedeploy.GetDeploymentAPIClient
	codedeploy.ListDeploymentsAPIClient
	GetDeploymentGroup(ctx context.Context, params *codedeploy.GetDeploymentGroupInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	GetDeploymentConfig(ctx context.Context, params *codedeploy.GetDeploymentConfigInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentConfigOutput, error)
	GetDeploymentTarget(ctx context.Context, params *codedeploy.GetDeploymentTargetInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error)
	GetApplicationRevision(ctx context.Context, params *codedeploy.GetApplicationRevisionInput, optFns ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error)
	CreateDeployment(ctx context.Context, params *codedeploy.CreateDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error)
	ContinueDeployment(ctx context.Context, params *codedeploy.ContinueDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error)
	StopDeployment(ctx context.Context, params *codedeploy.StopDeploymentInput, optFns ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error)
}

// ELBv2API lists the Elastic Load Balancing v2 operations the deployer calls.
type ELBv2API interface {
	elbv2.DescribeListenersAPIClient
	elbv2.DescribeRulesAPIClient
	elbv2.DescribeTargetGroupsAPIClient
	elbv2.DescribeTargetHealthAPIClient
	DescribeTargetGroupAttributes(ctx context.Context, params *elbv2.DescribeTargetGroupAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error)
	DescribeLoadBalancerAttributes(ctx context.Context, params *elbv2.DescribeLoadBalancerAttributesInput, optFns ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error)
}

// CloudWatchAPI lists the CloudWatch operations the deployer calls (gate 2 only).
type CloudWatchAPI interface {
	cloudwatch.GetMetricDataAPIClient
	cloudwatch.DescribeAlarmsAPIClient
}

var (
	_ ECSAPI        = (*ecs.Client)(nil)
	_ CodeDeployAPI = (*codedeploy.Client)(nil)
	_ ELBv2API      = (*elbv2.Client)(nil)
	_ CloudWatchAPI = (*cloudwatch.Client)(nil)
)

// Clients bundles the AWS clients a Deployer uses. Only Main builds real ones.
type Clients struct {
	ECS        ECSAPI
	CodeDeploy CodeDeployAPI
	ELB        ELBv2API
	CloudWatch CloudWatchAPI
}
