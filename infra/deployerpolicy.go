package infra

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// scope says which of the stack's resources a deployer policy statement is limited to.
type scope int

const (
	// scopeAnyResource is Resource "*": only where AWS offers no resource-level permission.
	scopeAnyResource scope = iota
	scopeService
	scopeServiceTasks
	scopeClusterCondition
	scopeTaskFamily
	scopeTaskRoles
	scopeDeploymentGroup
	scopeDeploymentConfig
	scopeApplication
	scopeAlarms
)

// deployerStatement is one statement of the deployer policy.
type deployerStatement struct {
	sid     string
	actions []string
	scope   scope
}

// deployerStatements are exactly the calls the deployer makes (contract: deployer/api.go) plus the
// permissions AWS checks on their behalf (iam:PassRole and ecs:TagResource for RegisterTaskDefinition,
// RegisterApplicationRevision and UpdateDeploymentGroup for CreateDeployment; see their statements),
// each scoped as tightly as IAM allows. Sources: the Service Authorization Reference pages for ECS, CodeDeploy,
// Elastic Load Balancing v2 and CloudWatch (an empty "Resource types" column means AWS requires "*").
var deployerStatements = []deployerStatement{
	{"DescribeService", []string{"ecs:DescribeServices"}, scopeService},
	// DescribeTaskDefinition and RegisterTaskDefinition have no resource types: AWS requires "*".
	{"TaskDefinitions", []string{"ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"}, scopeAnyResource},
	// Tagging on create (RegisterTaskDefinition with tags), only for this family.
	{"TagNewRevisions", []string{"ecs:TagResource"}, scopeTaskFamily},
	// ListTasks is authorised against container instances, not tasks: AWS requires "*"; the ecs:cluster
	// condition keeps it to this cluster.
	{"ListServiceTasks", []string{"ecs:ListTasks"}, scopeClusterCondition},
	{"DescribeServiceTasks", []string{"ecs:DescribeTasks"}, scopeServiceTasks},
	// RegisterTaskDefinition passes the task and execution roles, and only to ECS tasks.
	{"PassTaskRoles", []string{"iam:PassRole"}, scopeTaskRoles},
	{"DeployThroughGroup", []string{
		"codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup", "codedeploy:ListDeployments",
	}, scopeDeploymentGroup},
	// `deployer rollback` after blue is gone redeploys the previous revision with the group's alarms
	// overridden (they fire because production is failing), and CodeDeploy checks UpdateDeploymentGroup
	// for a CreateDeployment with overrideAlarmConfiguration. Only on this group: it could also change
	// the group's settings, which is why it has a statement of its own.
	{"OverrideAlarmsOnRollback", []string{"codedeploy:UpdateDeploymentGroup"}, scopeDeploymentGroup},
	{"ReadDeploymentConfig", []string{"codedeploy:GetDeploymentConfig"}, scopeDeploymentConfig},
	// CreateDeployment registers its AppSpec revision with the application, and IAM checks
	// RegisterApplicationRevision for that even though the deployer never calls it (AWS's own
	// amazon-ecs-deploy-task-definition action lists it for the same CreateDeployment-only flow).
	{"Revisions", []string{"codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"}, scopeApplication},
	// ContinueDeployment, StopDeployment and GetDeploymentTarget take a deployment id and have no
	// resource type in the Service Authorization Reference for CodeDeploy, so AWS requires "*": a
	// statement scoped to the deployment group's ARN never matches them, and every continue, abort and
	// status call is AccessDenied. The CodeDeploy user guide's permissions reference table lists the
	// deployment group ARN for all three, but AWS has confirmed that table wrong for StopDeployment
	// (awsdocs/aws-codedeploy-user-guide#18). CodeDeploy offers no condition key that narrows them
	// either (aws:ResourceTag applies only to actions with a resource type), so the CI role can steer
	// any deployment in this account: give stacks that must not share that power their own account.
	{"SteerDeployments", []string{
		"codedeploy:ContinueDeployment", "codedeploy:GetDeploymentTarget", "codedeploy:StopDeployment",
	}, scopeAnyResource},
	// Elastic Load Balancing Describe* calls have no resource-level permissions: AWS requires "*".
	{"ReadLoadBalancing", []string{
		"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
		"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
		"elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeLoadBalancerAttributes",
	}, scopeAnyResource},
	// GetMetricData has no resource types: AWS requires "*".
	{"ReadMetrics", []string{"cloudwatch:GetMetricData"}, scopeAnyResource},
	{"ReadAlarms", []string{"cloudwatch:DescribeAlarms"}, scopeAlarms},
}

// DeployerActions is every action the deployer policy allows, sorted: the list the contract test
// compares with the deployer's AWS interfaces (ECSAPI, CodeDeployAPI, ELBv2API, CloudWatchAPI).
var DeployerActions = func() []string {
	var all []string
	for _, s := range deployerStatements {
		all = append(all, s.actions...)
	}
	sort.Strings(all)
	return all
}()

