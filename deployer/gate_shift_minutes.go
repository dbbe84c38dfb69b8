package deployer

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Gate shift judges green while blue and green both take production traffic
// (each canary or linear step, and an all-at-once shift until the termination
// wait), every CloudWatch minute as soon as its datapoints are published.
//
// Default thresholds (defaultShiftThresholds), and why:
//   - 5xx rate: green fails when its rate is significantly (one-sided p < 0.001)
//     above its reference's, and above the reference's plausible rate plus 1
//     percentage point (gate 2's default --max-5xx-rate: a green this gate lets
//     through is not one gate 2 fails at once for the same errors); see
//     assessWorseRate. The rate over the shift's published minutes and that of
//     the latest minute alone are judged as each minute arrives: over the ~30
//     tests of a 15-minute shift chance fails a green as good as blue with less
//     than 3 % probability (Bonferroni), and the margin, which chance must cross
//     too, makes it far rarer: none of 2,500 simulated shifts of such a green
//     failed, while a 10 % canary failing 5 % is stopped in its first minute at
//     10 requests/s of production and around its fifth at 1 request/s.
//   - At least 20 green requests before a rate is judged: under that one error is
//     5 % or more, and the evidence would read like an outage. The tests need no
//     more: 5 failures in a 10 % canary's first 20 requests against none of
//     blue's 180 fail it (Fisher p = 6e-6, binomial p = 0.0001 against 2.5 %).
//   - Reference: blue in the same minutes when it served 20 requests or more;
//     else blue before the shift (an all-at-once shift leaves blue nothing);
//     else nothing to compare with, and a one-sided binomial test against the
//     1-point margin itself.
//   - TargetResponseTime: green's p95 above 2× blue's and 100 ms more (gate 1's
//     p95 limit), or p99 above 2× and 250 ms more (p99 is a minute's ten slowest
//     of 1,000: one slow second moves it), in any minute where both have the
//     samples CloudWatch itself wants for that percentile, 10/(1-p): 200 for p95,
//     1,000 for p99. A quiet canary's percentiles are not judged (the evidence
//     says how many minutes were); the probes through the test listener are the
//     latency check then (assessShiftProbes).
//   - Healthy hosts: a minute in which green had no healthy target at all.
//
// In the local emulator each real request counts as many times as the clock
// runs faster (DESIGN: CloudWatch request counts), so one real failed request at
// 60× weighs as 60: the tests are as sure as AWS would be of that load.

// shiftSide is one target group's CloudWatch figures (AWS/ApplicationELB) for a
// minute, or summed over several.
type shiftSide struct {
	Requests   float64 // RequestCount
	Target5xx  float64 // HTTPCode_Target_5XX_Count
	ConnErrors float64 // TargetConnectionErrorCount
	P95, P99   float64 // TargetResponseTime, seconds
	HasP95     bool
	HasP99     bool
	Healthy    float64 // HealthyHostCount, Maximum over the minute
	HasHealthy bool
}

func (s shiftSide) errors() float64 { return s.Target5xx + s.ConnErrors }

func (s shiftSide) String() string {
	out := fmt.Sprintf("%g requests, 5xx %g (target %g, connection errors %g)", s.Requests, s.errors(), s.Target5xx, s.ConnErrors)
	if s.HasP95 {
		out += ", p95 " + fmtLatency(secondsDuration(s.P95))
	}
	if s.HasP99 {
		out += ", p99 " + fmtLatency(secondsDuration(s.P99))
	}
	if s.HasHealthy {
		out += fmt.Sprintf(", healthy %g", s.Healthy)
	}
	return out
}

func secondsDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}

// shiftMinute is one published CloudWatch minute of the shift.
type shiftMinute struct {
	Start       time.Time
	Blue, Green shiftSide
	ELB5xx      float64 // HTTPCode_ELB_5XX_Count: the whole load balancer's (no TargetGroup dimension)
}

