// Command localaws serves the local ECS/ELBv2/CodeDeploy/CloudWatch emulator, provisioned by the real
// Pulumi program from a stack file, until interrupted. Once the stack serves (its first targets are
// healthy) it writes the stack outputs and prints one line, which is also the export line to paste:
//
//	go run ./tests/cmd/localaws -outputs /tmp/outputs.json &
//	export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 ... # localaws ready: ...
//
// The emulator runs on its own AWS clock (-timescale AWS seconds per real second). A deployer started
// separately runs on the wall clock: at -timescale 1 the two agree and the deployer's production
// defaults mean what they mean on AWS (slowly); at a larger scale the deployer's durations must be
// shrunk to fit the emulator's waits, and its CloudWatch windows (wall-clock time) read the wrong
// minutes. See the README's emulator section.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// settings are localaws's parsed flags.
type settings struct {
	addr, stack, outputs string
	scale                float64
	verbose              bool
	faults               emulator.Faults
	faultSeed            uint64
}

// parse reads the flags; a nil result comes with the exit code (0 for -h, 2 for bad input).
func parse(args []string, stderr io.Writer) (*settings, int) {
	fs := flag.NewFlagSet("localaws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &settings{}
	fs.StringVar(&s.addr, "addr", "127.0.0.1:4566", "address of the AWS endpoint (host:port)")
	fs.StringVar(&s.stack, "stack", "Pulumi.dev.yaml", "Pulumi stack file whose configuration the program is run with")
	fs.Float64Var(&s.scale, "timescale", 60, "AWS seconds per real second of the emulator's AWS clock (60: one CodeDeploy minute per second; 1: real time)")
	fs.StringVar(&s.outputs, "outputs", "", "once the stack serves, write its outputs (pulumi stack output --json) to this file, atomically; - for stdout. Removed on exit")
	fs.BoolVar(&s.verbose, "v", false, "log every API call and lifecycle change")
	faults := fs.String("faults", "", "inject API faults: comma-separated [service:[Action:]]throttle=F or 5xx=F (fractions 0-1), e.g. 'throttle=0.3,5xx=0.05,codedeploy:GetDeployment:throttle=0.5'")
	fs.Uint64Var(&s.faultSeed, "fault-seed", 0, "seed of the faults' draws, to repeat a run (0: a random seed, printed when ready)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: localaws [flags]\n\nServes an emulated ECS/ELBv2/CodeDeploy/CloudWatch endpoint provisioned from a stack file.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "localaws: unexpected argument %q; every input is a flag (see localaws -h)\n", fs.Arg(0))
		return nil, 2
	}
	if s.scale <= 0 {
		fmt.Fprintf(stderr, "localaws: -timescale %v: must be greater than 0\n", s.scale)
		return nil, 2
	}
	var err error
	if s.faults, err = emulator.ParseFaults(*faults); err != nil {
		fmt.Fprintf(stderr, "localaws: -faults: %v\n", err)
		return nil, 2
	}
	return s, 0
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s, code := parse(args, stderr)
	if s == nil {
		return code
	}
	level := slog.LevelWarn
	if s.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	stack, err := provision.Start(ctx, provision.Options{StackFile: s.stack, Addr: s.addr, TimeScale: s.scale, Logger: logger,
		Emulator: emulator.Options{Faults: s.faults, FaultSeed: s.faultSeed}})
	if err != nil {
		return failed(ctx, stderr, err)
	}
	defer stack.Close()
	if err := stack.WaitServing(ctx); err != nil {
		return failed(ctx, stderr, err)
	}
	if err := writeOutputs(stack, s.outputs, stdout); err != nil {
		return failed(ctx, stderr, err)
	}
	if s.outputs != "" && s.outputs != "-" {
		defer os.Remove(s.outputs) // it describes a stack that is gone once localaws stops
	}
	fmt.Fprintln(stderr, readyLine(stack, s))
	<-ctx.Done()
	fmt.Fprintln(stderr, "localaws: stopped")
	return 0
}

// failed reports err, unless a signal ended localaws first (a clean stop, exit 0).
func failed(ctx context.Context, stderr io.Writer, err error) int {
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "localaws: stopped")
		return 0
	}
	fmt.Fprintf(stderr, "localaws: %v\n", err)
	if se := (*provision.StackError)(nil); errors.As(err, &se) {
		return 2 // bad input: nothing was started or written
	}
	return 1
}

// readyLine is the one line localaws prints once the stack serves: the export line to paste (the
// aws CLI v1 reads AWS_DEFAULT_REGION, not AWS_REGION), with what is running as a comment.
func readyLine(stack *provision.Stack, s *settings) string {
	faults := "none"
	if len(s.faults) > 0 {
		faults = fmt.Sprintf("%s (seed %d)", s.faults, stack.Server.FaultSeed())
	}
	return fmt.Sprintf("export AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_DEFAULT_REGION=%s AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"+
		" # localaws ready: stack %s, timescale %gx, faults %s, prod %v",
		stack.Server.URL, stack.Region, stack.Region, s.stack, s.scale, faults, stack.Outputs["prodUrl"])
}

// writeOutputs writes the stack outputs to path through a temporary file renamed into place, so a
// reader waiting for the file never sees half of it.
func writeOutputs(stack *provision.Stack, path string, stdout io.Writer) error {
	switch path {
	case "":
		return nil
	case "-":
		return stack.WriteOutputs(stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".localaws-outputs-*")
	if err != nil {
		return fmt.Errorf("write outputs %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // no-op once renamed
	if err := stack.WriteOutputs(f); err != nil {
		f.Close()
		return fmt.Errorf("write outputs %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write outputs %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write outputs %s: %w", path, err)
	}
	return nil
}
