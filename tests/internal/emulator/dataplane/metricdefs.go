package dataplane

import (
	"slices"
	"strings"
)

// metricScope is the CloudWatch dimension sets ALB publishes a metric with, Availability Zone sets
// aside. CloudWatch treats each combination of dimensions as a metric of its own: a query naming a
// combination ALB does not publish gets no data.
type metricScope int

const (
	// scopeBoth: {LoadBalancer} and {TargetGroup, LoadBalancer} (requests a target answered).
	scopeBoth metricScope = iota
	// scopeLoadBalancer: {LoadBalancer} only. The load balancer's own answers (HTTPCode_ELB_*) are
	// not per target group: many have no target, or none was chosen.
	scopeLoadBalancer
	// scopeGroup: {TargetGroup, LoadBalancer} only (the host counts).
	scopeGroup
)

// metricDef is how ALB publishes one AWS/ApplicationELB metric, per "CloudWatch metrics for your
// Application Load Balancer": its unit, its dimensions and the value one request adds to it (nil for
// the host counts, which are not per request). A per-request count is 1 per request, so its
// Minimum, Maximum and Average are 1 and its Sum the count, as AWS documents.
type metricDef struct {
	unit  string
	scope metricScope
	value func(requestSample) (float64, bool)
}

// Units ALB publishes its metrics in.
const (
	UnitCount   = "Count"
	UnitSeconds = "Seconds"
)

var metricDefs = map[string]metricDef{
	// RequestCount "is only incremented for requests where the load balancer node was able to choose
	// a target": not the 503 ALB answers when a group has no target to send the request to.
	MetricRequestCount: {UnitCount, scopeBoth, count(func(s requestSample) bool { return s.target })},
	MetricTarget2XX:    {UnitCount, scopeBoth, targetClass(2)},
	MetricTarget3XX:    {UnitCount, scopeBoth, targetClass(3)},
	MetricTarget4XX:    {UnitCount, scopeBoth, targetClass(4)},
	MetricTarget5XX:    {UnitCount, scopeBoth, targetClass(5)},
	// TargetConnectionErrorCount is per target group like the target metrics: a target was chosen.
	MetricTargetConnectionErrorCount: {UnitCount, scopeBoth, count(func(s requestSample) bool { return s.connErr })},
	// TargetResponseTime has no sample when the target did not answer (target_processing_time -1).
	MetricTargetResponseTime: {UnitSeconds, scopeBoth, func(s requestSample) (float64, bool) { return s.rt, s.rt >= 0 }},
	MetricELB4XX:             {UnitCount, scopeLoadBalancer, elbClass(4)},
	MetricELB5XX:             {UnitCount, scopeLoadBalancer, elbClass(5)},
	MetricELB500:             {UnitCount, scopeLoadBalancer, elbCode(500)},
	MetricELB502:             {UnitCount, scopeLoadBalancer, elbCode(502)},
	MetricELB503:             {UnitCount, scopeLoadBalancer, elbCode(503)},
	MetricELB504:             {UnitCount, scopeLoadBalancer, elbCode(504)},
	MetricHealthyHostCount:   {UnitCount, scopeGroup, nil},
	MetricUnHealthyHostCount: {UnitCount, scopeGroup, nil},
}

func count(match func(requestSample) bool) func(requestSample) (float64, bool) {
	return func(s requestSample) (float64, bool) { return 1, match(s) }
}

func targetClass(c int) func(requestSample) (float64, bool) {
	return count(func(s requestSample) bool { return !s.elb && s.code/100 == c })
}

func elbClass(c int) func(requestSample) (float64, bool) {
	return count(func(s requestSample) bool { return s.elb && s.code/100 == c })
}

func elbCode(code int) func(requestSample) (float64, bool) {
	return count(func(s requestSample) bool { return s.elb && s.code == code })
}

// Published reports whether ALB publishes metric with exactly these dimension names, in any order.
// The AvailabilityZone combinations AWS also publishes are not modelled (the emulator has no zones):
// they have no data.
func Published(metric string, dimensions []string) bool {
	def, ok := metricDefs[metric]
	if !ok {
		return false
	}
	switch strings.Join(slices.Sorted(slices.Values(dimensions)), ",") {
	case DimensionLoadBalancer:
		return def.scope != scopeGroup
	case DimensionLoadBalancer + "," + DimensionTargetGroup:
		return def.scope != scopeLoadBalancer
	}
	return false
}

// Unit returns the unit ALB publishes metric in ("" for a metric it does not publish).
func Unit(metric string) string { return metricDefs[metric].unit }