func (m shiftMinute) String() string {
	return fmt.Sprintf("%s: green %s; blue %s; load balancer 5xx %g", m.Start.UTC().Format("15:04Z"), m.Green, m.Blue, m.ELB5xx)
}

// shiftBaseline is blue, and the load balancer, over the whole minutes before
// the shift (one CloudWatch period): what green is compared with when blue has
// no traffic in the shift, and whether the load balancer's own 5xx can be laid at
// green's door.
type shiftBaseline struct {
	Blue   shiftSide
	ELB5xx float64
}

// shiftThresholds tune the shift gate.
type shiftThresholds struct {
	Alpha         float64 // one-sided significance of the rate tests
	MinRequests   int     // green requests before a rate is judged; also what makes a reference
	MaxExcessRate float64 // how far green's 5xx rate may exceed its reference's (0.01: 1 point)
	P95, P99      latencyLimit
}

func defaultShiftThresholds() shiftThresholds {
	return shiftThresholds{
		Alpha: 0.001, MinRequests: 20, MaxExcessRate: 0.01,
		P95: latencyLimit{Ratio: 2, Floor: 100 * time.Millisecond},
		P99: latencyLimit{Ratio: 2, Floor: 250 * time.Millisecond},
	}
}

// shiftVerdict is one judgement of the shift gate: Reason says why green failed;
// RatesJudged is false while green has served too few requests for a rate.
type shiftVerdict struct {
	OK          bool
	Reason      string
	Evidence    []string
	RatesJudged bool
}

// assessShiftMinutes judges green over the shift's published minutes so far: any
// minute without a healthy green target or with a percentile over its limit, or
// the 5xx rate worse than the reference's (assessShiftRates), over all the
// minutes and over the latest alone, so that a green that turns bad after good
// minutes is not diluted by them. The evidence has every minute's figures for
// both sides, the rate lines and whether the load balancer's own 5xx were counted
// against green.
func assessShiftMinutes(minutes []shiftMinute, base shiftBaseline, th shiftThresholds) shiftVerdict {
	v := shiftVerdict{OK: true}
	fail := func(reason string) {
		if v.OK {
			v.OK, v.Reason = false, reason
		}
	}
	attribute, attribution := assessELBAttribution(base, th.MinRequests)
	judged := 0
	for _, m := range minutes {
		v.Evidence = append(v.Evidence, m.String())
		reason, n := assessShiftMinute(m, base, th)
		if judged += n; reason != "" {
			fail(reason)
		}
	}
	ok, rates, line := assessShiftRates(fmt.Sprintf("over %d minute(s)", len(minutes)), sumShiftMinutes(minutes, attribute), base, th)
	if v.RatesJudged, v.Evidence = rates, append(v.Evidence, line); !ok {
		fail(line)
	}
	if n := len(minutes); n > 1 {
		last := minutes[n-1:]
		ok, _, line := assessShiftRates("in the latest minute, "+last[0].Start.UTC().Format("15:04Z"), sumShiftMinutes(last, attribute), base, th)
		if v.Evidence = append(v.Evidence, line); !ok {
			fail(line)
		}
	}
	v.Evidence = append(v.Evidence, attribution,
		fmt.Sprintf("TargetResponseTime percentiles judged %d times in %d minute(s): p95 needs %g requests a side in a minute, p99 %g", judged, len(minutes), shiftPercentiles[0].need, shiftPercentiles[1].need))
	return v
}

// assessELBAttribution decides whether the load balancer's own 5xx
// (HTTPCode_ELB_5XX_Count, which has no TargetGroup dimension) count against
// green: only when CloudWatch can tell, i.e. the load balancer generated none
// before the shift, over enough requests for that to mean something.
func assessELBAttribution(base shiftBaseline, minRequests int) (bool, string) {
	switch {
	case base.Blue.Requests < float64(minRequests):
		return false, fmt.Sprintf("load balancer 5xx not counted against green: too few requests before the shift (%g) to know they are new", base.Blue.Requests)
	case base.ELB5xx > 0:
		return false, fmt.Sprintf("load balancer 5xx not counted against green: the load balancer generated %g before the shift too (in %g requests)", base.ELB5xx, base.Blue.Requests)
	}
	return true, fmt.Sprintf("load balancer 5xx counted against green: none in the %g requests before the shift", base.Blue.Requests)
}

