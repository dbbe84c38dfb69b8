package deployer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAReleaseWhoseProductionServesTwoVersionsHalfAndHalfIsNotReleased(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	// After a stop without rollback and a new release: CodeDeploy reports success,
	// and production's group holds the new tasks and the earlier release's, all healthy.
	w.running = []ecstypes.Task{
		runningTask("new1", "10.0.0.1", newTD, "ecs-svc/2"), runningTask("new2", "10.0.0.2", newTD, "ecs-svc/2"),
		runningTask("old1", "10.0.0.3", liveTD, "ecs-svc/1"), runningTask("old2", "10.0.0.4", liveTD, "ecs-svc/1"),
	}
	w.health = func(string) []elbv2types.TargetHealthDescription { return healthyTargets(4) }
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeFailed, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "CodeDeploy reports success but production target group web-green also serves tasks that are not the released task set's (web:8): "+
		"10.0.0.3:8080 (task old1 of web:7, started by ecs-svc/1); 10.0.0.4:8080 (task old2 of web:7, started by ecs-svc/1); production answers with more than one version")
	require.NotNil(t, res.Failure)
	assert.Len(t, res.Failure.TargetHealth, 2)
}

func TestAReleaseWhoseProductionServesOnlyItsTaskSetIsReleased(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.running = []ecstypes.Task{ // blue's tasks still run, in blue's group: not production's
		runningTask("new1", "10.0.0.1", newTD, "ecs-svc/2"), runningTask("new2", "10.0.0.2", newTD, "ecs-svc/2"),
		runningTask("old1", "10.0.0.3", liveTD, "ecs-svc/1"),
	}
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
}

func TestAssessReleasedTargets(t *testing.T) {
	t.Parallel()
	green := []ecstypes.Task{runningTask("g1", "10.0.0.1", newTD, "ecs-svc/2"), runningTask("g2", "10.0.0.2", newTD, "ecs-svc/2")}
	cases := []struct {
		name    string
		targets []elbv2types.TargetHealthDescription
		tasks   []ecstypes.Task
		taskSet string
		want    []string
	}{
		{"only the released task set's tasks", healthyTargets(2), green, "ecs-svc/2", nil},
		{"a target no running task has is not the release's", healthyTargets(3), green, "ecs-svc/2", []string{"10.0.0.3:8080 (no running task of the service)"}},
		{"a task of the earlier task definition is not", healthyTargets(3), append(green, runningTask("b1", "10.0.0.3", liveTD, "ecs-svc/1")), "ecs-svc/2",
			[]string{"10.0.0.3:8080 (task b1 of web:7, started by ecs-svc/1)"}},
		{"nor the same task definition started by another task set", healthyTargets(3), append(green, runningTask("b1", "10.0.0.3", newTD, "ecs-svc/1")), "ecs-svc/2",
			[]string{"10.0.0.3:8080 (task b1 of web:8, started by ecs-svc/1)"}},
		{"without a known task set the task definition decides", healthyTargets(2), []ecstypes.Task{green[0], runningTask("x", "10.0.0.2", newTD, "ecs-svc/9")}, "", nil},
		{"draining targets are leaving", append(healthyTargets(2), target("10.0.0.9", "draining", "Target.DeregistrationInProgress")), green, "ecs-svc/2", nil},
		{"unhealthy targets count: they are registered", append(healthyTargets(2), target("10.0.0.9", "unhealthy", "Target.Timeout")), green, "ecs-svc/2",
			[]string{"10.0.0.9:8080 (no running task of the service)"}},
		{"instance targets cannot be mapped by address and are not judged", []elbv2types.TargetHealthDescription{target("i-0abc", "healthy", "")}, green, "ecs-svc/2", nil},
		{"an address many tasks share passes when one of them is the release's", healthyTargets(1),
			[]ecstypes.Task{runningTask("b1", "10.0.0.1", liveTD, "ecs-svc/1"), runningTask("g1", "10.0.0.1", newTD, "ecs-svc/2")}, "ecs-svc/2", nil},
		{"a container's network interface gives the address too", healthyTargets(1), []ecstypes.Task{{TaskArn: aws.String("arn:aws:ecs:us-east-1:1:task/ml/c1"),
			TaskDefinitionArn: aws.String(liveTD), StartedBy: aws.String("ecs-svc/1"),
			Containers: []ecstypes.Container{{NetworkInterfaces: []ecstypes.NetworkInterface{{PrivateIpv4Address: aws.String("10.0.0.1")}}}}}}, "ecs-svc/2",
			[]string{"10.0.0.1:8080 (task c1 of web:7, started by ecs-svc/1)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, assessReleasedTargets(tc.targets, tc.tasks, newTD, tc.taskSet))
		})
	}
}
