package emulator

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestELBv2DescribeCallsDecodeInTheSDK(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()

	lbs, err := w.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"web-alb"}})
	require.NoError(t, err)
	require.Len(t, lbs.LoadBalancers, 1)
	lb := lbs.LoadBalancers[0]
	assert.Equal(t, w.lb.ARN, aws.ToString(lb.LoadBalancerArn))
	assert.Regexp(t, `^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/[0-9a-f]{16}$`, aws.ToString(lb.LoadBalancerArn))
	assert.Equal(t, elbv2types.LoadBalancerStateEnumActive, lb.State.Code)
	assert.Equal(t, elbv2types.LoadBalancerTypeEnumApplication, lb.Type)
	assert.Len(t, lb.AvailabilityZones, 2)
	assert.NotNil(t, lb.CreatedTime)

	tgs, err := w.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(w.lb.ARN)})
	require.NoError(t, err)
	require.Len(t, tgs.TargetGroups, 2, "both groups are associated through the weighted forward")
	tg := tgs.TargetGroups[0]
	assert.Equal(t, "web-blue", aws.ToString(tg.TargetGroupName))
	assert.Equal(t, "/health/ready", aws.ToString(tg.HealthCheckPath))
	assert.Equal(t, int32(5), aws.ToInt32(tg.HealthCheckIntervalSeconds))
	assert.Equal(t, "200", aws.ToString(tg.Matcher.HttpCode))
	assert.Equal(t, []string{w.lb.ARN}, tg.LoadBalancerArns)
	assert.Equal(t, elbv2types.TargetTypeEnumIp, tg.TargetType)

	ls, err := w.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb.ARN)})
	require.NoError(t, err)
	require.Len(t, ls.Listeners, 2)
	action := ls.Listeners[0].DefaultActions[0]
	assert.Equal(t, elbv2types.ActionTypeEnumForward, action.Type)
	require.Len(t, action.ForwardConfig.TargetGroups, 2)
	assert.Equal(t, int32(100), aws.ToInt32(action.ForwardConfig.TargetGroups[0].Weight))
	// Weight 0 is on the wire, not left out: an absent weight means 1 to ELBv2.
	require.NotNil(t, action.ForwardConfig.TargetGroups[1].Weight, "weight 0 must be written, not omitted")
	assert.Equal(t, int32(0), *action.ForwardConfig.TargetGroups[1].Weight)
	assert.Equal(t, int32(80), aws.ToInt32(ls.Listeners[0].Port))

	rules, err := w.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(w.prod.ARN)})
	require.NoError(t, err)
	require.Len(t, rules.Rules, 1)
	assert.True(t, aws.ToBool(rules.Rules[0].IsDefault))
	assert.Equal(t, "default", aws.ToString(rules.Rules[0].Priority))

	health, err := w.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(w.blue.ARN)})
	require.NoError(t, err)
	require.Len(t, health.TargetHealthDescriptions, 1)
	assert.Equal(t, elbv2types.TargetHealthStateEnumHealthy, health.TargetHealthDescriptions[0].TargetHealth.State)
	assert.Equal(t, int32(8080), aws.ToInt32(health.TargetHealthDescriptions[0].Target.Port))

	unknown, err := w.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(w.blue.ARN),
		Targets: []elbv2types.TargetDescription{{Id: aws.String("10.9.9.9"), Port: aws.Int32(8080)}}})
	require.NoError(t, err)
	assert.Equal(t, elbv2types.TargetHealthReasonEnumNotRegistered, unknown.TargetHealthDescriptions[0].TargetHealth.Reason)
}

func TestModifyListenerSwapsTheWeightedForward(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	out, err := w.elb.ModifyListener(context.Background(), &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.test.ARN),
		DefaultActions: []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, ForwardConfig: &elbv2types.ForwardActionConfig{
			TargetGroups: []elbv2types.TargetGroupTuple{{TargetGroupArn: aws.String(w.blue.ARN), Weight: aws.Int32(0)},
				{TargetGroupArn: aws.String(w.green.ARN), Weight: aws.Int32(100)}}}}}})
	require.NoError(t, err)
	require.Len(t, out.Listeners, 1)
	blue, green := w.weights(w.test.ARN)
	assert.Equal(t, [2]int32{0, 100}, [2]int32{blue, green})
	resp, err := http.Get(w.test.URL + "/health/ready")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "green has no targets: the ALB answers 503")
}

func TestELBv2ErrorsDecodeAsTypedErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	_, err := w.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(w.blue.ARN + "x")})
	var tgNotFound *elbv2types.TargetGroupNotFoundException
	require.ErrorAs(t, err, &tgNotFound)
	_, err = w.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{w.prod.ARN + "x"}})
	var lNotFound *elbv2types.ListenerNotFoundException
	require.ErrorAs(t, err, &lNotFound)
	_, err = w.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{"nope"}})
	var lbNotFound *elbv2types.LoadBalancerNotFoundException
	require.ErrorAs(t, err, &lbNotFound)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "LoadBalancerNotFound", apiErr.ErrorCode())
}

func TestQueryErrorResponseHasAWSShape(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	status, body := w.postQuery(url.Values{"Action": {"DescribeTargetHealth"}, "Version": {"2015-12-01"}, "TargetGroupArn": {"arn:nope"}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">`)
	assert.Contains(t, body, `<Error><Type>Sender</Type><Code>TargetGroupNotFound</Code>`)
	assert.Contains(t, body, `<RequestId>`)

	status, body = w.postQuery(url.Values{"Action": {"DescribeListeners"}, "Version": {"2015-12-01"}, "ListenerArns.member.1": {w.prod.ARN}})
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `<DescribeListenersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeListenersResult><Listeners><member>`)
	assert.Contains(t, body, `<ResponseMetadata><RequestId>`)
}

// A listener created without a port reports the loopback port it serves on, as an AWS listener
// serves on the port it reports: the URLs a rehearsal builds from it then reach the listener the
// API describes.
func TestAListenerWithoutAPortReportsThePortItServesOn(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	l, err := w.emu.CreateListener(ListenerInput{LoadBalancerARN: w.lb.ARN, Forward: []WeightedTarget{{w.blue.ARN, 1}}})
	require.NoError(t, err)
	u, err := url.Parse(l.URL)
	require.NoError(t, err)
	ls, err := w.elb.DescribeListeners(context.Background(), &elbv2.DescribeListenersInput{ListenerArns: []string{l.ARN}})
	require.NoError(t, err)
	require.Len(t, ls.Listeners, 1)
	assert.Equal(t, u.Port(), strconv.Itoa(int(aws.ToInt32(ls.Listeners[0].Port))))
}
