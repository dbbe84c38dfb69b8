package deployer

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// targetHealth reads and assesses a target group's health.
func (d *Deployer) targetHealth(ctx context.Context, arn string, desired int) (healthVerdict, error) {
	descs, err := d.describeTargetHealth(ctx, arn)
	if err != nil {
		return healthVerdict{}, err
	}
	return assessTargetHealth(descs, desired), nil
}

// describeTargetHealth reads a target group's targets and their health.
func (d *Deployer) describeTargetHealth(ctx context.Context, arn string) ([]elbv2types.TargetHealthDescription, error) {
	out, err := d.c.ELB.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: &arn})
	if err != nil {
		return nil, readError("describe target health of "+targetGroupName(arn), err)
	}
	return out.TargetHealthDescriptions, nil
}

// describeListener reads one listener.
func (d *Deployer) describeListener(ctx context.Context, arn string) (*elbv2types.Listener, error) {
	out, err := d.c.ELB.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{arn}})
	if err != nil {
		return nil, readError("describe listener "+arn, err)
	}
	if len(out.Listeners) == 0 {
		return nil, fmt.Errorf("describe listener %s: not found", arn)
	}
	return &out.Listeners[0], nil
}

// listeners are the production and test listeners as read once before anything is
// written: the port check and the stream check both look at them.
type listeners struct{ prod, test *elbv2types.Listener }

// readListeners reads the production and test listeners.
func (d *Deployer) readListeners(ctx context.Context) (listeners, error) {
	prod, err := d.describeListener(ctx, d.t.ProdListenerArn)
	if err != nil {
		return listeners{}, err
	}
	test, err := d.describeListener(ctx, d.t.TestListenerArn)
	if err != nil {
		return listeners{}, err
	}
	return listeners{prod: prod, test: test}, nil
}

// listenerForwards reads a listener's forward weights (forwardsOf).
func (d *Deployer) listenerForwards(ctx context.Context, arn string) ([]forward, error) {
	l, err := d.describeListener(ctx, arn)
	if err != nil {
		return nil, err
	}
	return d.forwardsOf(ctx, l)
}

// forwardsOf is a listener's forward weights from its default action, or from its
// highest-priority forwarding rule when the default action does not forward.
func (d *Deployer) forwardsOf(ctx context.Context, l *elbv2types.Listener) ([]forward, error) {
	if fw := actionForwards(l.DefaultActions); len(fw) > 0 {
		return fw, nil
	}
	arn := aws.ToString(l.ListenerArn)
	rules, err := d.c.ELB.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: &arn})
	if err != nil {
		return nil, readError("describe rules of listener "+arn, err)
	}
	return ruleForwards(rules.Rules), nil
}

// describeTargetGroup reads the one target group in names or ARNs.
func (d *Deployer) describeTargetGroup(ctx context.Context, in *elbv2.DescribeTargetGroupsInput) (*targetGroupInfo, error) {
	out, err := d.c.ELB.DescribeTargetGroups(ctx, in)
	if err != nil {
		return nil, readError(fmt.Sprintf("describe target group %s", strings.Join(append(in.Names, in.TargetGroupArns...), ",")), err)
	}
	if len(out.TargetGroups) != 1 {
		return nil, fmt.Errorf("describe target group %v: got %d groups", append(in.Names, in.TargetGroupArns...), len(out.TargetGroups))
	}
	tg := out.TargetGroups[0]
	return &targetGroupInfo{Arn: aws.ToString(tg.TargetGroupArn), Name: aws.ToString(tg.TargetGroupName), HealthCheckPath: aws.ToString(tg.HealthCheckPath), LoadBalancerArns: tg.LoadBalancerArns}, nil
}

// targetGroupAttribute reads one attribute of a target group ("" when unset).
func (d *Deployer) targetGroupAttribute(ctx context.Context, arn, key string) (string, error) {
	out, err := d.c.ELB.DescribeTargetGroupAttributes(ctx, &elbv2.DescribeTargetGroupAttributesInput{TargetGroupArn: &arn})
	if err != nil {
		return "", readError("describe attributes of target group "+targetGroupName(arn), err)
	}
	return attributeValue(out.Attributes, key), nil
}

// loadBalancerAttribute reads one attribute of a load balancer ("" when unset).
func (d *Deployer) loadBalancerAttribute(ctx context.Context, arn, key string) (string, error) {
	out, err := d.c.ELB.DescribeLoadBalancerAttributes(ctx, &elbv2.DescribeLoadBalancerAttributesInput{LoadBalancerArn: &arn})
	if err != nil {
		return "", readError("describe attributes of load balancer "+arn, err)
	}
	var attrs []elbv2types.TargetGroupAttribute
	for _, a := range out.Attributes {
		attrs = append(attrs, elbv2types.TargetGroupAttribute{Key: a.Key, Value: a.Value})
	}
	return attributeValue(attrs, key), nil
}

func attributeValue(attrs []elbv2types.TargetGroupAttribute, key string) string {
	for _, a := range attrs {
		if aws.ToString(a.Key) == key {
			return aws.ToString(a.Value)
		}
	}
	return ""
}
