package deployer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
)

// CloudWatch speaks once a minute, a minute or more late. Between its
// datapoints the shift gate keeps probing green through the test listener, which
// still forwards to green during the shift, with the suite's requests, and
// compares what it sees with what gate 1 measured, so that a green that slows
// down or fails under its share of production traffic is seen in seconds.
//
// The baseline of each kind is the slower side of gate 1's comparison (by p50):
// blue was measured under full production traffic, green idle, and green under
// its share of production should be no slower than blue was under all of it.
// Defaults (defaultShiftProbeThresholds): the last 20 probes of each kind (about
// a minute of probing), judged with gate 1's latency limits and rank test; the
// failure rate of those probes against gate 1's green failures as the shift
// judges 5xx rates (assessWorseRate: p < 0.001, 1-point margin); and
// --consecutive failed probes in a row, as target health fails on --consecutive
// unhealthy checks.

// shiftProbe is one of the suite's requests sent to green during the shift.
type shiftProbe struct {
	Kind   string
	Took   time.Duration
	Failed bool   // transport error, timeout or 5xx
	Detail string // how it failed ("503", "timeout"), for the reason
}

// shiftProbeThresholds tune assessShiftProbes.
type shiftProbeThresholds struct {
	Latency       latencyThresholds // limits and significance, as gate 1's
	Window        int               // the most recent probes of each kind judged
	Consecutive   int               // failed probes in a row that fail the gate
	Alpha         float64           // significance of the failure-rate test
	MaxExcessRate float64           // how far the failure rate may exceed gate 1's
	Timeout       time.Duration     // a failed probe counts as taking this long (the request timeout)
}

func defaultShiftProbeThresholds() shiftProbeThresholds {
	return shiftProbeThresholds{Latency: defaultLatencyThresholds(), Window: 20, Consecutive: 3, Alpha: 0.001, MaxExcessRate: 0.01, Timeout: 10 * time.Second}
}

// assessShiftProbes judges green's recent probes (oldest first) against gate 1's
// latency comparison: failed probes in a row, then the failure rate, then each
// kind's latency. The first failure is the reason; the evidence has every check.
func assessShiftProbes(gate1 []latencyKind, probes []shiftProbe, th shiftProbeThresholds) shiftVerdict {
	v := shiftVerdict{OK: true}
	fail := func(reason string) {
		if v.OK {
			v.OK, v.Reason = false, reason
		}
	}
	if reason := assessProbeStreak(probes, th.Consecutive); reason != "" {
		fail(reason)
	}
	recent := recentProbes(probes, th.Window)
	ok, line := assessProbeFailures(gate1, recent, th)
	v.Evidence = append(v.Evidence, line)
	if !ok {
		fail(line)
	}
	for _, kind := range probeKinds(probes) {
		base, baseName, found := probeBaseline(gate1, kind)
		if !found {
			v.Evidence = append(v.Evidence, fmt.Sprintf("latency %s: not judged: gate 1 measured no baseline for it", kind))
			continue
		}
		var now latencySeries
		for _, p := range recent[kind] {
			now.add(p.Took, p.Failed, th.Timeout)
		}
		slower, line, why := compareLatency(kind, base, now, [2]string{baseName, "green now"}, th.Latency)
		v.Evidence = append(v.Evidence, line)
		if slower {
			fail("latency: green is slower now than in gate 1: " + why)
		}
	}
	return v
}

// assessProbeStreak fails when the last consecutive probes all failed.
func assessProbeStreak(probes []shiftProbe, consecutive int) string {
	if consecutive <= 0 || len(probes) < consecutive {
		return ""
	}
	last := probes[len(probes)-consecutive:]
	var details []string
	for _, p := range last {
		if !p.Failed {
			return ""
		}
		details = append(details, p.Kind+": "+p.Detail)
	}
	return fmt.Sprintf("green failed the last %d probes through the test listener: %s", consecutive, strings.Join(details, "; "))
}

// recentProbes keeps the last window probes of each kind.
func recentProbes(probes []shiftProbe, window int) map[string][]shiftProbe {
	out := map[string][]shiftProbe{}
	for _, p := range probes {
		out[p.Kind] = append(out[p.Kind], p)
	}
	for k, ps := range out {
		if window > 0 && len(ps) > window {
			out[k] = ps[len(ps)-window:]
		}
	}
	return out
}

