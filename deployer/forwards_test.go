package deployer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
