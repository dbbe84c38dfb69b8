package rehearsal

import (
	"fmt"
	"io"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// WriteMarkdown writes the report as Markdown for a reviewer who would rather look than read:
// production's figures, then for each release its outcome against what was expected, the gate
// that decided it, and the pictures the deployer draws in a step summary (deployer.ReleaseCharts:
// the traffic split by step, green's requests, errors and latency per judged minute against
// blue's), which GitHub and most Markdown viewers render.
func (r *Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# Rehearsal of %s\n\n", r.Stack)
	fmt.Fprintf(w, "Time scale %gx (one AWS minute = %.1f s). Production: %d requests, %d failed (%d outside rolled-back images' own bad answers), p50 %.1f ms, p99 %.1f ms.\n",
		r.TimeScale, 60/r.TimeScale, r.Requests, r.Failed, r.FailedOutsideBadAnswers, r.P50Ms, r.P99Ms)
	for _, rel := range r.Releases {
		fmt.Fprintf(w, "\n## %s: %s\n\n%s (exit %d).", tagOf(rel.Image), rel.Why, rel.verdictLine(), rel.ExitCode)
		if g := rel.DecidingGate(); g != nil {
			fmt.Fprintf(w, " Decided by gate `%s`: %s%s.", g.Name, g.Verdict, reasonSuffix(g.Reason))
		}
		fmt.Fprintf(w, " Production meanwhile: %d requests, %d failed; %s answered %d (%d badly).\n",
			rel.Requests, rel.Failed, tagOf(rel.Image), rel.ServedByImage, rel.FailedByImage)
		if charts := deployer.ReleaseCharts(rel.Result); charts != "" {
			fmt.Fprintf(w, "\n%s", charts)
		}
	}
}
