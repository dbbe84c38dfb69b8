package deployer

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var shiftStart = time.Date(2026, 1, 2, 12, 1, 0, 0, time.UTC)

// tgMinute is a target group's minute: requests, target 5xx, p95 and p99 in
// seconds, and two healthy targets.
func tgMinute(requests, target5xx, p95, p99 float64) shiftSide {
	return shiftSide{Requests: requests, Target5xx: target5xx, P95: p95, HasP95: true, P99: p99, HasP99: true, Healthy: 2, HasHealthy: true}
}

// minutes repeats one minute n times, a minute apart from shiftStart.
func minutes(n int, green, blue shiftSide, elb5xx float64) []shiftMinute {
	out := make([]shiftMinute, n)
	for i := range out {
		out[i] = shiftMinute{Start: shiftStart.Add(time.Duration(i) * time.Minute), Green: green, Blue: blue, ELB5xx: elb5xx}
	}
	return out
}

// busyBefore is blue before the shift: 5,000 requests, 5 failed, p95 300 ms, p99 500 ms.
var busyBefore = shiftBaseline{Blue: tgMinute(5000, 5, 0.3, 0.5)}

func TestAssessShiftMinutes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		minutes    []shiftMinute
		base       shiftBaseline
		wantOK     bool
		wantReason string // the failure's reason, or a line of the evidence when it passes
	}{
		{"a green as good as blue passes", minutes(3, tgMinute(500, 1, 0.3, 0.5), tgMinute(4500, 9, 0.3, 0.5), 0), busyBefore, true,
			"5xx rate over 3 minute(s): green 3/1500 (0.20%), blue 27/13500 (0.20%)"},
		{"5% of green's requests failing against blue's 0.1% fails", minutes(1, tgMinute(500, 25, 0.3, 0.5), tgMinute(4500, 5, 0.3, 0.5), 0), busyBefore, false,
			"5xx rate over 1 minute(s): green 25/500 (5.00%), blue 5/4500 (0.11%); Fisher one-sided p=5.1e-21, binomial one-sided p=6.5e-09 against 1.23%: worse beyond the 1-point margin"},
		{"3% against 0.1% is not significant in one minute of a small canary", minutes(1, tgMinute(100, 3, 0.3, 0.5), tgMinute(900, 1, 0.3, 0.5), 0), busyBefore, true,
			"Fisher one-sided p=0.0036"},
		{"but is over ten", minutes(10, tgMinute(100, 3, 0.3, 0.5), tgMinute(900, 1, 0.3, 0.5), 0), busyBefore, false,
			"5xx rate over 10 minute(s): green 30/1000 (3.00%), blue 10/9000 (0.11%); Fisher one-sided p=2.1e-22, binomial one-sided p=6e-06 against 1.19%: worse beyond the 1-point margin"},
		{"0.5% against none is significant but within the 1-point margin", minutes(1, tgMinute(2000, 10, 0.3, 0.5), tgMinute(18000, 0, 0.3, 0.5), 0), busyBefore, true,
			"green 10/2000 (0.50%), blue 0/18000 (0.00%); Fisher one-sided p=9.8e-11"},
		{"a quiet canary's one error neither fails it nor passes it silently", minutes(1, tgMinute(3, 1, 0.3, 0.5), tgMinute(27, 0, 0.3, 0.5), 0), busyBefore, true,
			"5xx rate over 1 minute(s) not judged: green served 3 requests, fewer than 20"},
		{"load balancer 5xx count against green when it had none before the shift", minutes(1, tgMinute(500, 0, 0.3, 0.5), tgMinute(4500, 0, 0.3, 0.5), 30), busyBefore, false,
			"green 30/500 (6.00%), blue 0/4500 (0.00%); Fisher one-sided p=4.5e-31"},
		{"load balancer 5xx are not green's when it generated some before the shift too", minutes(1, tgMinute(500, 0, 0.3, 0.5), tgMinute(4500, 0, 0.3, 0.5), 30),
			shiftBaseline{Blue: busyBefore.Blue, ELB5xx: 3}, true, "load balancer 5xx not counted against green: the load balancer generated 3 before the shift too (in 5000 requests)"},
		{"load balancer 5xx are not green's when too few requests came before the shift to tell", minutes(1, tgMinute(500, 0, 0.3, 0.5), tgMinute(4500, 0, 0.3, 0.5), 30),
			shiftBaseline{Blue: tgMinute(10, 0, 0.3, 0.5)}, true, "load balancer 5xx not counted against green: too few requests before the shift (10) to know they are new"},
		{"blue's own connection errors in the load balancer's 5xx are not green's",
			minutes(1, tgMinute(500, 0, 0.3, 0.5), shiftSide{Requests: 4500, ConnErrors: 30}, 30), busyBefore, true, "green 0/500 (0.00%)"},
		{"green's connection errors count once, not again as load balancer 5xx",
			minutes(1, shiftSide{Requests: 1000, ConnErrors: 5}, tgMinute(9000, 0, 0.3, 0.5), 5), busyBefore, true, "green 5/1000 (0.50%)"},
		{"an all-at-once shift compares green with blue before the shift", minutes(1, tgMinute(5000, 200, 0.3, 0.5), shiftSide{}, 0), busyBefore, false,
			"green 200/5000 (4.00%), blue before the shift 5/5000 (0.10%); Fisher one-sided p=8.3e-54"},
		{"with no blue traffic at all green's rate is tested against the margin", minutes(1, tgMinute(1000, 50, 0.3, 0.5), shiftSide{}, 0), shiftBaseline{}, false,
			"green 50/1000 (5.00%), no blue traffic to compare with; binomial one-sided p="},
		{"ELB 503s without a request still make a rate: all failed", minutes(1, shiftSide{}, tgMinute(4500, 0, 0.3, 0.5), 40), busyBefore, false,
			"green 40/40 (100.00%)"},
		{"green's p95 twice blue's and 100 ms more fails that minute", minutes(1, tgMinute(300, 0, 0.9, 1.0), tgMinute(2700, 0, 0.3, 0.5), 0), busyBefore, false,
			"p95 TargetResponseTime in the minute 12:01Z: green 900ms vs blue 300ms, 3.00× (+600ms) over 2× and +100ms (green 300 requests, blue 2700)"},
		{"green's p95 twice blue's but only 60 ms more passes", minutes(1, tgMinute(300, 0, 0.12, 0.2), tgMinute(2700, 0, 0.06, 0.1), 0), busyBefore, true,
			"percentiles judged 1 times in 1 minute(s)"},
		{"a quiet canary's p95 is not judged", minutes(1, tgMinute(150, 0, 0.9, 1.0), tgMinute(1350, 0, 0.3, 0.5), 0), busyBefore, true,
			"TargetResponseTime percentiles judged 0 times in 1 minute(s): p95 needs 200 requests a side in a minute, p99 1000"},
		{"p99 is judged from 1,000 requests a side", minutes(1, tgMinute(1000, 0, 0.3, 2.0), tgMinute(9000, 0, 0.3, 0.5), 0), busyBefore, false,
			"p99 TargetResponseTime in the minute 12:01Z: green 2s vs blue 500ms, 4.00× (+1.5s) over 2× and +250ms"},
		{"p99 is not judged from 999", minutes(1, tgMinute(999, 0, 0.3, 2.0), tgMinute(9000, 0, 0.3, 0.5), 0), busyBefore, true,
			"percentiles judged 1 times"},
		{"without blue in the minute, p95 is compared with blue before the shift", minutes(1, tgMinute(300, 0, 0.9, 1.0), shiftSide{}, 0), busyBefore, false,
			"green 900ms vs blue before the shift 300ms"},
		{"a minute without a healthy green target fails", minutes(1, shiftSide{Requests: 50, HasHealthy: true}, tgMinute(450, 0, 0.3, 0.5), 0), busyBefore, false,
			"no healthy green target throughout the minute 12:01Z (HealthyHostCount maximum 0)"},
		{"no minute published yet passes and says rates were not judged", nil, busyBefore, true, "5xx rate over 0 minute(s) not judged: green served 0 requests, fewer than 20"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assertShiftVerdict(t, assessShiftMinutes(tc.minutes, tc.base, defaultShiftThresholds()), tc.wantOK, tc.wantReason)
		})
	}
}

