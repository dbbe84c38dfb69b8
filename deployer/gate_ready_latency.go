package deployer

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
)

// Gate 1 compares green's latency with blue's: the same requests go to blue
// (production listener) and green (test listener), interleaved, after the
// warm-up. The failure it is for is the image that silently fell back from the
// GPU to the CPU: correct answers, 3 to 10 times slower.
//
// Default thresholds, per request kind. Green is slower when its p50 is above
// 1.5× blue's AND more than 50 ms above it, or its p95 above 2× AND more than
// 100 ms above it; and, either way, a one-sided Mann-Whitney test says green's
// latencies are larger with p < 0.001.
//   - 1.5× is half the smallest CPU fallback: a 3× slowdown fails with room to
//     spare, while two healthy copies of one image differ by 10-20 % at the
//     median (another instance, warm caches), and blue, which also serves
//     production, is if anything the slower one.
//   - The floors keep fast answers from failing on relative noise (2 ms → 4 ms
//     passes): the runner may be a continent away from the load balancer. A 3×
//     fallback still fails whenever blue's p50 is 25 ms or more (+2×p50 > 50 ms),
//     i.e. for any model heavy enough to need a GPU. p95 is the 29th of 30 values:
//     one TCP+TLS handshake across a continent moves it, hence the wider limit.
//   - The rank test makes a single slow request (GC, a cold connection) unable
//     to fail the gate; its p < 0.001 is reached by 30 against 30 as soon as the
//     orderings are mostly separated, and keeps the chance of failing a healthy
//     green below 1 % across ten request kinds.
//   - 30 requests per kind and side: p50 to within a few percent, and enough for
//     the exact rank test; fewer than latencyMinSamples cannot reach p < 0.001
//     (7 against 7 in perfect order give p = 0.0003, 6 against 6 only 0.001).

// latencyMinSamples is the fewest requests per kind and side the comparison
// accepts (flag and suite validation) and judges.
const latencyMinSamples = 10

// latencySeries is one side's latencies for one request kind.
type latencySeries struct {
	Took   []time.Duration
	Failed int
}

// add records one request. A failed request (transport error, timeout, 5xx)
// counts as taking at least the request timeout: a fast error must not make a
// broken green look fast, and a timed-out one took at least that long.
func (s *latencySeries) add(took time.Duration, failed bool, timeout time.Duration) {
	if failed {
		s.Failed++
		took = max(took, timeout)
	}
	s.Took = append(s.Took, took)
}

// latencySummary is what the evidence says of one side.
type latencySummary struct {
	N, Failed int
	P50, P95  time.Duration
}

func (s latencySeries) summary() latencySummary {
	return latencySummary{N: len(s.Took), Failed: s.Failed, P50: quantile(s.Took, 0.5), P95: quantile(s.Took, 0.95)}
}

func (s latencySummary) String() string {
	out := fmt.Sprintf("n=%d p50 %s p95 %s", s.N, fmtLatency(s.P50), fmtLatency(s.P95))
	if s.Failed > 0 {
		out += fmt.Sprintf(" (%d failed, counted as the request timeout)", s.Failed)
	}
	return out
}

