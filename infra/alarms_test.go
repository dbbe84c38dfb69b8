package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEachTargetGroupHasA5xxAnUnhealthyHostAndTwoLatencyAlarms(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	albSuffix := r.one(t, typeLoadBalancer).State["arnSuffix"]
	type alarm struct{ metric, stat, targetGroup string }
	var got []alarm
	for _, a := range r.ofType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		dims := a.Inputs["dimensions"].(map[string]any)
		require.Equal(t, albSuffix, dims["LoadBalancer"], a.Name)
		if _, perGroup := dims["TargetGroup"]; !perGroup {
			continue
		}
		stat, _ := a.Inputs["statistic"].(string)
		if ext, ok := a.Inputs["extendedStatistic"].(string); ok {
			stat = ext
		}
		got = append(got, alarm{a.Inputs["metricName"].(string), stat, dims["TargetGroup"].(string)})
	}
	blue := r.named(t, typeTargetGroup, "-blue").State["arnSuffix"].(string)
	green := r.named(t, typeTargetGroup, "-green").State["arnSuffix"].(string)
	assert.ElementsMatch(t, []alarm{
		{"HTTPCode_Target_5XX_Count", "Sum", blue}, {"UnHealthyHostCount", "Maximum", blue},
		{"TargetResponseTime", "p99", blue}, {"TargetResponseTime", "p90", blue},
		{"HTTPCode_Target_5XX_Count", "Sum", green}, {"UnHealthyHostCount", "Maximum", green},
		{"TargetResponseTime", "p99", green}, {"TargetResponseTime", "p90", green},
	}, got)
}

func TestAlarmThresholdsComeFromConfig(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "alarms.p99LatencySeconds", 2.5)
	c = with(t, c, "alarms.target5xxCount", 7)
	r := runProgram(t, c)
	assert.Equal(t, 2.5, r.named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "blue-p99").Inputs["threshold"])
	assert.Equal(t, 7.0, r.named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "green-5xx").Inputs["threshold"])
}

func TestLatencyAlarmsJudgeOnlyPeriodsWithEnoughRequestsForTheirPercentile(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	// With "ignore" CloudWatch keeps the alarm's state through periods under 10/(1−p) samples: 1,000 for
	// p99, 100 for p90. "evaluate" would judge a quiet minute by its slowest request.
	for _, suffix := range []string{"blue-p99", "blue-p90", "green-p99", "green-p90"} {
		assert.Equal(t, "ignore", r.named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", suffix).Inputs["evaluateLowSampleCountPercentiles"], suffix)
	}
}

func TestP90AlarmSharesTheP99Limit(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "alarms.p99LatencySeconds", 2.5))
	assert.Equal(t, 2.5, r.named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "green-p90").Inputs["threshold"],
		"a tenth of the requests slower than a hundredth may be")
}

func TestIdleTargetGroupDoesNotAlarm(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	for _, a := range r.ofType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		assert.Equal(t, "notBreaching", a.Inputs["treatMissingData"], a.Name)
	}
}

func TestUnhealthyHostAlarmWaitsOutAModelLoadingForTheGracePeriod(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "healthCheck.gracePeriod", 600)
	c = with(t, c, "alarms.periodSeconds", 60)
	c = with(t, c, "alarms.evaluationPeriods", 3)
	c = with(t, c, "alarms.datapointsToAlarm", 2)
	r := runProgram(t, c)
	unhealthy := r.named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "green-unhealthy").Inputs
	// 10 loading minutes on top of 2-of-3: it fires only after 12 unhealthy minutes out of 13.
	assert.Equal(t, 13.0, unhealthy["evaluationPeriods"])
	assert.Equal(t, 12.0, unhealthy["datapointsToAlarm"])
	fiveXX := r.named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "green-5xx").Inputs
	assert.Equal(t, 3.0, fiveXX["evaluationPeriods"], "only the unhealthy-host alarm waits for a model load")
	assert.Equal(t, 2.0, fiveXX["datapointsToAlarm"])
}

func TestLoadBalancerAlarmsOnItsOwn5xxAndStopsTheDeployment(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "alarms.elb5xxCount", 4))
	// 502/503/504 from crashing, unreachable or timing-out targets are the ALB's answers, never a
	// target's: only HTTPCode_ELB_5XX_Count on the LoadBalancer dimension sees them.
	a := r.named(t, "aws:cloudwatch/metricAlarm:MetricAlarm", "-alb-5xx")
	assert.Equal(t, "HTTPCode_ELB_5XX_Count", a.Inputs["metricName"])
	assert.Equal(t, map[string]any{"LoadBalancer": r.one(t, typeLoadBalancer).State["arnSuffix"]}, a.Inputs["dimensions"])
	assert.Equal(t, "Sum", a.Inputs["statistic"])
	assert.Equal(t, 4.0, a.Inputs["threshold"])
	assert.Contains(t, field(r.one(t, typeDeploymentGroup).Inputs, "alarmConfiguration.alarms"), a.State["name"])
}
