package infra

// Stack output names: the contract with the deployer, which reads `pulumi stack output --json` and keeps
// its own copy of these names (it never imports infra). A test in tests/ checks that both agree.
const (
	// OutputRegion is the AWS region the stack runs in.
	OutputRegion = "region"
	// OutputClusterName is the ECS cluster name.
	OutputClusterName = "clusterName"
	// OutputClusterArn is the ECS cluster ARN.
	OutputClusterArn = "clusterArn"
	// OutputServiceName is the ECS service name (deployment controller CODE_DEPLOY).
	OutputServiceName = "serviceName"
	// OutputTaskDefinitionFamily is the task definition family the deployer registers new revisions in.
	OutputTaskDefinitionFamily = "taskDefinitionFamily"
	// OutputTaskDefinitionArn is the task definition revision Pulumi registered last. The service does
	// not run it by itself (CodeDeploy owns the running revision): a config-only change is released with
	// `deployer deploy --task-definition-arn` and this value.
	OutputTaskDefinitionArn = "taskDefinitionArn"
	// OutputContainerName is the container the load balancer targets.
	OutputContainerName = "containerName"
	// OutputContainerPort is that container's port (a JSON number).
	OutputContainerPort = "containerPort"
	// OutputCodeDeployApplication is the CodeDeploy application name.
	OutputCodeDeployApplication = "codeDeployApplication"
	// OutputCodeDeployDeploymentGroup is the CodeDeploy deployment group name.
	OutputCodeDeployDeploymentGroup = "codeDeployDeploymentGroup"
	// OutputBlueTargetGroupArn is the ARN of the target group the service started on.
	OutputBlueTargetGroupArn = "blueTargetGroupArn"
	// OutputBlueTargetGroupName is the name of the target group the service started on.
	OutputBlueTargetGroupName = "blueTargetGroupName"
	// OutputGreenTargetGroupArn is the ARN of the other target group.
	OutputGreenTargetGroupArn = "greenTargetGroupArn"
	// OutputGreenTargetGroupName is the name of the other target group.
	OutputGreenTargetGroupName = "greenTargetGroupName"
	// OutputProdListenerArn is the production listener's ARN.
	OutputProdListenerArn = "prodListenerArn"
	// OutputTestListenerArn is the test listener's ARN.
	OutputTestListenerArn = "testListenerArn"
	// OutputLoadBalancerArn is the ALB's ARN.
	OutputLoadBalancerArn = "loadBalancerArn"
	// OutputAlbDNSName is the ALB's DNS name.
	OutputAlbDNSName = "albDnsName"
	// OutputProdURL is scheme://host:port of the production listener (no path).
	OutputProdURL = "prodUrl"
	// OutputTestURL is scheme://host:port of the test listener (no path).
	OutputTestURL = "testUrl"
	// OutputNatPublicIPs lists the Elastic IPs of the NAT gateways of a created VPC (empty with an existing
	// VPC): the addresses the VPC's private subnets reach the internet, and an internet-facing ALB, from.
	OutputNatPublicIPs = "natPublicIps"
	// OutputDeployerPolicyJSON is the least-privilege IAM policy document for the CI deploy step.
	OutputDeployerPolicyJSON = "deployerPolicyJson"
	// OutputMaxRequestSeconds is service.maxRequestSeconds, the longest request or stream the model
	// serves (a JSON number): the deployer compares it with the live deregistration delay, idle timeout
	// and stop timeout, which a console edit may have changed since `pulumi up`.
	OutputMaxRequestSeconds = "maxRequestSeconds"
)

// OutputNames lists every stack output the program exports (README's stack output table says what each
// holds).
var OutputNames = []string{
	OutputRegion,
	OutputClusterName,
	OutputClusterArn,
	OutputServiceName,
	OutputTaskDefinitionFamily,
	OutputTaskDefinitionArn,
	OutputContainerName,
	OutputContainerPort,
	OutputCodeDeployApplication,
	OutputCodeDeployDeploymentGroup,
	OutputBlueTargetGroupArn,
	OutputBlueTargetGroupName,
	OutputGreenTargetGroupArn,
	OutputGreenTargetGroupName,
	OutputProdListenerArn,
	OutputTestListenerArn,
	OutputLoadBalancerArn,
	OutputAlbDNSName,
	OutputProdURL,
	OutputTestURL,
	OutputNatPublicIPs,
	OutputDeployerPolicyJSON,
	OutputMaxRequestSeconds,
}
