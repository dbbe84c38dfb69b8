package emulator

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetMetricDataOverCBORAnswersFromRealTraffic(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	start := time.Now().Add(-time.Minute)
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
			StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Second)),
			MetricDataQueries: []cwtypes.MetricDataQuery{
				stat("requests", "RequestCount", "Sum", false),
				stat("ok", "HTTPCode_Target_2XX_Count", "Sum", true),
				stat("p99", "TargetResponseTime", "p99", true),
				{Id: aws.String("okRate"), Expression: aws.String("100 * ok / requests")},
			}})
		require.NoError(t, err)
		return len(out.MetricDataResults[0].Values) == 1 && out.MetricDataResults[0].Values[0] == 20
	}, "the 20 requests published")
	require.Len(t, out.MetricDataResults, 4)
	byID := map[string]cwtypes.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		byID[aws.ToString(r.Id)] = r
		assert.Equal(t, cwtypes.StatusCodeComplete, r.StatusCode)
	}
	require.Len(t, byID["requests"].Values, 1)
	assert.Equal(t, 20.0, byID["requests"].Values[0])
	assert.Equal(t, "RequestCount", aws.ToString(byID["requests"].Label))
	assert.Equal(t, 20.0, byID["ok"].Values[0])
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
	form := url.Values{"Action": {"DescribeAlarms"}, "Version": {"2010-08-01"}, "AlarmNames.member.1": {"a1"}}
	resp, err := http.Post(w.url, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms><member><AlarmName>a1</AlarmName>`)
}
