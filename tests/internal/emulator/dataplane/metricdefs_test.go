package dataplane

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMetricsArePublishedWithAWSsDimensionsOnly(t *testing.T) {
	t.Parallel()
	lb, tg := []string{DimensionLoadBalancer}, []string{DimensionTargetGroup, DimensionLoadBalancer}
	cases := []struct {
		metric    string
		lb, group bool
		unit      string
	}{
		{MetricRequestCount, true, true, UnitCount},
		{MetricTarget5XX, true, true, UnitCount},
		{MetricTargetConnectionErrorCount, true, true, UnitCount},
		{MetricTargetResponseTime, true, true, UnitSeconds},
		{MetricELB5XX, true, false, UnitCount},
		{MetricELB502, true, false, UnitCount},
		{MetricELB503, true, false, UnitCount},
		{MetricHealthyHostCount, false, true, UnitCount},
		{MetricUnHealthyHostCount, false, true, UnitCount},
	}
	for _, c := range cases {
		assert.Equal(t, c.lb, Published(c.metric, lb), "%s per load balancer", c.metric)
		assert.Equal(t, c.group, Published(c.metric, tg), "%s per target group", c.metric)
		assert.Equal(t, c.group, Published(c.metric, []string{DimensionLoadBalancer, DimensionTargetGroup}), "order does not matter")
		assert.False(t, Published(c.metric, []string{DimensionTargetGroup}), "%s: TargetGroup alone", c.metric)
		assert.False(t, Published(c.metric, nil), "%s without dimensions", c.metric)
		assert.Equal(t, c.unit, Unit(c.metric))
	}
	assert.False(t, Published("ActiveConnectionCount", lb), "a metric the emulator does not publish")
}
