package emulator

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetMetricDataOverCBORAnswersFromRealTraffic(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	start := w.now().Add(-time.Minute)
	for range 20 {
		require.Equal(t, "v1", w.version(w.prod))
	}
	dims := func(withTG bool) []cwtypes.Dimension {
		d := []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}}
		if withTG {
			d = append(d, cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(w.blue.ARNSuffix)})
		}
		return d
	}
	stat := func(id, metricName, stat string, withTG bool) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(3600), Stat: aws.String(stat),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metricName), Dimensions: dims(withTG)}}}
	}
	var out *cloudwatch.GetMetricDataOutput
	w.eventually(func() bool {
		var err error
		out, err = w.cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(start), EndTime: aws.Time(w.now().Add(time.Second)),
			MetricDataQueries: []cwtypes.MetricDataQuery{
				stat("requests", "RequestCount", "Sum", false),
				stat("ok", "HTTPCode_Target_2XX_Count", "Sum", true),
				stat("p99", "TargetResponseTime", "p99", true),
				{Id: aws.String("okRate"), Expression: aws.String("100 * ok / requests")},
			}})
		require.NoError(t, err)
		return len(out.MetricDataResults[0].Values) == 1 && out.MetricDataResults[0].Values[0] == 20*testScale
	}, "the 20 requests published")
	require.Len(t, out.MetricDataResults, 4)
	byID := map[string]cwtypes.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		byID[aws.ToString(r.Id)] = r
		assert.Equal(t, cwtypes.StatusCodeComplete, r.StatusCode)
	}
	require.Len(t, byID["requests"].Values, 1)
	// Each real request counts testScale times: the load ran at a real rate over an AWS hour that
	// lasted 6 real seconds.
	assert.Equal(t, 20.0*testScale, byID["requests"].Values[0])
	assert.Equal(t, "RequestCount", aws.ToString(byID["requests"].Label))
	assert.Equal(t, 20.0*testScale, byID["ok"].Values[0])
	assert.Greater(t, byID["p99"].Values[0], 0.0)
	assert.Equal(t, 100.0, byID["okRate"].Values[0])
	assert.WithinDuration(t, start.Truncate(time.Minute), byID["requests"].Timestamps[0], time.Millisecond,
		"timestamps decode from tag 1; the start is rounded down to the minute")
}

func TestAlarmsOverCBOR(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	_, err := w.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("web-5xx"), Namespace: aws.String("AWS/ApplicationELB"),
		MetricName: aws.String("HTTPCode_Target_5XX_Count"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60),
		EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(5), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		Dimensions: []cwtypes.Dimension{{Name: aws.String("TargetGroup"), Value: aws.String(w.blue.ARNSuffix)}}, TreatMissingData: aws.String("breaching")})
	require.NoError(t, err)
	out, err := w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-5xx"}})
	require.NoError(t, err)
	require.Len(t, out.MetricAlarms, 1)
	a := out.MetricAlarms[0]
	assert.Equal(t, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx", aws.ToString(a.AlarmArn))
	assert.Equal(t, 5.0, aws.ToFloat64(a.Threshold))
	assert.Equal(t, w.blue.ARNSuffix, aws.ToString(a.Dimensions[0].Value))

	w.eventually(func() bool { s, _ := w.emu.AlarmState("web-5xx"); return s == AlarmAlarm }, "missing data treated as breaching")
	_, err = w.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("web-5xx"), StateValue: cwtypes.StateValueOk, StateReason: aws.String("test")})
	require.NoError(t, err)
	_, err = w.cw.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: cwtypes.StateValueOk, StateReason: aws.String("test")})
	var notFound *cwtypes.ResourceNotFound
	require.ErrorAs(t, err, &notFound)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "ResourceNotFound", apiErr.ErrorCode())
}

func TestCloudWatchQueryProtocolIsServedToo(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: "a1", Namespace: "AWS/ApplicationELB", MetricName: "RequestCount",
		Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanThreshold"})
	require.NoError(t, err)
	status, body := w.postQuery(url.Values{"Action": {"DescribeAlarms"}, "Version": {"2010-08-01"}, "AlarmNames.member.1": {"a1"}})
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms><member><AlarmName>a1</AlarmName>`)
}

// A target whose port refuses connections: once it is unhealthy and the only target of the group the
// test listener forwards to, ALB fails open, cannot connect and answers 502 itself. Each such request
// is a TargetConnectionErrorCount of the group, which GetMetricData serves and an alarm watches with
// the time-scale rule of the other per-request counts.
func TestTargetConnectionErrorsAreCountedPerTargetGroup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	w.emu.mu.Lock()
	w.emu.targetGroupByARN(w.green.ARN).dp.Register("127.0.0.1", port)
	w.emu.mu.Unlock()
	w.eventually(func() bool {
		out, err := w.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(w.green.ARN)})
		require.NoError(t, err)
		return len(out.TargetHealthDescriptions) == 1 && out.TargetHealthDescriptions[0].TargetHealth.State == elbtypes.TargetHealthStateEnumUnhealthy
	}, "the refusing target unhealthy")
	_, err = w.elb.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.test.ARN),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(w.green.ARN)}}})
	require.NoError(t, err)
	// 100 connection errors a minute in AWS terms: 1 a period unscaled could never reach it.
	_, err = w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: "green-conn", Namespace: "AWS/ApplicationELB",
		MetricName: "TargetConnectionErrorCount", Dimensions: []Dimension{{"LoadBalancer", w.lb.ARNSuffix}, {"TargetGroup", w.green.ARNSuffix}},
		Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 100, ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching"})
	require.NoError(t, err)

	start := w.now().Add(-time.Minute)
	for range 5 {
		resp, err := http.Post(w.test.URL+"/predict", "application/json", strings.NewReader(`{"features":[1]}`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusBadGateway, resp.StatusCode)
		require.Equal(t, "awselb/2.0", resp.Header.Get("Server"))
	}
	require.Equal(t, "v1", w.version(w.prod), "prod still reaches blue's healthy target")
	sum := func(metric, tg string) []float64 {
		dims := []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}}
		if tg != "" {
			dims = append(dims, cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(tg)})
		}
		out, err := w.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(w.now().Add(time.Minute)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(3600), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims}}}}})
		require.NoError(t, err)
		return out.MetricDataResults[0].Values
	}
	w.eventually(func() bool { v := sum("RequestCount", w.green.ARNSuffix); return len(v) == 1 && v[0] == 5*testScale }, "the 5 requests published")
	assert.Equal(t, []float64{5 * testScale}, sum("TargetConnectionErrorCount", w.green.ARNSuffix))
	assert.Equal(t, []float64{5 * testScale}, sum("HTTPCode_ELB_502_Count", ""), "the load balancer's own answers are counted per load balancer")
	assert.Empty(t, sum("TargetConnectionErrorCount", w.blue.ARNSuffix), "blue's target answered every request")

	stop := make(chan struct{})
	defer close(stop)
	go pace(w.test, 20*time.Millisecond, stop)
	w.eventually(func() bool { s, _ := w.emu.AlarmState("green-conn"); return s == AlarmAlarm }, "the connection error alarm")
}
