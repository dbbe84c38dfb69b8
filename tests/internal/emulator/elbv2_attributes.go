package emulator

import (
	"context"
	"strconv"
)

// DescribeTargetGroupAttributes and DescribeLoadBalancerAttributes answer what the stack set and, for
// every other attribute an Application Load Balancer and its ip target groups report, ALB's documented
// default ("Edit target group attributes", "Edit attributes of your Application Load Balancer" in the
// ELBv2 user guide), as the key/value list AWS returns: every attribute, values as strings, "" for an
// unset bucket or cookie name. The deployer reads the deregistration delay and the idle timeout to
// check that a stream outlasts neither (issue 10); the rest are there because AWS answers them too.

// elbAttribute is one key/value pair of a Describe*Attributes answer.
type elbAttribute struct {
	Key   string
	Value string
}

// targetGroupAttributeDefaults are an HTTP ip target group's attributes other than the
// deregistration delay and slow start, which come from the group, at ALB's defaults. The
// lambda.* and NLB/GWLB-only attributes are not reported for an ALB ip target group.
var targetGroupAttributeDefaults = []elbAttribute{
	{"stickiness.enabled", "false"},
	{"stickiness.type", "lb_cookie"},
	{"stickiness.lb_cookie.duration_seconds", "86400"},
	{"stickiness.app_cookie.cookie_name", ""},
	{"stickiness.app_cookie.duration_seconds", "86400"},
	{"load_balancing.algorithm.type", "round_robin"},
	{"load_balancing.algorithm.anomaly_mitigation", "off"},
	{"load_balancing.cross_zone.enabled", "use_load_balancer_configuration"},
	{"target_group_health.dns_failover.minimum_healthy_targets.count", "1"},
	{"target_group_health.dns_failover.minimum_healthy_targets.percentage", "off"},
	{"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1"},
	{"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off"},
}

// loadBalancerAttributeDefaults are an ALB's attributes other than the idle timeout and
// drop_invalid_header_fields, which come from the load balancer, at ALB's defaults. Cross-zone
// load balancing is always on for an ALB.
var loadBalancerAttributeDefaults = []elbAttribute{
	{"access_logs.s3.enabled", "false"},
	{"access_logs.s3.bucket", ""},
	{"access_logs.s3.prefix", ""},
	{"connection_logs.s3.enabled", "false"},
	{"connection_logs.s3.bucket", ""},
	{"connection_logs.s3.prefix", ""},
	{"health_check_logs.s3.enabled", "false"},
	{"health_check_logs.s3.bucket", ""},
	{"health_check_logs.s3.prefix", ""},
	{"deletion_protection.enabled", "false"},
	{"client_keep_alive.seconds", "3600"},
	{"load_balancing.cross_zone.enabled", "true"},
	{"routing.http.desync_mitigation_mode", "defensive"},
	{"routing.http.preserve_host_header.enabled", "false"},
	{"routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false"},
	{"routing.http.xff_client_port.enabled", "false"},
	{"routing.http.xff_header_processing.mode", "append"},
	{"routing.http2.enabled", "true"},
	{"waf.fail_open.enabled", "false"},
	{"zonal_shift.config.enabled", "false"},
}

type describeTargetGroupAttributesInput struct{ TargetGroupArn string }

type describeAttributesOutput struct{ Attributes []elbAttribute }

func (e *Emulator) describeTargetGroupAttributes(_ context.Context, in *describeTargetGroupAttributesInput) (*describeAttributesOutput, error) {
	if in.TargetGroupArn == "" {
		return nil, elbValidation("1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.targetGroupByARN(in.TargetGroupArn)
	if g == nil {
		return nil, elbNotFound("target groups", "TargetGroupNotFound")
	}
	cfg := g.dp.Config()
	out := &describeAttributesOutput{Attributes: []elbAttribute{
		{"deregistration_delay.timeout_seconds", strconv.Itoa(cfg.DeregistrationDelaySeconds)},
		{"slow_start.duration_seconds", strconv.Itoa(cfg.SlowStartSeconds)},
	}}
	out.Attributes = append(out.Attributes, targetGroupAttributeDefaults...)
	return out, nil
}

type describeLoadBalancerAttributesInput struct{ LoadBalancerArn string }

func (e *Emulator) describeLoadBalancerAttributes(_ context.Context, in *describeLoadBalancerAttributesInput) (*describeAttributesOutput, error) {
	if in.LoadBalancerArn == "" {
		return nil, elbValidation("1 validation error detected: Value null at 'loadBalancerArn' failed to satisfy constraint: Member must not be null")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	lb := e.loadBalancerByARN(in.LoadBalancerArn)
	if lb == nil {
		return nil, elbNotFound("load balancers", "LoadBalancerNotFound")
	}
	out := &describeAttributesOutput{Attributes: []elbAttribute{
		{"idle_timeout.timeout_seconds", strconv.Itoa(lb.idleTimeout)},
		{"routing.http.drop_invalid_header_fields.enabled", strconv.FormatBool(lb.dropInvalidHeaderFields)},
	}}
	out.Attributes = append(out.Attributes, loadBalancerAttributeDefaults...)
	return out, nil
}
