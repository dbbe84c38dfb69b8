package bench

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// p99 is the nearest-rank 99th percentile of the answers' latencies (streams excluded) and how
// many answers it is of.
func p99(answers []answer) (time.Duration, int) {
	var lat []time.Duration
	for _, a := range answers {
		if !a.Stream {
			lat = append(lat, a.Latency)
		}
	}
	if len(lat) == 0 {
		return 0, 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rank := int(math.Ceil(0.99*float64(len(lat)))) - 1
	return lat[max(0, rank)], len(lat)
}

// within returns the answers that came back in [from, to).
func within(answers []answer, from, to time.Time) []answer {
	var out []answer
	for _, a := range answers {
		if !a.At.Before(from) && a.At.Before(to) {
			out = append(out, a)
		}
	}
	return out
}

// shiftSettle is how long after the last weight change the shift's latency window runs: the
// connections to the new targets are made and their first answers come back in it (and an
// all-at-once shift, seconds long, gets enough answers for a percentile).
const shiftSettle = time.Minute

// warmUp is how long after the load's first answer the steady state begins: its first requests open
// their connections, and a machine still busy with provisioning delays them.
const warmUp = time.Minute

// zeroDowntimeRow is one release's traffic figures.
type zeroDowntimeRow struct {
	Name, Tool, Outcome    string
	Requests, Failed       int
	Rate                   float64 // requests per real second, as sent
	SteadyP99, ShiftP99    time.Duration
	SteadyN, ShiftN        int
	StreamsStarted, Cut    int
	FailedOutsideBadAnswer int
}

// ratio is the shift's p99 over the steady state's.
func (r zeroDowntimeRow) ratio() float64 {
	if r.SteadyP99 <= 0 {
		return 0
	}
	return float64(r.ShiftP99) / float64(r.SteadyP99)
}

// zeroDowntime measures a release's traffic: every request and stream of the run, the p99 before
// the release began (the steady state, after the load's warm-up) and while production traffic moved.
func zeroDowntime(o *outcome) zeroDowntimeRow {
	r := zeroDowntimeRow{Name: o.Name, Tool: o.Tool, Outcome: o.Outcome, Requests: o.Report.Requests, Failed: o.Report.Failed,
		StreamsStarted: o.Report.Streams.Started, Cut: o.Report.Streams.Cut, FailedOutsideBadAnswer: o.Report.FailedOutsideBadAnswers}
	if o.Report.DurationS > 0 {
		r.Rate = float64(o.Report.Requests) / o.Report.DurationS
	}
	if len(o.Answers) > 0 {
		r.SteadyP99, r.SteadyN = p99(within(o.Answers, o.Answers[0].At.Add(warmUp), o.Start))
	}
	if sh := o.Deployment.shift(); !sh.Start.IsZero() {
		r.ShiftP99, r.ShiftN = p99(within(o.Answers, sh.Start, sh.End.Add(shiftSettle)))
	}
	return r
}

// isWrite says whether an API action changes something (the rest read).
func isWrite(action string) bool {
	for _, p := range []string{"Create", "Continue", "Stop", "Register", "Update", "Put", "Delete", "Set", "Modify", "Tag", "Untag"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// firstCall returns the first call at or after t that matches, if any.
func firstCall(calls []emulator.Call, t time.Time, match func(emulator.Call) bool) (emulator.Call, bool) {
	for _, c := range calls {
		if !c.At.Before(t) && match(c) {
			return c, true
		}
	}
	return emulator.Call{}, false
}

// opCount is how many calls one API operation took.
type opCount struct {
	Op string // service:Action
	N  int
}

// countByOperation counts calls per operation, most first (then by name).
func countByOperation(calls []emulator.Call) []opCount {
	n := map[string]int{}
	for _, c := range calls {
		n[c.Service+":"+c.Action]++
	}
	out := make([]opCount, 0, len(n))
	for op, k := range n {
		out = append(out, opCount{op, k})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Op < out[j].Op
	})
	return out
}

// phase is a named stretch of a release.
type phase struct {
	Name     string
	From, To time.Time
}

// phaseRate is a caller's API calls in one phase, and their rate.
type phaseRate struct {
	Name    string
	Calls   int
	Minutes float64
}

// perMinute is the phase's calls per AWS minute (0 for a phase of no length).
func (p phaseRate) perMinute() float64 {
	if p.Minutes <= 0 {
		return 0
	}
	return float64(p.Calls) / p.Minutes
}

// ratesByPhase counts calls per phase; phases that did not happen (zero or negative length) are left out.
func ratesByPhase(calls []emulator.Call, phases []phase) []phaseRate {
	var out []phaseRate
	for _, p := range phases {
		if p.From.IsZero() || !p.To.After(p.From) {
			continue
		}
		r := phaseRate{Name: p.Name, Minutes: p.To.Sub(p.From).Minutes()}
		for _, c := range calls {
			if !c.At.Before(p.From) && c.At.Before(p.To) {
				r.Calls++
			}
		}
		out = append(out, r)
	}
	return out
}

// releasePhases are a deployment's phases from its creation to the tool's exit. A phase the
// deployment never left (it was stopped in it) ends when the deployment did.
func releasePhases(f deploymentFacts, created, exit time.Time) []phase {
	sh, end := f.shift(), f.Completed
	or := func(t time.Time) time.Time {
		if t.IsZero() {
			return end
		}
		return t
	}
	return []phase{
		{"install and test traffic", created, or(f.readyAt())},
		{"waiting in Ready", f.readyAt(), or(sh.Start)},
		{"production traffic shift", sh.Start, or(sh.End)},
		{"termination wait", sh.End, end},
		{"after the deployment ended", end, exit},
	}
}
