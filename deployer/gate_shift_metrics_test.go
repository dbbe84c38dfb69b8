package deployer

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	shiftLB    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
	shiftBlue  = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/6d0ecf831eec9f09"
	shiftGreen = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/943f017f100becff"
)

func TestShiftQueriesReadBothTargetGroupsAndTheLoadBalancersOwn5xx(t *testing.T) {
	t.Parallel()
	qs := shiftQueries(shiftLB, shiftBlue, shiftGreen, 60)

	byID := map[string]cwtypes.MetricDataQuery{}
	for _, q := range qs {
		byID[aws.ToString(q.Id)] = q
	}
	require.Len(t, byID, 13, "ids are unique")
	dims := func(id string) map[string]string {
		out := map[string]string{}
		for _, d := range byID[id].MetricStat.Metric.Dimensions {
			out[aws.ToString(d.Name)] = aws.ToString(d.Value)
		}
		return out
	}
	assert.Equal(t, map[string]string{"LoadBalancer": "app/web/50dc6c495c0c9188", "TargetGroup": "targetgroup/web-green/943f017f100becff"}, dims("g_requests"))
	assert.Equal(t, map[string]string{"LoadBalancer": "app/web/50dc6c495c0c9188", "TargetGroup": "targetgroup/web-blue/6d0ecf831eec9f09"}, dims("b_p99"))
	assert.Equal(t, map[string]string{"LoadBalancer": "app/web/50dc6c495c0c9188"}, dims("elb5xx"), "HTTPCode_ELB_5XX_Count has no TargetGroup dimension")
	assert.Equal(t, "p95", aws.ToString(byID["g_p95"].MetricStat.Stat))
	assert.Equal(t, "Maximum", aws.ToString(byID["b_healthy"].MetricStat.Stat))
	assert.Equal(t, "HealthyHostCount", aws.ToString(byID["b_healthy"].MetricStat.Metric.MetricName))
	for id, q := range byID {
		assert.Equal(t, int32(60), aws.ToInt32(q.MetricStat.Period), id)
		assert.Equal(t, "AWS/ApplicationELB", aws.ToString(q.MetricStat.Metric.Namespace), id)
	}
}

func cwResult(id string, values map[time.Time]float64) cwtypes.MetricDataResult {
	r := cwtypes.MetricDataResult{Id: aws.String(id)}
	for ts, v := range values {
		r.Timestamps, r.Values = append(r.Timestamps, ts), append(r.Values, v)
	}
	return r
}

func TestParseShiftMetrics(t *testing.T) {
	t.Parallel()
	m0, m1, before := shiftStart, shiftStart.Add(time.Minute), shiftStart.Add(-time.Minute)
	results := []cwtypes.MetricDataResult{
		cwResult("g_requests", map[time.Time]float64{m0: 100, before: 999}),
		cwResult("g_t5xx", map[time.Time]float64{m0: 3}),
		cwResult("g_p95", map[time.Time]float64{m0: 0.25}),
		cwResult("g_healthy", map[time.Time]float64{m0: 2, m1: 0}),
		cwResult("b_requests", map[time.Time]float64{m0: 900, m1: 880}),
		cwResult("b_conn", map[time.Time]float64{m1: 1}),
		cwResult("b_p99", map[time.Time]float64{m1: 0.5}),
		cwResult("elb5xx", map[time.Time]float64{m1: 4}),
		cwResult("unknown", map[time.Time]float64{m1: 7}),
	}

	minutes, latest := parseShiftMetrics(results, m0)

	assert.Equal(t, m1, latest)
	assert.Equal(t, []shiftMinute{
		{Start: m0, Green: shiftSide{Requests: 100, Target5xx: 3, P95: 0.25, HasP95: true, Healthy: 2, HasHealthy: true}, Blue: shiftSide{Requests: 900}},
		{Start: m1, Green: shiftSide{Healthy: 0, HasHealthy: true}, Blue: shiftSide{Requests: 880, ConnErrors: 1, P99: 0.5, HasP99: true}, ELB5xx: 4},
	}, minutes, "the minute before the shift is dropped; a minute with only HealthyHostCount is published")
}

func TestParseShiftMetricsOfNothingPublishedIsNoMinute(t *testing.T) {
	t.Parallel()
	minutes, latest := parseShiftMetrics([]cwtypes.MetricDataResult{cwResult("g_requests", nil)}, shiftStart)

	assert.Empty(t, minutes)
	assert.True(t, latest.IsZero())
}

func TestShiftBaselineOf(t *testing.T) {
	t.Parallel()
	b := shiftBaselineOf([]shiftMinute{
		{Blue: shiftSide{Requests: 3000, Target5xx: 2, ConnErrors: 1, P95: 0.3, HasP95: true, P99: 0.5, HasP99: true}, ELB5xx: 1},
		{Blue: shiftSide{Requests: 2000, Target5xx: 1, P95: 0.4, HasP95: true}},
	})

	assert.Equal(t, shiftBaseline{Blue: shiftSide{Requests: 5000, Target5xx: 3, ConnErrors: 1, P95: 0.4, HasP95: true, P99: 0.5, HasP99: true}, ELB5xx: 1}, b)
	assert.Equal(t, shiftBaseline{}, shiftBaselineOf(nil))
}
