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

func containerDefinitions(t *testing.T, r *run) []map[string]any {
	t.Helper()
	var defs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.one(t, typeTaskDefinition).Inputs["containerDefinitions"].(string)), &defs))
	return defs
}

func TestContainerDefinitionCarriesImagePortEnvironmentSecretsAndLogs(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "service.environment", map[string]string{"B": "2", "A": "1"})
	c = with(t, c, "service.secrets", map[string]string{"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/token"})
	r := runProgram(t, c)
	defs := containerDefinitions(t, r)
	require.Len(t, defs, 1)
	d := defs[0]
	assert.Equal(t, "model-server", d["name"])
	assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v1", d["image"])
	assert.Equal(t, []any{map[string]any{"containerPort": 8080.0, "hostPort": 8080.0, "protocol": "tcp"}}, d["portMappings"])
	assert.Equal(t, []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "B", "value": "2"}}, d["environment"])
	assert.Equal(t, []any{map[string]any{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/token"}}, d["secrets"])
	assert.Equal(t, map[string]any{"logDriver": "awslogs", "options": map[string]any{
		"awslogs-group": "/ecs/ai-bluegreen-dev", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "model-server",
	}}, d["logConfiguration"])
}

func TestContainerHealthCheckIsSetOnlyWithACommand(t *testing.T) {
	t.Parallel()
	assert.NotContains(t, containerDefinitions(t, runProgram(t, minimalConfig()))[0], "healthCheck")
	r := runProgram(t, with(t, minimalConfig(), "containerHealthCheck.command", []string{"CMD-SHELL", "curl -f localhost:8080/health/live"}))
	assert.Equal(t, map[string]any{
		"command": []any{"CMD-SHELL", "curl -f localhost:8080/health/live"}, "interval": 30.0, "timeout": 5.0, "retries": 3.0, "startPeriod": 300.0,
	}, containerDefinitions(t, r)[0]["healthCheck"])
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

func TestTaskDefinitionRevisionsAreNeverDeregisteredByAReplace(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	assert.Equal(t, true, r.one(t, typeTaskDefinition).Inputs["skipDestroy"],
		"a replaced revision may be live or the deployer's rollback target")
}
