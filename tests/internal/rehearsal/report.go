package rehearsal

import (
	"fmt"
	"math"
	"sort"
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
	Versions map[string]int  `json:"versions"`
	Releases []ReleaseReport `json:"releases"`
	Timeline []Event         `json:"timeline"`
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
	Image   string `json:"image"`
	Outcome string `json:"outcome"`
	// Expected is the outcome the rehearsal expected (Release.Expect), ExpectedGate the gate it
	// expected to decide (Release.ExpectGate).
	Expected     string       `json:"expected,omitempty"`
	ExpectedGate string       `json:"expected_gate,omitempty"`
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
	// Steps are the production traffic split by deployment step, as the deployer saw the weights
	// change, with the answers production got during each.
	Steps []StepTraffic `json:"traffic_by_step,omitempty"`
	// Result is the deployer's own result (times in real time), for renderers of the release.
	Result deployer.Result `json:"-"`
	// steps are the weight changes, in offsets from the load's start, until count fills Steps.
	steps []weightChange
}

// StreamReport counts the streamed answers the load held open: Cut did not complete (cut off
// mid-stream, or failed before streaming began).
type StreamReport struct {
	Started   int `json:"started"`
	Completed int `json:"completed"`
	Cut       int `json:"cut"`
}

// GateReport is a deployer gate's verdict. MinutesJudged is, for gates shift and soak, the whole
// CloudWatch minutes whose datapoints the gate judged.
type GateReport struct {
	Name          string `json:"name"`
	Verdict       string `json:"verdict"`
	Reason        string `json:"reason,omitempty"`
	MinutesJudged *int   `json:"minutesJudged,omitempty"`
}

// Event is a point on the timeline, in seconds since the load started.
type Event struct {
	AtS  float64 `json:"at_s"`
	What string  `json:"what"`
}

func (r *Report) addRelease(lg *load, rel Release, d DeployRun) {
	rr := ReleaseReport{Image: d.Result.Image, Outcome: string(d.Result.Outcome), Expected: string(rel.Expect), ExpectedGate: rel.ExpectGate,
		ExitCode: d.ExitCode, Why: rel.Why, Args: d.Args, DeploymentID: d.Result.DeploymentID,
		StartS: secs(lg.since(d.Start)), EndS: secs(lg.since(d.End)), Result: d.Result, steps: weightChanges(lg, d)}
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
		rr.Gates = append(rr.Gates, GateReport{Name: g.Name, Verdict: g.Verdict, Reason: g.Reason, MinutesJudged: g.MinutesJudged})
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
	sort.SliceStable(r.Timeline, func(i, j int) bool { return r.Timeline[i].AtS < r.Timeline[j].AtS })
}

// count fills the release's figures from the production requests answered while it ran.
func (rel *ReleaseReport) count(samples []sample) {
	tag := tagOf(rel.Image)
	rel.initSteps()
	for _, s := range samples {
		if at := secs(s.at); at < rel.StartS || at > rel.EndS {
			continue
		}
		rel.Requests++
		rel.countStep(s)
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
