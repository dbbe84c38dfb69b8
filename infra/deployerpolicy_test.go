package infra

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deployerPolicyStatement is one statement of the exported policy JSON; Resource stays raw, since it is
// "*" or a list of ARNs.
type deployerPolicyStatement struct {
	Sid       string
	Action    []string
	Resource  json.RawMessage
	Condition map[string]map[string]string
}

func deployerPolicyOf(t *testing.T, r *run) []deployerPolicyStatement {
	t.Helper()
	var doc struct{ Statement []deployerPolicyStatement }
	require.NoError(t, json.Unmarshal([]byte(r.outputs[OutputDeployerPolicyJSON].(string)), &doc))
	return doc.Statement
}

func isStar(s deployerPolicyStatement) bool { return string(s.Resource) == `"*"` }

func TestDeployerPolicyUsesStarResourcesOnlyWhereAWSRequiresThem(t *testing.T) {
	t.Parallel()
	var star []string
	for _, s := range deployerPolicyOf(t, runProgram(t, minimalConfig())) {
		if isStar(s) {
			star = append(star, s.Action...)
		}
	}
	// Each has no resource-level permission in the Service Authorization Reference (see deployerStatements).
	// Which actions the policy allows is checked against the deployer's own interfaces in
	// tests/contract_test.go.
	assert.ElementsMatch(t, []string{
		"ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition",
		"ecs:ListTasks", // authorised against container instances; narrowed by the ecs:cluster condition
		"codedeploy:ContinueDeployment", "codedeploy:GetDeploymentTarget", "codedeploy:StopDeployment",
		"elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
		"elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
		"elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeLoadBalancerAttributes",
		"cloudwatch:GetMetricData",
	}, star)
}

func TestDeployerPolicyHasNoWildcardActions(t *testing.T) {
	t.Parallel()
	for _, s := range deployerPolicyOf(t, runProgram(t, minimalConfig())) {
		for _, a := range s.Action {
			assert.NotContains(t, a, "*", s.Sid)
		}
	}
}

func TestDeployerPolicyListsTasksOnlyInThisCluster(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	for _, s := range deployerPolicyOf(t, r) {
		if s.Sid == "ListServiceTasks" {
			assert.Equal(t, map[string]map[string]string{"ArnEquals": {"ecs:cluster": r.outputs[OutputClusterArn].(string)}}, s.Condition)
			return
		}
	}
	t.Fatal("no ListServiceTasks statement")
}

func TestDeployerPolicyPassesOnlyTheTaskAndExecutionRolesToECSTasks(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	for _, s := range deployerPolicyOf(t, r) {
		if s.Sid != "PassTaskRoles" {
			continue
		}
		var roles []string
		require.NoError(t, json.Unmarshal(s.Resource, &roles))
		assert.ElementsMatch(t, []string{
			r.named(t, "aws:iam/role:Role", "dev-svc-task").State["arn"].(string),
			r.named(t, "aws:iam/role:Role", "dev-svc-execution").State["arn"].(string),
		}, roles)
		assert.Equal(t, map[string]map[string]string{"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}, s.Condition)
		return
	}
	t.Fatal("no PassTaskRoles statement")
}

func TestDeployerPolicyScopesEveryOtherStatementToThisStacksResources(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	cluster := r.outputs[OutputClusterName].(string)
	config := r.one(t, typeDeploymentGroup).Inputs["deploymentConfigName"].(string)
	stackNames := []string{cluster, "ai-bluegreen-dev", "dev-alarms-", "dev-svc-", "deploymentconfig:" + config}
	for _, s := range deployerPolicyOf(t, r) {
		if isStar(s) {
			continue
		}
		var arns []string
		require.NoError(t, json.Unmarshal(s.Resource, &arns), s.Sid)
		require.NotEmpty(t, arns, s.Sid)
		for _, arn := range arns {
			assert.True(t, strings.HasPrefix(arn, "arn:aws:"), arn)
			mine := false
			for _, n := range stackNames {
				mine = mine || strings.Contains(arn, n)
			}
			assert.True(t, mine, "%s: %s is not one of this stack's resources", s.Sid, arn)
		}
	}
}

func TestDeployerPolicyReadsThePredefinedDeploymentConfigByARN(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	for _, s := range deployerPolicyOf(t, r) {
		if s.Sid == "ReadDeploymentConfig" {
			assert.JSONEq(t, `["arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:CodeDeployDefault.ECSCanary10Percent5Minutes"]`, string(s.Resource))
			return
		}
	}
	t.Fatal("no ReadDeploymentConfig statement")
}
