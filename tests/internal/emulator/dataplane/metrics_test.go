package dataplane

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// seed appends samples with chosen timestamps (recordRequest stamps the current time).
func seed(r *Recorder, samples ...requestSample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, samples...)
}

func query(r *Recorder, metric, stat string, start time.Time, period time.Duration, n int) ([]time.Time, []float64) {
	return r.Query(MetricQuery{Metric: metric, Stat: stat, Start: start, End: start.Add(time.Duration(n) * period), Period: period})
}

func TestQueryComputesStatisticsExactlyFromSamples(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	t0 := time.Now().Truncate(time.Second)
	for i := 1; i <= 1000; i++ { // response times 1 ms .. 1000 ms
		seed(r, requestSample{at: t0.Add(time.Duration(i) * time.Millisecond / 2), target: true, code: 200, rt: float64(i) / 1000})
	}
	cases := map[string]float64{
		"Sum": 500.5, "Average": 0.5005, "Minimum": 0.001, "Maximum": 1, "SampleCount": 1000,
		"p50": 0.5, "p99": 0.99, "p99.9": 0.999, "p100": 1,
	}
	for stat, want := range cases {
		ts, v := query(r, MetricTargetResponseTime, stat, t0, time.Minute, 1)
		assert.Equal(t, []time.Time{t0}, ts, stat)
		if assert.Len(t, v, 1, stat) {
			assert.InDelta(t, want, v[0], 1e-9, stat)
		}
	}
	_, v := query(r, MetricRequestCount, "Sum", t0, time.Minute, 1)
	assert.Equal(t, []float64{1000}, v)
}

func TestQueryBucketsByPeriodAndLeavesOutEmptyPeriods(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	t0 := time.Now().Truncate(time.Second)
	seed(r,
		requestSample{at: t0.Add(100 * time.Millisecond), target: true, code: 200, rt: 0.1},
		requestSample{at: t0.Add(900 * time.Millisecond), target: true, code: 200, rt: 0.1},
		requestSample{at: t0.Add(2500 * time.Millisecond), target: true, code: 200, rt: 0.1},
		requestSample{at: t0.Add(5 * time.Second), target: true, code: 200, rt: 0.1}, // at End: excluded
	)
	ts, v := query(r, MetricRequestCount, "Sum", t0, time.Second, 5)
	assert.Equal(t, []time.Time{t0, t0.Add(2 * time.Second)}, ts)
	assert.Equal(t, []float64{2, 1}, v)
}

func TestQueryFiltersByListenerGroupAndWhoAnswered(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	l1, l2 := &Listener{}, &Listener{}
	g1, g2 := &TargetGroup{}, &TargetGroup{}
	t0 := time.Now().Truncate(time.Second)
	at := t0.Add(time.Millisecond)
	seed(r,
		requestSample{at: at, listener: l1, group: g1, target: true, code: 200, rt: 0.01},
		requestSample{at: at, listener: l1, group: g1, target: true, code: 500, rt: 0.02},
		requestSample{at: at, listener: l1, group: g2, target: true, code: 404, rt: 0.03},
		requestSample{at: at, listener: l1, group: g2, target: true, code: 502, elb: true, connErr: true, rt: -1},
		requestSample{at: at, listener: l1, group: g2, code: 503, elb: true, rt: -1}, // no target to choose
		requestSample{at: at, listener: l1, code: 503, elb: true, rt: -1},            // no group to forward to
		requestSample{at: at, listener: l2, group: g1, target: true, code: 200, rt: 0.04},
	)
	count := func(q MetricQuery) float64 {
		q.Stat, q.Start, q.End, q.Period = "Sum", t0, t0.Add(time.Minute), time.Minute
		_, v := r.Query(q)
		if len(v) == 0 {
			return 0
		}
		return v[0]
	}
	one := func(l *Listener) []*Listener { return []*Listener{l} }
	assert.Equal(t, 5.0, count(MetricQuery{Metric: MetricRequestCount}), "the 503s chose no target")
	assert.Equal(t, 4.0, count(MetricQuery{Listeners: one(l1), Metric: MetricRequestCount}))
	assert.Equal(t, 5.0, count(MetricQuery{Listeners: []*Listener{l1, l2}, Metric: MetricRequestCount}))
	assert.Equal(t, 3.0, count(MetricQuery{Group: g1, Metric: MetricRequestCount}))
	assert.Equal(t, 1.0, count(MetricQuery{Listeners: one(l1), Group: g1, Metric: MetricTarget2XX}))
	assert.Equal(t, 1.0, count(MetricQuery{Listeners: one(l1), Metric: MetricTarget5XX}))
	assert.Equal(t, 1.0, count(MetricQuery{Listeners: one(l1), Metric: MetricTarget4XX}))
	assert.Equal(t, 3.0, count(MetricQuery{Listeners: one(l1), Metric: MetricELB5XX}), "502 and 503s from the load balancer")
	assert.Equal(t, 2.0, count(MetricQuery{Metric: MetricELB503}))
	assert.Equal(t, 0.0, count(MetricQuery{Group: g2, Metric: MetricELB5XX}), "not published per target group")
	assert.Equal(t, 1.0, count(MetricQuery{Group: g2, Metric: MetricTargetConnectionErrorCount}))
	assert.Equal(t, 0.0, count(MetricQuery{Group: g1, Metric: MetricTargetConnectionErrorCount}))
	_, v := r.Query(MetricQuery{Listeners: one(l1), Metric: MetricTargetResponseTime, Stat: "SampleCount",
		Start: t0, End: t0.Add(time.Minute), Period: time.Minute})
	assert.Equal(t, []float64{3}, v, "ELB-generated responses have no target response time")
}