// DeployerPolicyArgs are the stack's resources the deployer policy is scoped to.
type DeployerPolicyArgs struct {
	ClusterArn, ClusterName, ServiceName pulumi.StringInput
	// Family is the task definition family; TaskDefinitionArn is any of its revisions.
	Family            string
	TaskDefinitionArn pulumi.StringInput
	TaskRoleArn       pulumi.StringInput
	ExecutionRoleArn  pulumi.StringInput
	ApplicationArn    pulumi.StringInput
	// DeploymentGroupArn, DeploymentConfigName and AlarmArns scope the CodeDeploy and CloudWatch reads.
	DeploymentGroupArn   pulumi.StringInput
	DeploymentConfigName pulumi.StringInput
	AlarmArns            pulumi.StringArrayInput
}

// DeployerPolicy is the least-privilege IAM policy for the CI deploy step, as JSON (attach it to the CI
// role); it declares no AWS resource.
type DeployerPolicy struct {
	pulumi.ResourceState

	PolicyJSON pulumi.StringOutput `pulumi:"policyJson"`
}

// deployerResources are the resolved ARNs the statements use.
type deployerResources struct {
	clusterArn, clusterName, serviceName, family, taskDefinitionArn string
	taskRoleArn, executionRoleArn, applicationArn                   string
	deploymentGroupArn, deploymentConfigName                        string
	alarmArns                                                       []string
}

// NewDeployerPolicy renders the deployer policy.
func NewDeployerPolicy(ctx *pulumi.Context, name string, args *DeployerPolicyArgs, opts ...pulumi.ResourceOption) (*DeployerPolicy, error) {
	if args == nil || args.ClusterArn == nil || args.ClusterName == nil || args.ServiceName == nil || args.TaskDefinitionArn == nil ||
		args.TaskRoleArn == nil || args.ExecutionRoleArn == nil || args.ApplicationArn == nil ||
		args.DeploymentGroupArn == nil || args.DeploymentConfigName == nil || args.AlarmArns == nil {
		return nil, fmt.Errorf("deployer policy %s: every resource reference is required", name)
	}
	p := &DeployerPolicy{}
	if err := ctx.RegisterComponentResource("ai-bluegreen:infra:DeployerPolicy", name, p, opts...); err != nil {
		return nil, err
	}
	p.PolicyJSON = pulumi.All(args.ClusterArn, args.ClusterName, args.ServiceName, args.TaskDefinitionArn,
		args.TaskRoleArn, args.ExecutionRoleArn, args.ApplicationArn, args.DeploymentGroupArn,
		args.DeploymentConfigName, args.AlarmArns).ApplyT(func(v []any) (string, error) {
		return deployerPolicyJSON(deployerResources{
			clusterArn: v[0].(string), clusterName: v[1].(string), serviceName: v[2].(string),
			family: args.Family, taskDefinitionArn: v[3].(string),
			taskRoleArn: v[4].(string), executionRoleArn: v[5].(string), applicationArn: v[6].(string),
			deploymentGroupArn: v[7].(string), deploymentConfigName: v[8].(string), alarmArns: v[9].([]string),
		})
	}).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{"policyJson": p.PolicyJSON}); err != nil {
		return nil, err
	}
	return p, nil
}

// deployerPolicyJSON renders the statements with the stack's ARNs. Related ARNs are derived from real
// ARN outputs (partition, region and account included), so no caller-identity invoke is needed.
func deployerPolicyJSON(r deployerResources) (string, error) {
	ecsPrefix := arnPrefix(r.clusterArn)
	codeDeployPrefix := arnPrefix(r.applicationArn)
	doc := policyDocument{Version: "2012-10-17"}
	for _, s := range deployerStatements {
		st := policyStatement{Sid: s.sid, Effect: "Allow", Action: s.actions}
		switch s.scope {
		case scopeAnyResource:
			st.Resource = "*"
		case scopeService:
			st.Resource = []string{ecsPrefix + ":service/" + r.clusterName + "/" + r.serviceName}
		case scopeServiceTasks:
			st.Resource = []string{ecsPrefix + ":task/" + r.clusterName + "/*"}
		case scopeClusterCondition:
			st.Resource = "*"
			st.Condition = map[string]map[string]any{"ArnEquals": {"ecs:cluster": r.clusterArn}}
		case scopeTaskFamily:
			st.Resource = []string{arnPrefix(r.taskDefinitionArn) + ":task-definition/" + r.family + ":*"}
			st.Condition = map[string]map[string]any{"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}
		case scopeTaskRoles:
			st.Resource = []string{r.taskRoleArn, r.executionRoleArn}
			st.Condition = map[string]map[string]any{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
		case scopeDeploymentGroup:
			st.Resource = []string{r.deploymentGroupArn}
		case scopeDeploymentConfig:
			st.Resource = []string{codeDeployPrefix + ":deploymentconfig:" + r.deploymentConfigName}
		case scopeApplication:
			st.Resource = []string{r.applicationArn}
		case scopeAlarms:
			st.Resource = append([]string{}, r.alarmArns...)
		default:
			return "", fmt.Errorf("deployer policy: statement %s has no scope", s.sid)
		}
		doc.Statement = append(doc.Statement, st)
	}
	return doc.json()
}