// probeKinds lists the probed kinds in the order first probed.
func probeKinds(probes []shiftProbe) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range probes {
		if !seen[p.Kind] {
			seen[p.Kind] = true
			out = append(out, p.Kind)
		}
	}
	return out
}

// assessProbeFailures compares the recent probes' failure rate with green's in
// gate 1, as the shift compares rates (assessWorseRate): Fisher's test against
// gate 1's counts and a binomial test against its plausible rate plus the
// margin; when gate 1 sent green nothing to compare with, against the margin.
func assessProbeFailures(gate1 []latencyKind, recent map[string][]shiftProbe, th shiftProbeThresholds) (bool, string) {
	failed, n := 0, 0
	for _, ps := range recent {
		for _, p := range ps {
			n++
			if p.Failed {
				failed++
			}
		}
	}
	if n == 0 {
		return true, "probes: none sent yet"
	}
	base, baseN := 0, 0
	for _, k := range gate1 {
		base, baseN = base+k.Green.Failed, baseN+len(k.Green.Took)
	}
	line := fmt.Sprintf("probe failures: green now %d/%d (%.2f%%) vs ", failed, n, float64(failed)/float64(n)*100)
	if baseN > 0 {
		line += fmt.Sprintf("%d/%d in gate 1 (%.2f%%); ", base, baseN, float64(base)/float64(baseN)*100)
	} else {
		line += "gate 1 sent green nothing to compare with; "
	}
	worse, tests := assessWorseRate(failed, n, base, baseN, th.MaxExcessRate, th.Alpha)
	return !worse, line + tests
}

// probeBaseline is gate 1's slower side of a kind, by p50, and its name.
func probeBaseline(gate1 []latencyKind, kind string) (latencySeries, string, bool) {
	for _, k := range gate1 {
		if k.Kind != kind {
			continue
		}
		if quantile(k.Green.Took, 0.5) > quantile(k.Blue.Took, 0.5) {
			return k.Green, "gate 1 green", true
		}
		return k.Blue, "gate 1 blue", true
	}
	return latencySeries{}, "", false
}

// shiftProbe sends each probe kind once to green through the test listener, once
// it is seen to forward to green (re-checked every minute: a probe that reached
// blue would prove nothing about green), and judges the recent probes
// (assessShiftProbes).
func (d *Deployer) shiftProbe(ctx context.Context, r *release, sw *shiftWatch) error {
	if now := d.clock.Now(); !now.Before(sw.nextListener) {
		fw, err := d.listenerForwards(ctx, d.t.TestListenerArn)
		if err != nil {
			return err
		}
		live, lerr := assessLiveTargetGroup(fw)
		if sw.probesOn = lerr == nil && live == sw.green.Arn; !sw.probesOn {
			sw.probeNote = fmt.Sprintf("probes not sent: the test listener forwards %s, not to green %s", formatForwards(fw), sw.green.Name)
		}
		sw.nextListener = now.Add(time.Minute)
	}
	if !sw.probesOn || d.t.TestURL == "" {
		return nil
	}
	for i, req := range sw.probeReqs {
		res := sw.prober.Send(ctx, d.t.TestURL, req)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		sw.probes = append(sw.probes, shiftProbe{Kind: sw.probeNames[i], Took: res.Took, Failed: res.Failed(), Detail: probeDetail(sw.prober, res)})
	}
	th := d.shiftProbeThresholds(sw.prober.Timeout())
	if keep := th.Window * len(sw.probeReqs); len(sw.probes) > 2*keep { // the decider looks at the last window of each kind
		sw.probes = slices.Clone(sw.probes[len(sw.probes)-keep:])
	}
	v := assessShiftProbes(r.latency, sw.probes, th)
	sw.probeVerdict = &v
	if !v.OK {
		return &GateError{Gate: GateShift, Reason: "probes through the test listener: " + v.Reason}
	}
	return nil
}

// shiftProbeThresholds are gate 1's latency limits, --consecutive failed probes
// in a row, and the prober's timeout for a failed probe.
func (d *Deployer) shiftProbeThresholds(timeout time.Duration) shiftProbeThresholds {
	th := defaultShiftProbeThresholds()
	th.Latency, th.Consecutive, th.Timeout = d.o.latencyThresholds(), d.o.Consecutive, timeout
	return th
}

// probeDetail says how a probe failed ("503", "error: …"), redacted.
func probeDetail(p *suite.Prober, res suite.Response) string {
	if res.Err != nil {
		return p.Redact("error: " + res.Err.Error())
	}
	return fmt.Sprint(res.Status)
}
