package rehearsal

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// Report is what a rehearsal measured: every figure comes from the requests the load sent and the
// deployer's own JSON results.
type Report struct {
	Stack     string  `json:"stack"`
	TimeScale float64 `json:"timescale"`
	Rate      int     `json:"target_rps"`
	// Faults are the API faults the emulator injected and FaultSeed the seed of their draws.
	Faults    string  `json:"faults,omitempty"`
	FaultSeed uint64  `json:"fault_seed,omitempty"`
	DurationS float64 `json:"duration_s"`
	// Requests are production requests sent through the prod listener; Failed did not get a 200.
	Requests       int            `json:"requests"`
	Failed         int            `json:"failed"`
	FailureReasons map[string]int `json:"failure_reasons,omitempty"`
	P50Ms          float64        `json:"p50_ms"`
	P99Ms          float64        `json:"p99_ms"`
	// Versions counts which model version answered production requests.
	Versions map[string]int   `json:"versions"`
	Releases []ReleaseReport  `json:"releases"`
	Timeline []Event          `json:"timeline"`
	Traffic  []TrafficSummary `json:"traffic"`
}

// ReleaseReport is one release: the deployer's verdict and what production saw meanwhile.
type ReleaseReport struct {
	Image        string       `json:"image"`
	Outcome      string       `json:"outcome"`
	ExitCode     int          `json:"exit_code"`
	Why          string       `json:"why"`
	Args         []string     `json:"args"` // the deployer arguments it ran with (production timing defaults)
	DeploymentID string       `json:"deployment_id,omitempty"`
	Reason       string       `json:"reason,omitempty"`
	StartS       float64      `json:"start_s"`
	EndS         float64      `json:"end_s"`
	Gates        []GateReport `json:"gates,omitempty"`
	// Requests and Failed count production requests answered while the release ran; ServedByImage
	// counts those the released version answered.
	Requests      int `json:"requests"`
	Failed        int `json:"failed"`
	ServedByImage int `json:"served_by_image"`
}

// GateReport is a deployer gate's verdict.
type GateReport struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
}

// Event is a point on the timeline, in seconds since the load started.
type Event struct {
	AtS  float64 `json:"at_s"`
	What string  `json:"what"`
}

// TrafficSummary is the share of production answers per version over a stretch of time in which the
// split (rounded to 10%, coarser than a window's sampling noise at a few hundred requests) did not change.
type TrafficSummary struct {
	FromS    float64            `json:"from_s"`
	ToS      float64            `json:"to_s"`
	Requests int                `json:"requests"`
	Share    map[string]float64 `json:"share"`
}

func (r *Report) addRelease(lg *load, rel Release, d deployResult) {
	rr := ReleaseReport{Image: d.result.Image, Outcome: string(d.result.Outcome), ExitCode: d.exitCode, Why: rel.Why, Args: d.args,
		DeploymentID: d.result.DeploymentID, StartS: secs(lg.since(d.start)), EndS: secs(lg.since(d.end))}
	if rr.Image == "" {
		rr.Image = rel.Tag
	}
	if d.err != nil {
		rr.Outcome, rr.Reason = "error", d.err.Error()
	}
	if f := d.result.Failure; f != nil {
		rr.Reason = f.Reason
	}
	for _, g := range d.result.Gates {
		rr.Gates = append(rr.Gates, GateReport{Name: g.Name, Verdict: g.Verdict, Reason: g.Reason})
		r.event(lg.since(g.End), fmt.Sprintf("%s gate %s: %s", tagOf(rr.Image), g.Name, g.Verdict))
	}
	r.event(lg.since(d.start), "deploy "+rr.Image+" ("+rel.Why+")")
	for _, p := range d.result.Phases {
		if p.Start != nil {
			r.event(lg.since(*p.Start), fmt.Sprintf("%s %s", tagOf(rr.Image), p.Name))
		}
	}
	if rb := d.result.Rollback; rb != nil && rb.DeploymentID != "" {
		r.event(lg.since(d.end), fmt.Sprintf("%s rolled back by %s (%s)", tagOf(rr.Image), rb.DeploymentID, rb.Status))
	}
	r.event(lg.since(d.end), fmt.Sprintf("%s %s, exit %d", tagOf(rr.Image), rr.Outcome, rr.ExitCode))
	r.Releases = append(r.Releases, rr)
}

func (r *Report) event(at time.Duration, what string) {
	r.Timeline = append(r.Timeline, Event{AtS: secs(at), What: what})
}

