package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The calls the deployer and the aws CLI page answer one page at a time with the token of the next,
// so a client that ignored the token would miss what is on later pages; the SDK's paginators read
// every page.
func TestPaginatedCallsAnswerPageByPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	for _, name := range []string{"a1", "a2", "a3"} {
		_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: name, Namespace: "AWS/ApplicationELB", MetricName: "RequestCount",
			Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanThreshold"})
		require.NoError(t, err)
	}
	w.register("v2", nil)

	first, err := w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)})
	require.NoError(t, err)
	assert.Len(t, first.MetricAlarms, 1)
	assert.NotNil(t, first.NextToken)
	assert.Equal(t, 3, countPages(t, cloudwatch.NewDescribeAlarmsPaginator(w.cw, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)}),
		func(o *cloudwatch.DescribeAlarmsOutput) int { return len(o.MetricAlarms) }))

	assert.Equal(t, 2, countPages(t, elbv2.NewDescribeTargetGroupsPaginator(w.elb, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(1)}),
		func(o *elbv2.DescribeTargetGroupsOutput) int { return len(o.TargetGroups) }))
	assert.Equal(t, 1, countPages(t, elbv2.NewDescribeLoadBalancersPaginator(w.elb, &elbv2.DescribeLoadBalancersInput{PageSize: aws.Int32(1)}),
		func(o *elbv2.DescribeLoadBalancersOutput) int { return len(o.LoadBalancers) }))
	assert.Equal(t, 2, countPages(t, elbv2.NewDescribeListenersPaginator(w.elb, &elbv2.DescribeListenersInput{LoadBalancerArn: aws.String(w.lb.ARN), PageSize: aws.Int32(1)}),
		func(o *elbv2.DescribeListenersOutput) int { return len(o.Listeners) }))
	assert.Equal(t, 2, countPages(t, ecs.NewListTaskDefinitionsPaginator(w.ecs, &ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(1)}),
		func(o *ecs.ListTaskDefinitionsOutput) int { return len(o.TaskDefinitionArns) }))

	_, err = w.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Marker: aws.String("nope")})
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "ValidationError", apiErr.ErrorCode())
	_, err = w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("nope")})
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "InvalidNextToken", apiErr.ErrorCode())
}

// countPages reads every page of a paginator and counts the items.
func countPages[O any, P interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*Opt)) (O, error)
}, Opt any](t *testing.T, p P, items func(O) int) int {
	t.Helper()
	n, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		require.NoError(t, err)
		n += items(out)
		pages++
		require.Less(t, pages, 100, "the pages never end")
	}
	return n
}

// GetMetricData pages by MaxDatapoints across its queries; a result cut short says PartialData.
func TestGetMetricDataPagesByMaxDatapoints(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	start := w.now()
	for range 12 {
		w.version(w.prod)
		time.Sleep(20 * time.Millisecond) // 12 AWS seconds apart: the requests span three AWS minutes
	}
	q := func(id string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}}}}}
	}
	in := func() *cloudwatch.GetMetricDataInput {
		return &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start.Add(-time.Minute)), EndTime: aws.Time(w.now()),
			MetricDataQueries: []cwtypes.MetricDataQuery{q("a"), q("b")}, MaxDatapoints: aws.Int32(1)}
	}
	var total float64
	w.eventually(func() bool {
		total = 0
		p := cloudwatch.NewGetMetricDataPaginator(w.cw, in())
		for p.HasMorePages() {
			out, err := p.NextPage(context.Background())
			require.NoError(t, err)
			n := 0
			for _, r := range out.MetricDataResults {
				n += len(r.Values)
				for _, v := range r.Values {
					total += v
				}
			}
			require.LessOrEqual(t, n, 1, "one datapoint a page")
		}
		return total == 2*12*testScale
	}, "both queries' datapoints over the pages")
	out, err := w.cw.GetMetricData(context.Background(), in())
	require.NoError(t, err)
	assert.Equal(t, cwtypes.StatusCodePartialData, out.MetricDataResults[0].StatusCode)
	assert.NotNil(t, out.NextToken)
}
