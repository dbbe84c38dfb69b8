// Command release builds the deployer's release: for linux and darwin on amd64 and arm64, a
// reproducible .tar.gz holding the binary (version, commit and date stamped into package main with
// -ldflags -X) and its README, and a SHA256SUMS file beside them. It does what a goreleaser
// configuration would, without the tool: a release built twice from one commit is byte for byte the
// same (the date is SOURCE_DATE_EPOCH or the commit's date, never the clock).
//
//	go run ./tests/cmd/release -version v1.4.0 -out dist   # then upload dist/* to the release
//	go run ./tests/cmd/release -check                      # CI: build all, verify, run the native binary
//
// Run it from anywhere inside the repository.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// options are the command line.
type options struct {
	version string
	out     string
	check   bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.version, "version", "", "release `VERSION`, e.g. v1.4.0 (default: git describe --tags --always --dirty)")
	fs.StringVar(&o.out, "out", "dist", "`DIR` to write the archives and SHA256SUMS to; must be empty or absent")
	fs.BoolVar(&o.check, "check", false, "build every target into a temporary directory, verify SHA256SUMS, run the native binary and "+
		"rebuild its archive to prove it reproducible; writes nothing else (-out is ignored)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

func run(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, "release:", err)
		return 2
	}
	repo, err := gitOutput(ctx, ".", "rev-parse", "--show-toplevel")
	if err != nil {
		fmt.Fprintln(stderr, "release: run it inside the repository:", err)
		return 2
	}
	info, err := resolveInfo(ctx, repo, o.version, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "release:", err)
		return 2
	}
	start := time.Now()
	if o.check {
		err = check(ctx, repo, info, stderr)
	} else {
		err = release(ctx, repo, info, o.out, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "release:", err)
		return 1
	}
	fmt.Fprintf(stderr, "release: done in %s\n", time.Since(start).Round(100*time.Millisecond))
	return 0
}
