// Command bench regenerates docs/BENCHMARKS.md: releases on the local emulator under production load,
// made by the deployer and by the aws CLI on one AWS clock, every bad green with each, and the README's
// test command cold and warm. Every figure in the document comes from the run that wrote it.
//
//	go run ./tests/cmd/bench -gotest -out docs/BENCHMARKS.md   # the whole run (about an hour here)
//	go run ./tests/cmd/bench -smoke -out /tmp/BENCHMARKS.md    # one short release: the check CI runs
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// settings are the command's parsed flags.
type settings struct {
	out, deployerLog string
	cfg              bench.Config
	noCLI            bool
}

// parse reads the flags; a nil result comes with the exit code (0 for -h, 2 for bad input).
func parse(args []string, stderr io.Writer) (*settings, int) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &settings{}
	fs.StringVar(&s.out, "out", "docs/BENCHMARKS.md", "write the document here (- for stdout)")
	fs.BoolVar(&s.cfg.Smoke, "smoke", false, "run one short release only (all at once, with the deployer): a check that the benchmark works, not figures to publish")
	fs.BoolVar(&s.cfg.GoTest, "gotest", false, "also time the README's `go test ./...`, cold (empty caches) and warm: many minutes")
	fs.Float64Var(&s.cfg.TimeScale, "timescale", 60, "AWS seconds per real second of each scenario's AWS clock")
	fs.IntVar(&s.cfg.Rate, "rps", 150, "production requests per second through the prod listener")
	fs.DurationVar(&s.cfg.Settle, "settle", 5*time.Minute, "AWS time of load before each release (the steady state) and after it")
	fs.DurationVar(&s.cfg.OperatorLook, "operator-look", 30*time.Second, "how often the person beside an aws CLI release looks at it (AWS time)")
	fs.DurationVar(&s.cfg.OperatorDelay, "operator-delay", 5*time.Minute, "how long after first seeing Ready that person continues the deployment (AWS time)")
	fs.BoolVar(&s.noCLI, "no-aws-cli", false, "leave out the releases made with the aws CLI")
	fs.StringVar(&s.deployerLog, "deployer-log", "", "append the deployer's progress lines to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	if fs.NArg() > 0 || s.cfg.TimeScale <= 0 || s.cfg.Rate <= 0 {
		fmt.Fprintln(stderr, "bench: every input is a flag, -timescale and -rps must be positive (see bench -h)")
		return nil, 2
	}
	return s, 0
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s, code := parse(args, stderr)
	if s == nil {
		return code
	}
	root, err := repositoryRoot()
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	s.cfg.Root, s.cfg.Progress = root, stderr
	if !s.noCLI {
		if s.cfg.AWSCLI, err = bench.FindAWSCLI(); err != nil {
			fmt.Fprintf(stderr, "bench: %v: the comparison with it is left out\n", err)
		}
	}
	if s.deployerLog != "" {
		f, err := os.OpenFile(s.deployerLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 2
		}
		defer f.Close()
		s.cfg.DeployerLog = f
	}
	res, err := bench.Run(ctx, s.cfg, commandLine(args))
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if err := write(res, s.out, stdout); err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(stderr, "bench: %d scenarios could not run: %s\n", len(res.Errors), strings.Join(res.Errors, "; "))
		return 1
	}
	return 0
}

// write writes the document to path (- for stdout).
func write(res *bench.Results, path string, stdout io.Writer) error {
	var buf bytes.Buffer
	if err := res.WriteMarkdown(&buf); err != nil {
		return err
	}
	if path == "-" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// commandLine is the command as a user types it at the repository root.
func commandLine(args []string) string {
	parts := []string{"go run ./tests/cmd/bench"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t'\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// repositoryRoot is the directory of the go.mod above the working directory.
func repositoryRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run it from the repository")
		}
		dir = parent
	}
}