// fmtLatency rounds a latency for reading: 812ms, 2.3ms, 450µs.
func fmtLatency(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// latencyKind is one request kind's latencies on both sides.
type latencyKind struct {
	Kind        string
	Blue, Green latencySeries
}

// latencyLimit is how much slower is too slow: more than Ratio times the
// baseline AND more than Floor above it.
type latencyLimit struct {
	Ratio float64
	Floor time.Duration
}

func (l latencyLimit) exceeded(base, got time.Duration) bool {
	return float64(got) > l.Ratio*float64(base) && got-base > l.Floor
}

func (l latencyLimit) String() string { return fmt.Sprintf("%g× and +%s", l.Ratio, l.Floor) }

// latencyThresholds tune the latency comparison (flags and suite keys).
type latencyThresholds struct {
	P50, P95 latencyLimit
	Alpha    float64 // one-sided Mann-Whitney significance
	Samples  int     // requests per kind and side
}

func defaultLatencyThresholds() latencyThresholds { return DefaultOptions().latencyThresholds() }

// latencyAlpha is the rank test's significance (see the defaults above); no knob:
// the ratios and increases say how much slower is too slow, this only how sure.
const latencyAlpha = 0.001

// latencyThresholds are gate 1's latency limits as the options set them.
func (o Options) latencyThresholds() latencyThresholds {
	return latencyThresholds{
		P50:     latencyLimit{Ratio: o.MaxP50Ratio, Floor: o.MinP50Increase},
		P95:     latencyLimit{Ratio: o.MaxP95Ratio, Floor: o.MinP95Increase},
		Alpha:   latencyAlpha,
		Samples: o.LatencySamples,
	}
}

// validate says which setting is out of range, by the name the caller gives
// each (a flag or a suite key). Samples 0 turns the comparison off.
func (th latencyThresholds) validate(names latencyThresholdNames) error {
	for _, l := range []struct {
		ratio, increase string
		l               latencyLimit
	}{{names.P50Ratio, names.P50Increase, th.P50}, {names.P95Ratio, names.P95Increase, th.P95}} {
		if l.l.Ratio < 1 || l.l.Ratio > 1000 {
			return fmt.Errorf("%s: want a ratio of 1 to 1000 (below 1 would fail a green as fast as blue), got %g", l.ratio, l.l.Ratio)
		}
		if l.l.Floor < 0 || l.l.Floor > time.Hour {
			return fmt.Errorf("%s: want 0 to 1h, got %s", l.increase, l.l.Floor)
		}
	}
	if th.Alpha <= 0 || th.Alpha > 0.5 {
		return fmt.Errorf("%s: want a significance level in (0, 0.5], got %g", names.Alpha, th.Alpha)
	}
	if th.Samples != 0 && (th.Samples < latencyMinSamples || th.Samples > 1000) {
		return fmt.Errorf("%s: want 0 (off) or %d..1000 requests per kind (fewer cannot show green slower at a useful significance), got %d", names.Samples, latencyMinSamples, th.Samples)
	}
	return nil
}

// latencyThresholdNames name each threshold where the user set it.
type latencyThresholdNames struct{ P50Ratio, P50Increase, P95Ratio, P95Increase, Alpha, Samples string }

// latencyShot is one round's pair of requests of one kind: GreenFirst says which
// side goes first.
type latencyShot struct {
	Kind       int
	GreenFirst bool
}

// latencyPlan interleaves the comparison: round by round, each kind once to each
// side, the side that goes first alternating by round and kind, so that neither
// side always meets a connection the other has just warmed, nor always follows it.
func latencyPlan(kinds, samples int) []latencyShot {
	out := make([]latencyShot, 0, kinds*samples)
	for r := 0; r < samples; r++ {
		for k := 0; k < kinds; k++ {
			out = append(out, latencyShot{Kind: k, GreenFirst: (r+k)%2 == 1})
		}
	}
	return out
}

// latencyVerdict is the comparison's outcome: Reason says why it failed, Evidence
// lists both sides' figures per kind.
type latencyVerdict struct {
	OK       bool
	Reason   string
	Evidence []string
}

// weakLatencySignal is said when there is no validation suite to send.
const weakLatencySignal = "latency compared on the readiness path only (no validation suite): a weak signal, a readiness endpoint rarely runs the model"

// assessLatency decides whether green is slower than blue beyond the thresholds
// for any request kind (assessLatencyKind). weak says the only kind is the
// readiness probe (no validation suite), and the verdict says so.
func assessLatency(kinds []latencyKind, th latencyThresholds, weak bool) latencyVerdict {
	v := latencyVerdict{OK: true}
	var slow []string
	for _, k := range kinds {
		slower, line, why := assessLatencyKind(k, th)
		v.Evidence = append(v.Evidence, line)
		if slower {
			slow = append(slow, why)
		}
	}
	if weak {
		v.Evidence = append(v.Evidence, weakLatencySignal)
	}
	if len(slow) > 0 {
		v.OK = false
		v.Reason = "latency: green is slower than blue: " + strings.Join(slow, "; ")
		if weak {
			v.Reason += " (readiness path only: no validation suite)"
		}
	}
	return v
}

// assessLatencyKind judges one kind, green against blue (compareLatency).
func assessLatencyKind(k latencyKind, th latencyThresholds) (slower bool, line, why string) {
	return compareLatency(k.Kind, k.Blue, k.Green, [2]string{"blue", "green"}, th)
}

// compareLatency judges one kind's latencies got against base (named by names,
// base first): slower when got's p50 or p95 exceeds its limit over base's and
// the rank test says got's latencies are larger. line is the evidence (both
// sides' figures), why the failure's short form.
func compareLatency(kind string, base, got latencySeries, names [2]string, th latencyThresholds) (slower bool, line, why string) {
	b, g := base.summary(), got.summary()
	line = fmt.Sprintf("latency %s: %s %s; %s %s", kind, names[0], b, names[1], g)
	if b.N < latencyMinSamples || g.N < latencyMinSamples {
		return false, line + fmt.Sprintf("; not judged: fewer than %d requests on a side", latencyMinSamples), ""
	}
	p := mannWhitneyGreater(got.Took, base.Took)
	line += fmt.Sprintf("; %s/%s p50 %s, p95 %s; Mann-Whitney one-sided p=%.2g", names[1], names[0], ratioText(b.P50, g.P50), ratioText(b.P95, g.P95), p)
	var over []string
	if th.P50.exceeded(b.P50, g.P50) {
		over = append(over, fmt.Sprintf("p50 %s vs %s, %s over %s", fmtLatency(g.P50), fmtLatency(b.P50), ratioText(b.P50, g.P50), th.P50))
	}
	if th.P95.exceeded(b.P95, g.P95) {
		over = append(over, fmt.Sprintf("p95 %s vs %s, %s over %s", fmtLatency(g.P95), fmtLatency(b.P95), ratioText(b.P95, g.P95), th.P95))
	}
	switch {
	case len(over) == 0:
		return false, line + ": within limits", ""
	case p >= th.Alpha:
		return false, line + fmt.Sprintf(": above the limit but not significantly slower (p ≥ %g)", th.Alpha), ""
	}
	why = fmt.Sprintf("%s: %s; Mann-Whitney p=%.2g", kind, strings.Join(over, "; "), p)
	return true, line + ": slower", why
}

// ratioText says how green compares with a baseline: "4.00× (+609ms)".
func ratioText(base, got time.Duration) string {
	diff := got - base
	sign := "+"
	if diff < 0 {
		sign, diff = "-", -diff
	}
	if base <= 0 {
		return fmt.Sprintf("%s%s", sign, fmtLatency(diff))
	}
	return fmt.Sprintf("%.2f× (%s%s)", float64(got)/float64(base), sign, fmtLatency(diff))
}

// latencyRequests are the request kinds gate 1 times: the suite's
// (suite.LatencyRequests), else the readiness path, which weak says.
func (d *Deployer) latencyRequests(path string) (reqs []suite.Request, weak bool) {
	if reqs = d.o.Suite.LatencyRequests(); len(reqs) > 0 {
		return reqs, false
	}
	return []suite.Request{{Path: path}}, true
}

// runLatencyComparison is gate 1's last step: the latency requests to blue
// (production URL) and green (test URL), interleaved (latencyPlan), judged by
// assessLatency. It must finish by the gate's deadline; what it measured stays
// on the release for the shift gate's probes.
func (d *Deployer) runLatencyComparison(ctx context.Context, g *GateResult, r *release, p *suite.Prober, path string, deadline time.Time) error {
	th := d.o.latencyThresholds()
	if th.Samples == 0 {
		g.Evidence = append(g.Evidence, "latency not compared (--latency-samples 0)")
		return nil
	}
	reqs, weak := d.latencyRequests(path)
	d.log.Info("gate ready: comparing green's latency with blue's", "kinds", len(reqs), "samplesPerKindAndSide", th.Samples)
	mctx, cancel := withTimeout(ctx, d.clock, deadline.Sub(d.clock.Now()))
	defer cancel()
	kinds, sent := measureLatency(mctx, p, reqs, th.Samples, d.t.ProdURL, d.t.TestURL)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case mctx.Err() != nil:
		return &GateError{Gate: GateReady, Reason: fmt.Sprintf("latency: the comparison did not finish within %s: %d of %d requests sent; "+
			"a slow model needs a longer --gate-timeout or fewer --latency-samples", r.gateLimit, sent, 2*th.Samples*len(reqs))}
	}
	r.latency, r.latencyReqs = kinds, reqs
	v := assessLatency(kinds, th, weak)
	g.Evidence = append(g.Evidence, v.Evidence...)
	if !v.OK {
		return &GateError{Gate: GateReady, Reason: v.Reason}
	}
	return nil
}

