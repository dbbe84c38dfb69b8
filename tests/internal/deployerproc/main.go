// Command deployerproc is the deployer as a process on an emulator's AWS clock, for tests that
// signal a real deployer process (the fault matrix): the signal handling of deployer/cmd/deployer,
// and deployer.Run on the clock whose anchor the environment carries (awsclock.AnchorEnv). The
// product binary has no clock flag and gets none: this command lives under tests/ only.
//
// When NotifyFDEnv names an open file descriptor, the process writes one line to it as soon as a
// SIGINT or SIGTERM has cancelled the deployer's context, so a test knows the signal landed before
// it lets the deployment move on.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// NotifyFDEnv names the file descriptor that hears of the first signal.
const NotifyFDEnv = "DEPLOYERPROC_NOTIFY_FD"

func main() {
	anchor, err := awsclock.ParseAnchor(os.Getenv(awsclock.AnchorEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, "deployerproc: %s: %v\n", awsclock.AnchorEnv, err)
		os.Exit(deployer.ExitBadInput)
	}
	// As deployer/cmd/deployer: the first SIGINT/SIGTERM cancels the context, later ones are caught.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	done, notified := make(chan struct{}), make(chan struct{})
	go func() { notify(ctx, done); close(notified) }()
	code := deployer.Run(ctx, os.Args[1:], deployer.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.LookupEnv, Clock: awsclock.FromAnchor(anchor)})
	close(done)
	<-notified // a deployer that ends quickly after a signal (detaching) still reports it
	stop()
	os.Exit(code)
}

// notify writes a line to NotifyFDEnv's descriptor once a signal cancels ctx, or when done closes
// after one did; not when the deployer merely finishes (stop has not cancelled ctx yet).
func notify(ctx context.Context, done <-chan struct{}) {
	fd, err := strconv.Atoi(os.Getenv(NotifyFDEnv))
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "notify")
	defer f.Close()
	select {
	case <-ctx.Done():
	case <-done:
	}
	if ctx.Err() != nil {
		fmt.Fprintf(f, "%v\n", context.Cause(ctx))
	}
}
