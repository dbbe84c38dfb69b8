package deployer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// soakWorld is a happy release whose gate 2 sees metrics (window totals by query id).
func soakWorld(t *testing.T, metrics map[string]float64) *world {
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	w.metrics = metrics
	return w
}

func TestSoakCountsELBGenerated5xxAgainstGreen(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "elb5xx": 50, "p99": 0.1})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, []string{"READY_WAIT"}, w.continues, "blue is kept")
	assert.Contains(t, res.Message, "5xx rate 5.00% above --max-5xx-rate 1.00%")
	assert.Contains(t, res.Message, "target 0, ELB 50, connection errors 0")
}

func TestSoakCountsTargetConnectionErrorsAgainstGreen(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "connErrors": 30, "p99": 0.1})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "5xx rate 3.00% above --max-5xx-rate 1.00%")
}

func TestSoakWithoutRequestDataJudgesOnHealthAndAlarmsAndSaysSo(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	soak := res.Gates[1]
	assert.Equal(t, "pass", soak.Verdict)
	evidence := strings.Join(soak.Evidence, "\n")
	assert.Contains(t, evidence, "no request data: judged on target health and alarms only")
	assert.Contains(t, evidence, "no datapoint for the window's last minute after --metrics-lag 3m0s")
	assert.GreaterOrEqual(t, soak.End.Sub(soak.Start), 2*time.Minute+3*time.Minute, "it waited --metrics-lag for datapoints that might still come")
}

func TestSoakFailsWithFewerRequestsThanMinRequests(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 10, "errors": 0, "p99": 0.1})
	res := w.deployer(t, true, func(o *Options) { o.MinRequests = 100 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "only 10 requests reached green during the soak, --min-requests 100: not enough traffic to judge")
}

func TestSoakWaitsForTheLateDatapointsOfItsLastMinuteAndJudgesTheWholeWindow(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "p99": 0.1})
	w.metricsLag = 2 * time.Minute
	w.lateMetrics = map[string]float64{"elb5xx": 40} // green failed in the soak's last minute
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome, "the 5xx that arrived after the soak window still count")
	assert.Contains(t, res.Message, "target 0, ELB 40, connection errors 0")
	soak := res.Gates[1]
	assert.GreaterOrEqual(t, soak.End.Sub(soak.Start), 2*time.Minute+time.Minute)
	assert.Less(t, soak.End.Sub(soak.Start), 2*time.Minute+3*time.Minute, "judged as soon as the last minute was covered")
}

func TestSoakStopsWaitingForLateMetricsBeforeTheTerminationWaitEnds(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "p99": 0.1})
	w.group.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes = 5
	w.metricsLag = time.Hour // the last minute never arrives
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	soak := res.Gates[1]
	assert.LessOrEqual(t, soak.End.Sub(soak.Start), 4*time.Minute+15*time.Second, "the 5 min termination wait less a minute for ContinueDeployment")
	assert.Contains(t, strings.Join(soak.Evidence, "\n"), "no datapoint for the window's last minute")
}

func TestAssessMetricsDeadline(t *testing.T) {
	t.Parallel()
	end := time.Date(2025, 6, 1, 12, 5, 0, 0, time.UTC)
	cases := []struct {
		name    string
		lag     time.Duration
		termEnd time.Time
		want    time.Time
	}{
		{"metrics get --metrics-lag after the soak window", 3 * time.Minute, end.Add(time.Hour), end.Add(3 * time.Minute)},
		{"the remaining termination wait less a minute caps the lag", 3 * time.Minute, end.Add(2 * time.Minute), end.Add(time.Minute)},
		{"a termination wait ending sooner leaves no lag at all", 3 * time.Minute, end.Add(30 * time.Second), end},
		{"--metrics-lag 0 judges at the end of the window", 0, end.Add(time.Hour), end},
		{"an unknown termination wait end does not cap", 3 * time.Minute, time.Time{}, end.Add(3 * time.Minute)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, assessMetricsDeadline(end, tc.lag, tc.termEnd))
		})
	}
}

func TestSoakMetricsCoverTheWindowOnceItsLastMinuteHasADatapoint(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 6, 1, 12, 0, 20, 0, time.UTC)
	end := start.Add(2 * time.Minute) // 12:02:20: the last minute is 12:02
	cases := []struct {
		name   string
		latest time.Time
		want   bool
	}{
		{"no datapoint does not cover", time.Time{}, false},
		{"a datapoint for an earlier minute does not cover", time.Date(2025, 6, 1, 12, 1, 0, 0, time.UTC), false},
		{"a datapoint for the last minute covers", time.Date(2025, 6, 1, 12, 2, 0, 0, time.UTC), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, soakMetrics{Latest: tc.latest}.covers(start, end))
		})
	}
}

func TestSoakQueriesCountELBErrorsPerLoadBalancerAndTheRestPerTargetGroup(t *testing.T) {
	t.Parallel()
	qs := soakQueries(lbArn, tgGreen, 300)
	dims := map[string][]string{}
	for _, q := range qs {
		for _, d := range q.MetricStat.Metric.Dimensions {
			dims[*q.MetricStat.Metric.MetricName+" "+*q.Id] = append(dims[*q.MetricStat.Metric.MetricName+" "+*q.Id], *d.Name+"="+*d.Value)
		}
	}
	assert.Equal(t, []string{"LoadBalancer=app/web/abc"}, dims["HTTPCode_ELB_5XX_Count elb5xx"], "during the termination wait production is all green")
	assert.Equal(t, []string{"LoadBalancer=app/web/abc", "TargetGroup=targetgroup/web-green/2222"}, dims["TargetConnectionErrorCount connErrors"])
	assert.Equal(t, []string{"LoadBalancer=app/web/abc", "TargetGroup=targetgroup/web-green/2222"}, dims["RequestCount recent"])
}

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

func TestGateOnesOwnProbesDoNotMeetMinRequests(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{})
	w.earlyMetrics = map[string]float64{"requests": 500} // gate 1's probes and suite, in the minute the soak began in
	tw := stepTermWait
	tw.enter = func(w *world) { w.earlyUntil = w.clock.Now() }
	w.scripts["d-NEW"].steps[5] = tw
	res := w.deployer(t, true, func(o *Options) { o.MinRequests = 100 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "only 0 requests reached green during the soak, --min-requests 100")
	assert.Contains(t, strings.Join(res.Gates[1].Evidence, "\n"), "the whole minutes that began inside the soak")
}

func TestSoakMinutes(t *testing.T) {
	t.Parallel()
	at := func(m, s int) time.Time { return time.Date(2025, 6, 1, 12, m, s, 0, time.UTC) }
	cases := []struct {
		name       string
		start, end time.Time
		from, to   time.Time
		ok         bool
	}{
		{"a soak beginning mid-minute counts from the next minute", at(0, 30), at(2, 30), at(1, 0), at(3, 0), true},
		{"a soak beginning on the minute counts that minute", at(1, 0), at(3, 0), at(1, 0), at(3, 0), true},
		{"a soak inside one minute counts nothing", at(0, 10), at(0, 50), at(1, 0), at(1, 0), false},
		{"a short soak across a minute boundary counts the minute that began inside it", at(0, 50), at(1, 10), at(1, 0), at(2, 0), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			from, to, ok := soakMinutes(tc.start, tc.end)
			assert.Equal(t, tc.from, from)
			assert.Equal(t, tc.to, to)
			assert.Equal(t, tc.ok, ok)
		})
	}
}
