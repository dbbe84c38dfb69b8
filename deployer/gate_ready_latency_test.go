package deployer

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func latSeries(ds []time.Duration) latencySeries { return latencySeries{Took: ds} }

// scaled multiplies every latency by f.
func latScaled(ds []time.Duration, f float64) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = time.Duration(float64(d) * f)
	}
	return out
}

// around returns n latencies spread evenly ±10% around d.
func latAround(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d + time.Duration(float64(d)*0.2*(float64(i)/float64(n-1)-0.5))
	}
	return out
}

// withSlowest replaces the last k latencies with slow.
func latWithSlowest(ds []time.Duration, k int, slow time.Duration) []time.Duration {
	out := append([]time.Duration(nil), ds...)
	for i := len(out) - k; i < len(out); i++ {
		out[i] = slow
	}
	return out
}

func TestAssessLatency(t *testing.T) {
	t.Parallel()
	th := defaultLatencyThresholds()
	cases := []struct {
		name       string
		blue       []time.Duration
		green      latencySeries
		wantOK     bool
		wantInLine string
	}{
		{"a CPU fallback four times slower fails", randomA, latSeries(latScaled(randomA, 4)), false, ": slower"},
		{"200 ms against 800 ms fails", latAround(200*time.Millisecond, 30), latSeries(latAround(800*time.Millisecond, 30)), false, "p50 4.00× (+600ms)"},
		{"2 ms against 4 ms passes: twice as slow but under the floor", latAround(2*time.Millisecond, 30), latSeries(latAround(4*time.Millisecond, 30)), true, "within limits"},
		{"10% slower passes although significant", randomA, latSeries(randomB), true, "within limits"},
		{"30 ms against 90 ms fails: a 3× fallback of a model that takes 30 ms", latAround(30*time.Millisecond, 30), latSeries(latAround(90*time.Millisecond, 30)), false, ": slower"},
		{"two slow requests of 30 move p95 over its limit but are not significantly slower", randomA, latSeries(latWithSlowest(randomA, 2, 2*time.Second)), true, "not significantly slower"},
		{"a green that fails every request is slower: failures count as the timeout", randomA, latFailing(30, 10*time.Second), false, "30 failed, counted as the request timeout"},
		{"fewer than 10 requests on a side are not judged", randomA[:9], latSeries(latScaled(randomA[:9], 4)), true, "not judged: fewer than 10 requests on a side"},
		{"a faster green passes", randomB, latSeries(randomA), true, "within limits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := assessLatency([]latencyKind{{Kind: "POST /predict", Blue: latSeries(tc.blue), Green: tc.green}}, th, false)
			assert.Equal(t, tc.wantOK, v.OK, v.Evidence)
			require.Len(t, v.Evidence, 1)
			assert.Contains(t, v.Evidence[0], tc.wantInLine)
			if !tc.wantOK {
				assert.Contains(t, v.Reason, "latency: green is slower than blue: POST /predict: ")
			}
		})
	}
}

func latFailing(n int, timeout time.Duration) latencySeries {
	var s latencySeries
	for i := 0; i < n; i++ {
		s.add(time.Millisecond, true, timeout)
	}
	return s
}

func TestAssessLatencyListsBothSidesFiguresPerKind(t *testing.T) {
	t.Parallel()
	v := assessLatency([]latencyKind{
		{Kind: "POST /predict", Blue: latSeries(latAround(200*time.Millisecond, 30)), Green: latSeries(latAround(800*time.Millisecond, 30))},
		{Kind: "GET /health", Blue: latSeries(latAround(2*time.Millisecond, 30)), Green: latSeries(latAround(2*time.Millisecond, 30))},
	}, defaultLatencyThresholds(), false)

	require.False(t, v.OK)
	require.Len(t, v.Evidence, 2)
	assert.Contains(t, v.Evidence[0], "latency POST /predict: blue n=30 p50 200ms p95 218ms; green n=30 p50 800ms p95 872ms; green/blue p50 4.00× (+600ms), p95 4.00× (+654ms); Mann-Whitney one-sided p=8.5e-18: slower")
	assert.Contains(t, v.Evidence[1], "latency GET /health: blue n=30 p50 2ms")
	assert.Contains(t, v.Reason, "latency: green is slower than blue: POST /predict: p50 800ms vs 200ms, 4.00× (+600ms) over 1.5× and +50ms; p95 872ms vs 218ms, 4.00× (+654ms) over 2× and +100ms; Mann-Whitney p=8.5e-18")
	assert.NotContains(t, v.Reason, "GET /health")
}

func TestAssessLatencyOnTheReadinessPathSaysItIsAWeakSignal(t *testing.T) {
	t.Parallel()
	kinds := []latencyKind{{Kind: "GET /ready", Blue: latSeries(latAround(100*time.Millisecond, 30)), Green: latSeries(latAround(500*time.Millisecond, 30))}}

	v := assessLatency(kinds, defaultLatencyThresholds(), true)

	assert.False(t, v.OK)
	assert.Contains(t, v.Evidence, weakLatencySignal)
	assert.True(t, strings.HasSuffix(v.Reason, "(readiness path only: no validation suite)"), v.Reason)
}