func TestHostCountsReportTheValueInEffectAndEveryChange(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	g := &TargetGroup{}
	t0 := time.Now().Truncate(time.Second)
	r.hosts[g] = []hostSample{{at: t0, healthy: 0}, {at: t0.Add(1500 * time.Millisecond), healthy: 2},
		{at: t0.Add(3200 * time.Millisecond), healthy: 1, unhealthy: 1}}
	q := MetricQuery{Group: g, Metric: MetricHealthyHostCount, Stat: "Minimum", Start: t0, End: t0.Add(5 * time.Second), Period: time.Second}
	_, mins := r.Query(q)
	q.Stat = "Maximum"
	_, maxes := r.Query(q)
	assert.Equal(t, []float64{0, 0, 2, 1, 1}, mins)
	assert.Equal(t, []float64{0, 2, 2, 2, 1}, maxes)
	q.Metric = MetricUnHealthyHostCount
	_, un := r.Query(q)
	assert.Equal(t, []float64{0, 0, 0, 1, 1}, un)
	q.Group = nil
	ts, _ := r.Query(q)
	assert.Empty(t, ts, "host counts need a target group")
}

func TestRecorderForgetsSamplesPastItsRetentionWindow(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	r.retention = time.Minute
	old := time.Now().Add(-2 * time.Minute)
	for range 10 {
		seed(r, requestSample{at: old, code: 200, rt: 0.1})
	}
	r.recordRequest(requestSample{code: 200, rt: 0.1})
	assert.Len(t, r.requests, 1, "samples older than the window are dropped")

	r.maxSamples = 4
	for range 10 {
		r.recordRequest(requestSample{code: 200, rt: 0.1})
	}
	assert.LessOrEqual(t, len(r.requests), 4+4/3+1, "the sample cap holds (amortised)")
}

func TestQueryIgnoresUnknownMetricsAndStatistics(t *testing.T) {
	t.Parallel()
	r := NewRecorder()
	r.recordRequest(requestSample{code: 200, rt: 0.1})
	start := time.Now().Add(-time.Second)
	for _, q := range []MetricQuery{
		{Metric: "ActiveConnectionCount", Stat: "Sum"},
		{Metric: MetricRequestCount, Stat: "Median"},
		{Metric: MetricRequestCount, Stat: "p101"},
	} {
		q.Start, q.End, q.Period = start, start.Add(time.Minute), time.Minute
		ts, v := r.Query(q)
		assert.Empty(t, ts, "%+v", q)
		assert.Empty(t, v)
	}
	var none *Recorder
	none.recordRequest(requestSample{})
	ts, _ := none.Query(MetricQuery{Metric: MetricRequestCount, Stat: "Sum", Start: start, End: time.Now(), Period: time.Second})
	assert.Empty(t, ts, "a nil recorder records nothing")
}
