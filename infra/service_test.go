package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	typeService        = "aws:ecs/service:Service"
	typeTaskDefinition = "aws:ecs/taskDefinition:TaskDefinition"
	typeCluster        = "aws:ecs/cluster:Cluster"
	typeRolePolicy     = "aws:iam/rolePolicy:RolePolicy"
)

func autoscaledConfig(t *testing.T) map[string]string {
	return with(t, minimalConfig(), "autoscaling.enabled", true)
}

func TestServiceUsesTheCodeDeployController(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Equal(t, "CODE_DEPLOY", field(r.one(t, typeService).Inputs, "deploymentController.type"))
}

func TestServiceHasExactlyOneLoadBalancerEntryOnTheBlueTargetGroup(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	blue := r.named(t, typeTargetGroup, "-blue").ID
	assert.Equal(t, []any{map[string]any{
		"targetGroupArn": blue, "containerName": "model-server", "containerPort": 8080.0,
	}}, r.one(t, typeService).Inputs["loadBalancers"])
}

func TestServiceIgnoresTaskDefinitionAndLoadBalancersThatCodeDeployOwns(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Equal(t, []string{"taskDefinition", "loadBalancers"}, r.one(t, typeService).Ignore)
}

func TestServiceAlsoIgnoresDesiredCountWhenAutoscaling(t *testing.T) {
	t.Parallel()
	r := runProgram(t, autoscaledConfig(t))
	assert.Equal(t, []string{"taskDefinition", "loadBalancers", "desiredCount"}, r.one(t, typeService).Ignore)
}

func TestServiceIsCreatedAfterBothTrafficListeners(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	deps := r.one(t, typeService).DependsOn
	assert.Contains(t, deps, r.named(t, typeListener, "dev-lb-prod").URN)
	assert.Contains(t, deps, r.named(t, typeListener, "dev-lb-test").URN)
}

func TestServiceRunsTasksInPrivateSubnetsWithoutPublicIPs(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	private := []any{r.named(t, "aws:ec2/subnet:Subnet", "-private-0").ID, r.named(t, "aws:ec2/subnet:Subnet", "-private-1").ID}
	net := r.one(t, typeService).Inputs["networkConfiguration"].(map[string]any)
	assert.Equal(t, private, net["subnets"])
	assert.Equal(t, false, net["assignPublicIp"])
	assert.Equal(t, []any{r.named(t, typeSecurityGroup, "-tasks-sg").ID}, net["securityGroups"])
}

func TestServiceHealthCheckGracePeriodComesFromConfig(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "healthCheck.gracePeriod", 900))
	assert.Equal(t, 900.0, r.one(t, typeService).Inputs["healthCheckGracePeriodSeconds"])
}

func TestClusterHasContainerInsights(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Equal(t, []any{map[string]any{"name": "containerInsights", "value": "enabled"}}, r.one(t, typeCluster).Inputs["settings"])
}

func executionPolicy(t *testing.T, r *run) policyDocument {
	t.Helper()
	var doc policyDocument
	require.NoError(t, json.Unmarshal([]byte(r.named(t, typeRolePolicy, "-execution").Inputs["policy"].(string)), &doc))
	return doc
}

func statementBySid(doc policyDocument, sid string) *policyStatement {
	for i := range doc.Statement {
		if doc.Statement[i].Sid == sid {
			return &doc.Statement[i]
		}
	}
	return nil
}

func TestExecutionRoleReadsOnlyTheListedSecrets(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "service.secrets", map[string]string{
		"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/token",
		"KEY":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf:password::",
	}))
	doc := executionPolicy(t, r)
	require.NotNil(t, statementBySid(doc, "ReadParameters"))
	assert.Equal(t, []any{"arn:aws:ssm:us-east-1:123456789012:parameter/token"}, statementBySid(doc, "ReadParameters").Resource)
	require.NotNil(t, statementBySid(doc, "ReadSecrets"))
	assert.Equal(t, []any{"arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf"}, statementBySid(doc, "ReadSecrets").Resource,
		"the JSON key suffix of valueFrom is not part of the IAM resource")
}