func TestAssessLatencyWithTunedThresholds(t *testing.T) {
	t.Parallel()
	kinds := []latencyKind{{Kind: "q", Blue: latSeries(randomA), Green: latSeries(randomB)}}
	th := defaultLatencyThresholds()
	th.P50 = latencyLimit{Ratio: 1.05, Floor: 5 * time.Millisecond}

	assert.False(t, assessLatency(kinds, th, false).OK, "10% slower fails a 1.05× limit")
	th.Alpha = 0.0001
	assert.True(t, assessLatency(kinds, th, false).OK, "but not at p < 0.0001")
}

func TestLatencyPlanInterleavesAndAlternatesWhoGoesFirst(t *testing.T) {
	t.Parallel()
	plan := latencyPlan(3, 30)

	require.Len(t, plan, 90)
	perKind, greenFirst := map[int]int{}, map[int]int{}
	for i, s := range plan {
		assert.Equal(t, i%3, s.Kind, "round by round, every kind in turn")
		perKind[s.Kind]++
		if s.GreenFirst {
			greenFirst[s.Kind]++
		}
	}
	for k := 0; k < 3; k++ {
		assert.Equal(t, 30, perKind[k])
		assert.Equal(t, 15, greenFirst[k], "green goes first in half the rounds of kind %d", k)
	}
	assert.NotEqual(t, plan[0].GreenFirst, plan[3].GreenFirst, "alternating between rounds")
	assert.NotEqual(t, plan[0].GreenFirst, plan[1].GreenFirst, "and between kinds of one round")
}

func TestLatencyThresholdsValidate(t *testing.T) {
	t.Parallel()
	names := latencyThresholdNames{P50: "--latency-p50", P95: "--latency-p95", Alpha: "--latency-alpha", Samples: "--latency-samples"}
	cases := []struct {
		name    string
		change  func(*latencyThresholds)
		wantErr string
	}{
		{"the defaults are valid", func(*latencyThresholds) {}, ""},
		{"a ratio under 1 would fail a faster green", func(th *latencyThresholds) { th.P50.Ratio = 0.9 }, "--latency-p50: want a ratio of at least 1"},
		{"a negative floor is refused", func(th *latencyThresholds) { th.P95.Floor = -time.Millisecond }, "--latency-p95"},
		{"a significance of 0 could never fail", func(th *latencyThresholds) { th.Alpha = 0 }, "--latency-alpha"},
		{"fewer than 10 samples cannot show green slower", func(th *latencyThresholds) { th.Samples = 9 }, "--latency-samples: want 10..1000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			th := defaultLatencyThresholds()
			tc.change(&th)
			err := th.validate(names)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestFmtLatency(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "812ms", fmtLatency(812345*time.Microsecond))
	assert.Equal(t, "2.3ms", fmtLatency(2345*time.Microsecond))
	assert.Equal(t, "450µs", fmtLatency(450200*time.Nanosecond))
	assert.Equal(t, "1.5s", fmtLatency(1500*time.Millisecond))
}

// The defaults are meant to fail a CPU fallback every time and a healthy green
// (almost) never: by construction at most the rank test's 0.1 % per kind, since
// a failure needs p < 0.001. Simulated on lognormal latencies (median 200 ms,
// σ 0.3: a p95/p50 of 1.6; σ 0.6: 2.7), 30 per side, 1,000 runs, fixed seed.
var latencySimulationRuns = 1000 // per case; fewer under the race detector (race_test.go)

func TestAssessLatencyDefaultsOnSimulatedComparisons(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(10, 2026))
	draw := func(median time.Duration, sigma float64) latencySeries {
		var s latencySeries
		for i := 0; i < 30; i++ {
			s.Took = append(s.Took, time.Duration(float64(median)*math.Exp(sigma*rng.NormFloat64())))
		}
		return s
	}
	failRate := func(slowdown float64, sigma float64, runs int) float64 {
		failed := 0
		for i := 0; i < runs; i++ {
			blue, green := draw(200*time.Millisecond, sigma), draw(time.Duration(slowdown*float64(200*time.Millisecond)), sigma)
			if !assessLatency([]latencyKind{{Kind: "k", Blue: blue, Green: green}}, defaultLatencyThresholds(), false).OK {
				failed++
			}
		}
		return float64(failed) / float64(runs)
	}
	cases := []struct {
		name          string
		slowdown      float64
		sigma         float64
		atLeast, most float64
	}{
		{"a green like blue does not fail", 1, 0.3, 0, 0.001},
		{"a green like blue with twice the spread fails at most about as often as the rank test allows (0.1%)", 1, 0.6, 0, 0.005},
		{"a green 20% slower rarely fails", 1.2, 0.3, 0, 0.02},
		{"a green 1.5 times slower fails about half the time: the limit", 1.5, 0.3, 0.2, 0.8},
		{"a 2× slowdown fails nearly always", 2, 0.3, 0.98, 1},
		{"a 3× CPU fallback always fails", 3, 0.3, 1, 1},
		{"a 3× CPU fallback fails even with twice the spread", 3, 0.6, 0.99, 1},
	}
	for _, tc := range cases {
		got := failRate(tc.slowdown, tc.sigma, latencySimulationRuns)
		t.Logf("%s: failed %.1f%% of %d", tc.name, got*100, latencySimulationRuns)
		assert.GreaterOrEqual(t, got, tc.atLeast, tc.name)
		assert.LessOrEqual(t, got, tc.most, tc.name)
	}
}
