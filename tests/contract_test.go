package tests

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/infra"
)

// infra and deployer never import each other: they share only the stack output names and the IAM
// actions of the exported deployer policy. These tests are where the two halves meet.

// impliedActions are permissions AWS checks for a call the deployer makes, without the deployer
// calling them itself: the policy must allow each while the deployer makes that call, and drop it
// once the deployer no longer does.
var impliedActions = map[string]string{
	"iam:PassRole":                           "ecs:RegisterTaskDefinition (passes the task and execution roles)",
	"ecs:TagResource":                        "ecs:RegisterTaskDefinition (tags the new revision with its provenance)",
	"codedeploy:RegisterApplicationRevision": "codedeploy:CreateDeployment (registers the AppSpec revision)",
	"codedeploy:UpdateDeploymentGroup":       "codedeploy:CreateDeployment (rollback after blue is gone overrides the group's alarm configuration)",
}

// deployerCalls lists every method of the deployer's AWS interfaces as an IAM action.
func deployerCalls() []string {
	services := map[string]reflect.Type{
		"ecs":                  reflect.TypeFor[deployer.ECSAPI](),
		"codedeploy":           reflect.TypeFor[deployer.CodeDeployAPI](),
		"elasticloadbalancing": reflect.TypeFor[deployer.ELBv2API](),
		"cloudwatch":           reflect.TypeFor[deployer.CloudWatchAPI](),
	}
	var calls []string
	for prefix, api := range services {
		for i := 0; i < api.NumMethod(); i++ {
			calls = append(calls, prefix+":"+api.Method(i).Name)
		}
	}
	sort.Strings(calls)
	return calls
}

func TestDeployerPolicyAllowsEveryCallTheDeployerMakes(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{}
	for _, a := range infra.DeployerActions {
		allowed[a] = true
	}
	calls := map[string]bool{}
	for _, call := range deployerCalls() {
		calls[call] = true
		assert.True(t, allowed[call], "the deployer calls %s but the exported deployer policy does not allow it", call)
	}
	for action, why := range impliedActions {
		if calls[strings.Fields(why)[0]] {
			assert.True(t, allowed[action], "AWS checks %s for %s, but the exported deployer policy does not allow it", action, why)
		}
	}
}

func TestDeployerPolicyAllowsNothingTheDeployerDoesNotNeed(t *testing.T) {
	t.Parallel()
	calls := map[string]bool{}
	for _, c := range deployerCalls() {
		calls[c] = true
	}
	for _, a := range infra.DeployerActions {
		if why, ok := impliedActions[a]; ok {
			needs := strings.Fields(why)[0]
			assert.True(t, calls[needs], "%s is allowed for %s, which the deployer no longer calls", a, needs)
			continue
		}
		assert.True(t, calls[a], "the deployer policy allows %s, which the deployer never calls: least privilege says drop it", a)
	}
}

func TestEveryOutputTheDeployerReadsIsExported(t *testing.T) {
	t.Parallel()
	exported := map[string]bool{}
	for _, name := range infra.OutputNames {
		exported[name] = true
	}
	for _, name := range deployer.ReadOutputNames() {
		assert.True(t, exported[name], "the deployer reads stack output %q, which the program does not export", name)
	}
}
