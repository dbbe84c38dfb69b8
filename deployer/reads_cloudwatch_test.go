package deployer

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// minuteMetrics answers every GetMetricData query with per-minute datapoints.
type minuteMetrics struct {
	CloudWatchAPI
	perMinute map[string]map[time.Time]float64 // by query id
}

func (m minuteMetrics) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		r := cwtypes.MetricDataResult{Id: q.Id}
		for at, v := range m.perMinute[*q.Id] {
			r.Timestamps, r.Values = append(r.Timestamps, at), append(r.Values, v)
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

func TestMetricsOfTheMinuteTheSoakBeganInAreNotCountedForOrAgainstGreen(t *testing.T) {
	t.Parallel()
	minute := func(m int) time.Time { return time.Date(2025, 6, 1, 12, m, 0, 0, time.UTC) }
	cw := minuteMetrics{perMinute: map[string]map[time.Time]float64{
		"requests": {minute(0): 300, minute(1): 100, minute(2): 100}, // the 300 came before the soak: gate 1's probes, the shift
		"errors":   {minute(0): 9, minute(2): 1},
		"elb5xx":   {minute(0): 6, minute(1): 2}, // the 6 came before the soak: blue's, or the test listener's
		"recent":   {minute(0): 100, minute(1): 100, minute(2): 100},
	}}
	d := New(Clients{CloudWatch: cw}, testTarget(), DefaultOptions())
	start := minute(0).Add(30 * time.Second)
	m, err := d.readSoakMetrics(context.Background(), lbArn, tgGreen, start, start.Add(2*time.Minute))
	require.NoError(t, err)

	assert.Equal(t, 200.0, m.Requests)
	assert.Equal(t, 1.0, m.Target5xx)
	assert.Equal(t, 2.0, m.ELB5xx)
	assert.True(t, m.measured())
	assert.Equal(t, minute(1), m.From)
	assert.Equal(t, minute(3), m.To)
	assert.True(t, m.covers(start, start.Add(2*time.Minute)))
	assert.Contains(t, m.window(), "CloudWatch window 12:01:00Z–12:03:00Z: the whole minutes that began inside the soak (12:00:30Z–12:02:30Z)")

	short, err := d.readSoakMetrics(context.Background(), lbArn, tgGreen, start, start.Add(20*time.Second))
	require.NoError(t, err)
	assert.False(t, short.measured(), "a soak inside one minute cannot tell green's traffic from what came before")
	assert.Zero(t, short.Requests)
	assert.Zero(t, short.ELB5xx)
}

func TestTheSoakKeepsGreensFiguresPerMinuteForTheCharts(t *testing.T) {
	t.Parallel()
	minute := func(m int) time.Time { return time.Date(2025, 6, 1, 12, m, 0, 0, time.UTC) }
	cw := minuteMetrics{perMinute: map[string]map[time.Time]float64{
		"recent":   {minute(0): 50, minute(1): 100, minute(2): 120},
		"m_t5xx":   {minute(0): 7, minute(2): 2},
		"m_conn":   {minute(2): 1},
		"m_elb5xx": {minute(1): 3},
		"m_p99":    {minute(1): 0.25, minute(2): 0.5},
	}}
	d := New(Clients{CloudWatch: cw}, testTarget(), DefaultOptions())
	start := minute(0).Add(30 * time.Second)
	m, err := d.readSoakMetrics(context.Background(), lbArn, tgGreen, start, start.Add(2*time.Minute))
	require.NoError(t, err)
	require.Len(t, m.Minutes, 2, "the minute the soak began in is not one of its minutes")
	assert.Equal(t, minute(1), m.Minutes[0].Start)
	assert.Equal(t, shiftSide{Requests: 100, P99: 0.25, HasP99: true}, m.Minutes[0].Green)
	assert.Equal(t, 3.0, m.Minutes[0].ELB5xx)
	assert.Equal(t, shiftSide{Requests: 120, Target5xx: 2, ConnErrors: 1, P99: 0.5, HasP99: true}, m.Minutes[1].Green)
	assert.Zero(t, m.Requests, "per-minute figures do not count towards the totals the gate judges")
}
