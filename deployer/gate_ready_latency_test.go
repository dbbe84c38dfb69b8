package deployer

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
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
	names := latencyThresholdNames{P50Ratio: "--max-p50-ratio", P50Increase: "--min-p50-increase", P95Ratio: "--max-p95-ratio", P95Increase: "--min-p95-increase",
		Alpha: "alpha", Samples: "--latency-samples"}
	cases := []struct {
		name    string
		change  func(*latencyThresholds)
		wantErr string
	}{
		{"the defaults are valid", func(*latencyThresholds) {}, ""},
		{"a ratio under 1 would fail a green as fast as blue", func(th *latencyThresholds) { th.P50.Ratio = 0.9 }, "--max-p50-ratio: want a ratio of 1 to 1000"},
		{"a negative increase is refused", func(th *latencyThresholds) { th.P95.Floor = -time.Millisecond }, "--min-p95-increase: want 0 to 1h"},
		{"a significance of 0 could never fail", func(th *latencyThresholds) { th.Alpha = 0 }, "alpha"},
		{"fewer than 10 samples cannot show green slower", func(th *latencyThresholds) { th.Samples = 9 }, "--latency-samples: want 0 (off) or 10..1000"},
		{"0 samples turn the comparison off", func(th *latencyThresholds) { th.Samples = 0 }, ""},
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

// delayed answers like srv after sleeping delay (real time: request latencies
// stay real on any clock).
func delayed(t *testing.T, srv *httptest.Server, delay time.Duration) *httptest.Server {
	t.Helper()
	d := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		srv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(d.Close)
	return d
}

// latencyDeployer is the world's deployer with blue and green answering after
// the given delays, and 10 requests per kind and side.
func latencyDeployer(t *testing.T, w *world, blue, green time.Duration, opts ...func(*Options)) *Deployer {
	t.Helper()
	d := w.deployer(t, true, append([]func(*Options){func(o *Options) { o.LatencySamples = 10 }}, opts...)...)
	d.t.ProdURL = delayed(t, modelServer(t, "v1", 0, true), blue).URL
	d.t.TestURL = delayed(t, modelServer(t, "v2", 0, true), green).URL
	return d
}

func TestGateOneRollsBackAGreenThatIsCorrectButSeveralTimesSlower(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	res := latencyDeployer(t, w, 0, 250*time.Millisecond).Deploy(context.Background(), deployV2()) // a gap no loaded machine closes

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Empty(t, w.continues, "production never moved to the slow green")
	require.NotEmpty(t, res.Gates)
	g := res.Gates[0]
	assert.Equal(t, "fail", g.Verdict)
	assert.Contains(t, g.Reason, "latency: green is slower than blue: GET /health/ready: p50")
	assert.Contains(t, g.Reason, "(readiness path only: no validation suite)")
	require.NotEmpty(t, g.Evidence)
	line := g.Evidence[len(g.Evidence)-2]
	assert.Contains(t, line, "latency GET /health/ready: blue n=10 p50 ")
	assert.Contains(t, line, "; green n=10 p50 ")
	assert.Equal(t, weakLatencySignal, g.Evidence[len(g.Evidence)-1])
}

func TestGateOnePassesAGreenAsFastAsBlueAndListsBothSidesFigures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	s, err := suite.Parse([]byte("version: 1\ncompare:\n  requests:\n    - {name: small, path: /predict, json: {features: [1]}}\n    - {name: large, path: /predict, json: {features: [1, 2, 3]}}\n  fields: {prediction: {tolerance: 0.001}}\n"))
	require.NoError(t, err)
	res := latencyDeployer(t, w, 3*time.Millisecond, 3*time.Millisecond, func(o *Options) { o.Suite = s }).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	ev := strings.Join(res.Gates[0].Evidence, "\n")
	assert.Contains(t, ev, "latency small: blue n=10 p50 ")
	assert.Contains(t, ev, "latency large: blue n=10 p50 ")
	assert.NotContains(t, ev, weakLatencySignal, "the suite's comparison requests were timed")
}

func TestGateOneComparesNoLatencyWithZeroSamples(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	res := latencyDeployer(t, w, 0, 80*time.Millisecond, func(o *Options) { o.LatencySamples = 0 }).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Contains(t, res.Gates[0].Evidence, "latency not compared (--latency-samples 0)")
}

func TestGateOnesLatencyComparisonEndsAtTheGatesDeadline(t *testing.T) {
	t.Parallel()
	log, _ := newLog(t)
	o := DefaultOptions()
	o.Logger = log // the wall clock: the comparison's requests take real time
	blue, green := delayed(t, modelServer(t, "v1", 0, true), 20*time.Millisecond), modelServer(t, "v2", 0, true)
	d := New(Clients{}, Target{ProdURL: blue.URL, TestURL: green.URL}, o)
	r := &release{gateLimit: "--gate-timeout 100ms"}
	err := d.runLatencyComparison(context.Background(), &GateResult{}, r, d.prober(r), "/health/ready", d.clock.Now().Add(100*time.Millisecond))

	var ge *GateError
	require.ErrorAs(t, err, &ge)
	assert.Contains(t, ge.Reason, "latency: the comparison did not finish within --gate-timeout 100ms")
	assert.Contains(t, ge.Reason, "of 60 requests sent")
	assert.Nil(t, r.latency, "no baseline for the shift gate from a comparison cut short")
}

func TestLatencyKindsAreNamedByTheirRequestsAndNumberedWhenNamesRepeat(t *testing.T) {
	t.Parallel()
	reqs := []suite.Request{{Path: "/a"}, {Name: "big", Path: "/b"}, {Path: "/a"}}
	var got []string
	for i, r := range reqs {
		got = append(got, latencyKindName(reqs, i, r))
	}
	assert.Equal(t, []string{"GET /a", "big", "GET /a #2"}, got)
}