func TestExecutionRolePullsOnlyFromTheImagesRepository(t *testing.T) {
	t.Parallel()
	doc := executionPolicy(t, runProgram(t, minimalConfig()))
	require.NotNil(t, statementBySid(doc, "PullImage"))
	assert.Equal(t, []any{"arn:aws:ecr:us-east-1:123456789012:repository/model-server"}, statementBySid(doc, "PullImage").Resource)
	// GetAuthorizationToken has no resource-level permissions: "*" is what AWS requires.
	assert.Equal(t, "*", statementBySid(doc, "EcrToken").Resource)
}

func TestExecutionRolePullsFromTheImagesRepositoryAndTheListedOnes(t *testing.T) {
	t.Parallel()
	doc := executionPolicy(t, runProgram(t, with(t, minimalConfig(), "service.imageRepositories",
		[]string{"team/other-model", "arn:aws:ecr:us-east-1:123456789012:repository/shared/base"})))
	require.NotNil(t, statementBySid(doc, "PullImage"))
	assert.Equal(t, []any{
		"arn:aws:ecr:us-east-1:123456789012:repository/model-server",
		"arn:aws:ecr:us-east-1:123456789012:repository/team/other-model",
		"arn:aws:ecr:us-east-1:123456789012:repository/shared/base",
	}, statementBySid(doc, "PullImage").Resource, "names are repositories of the stack's own account and region")
}

func TestExecutionRoleDecryptsOnlyWithTheListedKeysThroughSSMOrSecretsManager(t *testing.T) {
	t.Parallel()
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	c := with(t, minimalConfig(), "service.secrets", map[string]string{
		"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/token",
		"KEY":   "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf",
	})
	doc := executionPolicy(t, runProgram(t, with(t, c, "service.secretsKmsKeyArns", []string{key})))
	st := statementBySid(doc, "DecryptSecrets")
	require.NotNil(t, st)
	assert.Equal(t, []string{"kms:Decrypt"}, st.Action)
	assert.Equal(t, []any{key}, st.Resource)
	assert.Equal(t, map[string]map[string]any{"StringEquals": {"kms:ViaService": []any{
		"secretsmanager.us-east-1.amazonaws.com", "ssm.us-east-1.amazonaws.com",
	}}}, st.Condition)
}

func TestExecutionRoleGetsNoECRAccessForOtherRegistries(t *testing.T) {
	t.Parallel()
	doc := executionPolicy(t, runProgram(t, with(t, minimalConfig(), "image", "ghcr.io/acme/model-server:v1")))
	assert.Nil(t, statementBySid(doc, "PullImage"))
	assert.Nil(t, statementBySid(doc, "EcrToken"))
}

func TestAutoscalingTracksRequestsPerTargetAcrossBothTargetGroups(t *testing.T) {
	t.Parallel()
	r := runProgram(t, autoscaledConfig(t))
	target := r.one(t, "aws:appautoscaling/target:Target")
	assert.Equal(t, 2.0, target.Inputs["minCapacity"])
	assert.Equal(t, 6.0, target.Inputs["maxCapacity"])
	policy := r.one(t, "aws:appautoscaling/policy:Policy").Inputs
	assert.Equal(t, 100.0, field(policy, "targetTrackingScalingPolicyConfiguration.targetValue"))
	metrics := field(policy, "targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics").([]any)
	require.Len(t, metrics, 3)
	assert.Equal(t, r.named(t, typeTargetGroup, "-blue").State["arnSuffix"],
		field(map[string]any{"m": metrics[0]}, "m.metricStat.metric.dimensions.0.value"))
	assert.Equal(t, r.named(t, typeTargetGroup, "-green").State["arnSuffix"],
		field(map[string]any{"m": metrics[1]}, "m.metricStat.metric.dimensions.0.value"))
	assert.Equal(t, "FILL(blue, 0) + FILL(green, 0)", field(map[string]any{"m": metrics[2]}, "m.expression"))
}

func TestFargateStackLaunchesOnFargate(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	svc := r.one(t, typeService).Inputs
	assert.Equal(t, "FARGATE", svc["launchType"])
	assert.Equal(t, []any{"FARGATE"}, r.one(t, typeTaskDefinition).Inputs["requiresCompatibilities"])
}
