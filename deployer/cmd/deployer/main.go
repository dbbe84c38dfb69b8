// Command deployer releases an image to an ECS service through a gated CodeDeploy
// blue/green deployment. See `deployer --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=… -X main.date=…" by the
// release builder (go run ./tests/cmd/release) and the GitHub Action (deployer/action.yml); a
// plain go build or go install leaves them empty and `deployer --version` falls back to what the
// Go toolchain recorded.
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	// The first SIGINT/SIGTERM cancels the context: the deployer then stops the
	// deployment with rollback (or detaches) and exits 4. Later signals are caught
	// too, so CI's follow-up SIGTERM does not cut the rollback short.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := deployer.Run(ctx, os.Args[1:], deployer.Env{Stdout: os.Stdout, Stderr: os.Stderr,
		Build: deployer.Build{Version: version, Commit: commit, Date: date}})
	stop()
	os.Exit(code)
}