// measureLatency sends each kind samples times to blue and to green, in
// latencyPlan's order, and returns each kind's latencies and how many requests
// it sent. A request cut short by ctx is not counted.
func measureLatency(ctx context.Context, p *suite.Prober, reqs []suite.Request, samples int, blueURL, greenURL string) ([]latencyKind, int) {
	kinds := make([]latencyKind, len(reqs))
	for i, req := range reqs {
		kinds[i].Kind = latencyKindName(reqs, i, req)
	}
	sent := 0
	for _, shot := range latencyPlan(len(reqs), samples) {
		k := &kinds[shot.Kind]
		sides := []struct {
			url    string
			series *latencySeries
		}{{blueURL, &k.Blue}, {greenURL, &k.Green}}
		if shot.GreenFirst {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			res := p.Send(ctx, side.url, reqs[shot.Kind])
			if ctx.Err() != nil {
				return kinds, sent
			}
			sent++
			side.series.add(res.Took, res.Failed(), p.Timeout())
		}
	}
	return kinds, sent
}

// latencyKindName is the request's label, numbered when an earlier request has
// the same one.
func latencyKindName(reqs []suite.Request, i int, req suite.Request) string {
	n := 1
	for _, other := range reqs[:i] {
		if other.Label() == req.Label() {
			n++
		}
	}
	if n > 1 {
		return fmt.Sprintf("%s #%d", req.Label(), n)
	}
	return req.Label()
}
