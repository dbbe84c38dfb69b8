package deployer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestSoakMinuteFigureFilesOnlyPerMinuteQueries(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	minutes := map[time.Time]*shiftMinute{}
	soakMinuteFigure(minutes, "requests", at, 999) // the window's total, not a minute's
	assert.Empty(t, minutes)
	soakMinuteFigure(minutes, "recent", at, 10)
	soakMinuteFigure(minutes, "m_p95", at, 0.2)
	soakMinuteFigure(minutes, "m_elb5xx", at, 1)
	require.Contains(t, minutes, at)
	assert.Equal(t, shiftMinute{Start: at, Green: shiftSide{Requests: 10, P95: 0.2, HasP95: true}, ELB5xx: 1}, *minutes[at])
}