// addLoad fills the traffic figures from every production request.
func (r *Report) addLoad(samples []sample, ran time.Duration) {
	r.DurationS = secs(ran)
	r.Requests = len(samples)
	r.Versions = map[string]int{}
	for _, s := range samples {
		if s.err != "" {
			r.Failed++
			if r.FailureReasons == nil {
				r.FailureReasons = map[string]int{}
			}
			r.FailureReasons[s.err]++
			continue
		}
		r.Versions[s.version]++
	}
	r.P50Ms, r.P99Ms = percentile(samples, 50), percentile(samples, 99)
	for i := range r.Releases {
		rel := &r.Releases[i]
		for _, s := range samples {
			if at := secs(s.at); at >= rel.StartS && at <= rel.EndS {
				rel.Requests++
				if s.err != "" {
					rel.Failed++
				} else if s.version == tagOf(rel.Image) {
					rel.ServedByImage++
				}
			}
		}
	}
	r.Traffic = summarize(samples, time.Second)
	sort.SliceStable(r.Timeline, func(i, j int) bool { return r.Timeline[i].AtS < r.Timeline[j].AtS })
}

// summarize buckets answers by window and merges neighbouring windows with the same split.
func summarize(samples []sample, window time.Duration) []TrafficSummary {
	var out []TrafficSummary
	for i := 0; i < len(samples); {
		from := samples[i].at.Truncate(window)
		counts, n := map[string]int{}, 0
		for ; i < len(samples) && samples[i].at < from+window; i++ {
			v := samples[i].version
			if samples[i].err != "" {
				v = "failed"
			}
			counts[v]++
			n++
		}
		share := map[string]float64{}
		for v, c := range counts {
			share[v] = math.Round(float64(c)/float64(n)*10) / 10
		}
		if last := len(out) - 1; last >= 0 && sameShare(out[last].Share, share) {
			out[last].ToS, out[last].Requests = secs(from+window), out[last].Requests+n
			continue
		}
		out = append(out, TrafficSummary{FromS: secs(from), ToS: secs(from + window), Requests: n, Share: share})
	}
	return out
}

func sameShare(a, b map[string]float64) bool {
	for k, v := range a {
		if v != 0 && b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if v != 0 && a[k] != v {
			return false
		}
	}
	return true
}

// WriteText prints the report for a person.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Rehearsal of %s (time scale %gx: one CodeDeploy minute = %.1fs)\n\n", r.Stack, r.TimeScale, 60/r.TimeScale)
	fmt.Fprintf(w, "Production traffic: %d requests in %.0fs (%.0f/s), %d failed, p50 %.1f ms, p99 %.1f ms\n",
		r.Requests, r.DurationS, float64(r.Requests)/math.Max(r.DurationS, 1), r.Failed, r.P50Ms, r.P99Ms)
	for reason, n := range r.FailureReasons {
		fmt.Fprintf(w, "  failed: %d × %s\n", n, reason)
	}
	fmt.Fprintf(w, "Answered by: %s\n\nReleases\n", versionList(r.Versions))
	for _, rel := range r.Releases {
		fmt.Fprintf(w, "  %-60s %-12s exit %d  %5.1fs–%5.1fs  %s\n", rel.Image, rel.Outcome, rel.ExitCode, rel.StartS, rel.EndS, rel.Why)
		for _, g := range rel.Gates {
			fmt.Fprintf(w, "      gate %-6s %-5s %s\n", g.Name, g.Verdict, g.Reason)
		}
		if rel.Reason != "" {
			fmt.Fprintf(w, "      reason: %s\n", rel.Reason)
		}
		fmt.Fprintf(w, "      production meanwhile: %d requests, %d failed, %d answered by %s\n",
			rel.Requests, rel.Failed, rel.ServedByImage, tagOf(rel.Image))
	}
	fmt.Fprintf(w, "\nTimeline (seconds since the load started)\n")
	for _, e := range r.Timeline {
		fmt.Fprintf(w, "  %6.1f  %s\n", e.AtS, e.What)
	}
	fmt.Fprintf(w, "\nTraffic split of production answers\n")
	for _, t := range r.Traffic {
		fmt.Fprintf(w, "  %5.0fs–%5.0fs %6d req  %s\n", t.FromS, t.ToS, t.Requests, shareBar(t.Share))
	}
}

func versionList(m map[string]int) string {
	keys := sortedKeys(m)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func shareBar(share map[string]float64) string {
	var parts []string
	for _, k := range sortedKeys(share) {
		if share[k] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %-20s %3.0f%%", k, strings.Repeat("█", int(share[k]*20)), share[k]*100))
	}
	return strings.Join(parts, "  ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func tagOf(image string) string {
	if _, tag, ok := cutTag(image); ok {
		return tag
	}
	return image
}

func secs(d time.Duration) float64 { return math.Round(d.Seconds()*10) / 10 }
