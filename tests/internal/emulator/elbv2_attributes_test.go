package emulator

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The attributes are the group's and the load balancer's own where the stack set them, ALB's
// defaults elsewhere, each key once, as the SDK decodes them.
func TestELBv2AttributesAreWhatTheStackSetAndALBsDefaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	delay := 0 // a real value: drop at once, not the default 300
	tg, err := w.emu.CreateTargetGroup(TargetGroupInput{Name: "attrs", Port: 8080, VpcID: "vpc-1", DeregistrationDelaySeconds: &delay, SlowStartSeconds: 45})
	require.NoError(t, err)
	lb, err := w.emu.CreateLoadBalancer(LoadBalancerInput{Name: "attrs-alb", IdleTimeoutSeconds: 300, DropInvalidHeaderFields: true})
	require.NoError(t, err)

	tga, err := w.elb.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tg.ARN)})
	require.NoError(t, err)
	got := tgAttributes(t, tga.Attributes)
	assert.Equal(t, "0", got["deregistration_delay.timeout_seconds"])
	assert.Equal(t, "45", got["slow_start.duration_seconds"])
	assert.Equal(t, "false", got["stickiness.enabled"])
	assert.Equal(t, "round_robin", got["load_balancing.algorithm.type"])

	def, err := w.elb.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(w.blue.ARN)})
	require.NoError(t, err)
	assert.Equal(t, "30", tgAttributes(t, def.Attributes)["deregistration_delay.timeout_seconds"])

	lba, err := w.elb.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lb.ARN)})
	require.NoError(t, err)
	lbAttrs := map[string]string{}
	for _, a := range lba.Attributes {
		lbAttrs[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	assert.Len(t, lbAttrs, len(lba.Attributes), "each key once")
	assert.Equal(t, "300", lbAttrs["idle_timeout.timeout_seconds"])
	assert.Equal(t, "true", lbAttrs["routing.http.drop_invalid_header_fields.enabled"])
	assert.Equal(t, "false", lbAttrs["deletion_protection.enabled"])
	assert.Contains(t, lbAttrs, "access_logs.s3.bucket", "an unset bucket is reported, empty")

	dflt, err := w.elb.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(w.lb.ARN)})
	require.NoError(t, err)
	assert.Contains(t, dflt.Attributes, elbv2types.LoadBalancerAttribute{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("60")})
}

func TestELBv2AttributesOfAnUnknownResourceAreNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	_, err := w.elb.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{
		TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef")})
	var api smithy.APIError
	require.True(t, errors.As(err, &api), "%v", err)
	assert.Equal(t, "TargetGroupNotFound", api.ErrorCode())
	_, err = w.elb.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{
		LoadBalancerArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/nope/0123456789abcdef")})
	require.True(t, errors.As(err, &api), "%v", err)
	assert.Equal(t, "LoadBalancerNotFound", api.ErrorCode())
}

func tgAttributes(t *testing.T, attrs []elbv2types.TargetGroupAttribute) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, a := range attrs {
		m[aws.ToString(a.Key)] = aws.ToString(a.Value)
	}
	assert.Len(t, m, len(attrs), "each key once")
	return m
}
