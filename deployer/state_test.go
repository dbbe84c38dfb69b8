package deployer

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func events(statuses ...string) []cdtypes.LifecycleEvent {
	names := []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}
	out := make([]cdtypes.LifecycleEvent, len(names))
	for i, n := range names {
		st := "Pending"
		if i < len(statuses) {
			st = statuses[i]
		}
		out[i] = cdtypes.LifecycleEvent{LifecycleEventName: aws.String(n), Status: cdtypes.LifecycleEventStatus(st)}
	}
	return out
}

func TestAssessDeployment(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status cdtypes.DeploymentStatus
		target *cdtypes.ECSTarget
		want   Phase
	}{
		{"a created deployment is queued", "Created", nil, PhaseQueued},
		{"a queued deployment is queued", "Queued", nil, PhaseQueued},
		{"in progress without a target yet is installing", "InProgress", nil, PhaseInstalling},
		{"install in progress is installing", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, "InProgress")}, PhaseInstalling},
		{"test traffic allowed but no prod shift yet is installing", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S)}, PhaseInstalling},
		{"a deployment in Ready waits for gate 1", "Ready", &cdtypes.ECSTarget{Status: "Ready"}, PhaseReady},
		{"a target in Ready waits for gate 1 even if the deployment says InProgress", "InProgress", &cdtypes.ECSTarget{Status: "Ready"}, PhaseReady},
		{"BeforeAllowTraffic running is shifting", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S, "InProgress")}, PhaseShifting},
		{"AllowTraffic running is shifting", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S, S, "InProgress")}, PhaseShifting},
		{"baking is not terminal", "Baking", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S, S, "InProgress")}, PhaseShifting},
		{"target succeeded while the deployment runs is the termination wait", "InProgress", &cdtypes.ECSTarget{Status: "Succeeded", LifecycleEvents: events(S, S, S, S, S, S, S, S)}, PhaseTerminationWait},
		{"a succeeded deployment is succeeded", "Succeeded", &cdtypes.ECSTarget{Status: "Succeeded"}, PhaseSucceeded},
		{"a failed deployment is failed", "Failed", nil, PhaseFailed},
		{"a stopped deployment is stopped", "Stopped", &cdtypes.ECSTarget{Status: "InProgress"}, PhaseStopped},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := assessDeployment(&cdtypes.DeploymentInfo{Status: tc.status}, tc.target)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPhaseTerminal(t *testing.T) {
	t.Parallel()
	for _, p := range []Phase{PhaseSucceeded, PhaseFailed, PhaseStopped} {
		assert.True(t, p.Terminal(), p)
	}
	for _, p := range []Phase{PhaseQueued, PhaseInstalling, PhaseReady, PhaseShifting, PhaseTerminationWait} {
		assert.False(t, p.Terminal(), p)
	}
}

const (
	tgBlue  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/1111"
	tgGreen = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/2222"
)

func weighted(pairs ...any) []elbv2types.Action {
	var tgs []elbv2types.TargetGroupTuple
	for i := 0; i < len(pairs); i += 2 {
		tgs = append(tgs, elbv2types.TargetGroupTuple{TargetGroupArn: aws.String(pairs[i].(string)), Weight: aws.Int32(int32(pairs[i+1].(int)))})
	}
	return []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, ForwardConfig: &elbv2types.ForwardActionConfig{TargetGroups: tgs}}}
}

func TestAssessLiveTargetGroup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		actions []elbv2types.Action
		want    string
		wantErr string
	}{
		{"the group at weight 100 is live, the one at 0 is not", weighted(tgBlue, 100, tgGreen, 0), tgBlue, ""},
		{"after a release green at 100 is live whatever its name or position", weighted(tgBlue, 0, tgGreen, 100), tgGreen, ""},
		{"mid-shift the heavier group is live", weighted(tgBlue, 90, tgGreen, 10), tgBlue, ""},
		{"a plain forward has one live group", []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgGreen)}}, tgGreen, ""},
		{"an even split has no single live group", weighted(tgBlue, 50, tgGreen, 50), "", "split evenly"},
		{"all weights zero has no live group", weighted(tgBlue, 0, tgGreen, 0), "", "weight 0"},
		{"a fixed response does not forward", []elbv2types.Action{{Type: elbv2types.ActionTypeEnumFixedResponse}}, "", "no forward"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := assessLiveTargetGroup(actionForwards(tc.actions))
			assertDecision(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestRuleForwardsPicksTheHighestPriorityForwardingRule(t *testing.T) {
	t.Parallel()
	rules := []elbv2types.Rule{
		{Priority: aws.String("default"), Actions: weighted(tgBlue, 1)},
		{Priority: aws.String("20"), Actions: weighted(tgBlue, 100, tgGreen, 0)},
		{Priority: aws.String("10"), Actions: weighted(tgBlue, 0, tgGreen, 100)},
	}
	got, err := assessLiveTargetGroup(ruleForwards(rules))
	require.NoError(t, err)
	assert.Equal(t, tgGreen, got)
}

func TestARNHelpers(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "web-green", targetGroupName(tgGreen))
	assert.Equal(t, "targetgroup/web-green/2222", arnResource(tgGreen))
	assert.Equal(t, "app/web/abc", arnResource("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/abc"))
	assert.Equal(t, "web-blue=100 web-green=0", formatForwards([]forward{{tgBlue, 100}, {tgGreen, 0}}))
}

func TestSnapshotChangesListOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	before := describeSnapshot(snapshot{Deployment: &cdtypes.DeploymentInfo{Status: "InProgress"}, Target: &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events("Succeeded", "InProgress")}})
	after := describeSnapshot(snapshot{Deployment: &cdtypes.DeploymentInfo{Status: "InProgress"}, Target: &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events("Succeeded", "Succeeded", "InProgress")}})
	assert.Equal(t, []string{"event AfterInstall: InProgress", "event Install: Succeeded"}, snapshotChanges(before, after))
	assert.Empty(t, snapshotChanges(after, after))
}

func TestPollerIsFastAfterAChangeAndBacksOffToTheCap(t *testing.T) {
	t.Parallel()
	p := newPoller(time.Second, 5*time.Second)
	for i := 0; i < fastPolls; i++ {
		assert.Equal(t, time.Second, p.next())
	}
	assert.Equal(t, 1500*time.Millisecond, p.next())
	for i := 0; i < 10; i++ {
		p.next()
	}
	assert.Equal(t, 5*time.Second, p.next())
	p.changed()
	assert.Equal(t, time.Second, p.next())
}
