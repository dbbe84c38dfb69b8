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
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestALBMetricsHaveTheDimensionsAndUnitsAWSPublishes sends 4 requests through the prod listener
// (blue answers) and 3 through the test listener pointed at green, which has no targets: ALB
// answers those 503 itself without choosing a target. Counts are in AWS terms: each real request
// counts testScale times (a real rate over an AWS minute).
func TestALBMetricsHaveTheDimensionsAndUnitsAWSPublishes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	_, err := w.elb.ModifyListener(ctx, &elbv2.ModifyListenerInput{ListenerArn: aws.String(w.test.ARN),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(w.green.ARN)}}})
	require.NoError(t, err)
	start := w.now().Add(-time.Minute)
	for range 4 {
		require.Equal(t, "v1", w.version(w.prod))
	}
	for range 3 {
		resp, err := http.Post(w.test.URL+"/predict", "application/json", strings.NewReader(`{"features":[1]}`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	}
	lb := cwtypes.Dimension{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}
	tg := func(g TargetGroup) cwtypes.Dimension {
		return cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(g.ARNSuffix)}
	}
	query := func(metric, stat, unit string, dims ...cwtypes.Dimension) []float64 {
		ms := &cwtypes.MetricStat{Period: aws.Int32(3600), Stat: aws.String(stat),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims}}
		if unit != "" {
			ms.Unit = cwtypes.StandardUnit(unit)
		}
		out, err := w.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start),
			EndTime: aws.Time(w.now().Add(time.Minute)), MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: ms}}})
		require.NoError(t, err)
		return out.MetricDataResults[0].Values
	}
	w.eventually(func() bool {
		v := query("HTTPCode_ELB_5XX_Count", "Sum", "", lb)
		return len(v) == 1 && v[0] == 3*testScale
	},
		"the 503s published per load balancer")
	assert.Equal(t, []float64{4 * testScale}, query("RequestCount", "Sum", "", lb), "the 503s chose no target: RequestCount leaves them out")
	assert.Equal(t, []float64{4 * testScale}, query("RequestCount", "Sum", "Count", lb, tg(w.blue)))
	assert.Empty(t, query("RequestCount", "Sum", "", lb, tg(w.green)))
	assert.Equal(t, []float64{3 * testScale}, query("HTTPCode_ELB_503_Count", "Sum", "", lb))
	assert.Empty(t, query("HTTPCode_ELB_5XX_Count", "Sum", "", lb, tg(w.green)),
		"HTTPCode_ELB_5XX_Count has only the LoadBalancer (and AvailabilityZone) dimensions")
	assert.Empty(t, query("RequestCount", "Sum", "", tg(w.blue)), "per target group metrics are published with the LoadBalancer too")
	assert.Empty(t, query("HealthyHostCount", "Maximum", "", lb), "host counts are per target group")
	assert.Equal(t, []float64{1}, query("HealthyHostCount", "Maximum", "Count", lb, tg(w.blue)))
	assert.Len(t, query("TargetResponseTime", "p99", "Seconds", lb, tg(w.blue)), 1)
	assert.Empty(t, query("TargetResponseTime", "p99", "Milliseconds", lb, tg(w.blue)),
		"a unit the metric is not published in has no data: CloudWatch does not convert")
	assert.Empty(t, query("RequestCount", "Sum", "", lb, cwtypes.Dimension{Name: aws.String("AvailabilityZone"), Value: aws.String("us-east-1a")}),
		"Availability Zones are not modelled")
}
