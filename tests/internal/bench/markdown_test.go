package bench

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleResults(t *testing.T) *Results {
	t.Helper()
	stack, err := stackConfig(filepath.Join("..", "..", "..", "Pulumi.dev.yaml"))
	require.NoError(t, err)
	return &Results{
		Config:  Config{TimeScale: 60, Rate: 150, Settle: 5 * time.Minute, OperatorLook: 30 * time.Second, OperatorDelay: 5 * time.Minute},
		Command: "go run ./tests/cmd/bench -gotest -out docs/BENCHMARKS.md", Began: t0, Ended: t0.Add(40 * time.Minute),
		Machine: machine{CPUs: 2, CPUModel: "AMD EPYC", LoadStart: "9.1 8.0 7.5", LoadEnd: "9.9 9.0 8.0", GoVersion: "go1.26.8",
			DeployerHead: "5b12b0ac5fa8aa6e0146617732df2f39ffd955eb deployer: the SDK's standard retryer"},
		Stack:        stack,
		ZeroDowntime: []zeroDowntimeRow{{Name: "canary", Tool: ToolDeployer, Outcome: "released", Requests: 9000, Rate: 149.6, SteadyP99: 20 * time.Millisecond, SteadyN: 750, ShiftP99: 30 * time.Millisecond, ShiftN: 1000}},
		Tools:        []toolRow{{Tool: ToolAWSDeploy, Outcome: "released", ok: true, Wall: 29 * time.Minute, BlueAfterShift: 15 * time.Minute, Calls: 105, Rates: []phaseRate{{"termination wait", 58, 15}}}},
		Exposures: []exposure{{Kind: "slower than blue", Tool: ToolAWSDeploy, Outcome: "released", Served: 4000, Bad: 4000, Stayed: true},
			{Kind: "slower than blue", Tool: ToolDeployer, Outcome: "rolled_back", ExitCode: 1, Served: 100, Bad: 100, FirstBad: at(0), LastServed: at(90)}},
		Reactions:       []reaction{{Change: "Ready", Gate: "ready", Noticed: time.Second, GateRan: 30 * time.Second, Write: "ContinueDeployment", WriteAfter: 31 * time.Second}},
		CostRelease:     "canary",
		Operations:      []opCount{{"codedeploy:GetDeployment", 90}, {"codedeploy:ContinueDeployment", 2}},
		Reads:           []readStats{{Op: "codedeploy:GetDeployment", Calls: 90, Unchanged: 80, Redo: 3, Between: "GetDeploymentTarget", Phases: []string{"waiting in Ready"}}},
		CallsPerRelease: map[string]int{"canary": 400},
		GoTest:          &goTestTimes{FreshModules: true, Proxy: "https://proxy.golang.org", Runs: []goTestRun{{Name: "cold", Command: "go test ./...", Wall: 9 * time.Minute, Passed: true}}},
	}
}

// The document says which command and machine produced it, and carries each figure of the run.
func TestTheDocumentCarriesTheCommandTheMachineAndEveryFigure(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, sampleResults(t).WriteMarkdown(&buf))
	doc := buf.String()
	for _, want := range []string{
		"```sh\ngo run ./tests/cmd/bench -gotest -out docs/BENCHMARKS.md\n```",
		"| machine | 2 CPUs (`nproc`), AMD EPYC",
		"9.1 8.0 7.5 at the start, 9.9 9.0 8.0 at the end",
		"| deployer measured | `5b12b0ac5fa8` deployer: the SDK's standard retryer (the last commit that changed `deployer/`",
		"| canary | deployer | released | 9000 (150/s) | 0 | 20.0 ms (of 750) | 30.0 ms (of 1000) | ×1.50 |",
		"| aws deploy | released (0) | 29m0s |",
		"3.9 (58 in 15m0s)",
		"| slower than blue | rolled_back (exit 1); 100 bad of 100 answers; first bad → back on blue 1m30s | released (exit 0); 4000 bad of 4000 answers; **production stays on it** (blue removed) |",
		"| Ready | 1.0s | `ready` | 30s | ContinueDeployment | 31s |",
		"In the canary release, 92 calls, 98 % of them GetDeployment and GetDeploymentTarget",
		"| codedeploy:GetDeployment | 90 | 80 | 3 | GetDeploymentTarget | waiting in Ready |",
		"| codedeploy:ContinueDeployment (write) | 2 |",
		"an empty module cache, every module downloaded from https://proxy.golang.org",
		"| cold | `go test ./...` | 9m0s | passed |",
		"grace period is 10m0s; a target is unhealthy after 3 failed checks 15 s apart (45s)",
	} {
		assert.Contains(t, doc, want)
	}
	assert.NotContains(t, doc, "## Not measured in this run")
}
