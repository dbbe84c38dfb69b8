// Command localaws serves the local ECS/ELBv2/CodeDeploy/CloudWatch emulator, provisioned by the real
// Pulumi program from a stack file, until interrupted. Point the deployer or the aws CLI at it:
//
//	go run ./tests/cmd/localaws -outputs /tmp/outputs.json &
//	export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
//	go run ./deployer/cmd/deployer deploy --stack-outputs /tmp/outputs.json --image model-server:v2 \
//	  --check-interval 300ms --soak 5s --metrics-lag 0s   # the deployer is not scaled: fit the scaled waits
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
	"syscall"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("localaws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:4566", "address of the AWS endpoint (host:port)")
	stack := fs.String("stack", "Pulumi.dev.yaml", "Pulumi stack file whose configuration the program is run with")
	scale := fs.Float64("timescale", 60, "AWS seconds per real second (60: one CodeDeploy minute per second; 1: real time)")
	outputs := fs.String("outputs", "", "write the stack outputs (pulumi stack output --json) to this file once ready; - for stdout")
	verbose := fs.Bool("v", false, "log every API call and lifecycle change")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: localaws [flags]\n\nServes an emulated ECS/ELBv2/CodeDeploy/CloudWatch endpoint provisioned from a stack file.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *scale <= 0 {
		fmt.Fprintf(stderr, "localaws: -timescale = %v: must be greater than 0\n", *scale)
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	s, err := provision.Start(ctx, provision.Options{StackFile: *stack, Addr: *addr, TimeScale: *scale, Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "localaws: %v\n", err)
		return 1
	}
	defer s.Close()
	if err := writeOutputs(s, *outputs, stdout); err != nil {
		fmt.Fprintf(stderr, "localaws: %v\n", err)
		return 1
	}
	logger.Info("emulator ready", "endpoint", s.Server.URL, "region", s.Region, "stack", *stack, "timescale", *scale,
		"prodUrl", s.Outputs["prodUrl"], "testUrl", s.Outputs["testUrl"])
	// AWS_DEFAULT_REGION too: the aws CLI v1 ignores AWS_REGION.
	fmt.Fprintf(stderr, "\nexport AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_DEFAULT_REGION=%s AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local\n\n", s.Server.URL, s.Region, s.Region)
	<-ctx.Done()
	logger.Info("shutting down")
	return 0
}

func writeOutputs(s *provision.Stack, path string, stdout io.Writer) error {
	switch path {
	case "":
		return nil
	case "-":
		return s.WriteOutputs(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write outputs: %w", err)
	}
	if err := s.WriteOutputs(f); err != nil {
		f.Close()
		return fmt.Errorf("write outputs %s: %w", path, err)
	}
	return f.Close()
}
