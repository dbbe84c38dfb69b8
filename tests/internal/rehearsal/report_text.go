package rehearsal

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteText prints the report for a person: production's figures, then each release with the
// gate that decided it and the traffic by deployment step. WriteTimeline prints the timeline.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Rehearsal of %s (time scale %gx: one AWS minute = %.1fs)\n\n", r.Stack, r.TimeScale, 60/r.TimeScale)
	fmt.Fprintf(w, "Production traffic: %d requests in %.0fs (%.0f/s), %d failed (%d outside rolled-back images' own bad answers), p50 %.1f ms, p99 %.1f ms\n",
		r.Requests, r.DurationS, float64(r.Requests)/math.Max(r.DurationS, 1), r.Failed, r.FailedOutsideBadAnswers, r.P50Ms, r.P99Ms)
	if r.Streams.Started > 0 {
		fmt.Fprintf(w, "Streams: %d started, %d completed, %d cut\n", r.Streams.Started, r.Streams.Completed, r.Streams.Cut)
	}
	for _, reason := range sortedKeys(r.FailureReasons) {
		fmt.Fprintf(w, "  failed: %d × %s\n", r.FailureReasons[reason], reason)
	}
	fmt.Fprintf(w, "Answered by: %s\n", versionList(r.Versions))
	for _, rel := range r.Releases {
		fmt.Fprintln(w)
		rel.writeText(w)
	}
}

// writeText prints one release: outcome against expectation, the deciding gate, every gate's
// verdict and minutes judged, what production got from the image, and the traffic by step.
func (rel ReleaseReport) writeText(w io.Writer) {
	tag := tagOf(rel.Image)
	fmt.Fprintf(w, "%s  %s (exit %d, %.1fs–%.1fs): %s\n", tag, rel.verdictLine(), rel.ExitCode, rel.StartS, rel.EndS, rel.Why)
	if g := rel.DecidingGate(); g != nil {
		fmt.Fprintf(w, "    decided by gate %s: %s%s\n", g.Name, g.Verdict, reasonSuffix(g.Reason))
	} else if rel.Reason != "" {
		fmt.Fprintf(w, "    reason: %s\n", rel.Reason)
	}
	gates := make([]string, 0, len(rel.Gates))
	for _, g := range rel.Gates {
		s := g.Name + " " + g.Verdict
		if g.MinutesJudged != nil {
			s += fmt.Sprintf(" (%d min judged)", *g.MinutesJudged)
		}
		gates = append(gates, s)
	}
	if len(gates) > 0 {
		fmt.Fprintf(w, "    gates: %s\n", strings.Join(gates, ", "))
	}
	fmt.Fprintf(w, "    production meanwhile: %d requests, %d failed; %s answered %d (%d badly)%s\n",
		rel.Requests, rel.Failed, tag, rel.ServedByImage, rel.FailedByImage, termination(rel.ReachedTerminationWait))
	rel.writeSteps(w)
}

// verdictLine says the outcome and whether it is what the rehearsal expected.
func (rel ReleaseReport) verdictLine() string {
	switch {
	case rel.Expected == "":
		return rel.Outcome
	case rel.Expected == rel.Outcome:
		return rel.Outcome + ", as expected"
	default:
		return fmt.Sprintf("%s, EXPECTED %s", rel.Outcome, rel.Expected)
	}
}

// DecidingGate is the gate that decided the release: the first that did not pass (fail,
// incomplete, interrupted), else the last gate that ran (for a release, soak); nil without gates.
func (rel ReleaseReport) DecidingGate() *GateReport {
	for i, g := range rel.Gates {
		if g.Verdict != "pass" && g.Verdict != "skipped" && g.Verdict != "not_run" {
			return &rel.Gates[i]
		}
	}
	for i := len(rel.Gates) - 1; i >= 0; i-- {
		if rel.Gates[i].Verdict == "pass" {
			return &rel.Gates[i]
		}
	}
	return nil
}

// writeSteps draws the production traffic split of each deployment step: CodeDeploy's weights,
// then which version answered the requests of that step.
func (rel ReleaseReport) writeSteps(w io.Writer) {
	if len(rel.Steps) == 0 {
		return
	}
	fmt.Fprintf(w, "    traffic by step (seconds since the load started; weights blue/green, then who answered):\n")
	for _, s := range rel.Steps {
		fmt.Fprintf(w, "      %5.1fs–%5.1fs  %3.0f/%-3.0f  %5d req  %s\n", s.FromS, s.ToS, s.Blue, s.Green, s.Requests, answeredBar(s))
	}
}

// answeredBar is the step's answers by version, as shares with a bar.
func answeredBar(s StepTraffic) string {
	if s.Requests == 0 {
		return "no requests"
	}
	var parts []string
	for _, v := range sortedKeys(s.AnsweredBy) {
		share := float64(s.AnsweredBy[v]) / float64(s.Requests)
		parts = append(parts, fmt.Sprintf("%s %s %.0f%%", v, strings.Repeat("█", int(math.Round(share*20))), share*100))
	}
	return strings.Join(parts, "  ")
}

// WriteTimeline prints the timeline of the releases' phases and gates.
func (r *Report) WriteTimeline(w io.Writer) {
	fmt.Fprintf(w, "Timeline (seconds since the load started)\n")
	for _, e := range r.Timeline {
		fmt.Fprintf(w, "  %6.1f  %s\n", e.AtS, e.What)
	}
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " — " + reason
}

func termination(reached bool) string {
	if reached {
		return "; reached the termination wait"
	}
	return "; never reached the termination wait"
}

func versionList(m map[string]int) string {
	keys := sortedKeys(m)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