// assertShiftVerdict checks a verdict's outcome and, when it failed, that its
// reason holds want, or, when it passed, that a line of its evidence does.
func assertShiftVerdict(t *testing.T, v shiftVerdict, wantOK bool, want string) {
	t.Helper()
	require.Equal(t, wantOK, v.OK, "reason %q, evidence %q", v.Reason, v.Evidence)
	if wantOK {
		assert.Contains(t, strings.Join(v.Evidence, "\n"), want)
		return
	}
	assert.Contains(t, v.Reason, want)
}

func TestAssessShiftMinutesListsEveryMinuteForBothSides(t *testing.T) {
	t.Parallel()
	ms := minutes(2, tgMinute(500, 1, 0.31, 0.52), tgMinute(4500, 9, 0.3, 0.5), 2)

	v := assessShiftMinutes(ms, busyBefore, defaultShiftThresholds())

	require.True(t, v.OK, v.Reason)
	assert.True(t, v.RatesJudged)
	assert.Equal(t, []string{
		"12:01Z: green 500 requests, 5xx 1 (target 1, connection errors 0), p95 310ms, p99 520ms, healthy 2; blue 4500 requests, 5xx 9 (target 9, connection errors 0), p95 300ms, p99 500ms, healthy 2; load balancer 5xx 2",
		"12:02Z: green 500 requests, 5xx 1 (target 1, connection errors 0), p95 310ms, p99 520ms, healthy 2; blue 4500 requests, 5xx 9 (target 9, connection errors 0), p95 300ms, p99 500ms, healthy 2; load balancer 5xx 2",
		"5xx rate over 2 minute(s): green 6/1000 (0.60%), blue 18/9000 (0.20%); Fisher one-sided p=0.027, binomial one-sided p=0.99 against 1.29%",
		"5xx rate in the latest minute, 12:02Z: green 3/500 (0.60%), blue 9/4500 (0.20%); Fisher one-sided p=0.11, binomial one-sided p=0.96 against 1.34%",
		"load balancer 5xx counted against green: none in the 5000 requests before the shift",
		"TargetResponseTime percentiles judged 2 times in 2 minute(s): p95 needs 200 requests a side in a minute, p99 1000",
	}, v.Evidence)
}