// shiftTotals are the shift's counts so far.
type shiftTotals struct {
	Green, Blue             shiftSide
	GreenErrors, BlueErrors float64
}

// sumShiftMinutes adds up the minutes. Green's failures are its 5xx plus, each
// minute, the larger of its connection errors and (when attributed) the load
// balancer's 5xx less blue's connection errors: a failed connection surfaces as
// an ELB 502/503 too, so the larger, not the sum, and blue's own are not green's.
func sumShiftMinutes(minutes []shiftMinute, attributeELB bool) shiftTotals {
	var t shiftTotals
	for _, m := range minutes {
		t.Green.Requests += m.Green.Requests
		t.Green.Target5xx += m.Green.Target5xx
		t.Green.ConnErrors += m.Green.ConnErrors
		t.Blue.Requests += m.Blue.Requests
		t.Blue.Target5xx += m.Blue.Target5xx
		t.Blue.ConnErrors += m.Blue.ConnErrors
		extra := m.Green.ConnErrors
		if attributeELB {
			extra = math.Max(extra, m.ELB5xx-m.Blue.ConnErrors)
		}
		t.GreenErrors += m.Green.Target5xx + extra
		t.BlueErrors += m.Blue.errors()
	}
	return t
}

// assessShiftRates compares green's 5xx rate over the minutes summed in t (span
// says which, for the line) with its reference (see the defaults above). ok is
// false when green is worse beyond the margin and significantly so; judged is
// false while green has served too few requests.
func assessShiftRates(span string, t shiftTotals, base shiftBaseline, th shiftThresholds) (ok, judged bool, line string) {
	// ELB-generated 503s (no healthy target) never reach a target and are not in
	// RequestCount: errors may outnumber requests.
	gN := math.Max(t.Green.Requests, t.GreenErrors)
	if gN < float64(th.MinRequests) {
		return true, false, fmt.Sprintf("5xx rate %s not judged: green served %g requests, fewer than %d", span, t.Green.Requests, th.MinRequests)
	}
	enough := float64(th.MinRequests)
	refName, refErr, refN := "blue", t.BlueErrors, math.Max(t.Blue.Requests, t.BlueErrors)
	switch {
	case t.Blue.Requests >= enough:
	case base.Blue.Requests >= enough:
		refName, refErr, refN = "blue before the shift", base.Blue.errors(), math.Max(base.Blue.Requests, base.Blue.errors())
	default:
		refName, refErr, refN = "", 0, 0
	}
	line = fmt.Sprintf("5xx rate %s: green %g/%g (%.2f%%), ", span, t.GreenErrors, gN, t.GreenErrors/gN*100)
	if refN > 0 {
		line += fmt.Sprintf("%s %g/%g (%.2f%%); ", refName, refErr, refN, refErr/refN*100)
	} else {
		line += "no blue traffic to compare with; "
	}
	worse, tests := assessWorseRate(wholeRequests(t.GreenErrors), wholeRequests(gN), wholeRequests(refErr), wholeRequests(refN), th.MaxExcessRate, th.Alpha)
	return !worse, true, line + tests
}

// referenceBoundAlpha sets how high assessWorseRate takes a reference's rate
// may truly be: its one-sided 95 % Wilson upper bound. On simulated 15-minute
// shifts (gate_shift_minutes_test.go) the point estimate instead rolled back a canary as
// good as a blue failing 3 % in 0.6 % of the shifts; a 99.9 % bound delayed
// catching a 10 % canary failing 5 % at 1 request/s from minute 5 to 6.
const referenceBoundAlpha = 0.05

