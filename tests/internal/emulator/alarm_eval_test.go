package emulator

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pace sends one predict to a listener every gap until stop is closed.
func pace(l Listener, gap time.Duration, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(gap):
		}
		resp, err := http.Post(l.URL+"/predict", "application/json", strings.NewReader(`{"features":[1]}`))
		if err == nil {
			resp.Body.Close()
		}
	}
}

func TestRealTargetErrorsDriveA5xxAlarmAndCodeDeployRollsBack(t *testing.T) {
	t.Parallel()
	// Requests run at real rates while an alarm period lasts 1/600 of a minute: 20 requests a second
	// all failing are 2 errors per 100 ms period, which is 1200 errors a minute in AWS terms. Read
	// unscaled, a realistic "5 errors a minute" threshold could never be reached.
	w := newWorld(t, worldOptions{desired: 1, readyWait: 600, alarms: []string{"web-green-5xx"},
		rollbackEvents: []string{"DEPLOYMENT_STOP_ON_ALARM"}})
	_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: "web-green-5xx", Namespace: "AWS/ApplicationELB",
		MetricName: "HTTPCode_Target_5XX_Count", Dimensions: []Dimension{{"LoadBalancer", w.lb.ARNSuffix}, {"TargetGroup", w.green.ARNSuffix}},
		Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 5, ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching"})
	require.NoError(t, err)
	id := w.deploy("v2", map[string]string{"SIM_ERROR_RATE": "1"})
	w.waitStatus(id, cdtypes.DeploymentStatusReady)

	stop := make(chan struct{})
	defer close(stop)
	go pace(w.test, 50*time.Millisecond, stop) // the test listener serves green
	info := w.waitStatus(id, cdtypes.DeploymentStatusStopped)
	assert.Equal(t, cdtypes.ErrorCodeAlarmActive, info.ErrorInformation.Code)
	assert.Contains(t, aws.ToString(info.ErrorInformation.Message), "web-green-5xx")
	out, err := w.cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-green-5xx"}})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(out.MetricAlarms[0].StateReason), "Threshold Crossed")
	w.waitStatus(w.rollbackOf(id), cdtypes.DeploymentStatusSucceeded)
	assert.Equal(t, "v1", w.version(w.test), "test traffic back on the original")
}

func TestGetMetricDataLeavesOutSamplesNewerThanThePublishDelay(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, emu: Options{MetricPublishDelaySeconds: 1200}}) // 2 s: room for a loaded machine
	start := w.now().Add(-time.Minute)
	for range 5 {
		require.Equal(t, "v1", w.version(w.prod))
	}
	requests := func() []float64 {
		out, err := w.cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(start), EndTime: aws.Time(w.now().Add(time.Minute)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("requests"), MetricStat: &cwtypes.MetricStat{
				Period: aws.Int32(3600), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}}}}}}})
		require.NoError(t, err)
		return out.MetricDataResults[0].Values
	}
	assert.Empty(t, requests(), "requests just made are not published yet")
	w.eventually(func() bool { v := requests(); return len(v) == 1 && v[0] == 5*testScale }, "the requests published after the delay")
}

func TestAlarmsEvaluateOnlyCompletedPeriodsAfterThePublishDelay(t *testing.T) {
	t.Parallel()
	// At 60x a 60 s period lasts one real second and the publish delay two.
	w := newWorld(t, worldOptions{scale: 60, desired: 1, emu: Options{MetricPublishDelaySeconds: 120}})
	_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: "requests", Namespace: "AWS/ApplicationELB",
		MetricName: "RequestCount", Dimensions: []Dimension{{"LoadBalancer", w.lb.ARNSuffix}},
		Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching"})
	require.NoError(t, err)
	w.eventually(func() bool { s, _ := w.emu.AlarmState("requests"); return s == AlarmOK }, "alarm evaluated once")
	sent := w.now()
	require.Equal(t, "v1", w.version(w.prod))
	w.eventually(func() bool { s, _ := w.emu.AlarmState("requests"); return s == AlarmAlarm }, "alarm on the published period")
	// Judged by when the alarm changed state, not by when this test looked: a loaded machine can
	// oversleep any window, but the transition time is the evaluator's own.
	out, err := w.cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"requests"}})
	require.NoError(t, err)
	require.Len(t, out.MetricAlarms, 1)
	fired := aws.ToTime(out.MetricAlarms[0].StateTransitionedTimestamp)
	assert.GreaterOrEqual(t, fired.Sub(sent.Truncate(time.Millisecond)), 120*time.Second, // the API has ms precision
		"the period holding the request is not complete and published before the 120 s publish delay")
}

func TestALBMetricsOnlyHaveWholeMinutePeriods(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	put := func(name string, period int32) error {
		_, err := w.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("AWS/ApplicationELB"),
			MetricName: aws.String("RequestCount"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(period),
			EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(0), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}}})
		return err
	}
	require.Error(t, put("odd", 45), "CloudWatch takes 10, 20, 30 or a multiple of 60")
	// A high-resolution period is accepted, but ALB publishes one datapoint a minute: the alarm gets no data.
	require.NoError(t, put("fast", 30))
	require.NoError(t, put("minute", 60))
	for range 5 {
		w.version(w.prod)
	}
	w.eventually(func() bool { s, _ := w.emu.AlarmState("minute"); return s == AlarmAlarm }, "the minute alarm sees the requests")
	// Not only INSUFFICIENT_DATA now: never anything else. A 30 s period holding the requests would
	// have been in ALARM for one period, maybe over before the minute alarm fired.
	alarms, err := w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"fast"}})
	require.NoError(t, err)
	require.Len(t, alarms.MetricAlarms, 1)
	fast := alarms.MetricAlarms[0]
	assert.Equal(t, cwtypes.StateValueInsufficientData, fast.StateValue)
	assert.Equal(t, aws.ToTime(fast.AlarmConfigurationUpdatedTimestamp), aws.ToTime(fast.StateTransitionedTimestamp),
		"the fast alarm changed state after its creation")

	query := func(period int32) (*cloudwatch.GetMetricDataOutput, error) {
		return w.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(w.now().Add(-time.Hour)), EndTime: aws.Time(w.now()),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("r"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(period), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}}}}}}})
	}
	_, err = query(45)
	require.Error(t, err)
	out, err := query(30)
	require.NoError(t, err)
	assert.Empty(t, out.MetricDataResults[0].Values, "no sub-minute data for a standard-resolution metric")
	out, err = query(60)
	require.NoError(t, err)
	assert.NotEmpty(t, out.MetricDataResults[0].Values)
}
