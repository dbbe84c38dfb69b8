package bench

import (
	"io"
	"time"
)

// Config is how the benchmark runs.
type Config struct {
	// Root is the repository checkout: its Pulumi.dev.yaml is the base stack, and `go test ./...`
	// runs there.
	Root string
	// TimeScale is AWS seconds per real second of each scenario's AWS clock.
	TimeScale float64
	// Rate is production requests per second through the prod listener.
	Rate int
	// Settle is how long (AWS time) the load runs before each release, which is the steady state
	// the shift's latency is compared with, and after it.
	Settle time.Duration
	// OperatorLook and OperatorDelay are the person beside an aws CLI release: how often they look
	// at the deployment, and how long after they see it in Ready they continue it.
	OperatorLook, OperatorDelay time.Duration
	// AWSCLI is the aws CLI to run ("" skips the comparison with it).
	AWSCLI string
	// Smoke runs one short scenario only: a check that the benchmark works, not figures to publish.
	Smoke bool
	// GoTest times the README's test command, cold and warm (minutes).
	GoTest bool
	// Progress receives one line per scenario; DeployerLog the deployer's own progress.
	Progress, DeployerLog io.Writer
}
