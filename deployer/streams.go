package deployer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// streamSettings are the live settings that decide whether a long request or a
// stream survives the cutover, each named in warnings by the stack key that sets
// it.
type streamSettings struct {
	MaxRequest          time.Duration // service.maxRequestSeconds (stack output maxRequestSeconds); 0: not set, nothing to check
	DeregistrationDelay time.Duration // loadBalancer.deregistrationDelay: the drained target group's deregistration_delay.timeout_seconds
	IdleTimeout         time.Duration // loadBalancer.idleTimeout: the load balancer's idle_timeout.timeout_seconds
}

// assessStreamSettings warns, naming the stack keys, when the live settings
// would cut a request or stream of service.maxRequestSeconds at the cutover:
//   - when blue's targets are deregistered, the load balancer lets in-flight
//     requests finish for the deregistration delay and then cuts them;
//   - the container's stop timeout (service.stopTimeout) is not judged: ECS
//     sends SIGTERM only once the load balancer reports the target drained
//     (UNUSED), so no request through the load balancer is still running then;
//   - the load balancer closes a connection on which nothing was sent for its
//     idle timeout: an answer that takes longer than that before its first byte
//     is cut, and a stream survives only if it sends something more often.
//
// With service.maxRequestSeconds unset there is nothing to compare: no warnings.
func assessStreamSettings(s streamSettings) []string {
	if s.MaxRequest <= 0 {
		return nil
	}
	longest := fmt.Sprintf("service.maxRequestSeconds %s", stackSeconds(s.MaxRequest))
	var out []string
	if s.DeregistrationDelay < s.MaxRequest {
		out = append(out, fmt.Sprintf("loadBalancer.deregistrationDelay %s is shorter than %s: when blue's targets are deregistered after the cutover, "+
			"a request or stream still open at the end of the drain is cut; set loadBalancer.deregistrationDelay to at least %s",
			stackSeconds(s.DeregistrationDelay), longest, stackSeconds(s.MaxRequest)))
	}
	if s.IdleTimeout > 0 && s.IdleTimeout < s.MaxRequest {
		out = append(out, fmt.Sprintf("loadBalancer.idleTimeout %s is shorter than %s: the load balancer cuts a connection on which nothing is sent for %s, "+
			"so an answer that takes longer before its first byte fails (504) and a stream survives only if it sends something at least every %s; "+
			"set loadBalancer.idleTimeout to at least %s, or stream", stackSeconds(s.IdleTimeout), longest, stackSeconds(s.IdleTimeout), stackSeconds(s.IdleTimeout), stackSeconds(s.MaxRequest)))
	}
	return out
}

// stackSeconds renders a duration as the stack keys take it: "300s".
func stackSeconds(d time.Duration) string { return fmt.Sprintf("%gs", d.Seconds()) }

// streamWarnings are plan's and deploy's warnings about the live settings that
// would cut a request or stream of --max-request-seconds at this release's
// cutover (assessStreamSettings). Without --max-request-seconds (stack output
// maxRequestSeconds; stacks before it lack it) nothing is read. The check only
// warns: a read that fails (a deployer policy from before the attribute reads,
// a throttle) says the settings were not checked, and the release goes on.
func (d *Deployer) streamWarnings(ctx context.Context, ls listeners) []string {
	if d.t.MaxRequest <= 0 {
		return nil
	}
	s, err := d.readStreamSettings(ctx, ls)
	if err != nil {
		return []string{fmt.Sprintf("stream settings not checked against service.maxRequestSeconds %s: %v", stackSeconds(d.t.MaxRequest), err)}
	}
	return assessStreamSettings(s)
}

// readStreamSettings reads the shortest deregistration delay of the listeners'
// target groups (the one blue drains from at this cutover is among them; the
// other drains at the next) and the load balancer's idle timeout.
func (d *Deployer) readStreamSettings(ctx context.Context, ls listeners) (streamSettings, error) {
	s := streamSettings{MaxRequest: d.t.MaxRequest}
	groups, err := d.listenerTargetGroups(ctx, ls)
	if err != nil {
		return s, err
	}
	for i, tg := range groups {
		v, err := d.targetGroupAttribute(ctx, tg, "deregistration_delay.timeout_seconds")
		if err != nil {
			return s, err
		}
		if delay, err := attributeSeconds(v, 300); err != nil {
			return s, fmt.Errorf("target group %s: deregistration_delay.timeout_seconds %w", targetGroupName(tg), err)
		} else if i == 0 || delay < s.DeregistrationDelay {
			s.DeregistrationDelay = delay
		}
	}
	lb := d.t.LoadBalancerArn
	if lb == "" {
		tg, err := d.describeTargetGroup(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: groups[:1]})
		if err != nil || len(tg.LoadBalancerArns) == 0 {
			return s, fmt.Errorf("find the load balancer of target group %s: %v", targetGroupName(groups[0]), err)
		}
		lb = tg.LoadBalancerArns[0]
	}
	v, err := d.loadBalancerAttribute(ctx, lb, "idle_timeout.timeout_seconds")
	if err != nil {
		return s, err
	}
	s.IdleTimeout, err = attributeSeconds(v, 60)
	return s, err
}

// listenerTargetGroups are the target groups the production and test listeners
// forward to (at any weight): the deployment group's two.
func (d *Deployer) listenerTargetGroups(ctx context.Context, ls listeners) ([]string, error) {
	var out []string
	for _, l := range []*elbv2types.Listener{ls.prod, ls.test} {
		fw, err := d.forwardsOf(ctx, l)
		if err != nil {
			return nil, err
		}
		for _, f := range fw {
			if !slices.Contains(out, f.TargetGroupArn) {
				out = append(out, f.TargetGroupArn)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the listeners forward to no target group")
	}
	return out, nil
}

// attributeSeconds parses an attribute in whole seconds; unset is AWS's default.
func attributeSeconds(v string, def int) (time.Duration, error) {
	if v == "" {
		return time.Duration(def) * time.Second, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not whole seconds", v)
	}
	return time.Duration(n) * time.Second, nil
}
