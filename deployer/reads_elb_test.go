package deployer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ruleListener is a listener whose default action answers fixed text and whose
// rules forward.
type ruleListener struct {
	ELBv2API
	rules []elbv2types.Rule
}

func (l ruleListener) DescribeListeners(_ context.Context, in *elbv2.DescribeListenersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	return &elbv2.DescribeListenersOutput{Listeners: []elbv2types.Listener{{ListenerArn: aws.String(in.ListenerArns[0]),
		DefaultActions: []elbv2types.Action{{Type: elbv2types.ActionTypeEnumFixedResponse}}}}}, nil
}

func (l ruleListener) DescribeRules(context.Context, *elbv2.DescribeRulesInput, ...func(*elbv2.Options)) (*elbv2.DescribeRulesOutput, error) {
	return &elbv2.DescribeRulesOutput{Rules: l.rules}, nil
}

func TestAListenerThatForwardsByRuleIsReadFromItsHighestPriorityRule(t *testing.T) {
	t.Parallel()
	elb := ruleListener{rules: []elbv2types.Rule{
		{Priority: aws.String("20"), Actions: weighted(tgBlue, 100, tgGreen, 0)},
		{Priority: aws.String("10"), Actions: weighted(tgBlue, 0, tgGreen, 100)},
	}}
	d := New(Clients{ELB: elb}, testTarget(), DefaultOptions())
	fw, err := d.listenerForwards(context.Background(), testTarget().ProdListenerArn)
	require.NoError(t, err)
	assert.Equal(t, []forward{{tgBlue, 0}, {tgGreen, 100}}, fw)
}

func TestDescribeTargetGroupWantsExactlyOneGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := New(w.clients(), testTarget(), w.options(nil))
	tg, err := d.describeTargetGroup(context.Background(), &elbv2.DescribeTargetGroupsInput{Names: []string{"web-green"}})
	require.NoError(t, err)
	assert.Equal(t, &targetGroupInfo{Arn: tgGreen, Name: "web-green", HealthCheckPath: "/health/ready", LoadBalancerArns: []string{lbArn}}, tg)

	_, err = d.describeTargetGroup(context.Background(), &elbv2.DescribeTargetGroupsInput{Names: []string{"web-gone"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "describe target group [web-gone]: got 0 groups")
}
