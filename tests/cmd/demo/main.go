// Command demo rehearses two releases of the dev stack on the local emulator, with no AWS account:
// steady production traffic through the prod listener, a v2 that the deployer releases with a canary,
// then a v3 that passes its health checks but answers wrongly, which gate 1's validation suite catches
// and rolls back before production sees it. It prints what users saw.
//
//	go run ./tests/cmd/demo          # readable report
//	go run ./tests/cmd/demo -json    # one JSON object: requests, failed, p99_ms, releases[{image, outcome}], ...
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as one JSON object on stdout")
	stack := fs.String("stack", "Pulumi.dev.yaml", "Pulumi stack file to provision the emulator from")
	scale := fs.Float64("timescale", 60, "AWS seconds per real second")
	rate := fs.Int("rps", 150, "production requests per second through the prod listener")
	quiet := fs.Bool("q", false, "do not print the deployer's progress on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	progress := stderr
	if *quiet {
		progress = io.Discard
	}
	fmt.Fprintf(stderr, "demo: provisioning %s on the emulator (time scale %gx), %d requests/s through the prod listener\n", *stack, *scale, *rate)
	rep, err := rehearsal.Run(ctx, rehearsal.Options{
		StackFile: *stack, TimeScale: *scale, Rate: *rate, Settle: 3 * time.Minute, Progress: progress,
		Releases: []rehearsal.Release{
			{Tag: "v2", Env: []string{"SIM_STARTUP_SECONDS=120"}, Why: "a good model that takes 2 minutes to load"},
			{Tag: "v3", Env: []string{"SIM_PREDICTION_BIAS=0.5"}, Why: "healthy, but its predictions are wrong"},
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return 1
		}
	} else {
		rep.WriteText(stdout)
	}
	return 0
}