// assessWorseRate decides whether a failures of n are significantly more than
// a reference's (ref of refN) plus margin. Both one-sided tests must give
// p < alpha: Fisher's exact test against the reference's counts (green fails
// more often than the reference at all), and a binomial test against the
// reference's upper bound (referenceBoundAlpha) plus the margin (green is worse
// by more than the margin, with the reference's own sampling noise on green's
// side, not in its point estimate only). With no reference (refN 0), only the
// binomial test, against the margin itself.
func assessWorseRate(a, n, ref, refN int, margin, alpha float64) (worse bool, tests string) {
	limit, pF := margin, 0.0
	if refN > 0 {
		limit = math.Min(wilsonUpper(ref, refN, referenceBoundAlpha)+margin, 1)
		pF = fisherGreater(a, n, ref, refN)
		tests = fmt.Sprintf("Fisher one-sided p=%.2g, ", pF)
	}
	pB := binomialGreater(a, n, limit)
	tests += fmt.Sprintf("binomial one-sided p=%.2g against %.2f%%", pB, limit*100)
	if pF < alpha && pB < alpha {
		return true, tests + fmt.Sprintf(": worse beyond the %g-point margin", margin*100)
	}
	return false, tests
}

// wholeRequests rounds a CloudWatch sum to whole requests.
func wholeRequests(f float64) int { return int(math.Round(f)) }

// shiftPercentiles are the TargetResponseTime percentiles the gate judges, with
// the samples a minute needs on a side, 10/(1-p) as CloudWatch's own
// low-sample rule for percentiles.
var shiftPercentiles = []struct {
	name  string
	need  float64
	get   func(shiftSide) (float64, bool)
	limit func(shiftThresholds) latencyLimit
}{
	{"p95", 200, func(s shiftSide) (float64, bool) { return s.P95, s.HasP95 }, func(th shiftThresholds) latencyLimit { return th.P95 }},
	{"p99", 1000, func(s shiftSide) (float64, bool) { return s.P99, s.HasP99 }, func(th shiftThresholds) latencyLimit { return th.P99 }},
}

// assessShiftMinute judges one minute: green without a healthy target, or a
// percentile over its limit against blue in the same minute (or, when blue had
// too few samples, blue before the shift). judged counts the percentiles it
// could judge.
func assessShiftMinute(m shiftMinute, base shiftBaseline, th shiftThresholds) (reason string, judged int) {
	at := m.Start.UTC().Format("15:04Z")
	if m.Green.HasHealthy && m.Green.Healthy <= 0 {
		return fmt.Sprintf("no healthy green target throughout the minute %s (HealthyHostCount maximum 0)", at), 0
	}
	var reasons []string
	for _, pc := range shiftPercentiles {
		g, ok := pc.get(m.Green)
		if !ok || m.Green.Requests < pc.need {
			continue
		}
		refName, ref, refN := "blue", 0.0, 0.0
		if b, ok := pc.get(m.Blue); ok && m.Blue.Requests >= pc.need {
			ref, refN = b, m.Blue.Requests
		} else if b, ok := pc.get(base.Blue); ok && base.Blue.Requests >= pc.need {
			refName, ref, refN = "blue before the shift", b, base.Blue.Requests
		} else {
			continue
		}
		judged++
		gd, rd, lim := secondsDuration(g), secondsDuration(ref), pc.limit(th)
		if lim.exceeded(rd, gd) {
			reasons = append(reasons, fmt.Sprintf("%s TargetResponseTime in the minute %s: green %s vs %s %s, %s over %s (green %g requests, %s %g)",
				pc.name, at, fmtLatency(gd), refName, fmtLatency(rd), ratioText(rd, gd), lim, m.Green.Requests, refName, refN))
		}
	}
	return strings.Join(reasons, "; "), judged
}
