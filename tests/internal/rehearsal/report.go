package rehearsal

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
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
	// FailedOutsideBadAnswers are the failures left once the bad answers of rolled-back releases'
	// own images (their FailedByImage) are taken out: what users suffered from the release process
	// itself. Streams are counted apart from requests.
	Requests                int            `json:"requests"`
	Failed                  int            `json:"failed"`
	FailedOutsideBadAnswers int            `json:"failed_outside_bad_answers"`
	FailureReasons          map[string]int `json:"failure_reasons,omitempty"`
	P50Ms                   float64        `json:"p50_ms"`
	P99Ms                   float64        `json:"p99_ms"`
	Streams                 StreamReport   `json:"streams"`
	// Versions counts which model version answered production requests.
	Versions map[string]int   `json:"versions"`
	Releases []ReleaseReport  `json:"releases"`
	Timeline []Event          `json:"timeline"`
	Traffic  []TrafficSummary `json:"traffic"`
	// Answers are every production request and stream as the user saw them, in answer order, for
	// figures of one's own (a benchmark's percentiles and exposures).
	Answers []Answer `json:"-"`
}

// Answer is one production request or stream as a user saw it.
type Answer struct {
	// At is the real instant the answer came back (or the request failed).
	At      time.Time
	Latency time.Duration
	// Status is the HTTP status, 0 when the request failed before one.
	Status int
	// Version is the answer's X-Model-Version: the image tag that answered.
	Version string
	// Err is why the user got no answer (a transport error, a status other than 200, a body cut
	// off); "" for a good answer.
	Err string
	// Stream is a streamed answer held open alongside the requests.
	Stream bool
}

// answersOf converts the load's samples, timed from its start, to answers at real instants.
func answersOf(start time.Time, samples []sample) []Answer {
	out := make([]Answer, len(samples))
	for i, s := range samples {
		out[i] = Answer{At: start.Add(s.at), Latency: s.latency, Status: s.status, Version: s.version, Err: s.err, Stream: s.stream}
	}
	return out
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
	// counts those the release's image answered (its X-Model-Version), FailedByImage those of them
	// it answered badly (not a 200, or a 200 cut off). A failure with no model version (the load
	// balancer's own 5xx, a client timeout) cannot be put down to an image and is not in it.
	Requests      int `json:"requests"`
	Failed        int `json:"failed"`
	ServedByImage int `json:"served_by_image"`
	FailedByImage int `json:"failed_by_image"`
	// ReachedTerminationWait says whether production traffic had all moved to the image: its
	// AfterAllowTraffic event succeeded, after which CodeDeploy waits to terminate the original.
	ReachedTerminationWait bool `json:"reached_termination_wait"`
}

// StreamReport counts the streamed answers the load held open: Cut did not complete (cut off
// mid-stream, or failed before streaming began).
type StreamReport struct {
	Started   int `json:"started"`
	Completed int `json:"completed"`
	Cut       int `json:"cut"`
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

func (r *Report) addRelease(lg *load, rel Release, d DeployRun) {
	rr := ReleaseReport{Image: d.Result.Image, Outcome: string(d.Result.Outcome), ExitCode: d.ExitCode, Why: rel.Why, Args: d.Args,
		DeploymentID: d.Result.DeploymentID, StartS: secs(lg.since(d.Start)), EndS: secs(lg.since(d.End))}
	if rr.Image == "" {
		rr.Image = rel.Tag
	}
	if d.Err != nil {
		rr.Outcome, rr.Reason = "error", d.Err.Error()
	}
	if f := d.Result.Failure; f != nil {
		rr.Reason = f.Reason
	}
	for _, g := range d.Result.Gates {
		rr.Gates = append(rr.Gates, GateReport{Name: g.Name, Verdict: g.Verdict, Reason: g.Reason})
		r.event(lg.since(g.End), fmt.Sprintf("%s gate %s: %s", tagOf(rr.Image), g.Name, g.Verdict))
	}
	r.event(lg.since(d.Start), "deploy "+rr.Image+" ("+rel.Why+")")
	for _, p := range d.Result.Phases {
		if p.Start != nil {
			r.event(lg.since(*p.Start), fmt.Sprintf("%s %s", tagOf(rr.Image), p.Name))
		}
		rr.ReachedTerminationWait = rr.ReachedTerminationWait || (p.Name == "AfterAllowTraffic" && p.Status == "Succeeded")
	}
	if rb := d.Result.Rollback; rb != nil && rb.DeploymentID != "" {
		r.event(lg.since(d.End), fmt.Sprintf("%s rolled back by %s (%s)", tagOf(rr.Image), rb.DeploymentID, rb.Status))
	}
	r.event(lg.since(d.End), fmt.Sprintf("%s %s, exit %d", tagOf(rr.Image), rr.Outcome, rr.ExitCode))
	r.Releases = append(r.Releases, rr)
}

func (r *Report) event(at time.Duration, what string) {
	r.Timeline = append(r.Timeline, Event{AtS: secs(at), What: what})
}

// addLoad fills the traffic figures from every production request and stream.
func (r *Report) addLoad(all []sample, ran time.Duration) {
	r.DurationS = secs(ran)
	r.Versions = map[string]int{}
	var samples []sample
	for _, s := range all {
		if s.stream {
			r.Streams.add(s)
			continue
		}
		samples = append(samples, s)
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
	r.Requests = len(samples)
	r.P50Ms, r.P99Ms = percentile(samples, 50), percentile(samples, 99)
	r.FailedOutsideBadAnswers = r.Failed
	for i := range r.Releases {
		rel := &r.Releases[i]
		rel.count(samples)
		if rel.Outcome == string(deployer.OutcomeRolledBack) {
			r.FailedOutsideBadAnswers -= rel.FailedByImage
		}
	}
	r.Traffic = summarize(samples, time.Second)
	sort.SliceStable(r.Timeline, func(i, j int) bool { return r.Timeline[i].AtS < r.Timeline[j].AtS })
}

// count fills the release's figures from the production requests answered while it ran.
func (rel *ReleaseReport) count(samples []sample) {
	tag := tagOf(rel.Image)
	for _, s := range samples {
		if at := secs(s.at); at < rel.StartS || at > rel.EndS {
			continue
		}
		rel.Requests++
		if s.err != "" {
			rel.Failed++
		}
		if s.version == tag {
			rel.ServedByImage++
			if s.err != "" {
				rel.FailedByImage++
			}
		}
	}
}

func (s *StreamReport) add(x sample) {
	s.Started++
	if x.err == "" {
		s.Completed++
	} else {
		s.Cut++
	}
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
	fmt.Fprintf(w, "Production traffic: %d requests in %.0fs (%.0f/s), %d failed (%d outside rolled-back images' own bad answers), p50 %.1f ms, p99 %.1f ms\n",
		r.Requests, r.DurationS, float64(r.Requests)/math.Max(r.DurationS, 1), r.Failed, r.FailedOutsideBadAnswers, r.P50Ms, r.P99Ms)
	if r.Streams.Started > 0 {
		fmt.Fprintf(w, "Streams: %d started, %d completed, %d cut\n", r.Streams.Started, r.Streams.Completed, r.Streams.Cut)
	}
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
		fmt.Fprintf(w, "      production meanwhile: %d requests, %d failed, %d answered by %s (%d badly)\n",
			rel.Requests, rel.Failed, rel.ServedByImage, tagOf(rel.Image), rel.FailedByImage)
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
