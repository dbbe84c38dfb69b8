package deployer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// probesOf turns latencies into probes of one kind; the indexes in failed
// failed with a 503.
func probesOf(kind string, took []time.Duration, failed ...int) []shiftProbe {
	out := make([]shiftProbe, len(took))
	for i, d := range took {
		out[i] = shiftProbe{Kind: kind, Took: d}
	}
	for _, i := range failed {
		out[i].Failed, out[i].Detail = true, "503"
	}
	return out
}

// gate1Predict is gate 1's comparison of one kind: blue (under production
// traffic) 200 ms, idle green 180 ms, 30 each, no failures.
var gate1Predict = []latencyKind{{Kind: "POST /predict", Blue: latSeries(latAround(200*time.Millisecond, 30)), Green: latSeries(latAround(180*time.Millisecond, 30))}}

func TestAssessShiftProbes(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	cases := []struct {
		name   string
		gate1  []latencyKind
		probes []shiftProbe
		wantOK bool
		want   string // the reason, or a line of the evidence when it passes
	}{
		{"probes as fast as in gate 1 pass", gate1Predict, probesOf("POST /predict", latAround(210*ms, 20)), true,
			"latency POST /predict: gate 1 blue n=30 p50 200ms p95 218ms; green now n=20 p50 210ms"},
		{"green three times slower now fails", gate1Predict, probesOf("POST /predict", latAround(600*ms, 20)), false,
			"latency: green is slower now than in gate 1: POST /predict: p50 600ms vs 200ms, 3.00× (+400ms) over 1.5× and +50ms"},
		{"green may slow down to what blue served under production traffic", []latencyKind{{Kind: "q", Blue: latSeries(latAround(300*ms, 30)), Green: latSeries(latAround(150*ms, 30))}},
			probesOf("q", latAround(290*ms, 20)), true, "latency q: gate 1 blue n=30 p50 300ms"},
		{"three failed probes in a row fail", gate1Predict, probesOf("POST /predict", latAround(200*ms, 13), 10, 11, 12), false,
			"green failed the last 3 probes through the test listener: POST /predict: 503; POST /predict: 503; POST /predict: 503"},
		{"two failed probes in a row do not", gate1Predict, probesOf("POST /predict", latAround(200*ms, 12), 10, 11), true,
			"probe failures: green now 2/12 (16.67%) vs 0/30 in gate 1 (0.00%); Fisher one-sided p=0.077, binomial one-sided p=0.31 against 9.27%"},
		{"every other probe failing fails on the failure rate", gate1Predict, probesOf("POST /predict", latAround(200*ms, 20), 0, 2, 4, 6, 8, 10, 12, 14, 16, 18), false,
			"probe failures: green now 10/20 (50.00%) vs 0/30 in gate 1 (0.00%); Fisher one-sided p=1.8e-05, binomial one-sided p=3.6e-06 against 9.27%: worse beyond the 1-point margin"},
		{"fewer than 10 recent probes of a kind are not judged on latency", gate1Predict, probesOf("POST /predict", latAround(600*ms, 9)), true,
			"not judged: fewer than 10 requests on a side"},
		{"a kind gate 1 did not measure is not judged on latency", gate1Predict, probesOf("GET /other", latAround(600*ms, 20)), true,
			"latency GET /other: not judged: gate 1 measured no baseline for it"},
		{"only the last 20 probes of a kind are judged", gate1Predict,
			probesOf("POST /predict", append(latAround(900*ms, 30), latAround(200*ms, 20)...)), true, "green now n=20 p50 200ms"},
		{"no probe yet passes and says so", gate1Predict, nil, true, "probes: none sent yet"},
		{"without gate 1's green the failure rate is tested against the margin", nil, probesOf("q", latAround(200*ms, 20), 1, 5, 9, 13, 17), false,
			"probe failures: green now 5/20 (25.00%) vs gate 1 sent green nothing to compare with; binomial one-sided p=1.4e-06 against 1.00%: worse beyond the 1-point margin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assertShiftVerdict(t, assessShiftProbes(tc.gate1, tc.probes, defaultShiftProbeThresholds()), tc.wantOK, tc.want)
		})
	}
}

func TestAssessShiftProbesJudgesEachKindOnItsOwnWindow(t *testing.T) {
	t.Parallel()
	gate1 := append([]latencyKind{{Kind: "GET /small", Blue: latSeries(latAround(20*time.Millisecond, 30)), Green: latSeries(latAround(20*time.Millisecond, 30))}}, gate1Predict...)
	var probes []shiftProbe
	small, predict := probesOf("GET /small", latAround(20*time.Millisecond, 20)), probesOf("POST /predict", latAround(700*time.Millisecond, 20))
	for i := range small { // interleaved, as the gate sends them
		probes = append(probes, small[i], predict[i])
	}

	v := assessShiftProbes(gate1, probes, defaultShiftProbeThresholds())

	assert.False(t, v.OK)
	assert.Contains(t, v.Reason, "POST /predict: p50 700ms vs 200ms")
	assert.NotContains(t, v.Reason, "GET /small")
	assert.Len(t, v.Evidence, 3, "the failure-rate line and one latency line per kind")
}
