// Command demo rehearses four releases of the dev stack on the local emulator, with no AWS account,
// under steady production traffic through the prod listener: one that is released and one for each
// gate's failure — healthy but wrong (gate ready), correct but far slower than blue (gate ready's
// latency comparison), and fine until it serves production, then failing (gate shift). It says up
// front which releases are meant to fail, prints a line as each release starts and ends, then what
// users saw.
//
//	go run ./tests/cmd/demo          # readable report
//	go run ./tests/cmd/demo -v       # the same, with the deployer's progress lines and the timeline
//	go run ./tests/cmd/demo -json    # one JSON object: requests, failed, releases[{image, outcome, expected, gates, …}], …
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// releases are the demo's releases, in order. v5 degrades after a count of predictions per task:
// gate ready sends green about 70 (warm-up 5, check 1, comparison 4, latency comparison 2 kinds × 30),
// which the test listener's round robin shares between the stack's two tasks (about 35 each), so
// v5 passes gate ready with room and degrades about a second into its canary (7.5 production
// requests a second per task at 150/s, plus gate shift's probes), well inside the 5-minute canary
// (5 real seconds at 60x), so that gate shift, not soak, must catch it.
func releases() []rehearsal.Release {
	return []rehearsal.Release{
		{Tag: "v2", Env: []string{"SIM_STARTUP_SECONDS=120"}, Why: "a good model that takes 2 minutes to load",
			Expect: deployer.OutcomeReleased},
		{Tag: "v3", Env: []string{"SIM_PREDICTION_BIAS=0.5"}, Why: "healthy, but its predictions are wrong",
			Expect: deployer.OutcomeRolledBack, ExpectGate: deployer.GateReady},
		{Tag: "v4", Env: []string{fmt.Sprintf("SIM_LATENCY_MS=%d", slowLatencyMs)}, Why: fmt.Sprintf("correct, but %d ms an answer against blue's 5 ms (a GPU model fallen back to the CPU)", slowLatencyMs),
			Expect: deployer.OutcomeRolledBack, ExpectGate: deployer.GateReady},
		{Tag: "v5", Env: []string{fmt.Sprintf("SIM_DEGRADE_AFTER_REQUESTS=%d", degradeAfter), fmt.Sprintf("SIM_DEGRADE_ERROR_RATE=%g", degradeErrorRate)},
			Why:    fmt.Sprintf("fine in gate ready, then fails %.0f%% of its answers once it serves production", degradeErrorRate*100),
			Expect: deployer.OutcomeRolledBack, ExpectGate: deployer.GateShift},
	}
}

// The bad releases' settings. v4's latency: gate ready's latency comparison sends green 60
// requests one after another, and at 60x its 9-minute budget (the ready wait less a minute) is 9
// real seconds, so a slow green must answer in well under 150 ms to be judged slow rather than cut
// short; 80 ms against blue's 5 ms is over both of the gate's limits (1.5x and +50 ms).
const (
	slowLatencyMs    = 80
	degradeAfter     = 45
	degradeErrorRate = 0.3
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as one JSON object on stdout")
	stack := fs.String("stack", "Pulumi.dev.yaml", "Pulumi stack file to provision the emulator from")
	scale := fs.Float64("timescale", 60, "AWS seconds per real second")
	rate := fs.Int("rps", 150, "production requests per second through the prod listener")
	verbose := fs.Bool("v", false, "print the deployer's progress lines on stderr, and the timeline after the report")
	markdown := fs.String("md", "", "also write the report as Markdown to this file, with the deployer's charts of each release (Mermaid, as in a step summary)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	progress := io.Discard
	if *verbose {
		progress = stderr
	}
	rels := releases()
	fmt.Fprintf(stderr, "demo: provisioning %s on the emulator (time scale %gx), %d requests/s through the prod listener\n", *stack, *scale, *rate)
	announce(stderr, rels)
	rep, err := rehearse(ctx, rehearsal.Options{StackFile: *stack, TimeScale: *scale, Rate: *rate,
		Settle: 3 * time.Minute, Progress: progress, Releases: rels}, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		if se := (*provision.StackError)(nil); errors.As(err, &se) {
			return 2 // bad input: nothing was started
		}
		return 1
	}
	if *markdown != "" {
		var md bytes.Buffer
		rep.WriteMarkdown(&md)
		if err := os.WriteFile(*markdown, md.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "demo: -md: %v\n", err)
			return 1
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 1
		}
		return 0
	}
	rep.WriteText(stdout)
	if *verbose {
		fmt.Fprintln(stdout)
		rep.WriteTimeline(stdout)
	}
	return 0
}

// announce says which releases are meant to fail, and in which gate, before any of them runs: the
// deployer's errors for them are the demo working.
func announce(w io.Writer, rels []rehearsal.Release) {
	fmt.Fprintf(w, "demo: %d releases; the rolled-back ones are meant to be:\n", len(rels))
	for _, r := range rels {
		expect := "released"
		if r.Expect != deployer.OutcomeReleased {
			expect = "rolled back by gate " + r.ExpectGate
		}
		fmt.Fprintf(w, "  %s  %-30s %s\n", r.Tag, expect, r.Why)
	}
}

// rehearse runs the releases in order, one line as each starts and ends, and returns the report.
func rehearse(ctx context.Context, opts rehearsal.Options, stderr io.Writer) (*rehearsal.Report, error) {
	s, err := rehearsal.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for _, r := range opts.Releases {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stderr, "demo: deploying %s …\n", r.Tag)
		began := time.Now()
		d := s.Deploy(ctx, r)
		fmt.Fprintf(stderr, "demo: %s %s in %.0fs%s\n", r.Tag, d.Result.Outcome, time.Since(began).Seconds(), decidedBy(d.Result))
	}
	return s.Finish(ctx)
}

// decidedBy names the gate that failed a release, with its reason.
func decidedBy(res deployer.Result) string {
	for _, g := range res.Gates {
		if g.Verdict != "pass" && g.Verdict != "skipped" && g.Verdict != "not_run" {
			return fmt.Sprintf(": gate %s %s — %s", g.Name, g.Verdict, strings.TrimSpace(g.Reason))
		}
	}
	return ""
}
