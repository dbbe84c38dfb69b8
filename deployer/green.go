package deployer

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// targetGroupInfo is a target group as DescribeTargetGroups reports it.
type targetGroupInfo struct {
	Arn, Name, HealthCheckPath string
	LoadBalancerArns           []string
}

// greenTargetGroup finds the replacement target group: from the GREEN task set's
// target group, else from the listeners (the test listener's live group when it
// differs from production's, else production's other group). Never assumed.
func (d *Deployer) greenTargetGroup(ctx context.Context, r *release, s snapshot) (*targetGroupInfo, error) {
	if r.green != nil {
		return r.green, nil
	}
	in := &elbv2.DescribeTargetGroupsInput{}
	if ts := taskSet(s.Target, cdtypes.TargetLabelGreen); ts != nil && ts.TargetGroup != nil && aws.ToString(ts.TargetGroup.Name) != "" {
		in.Names = []string{aws.ToString(ts.TargetGroup.Name)}
	} else {
		arn, err := d.greenFromListeners(ctx)
		if err != nil {
			return nil, err
		}
		in.TargetGroupArns = []string{arn}
	}
	tg, err := d.describeTargetGroup(ctx, in)
	if err != nil {
		return nil, err
	}
	r.green = tg
	d.log.Info("green target group", "name", r.green.Name, "arn", r.green.Arn)
	return r.green, nil
}

func (d *Deployer) greenFromListeners(ctx context.Context) (string, error) {
	prod, err := d.listenerForwards(ctx, d.t.ProdListenerArn)
	if err != nil {
		return "", err
	}
	prodLive, err := assessLiveTargetGroup(prod)
	if err != nil {
		return "", fmt.Errorf("production listener: %w", err)
	}
	if test, err := d.listenerForwards(ctx, d.t.TestListenerArn); err == nil {
		if testLive, err := assessLiveTargetGroup(test); err == nil && testLive != prodLive {
			return testLive, nil
		}
	}
	for _, f := range prod {
		if f.TargetGroupArn != prodLive {
			return f.TargetGroupArn, nil
		}
	}
	return "", fmt.Errorf("cannot find the replacement target group: production forwards only to %s", targetGroupName(prodLive))
}

func desiredOf(ts *cdtypes.ECSTaskSet, r *release) int {
	if ts != nil && ts.DesiredCount > 0 {
		return int(ts.DesiredCount)
	}
	return int(r.ServiceCount)
}