func TestAssessShiftMinutesFailsAGreenThatTurnsBadAfterGoodMinutes(t *testing.T) {
	t.Parallel()
	ms := append(minutes(4, tgMinute(1000, 1, 0.3, 0.5), tgMinute(9000, 9, 0.3, 0.5), 0),
		shiftMinute{Start: shiftStart.Add(4 * time.Minute), Green: tgMinute(1000, 50, 0.3, 0.5), Blue: tgMinute(9000, 9, 0.3, 0.5)})

	v := assessShiftMinutes(ms, busyBefore, defaultShiftThresholds())

	assert.False(t, v.OK)
	assert.Contains(t, v.Evidence, "5xx rate over 5 minute(s): green 54/5000 (1.08%), blue 45/45000 (0.10%); Fisher one-sided p=2.6e-28, binomial one-sided p=0.64 against 1.13%",
		"over all five minutes green is within the 1-point margin")
	assert.Equal(t, "5xx rate in the latest minute, 12:05Z: green 50/1000 (5.00%), blue 9/9000 (0.10%); Fisher one-sided p=1.7e-41, binomial one-sided p=4.6e-17 against 1.17%: worse beyond the 1-point margin", v.Reason)
}

func TestAssessShiftMinutesSaysWhenRatesWereNotJudged(t *testing.T) {
	t.Parallel()
	v := assessShiftMinutes(minutes(2, tgMinute(5, 0, 0.3, 0.5), tgMinute(45, 0, 0.3, 0.5), 0), busyBefore, defaultShiftThresholds())

	assert.True(t, v.OK)
	assert.False(t, v.RatesJudged, "the caller records that a quiet canary's rates were never judged")
}

