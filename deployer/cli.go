package deployer

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Main runs the deployer CLI: args are the arguments after the program name.
// Progress goes to stderr, the result to stdout; it returns the exit code
// (0 released, 1 failed or rolled back, 2 bad input, 3 timed out, 4 interrupted).
// Cancelling ctx is how a signal reaches it. Main keeps no global state and may
// run many times in one process.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Run(ctx, args, Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.LookupEnv})
}

// Env is what Run takes from its surroundings. A nil field takes the process's
// own: os.Stdin, io.Discard for the writers, os.LookupEnv, the wall clock and a
// default HTTP client.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) (string, bool)
	// Clock is the deployer's time: every wait, deadline and timeout of a command
	// runs on it. An in-process rehearsal passes the emulator's AWS clock, so the
	// deployer's production defaults mean the same AWS time as on AWS. A clock
	// that runs faster than real time should implement ScaledClock.
	Clock      Clock
	HTTPClient *http.Client
	// Build is what `deployer --version` prints: the release build stamps it
	// into the command's main package.
	Build Build
}

// Run is Main with its surroundings given: the library entry point for running
// deployer commands in-process (rehearsals, end-to-end tests).
func Run(ctx context.Context, args []string, env Env) int {
	r := runner{stdin: env.Stdin, stdout: env.Stdout, stderr: env.Stderr, getenv: env.Getenv, newClients: newAWSClients,
		clock: env.Clock, httpClient: env.HTTPClient, build: env.Build}
	if r.stdin == nil {
		r.stdin = os.Stdin
	}
	if r.stdout == nil {
		r.stdout = io.Discard
	}
	if r.stderr == nil {
		r.stderr = io.Discard
	}
	if r.getenv == nil {
		r.getenv = os.LookupEnv
	}
	return r.run(ctx, args)
}

// awsSettings selects the AWS account, region and endpoint, and the clock the
// SDK's retry backoff runs on.
type awsSettings struct {
	region, profile, endpointURL string
	clock                        Clock
	target                       Target                      // what the first calls read, to check the endpoints answer
	getenv                       func(string) (string, bool) // to say where an endpoint came from
	httpClient                   aws.HTTPClient              // nil = the SDK's; tests count attempts with their own
}

// runner is Main with its dependencies injected, so tests can replace the AWS
// clients, the clock and the environment.
type runner struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	newClients     func(context.Context, awsSettings) (Clients, error)
	clock          Clock
	httpClient     *http.Client
	build          Build
}

func (r runner) run(ctx context.Context, args []string) int {
	log := slog.New(slog.NewTextHandler(r.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if len(args) == 0 {
		writeHelp(r.stderr)
		return ExitBadInput
	}
	name, rest, uerr := splitCommand(args)
	if uerr != nil {
		return r.badInput("", "", uerr)
	}
	switch name {
	case "help":
		return r.help(rest)
	case "version":
		r.build.write(r.stdout)
		return ExitReleased
	}
	cmd := findCommand(name)
	if cmd == nil {
		return r.badInput("", "", unknownCommand(name))
	}
	inv, code := r.parse(cmd, rest)
	if inv == nil {
		return code
	}
	inv.opts.Logger, inv.opts.Clock, inv.opts.HTTPClient = log, r.clock, r.httpClient
	clients, err := r.newClients(ctx, awsSettings{region: inv.target.Region, profile: inv.profile, endpointURL: inv.endpointURL,
		clock: r.clock, target: inv.target, getenv: r.getenv})
	if err != nil {
		return r.badInput(inv.output, cmd.name, err)
	}
	d := New(clients, inv.target, inv.opts)
	res := d.runCommand(ctx, inv)
	r.report(res, inv.output, log)
	return res.ExitCode
}

// help prints the top-level help, or a command's for `deployer help <command>`
// and `deployer <command> --help`.
func (r runner) help(args []string) int {
	for _, a := range args {
		if cmd := findCommand(a); cmd != nil {
			writeCommandHelp(r.stdout, cmd)
			return ExitReleased
		}
	}
	writeHelp(r.stdout)
	return ExitReleased
}

// parse parses and validates a command line; on failure it returns a nil
// invocation and the exit code.
func (r runner) parse(cmd *command, args []string) (*invocation, int) {
	fs, c := cmd.newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeCommandHelp(r.stdout, cmd)
			return nil, ExitReleased
		}
		return nil, r.badInput("", cmd.name, parseError(cmd, fs, err))
	}
	if fs.NArg() > 0 {
		return nil, r.badInput("", cmd.name, usageError(cmd.name, "unexpected argument %q; every input is a flag", fs.Arg(0)))
	}
	if err := fillFromEnv(fs, r.getenv); err != nil {
		return nil, r.badInput(c.output, cmd.name, err)
	}
	c.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.given[f.Name] = true })
	inv, err := c.validate(cmd.name, r.stdin, r.getenv)
	if err != nil {
		return nil, r.badInput(c.output, cmd.name, err)
	}
	return inv, 0
}

// badInput reports invalid input: exit code 2, nothing called in AWS.
func (r runner) badInput(output, cmd string, err error) int {
	prefix := "deployer"
	if cmd != "" {
		prefix += " " + cmd
	}
	fmt.Fprintf(r.stderr, "%s: %v\n", prefix, err)
	if ie := (*InputError)(nil); errors.As(err, &ie) && ie.Hint != "" {
		fmt.Fprintln(r.stderr, ie.Hint)
	}
	if output == "json" {
		res := &Result{Command: cmd, Outcome: OutcomeBadInput, ExitCode: ExitBadInput, Message: err.Error(), Error: &ErrorInfo{Message: err.Error()}}
		_ = res.writeJSON(r.stdout)
	}
	return ExitBadInput
}

// runCommand dispatches a validated invocation.
func (d *Deployer) runCommand(ctx context.Context, inv *invocation) *Result {
	switch inv.cmd {
	case "deploy":
		return d.Deploy(ctx, inv.req)
	case "plan":
		return d.Plan(ctx, inv.req)
	case "status":
		if inv.follow {
			return d.Follow(ctx, inv.deploymentID)
		}
		return d.Status(ctx)
	case "rollback":
		return d.Rollback(ctx, inv.deploymentID, inv.toTaskDef, inv.req)
	case "continue":
		return d.Continue(ctx, inv.deploymentID, inv.wait)
	case "abort":
		return d.Abort(ctx, inv.deploymentID)
	}
	panic("unknown command " + inv.cmd)
}

// report prints the result, appends the step summary and prints the error once.
func (r runner) report(res *Result, output string, log *slog.Logger) {
	if output == "json" {
		if err := res.writeJSON(r.stdout); err != nil {
			log.Error("write result", "error", err.Error())
		}
	} else {
		res.writeText(r.stdout)
	}
	if path, ok := r.getenv("GITHUB_STEP_SUMMARY"); ok && path != "" {
		if err := appendSummary(path, res); err != nil {
			log.Warn("write GITHUB_STEP_SUMMARY", "error", err.Error())
		}
	}
	if res.ExitCode != ExitReleased {
		fmt.Fprintf(r.stderr, "deployer %s: %s: %s\n", res.Command, res.Outcome, res.Message)
	}
}

func appendSummary(path string, res *Result) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	res.writeMarkdown(f)
	return f.Close()
}