// simulateShifts runs shifts of 15 minutes with green taking share of perMinute
// requests a minute, each failing with its side's probability, judges them after
// every minute as the gate does, and reports how many shifts failed and the
// median minute at which they did (0: none did).
func simulateShifts(rng *rand.Rand, runs, perMinute int, share, blueRate, greenRate float64) (failed float64, medianMinute int) {
	binomial := func(n int, p float64) float64 { // by the gaps between failures, geometric
		k := 0
		for i := math.Floor(math.Log(1-rng.Float64()) / math.Log1p(-p)); i < float64(n); i += 1 + math.Floor(math.Log(1-rng.Float64())/math.Log1p(-p)) {
			k++
		}
		return float64(k)
	}
	gN, bN := int(float64(perMinute)*share), perMinute-int(float64(perMinute)*share)
	var when []int
	for r := 0; r < runs; r++ {
		var ms []shiftMinute
		for i := 0; i < 15; i++ {
			ms = append(ms, shiftMinute{Start: shiftStart.Add(time.Duration(i) * time.Minute),
				Green: shiftSide{Requests: float64(gN), Target5xx: binomial(gN, greenRate)}, Blue: shiftSide{Requests: float64(bN), Target5xx: binomial(bN, blueRate)}})
			if !assessShiftMinutes(ms, busyBefore, defaultShiftThresholds()).OK {
				when = append(when, i+1)
				break
			}
		}
	}
	if len(when) == 0 {
		return 0, 0
	}
	slices.Sort(when)
	return float64(len(when)) / float64(runs), when[len(when)/2]
}

// The rate test's defaults on simulated 15-minute shifts (fixed seed): a green
// as good as blue is not rolled back, one clearly worse is, within minutes.
var shiftSimulationRuns = 500 // per case; fewer under the race detector (race_test.go)

func TestAssessShiftMinutesDefaultsOnSimulatedShifts(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 2026))
	cases := []struct {
		name               string
		perMinute          int
		share, blue, green float64
		atLeast, most      float64
		detectedBy         int
	}{
		{"a 10% canary of 600 a minute as good as blue (0.5%) is not rolled back", 600, 0.1, 0.005, 0.005, 0, 0.01, 0},
		{"a 10% canary of 6,000 a minute as good as blue (0.5%) is not rolled back", 6000, 0.1, 0.005, 0.005, 0, 0.01, 0},
		{"a 10% canary of 60 a minute as good as blue (0.5%) is not rolled back", 60, 0.1, 0.005, 0.005, 0, 0.01, 0},
		{"a 10% canary of 600 a minute as good as a blue failing 3% is not rolled back", 600, 0.1, 0.03, 0.03, 0, 0.01, 0},
		{"a 50% step of 600 a minute as good as a blue failing 3% is not rolled back", 600, 0.5, 0.03, 0.03, 0, 0.01, 0},
		{"a 10% canary of 600 a minute half a point beyond the margin is rarely rolled back: 60 requests a minute cannot tell", 600, 0.1, 0.005, 0.02, 0, 0.1, 15},
		{"a 10% canary of 600 a minute failing 5% is rolled back, around its fifth minute", 600, 0.1, 0.005, 0.05, 0.99, 1, 6},
		{"a 10% canary of 6,000 a minute failing 5% is rolled back in its first minute", 6000, 0.1, 0.005, 0.05, 1, 1, 1},
		{"a 10% canary of 60 a minute failing 20% is rolled back", 60, 0.1, 0.005, 0.2, 0.99, 1, 6},
	}
	for _, tc := range cases {
		failed, minute := simulateShifts(rng, shiftSimulationRuns, tc.perMinute, tc.share, tc.blue, tc.green)
		t.Logf("%s: %.1f%% of %d shifts rolled back, median at minute %d", tc.name, failed*100, shiftSimulationRuns, minute)
		assert.GreaterOrEqual(t, failed, tc.atLeast, tc.name)
		assert.LessOrEqual(t, failed, tc.most, tc.name)
		assert.LessOrEqual(t, minute, tc.detectedBy, tc.name)
	}
}

func TestAssessShiftMinutesJudgesACanarysFirst20Requests(t *testing.T) {
	t.Parallel()
	for failed, wantOK := range map[float64]bool{4: true, 5: false} {
		v := assessShiftMinutes(minutes(1, tgMinute(20, failed, 0.3, 0.5), tgMinute(180, 0, 0.3, 0.5), 0), busyBefore, defaultShiftThresholds())
		assert.Equal(t, wantOK, v.OK, "%g of 20 failing against none of 180: %s", failed, v.Evidence)
	}
}
