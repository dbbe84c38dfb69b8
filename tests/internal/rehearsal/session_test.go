package rehearsal

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// A release made by another tool is reported in the deployer's terms: its outcome, exit code,
// deployment and reason, with the image it was given.
func TestAToolsReleaseIsReportedLikeTheDeployers(t *testing.T) {
	t.Parallel()
	var gotImage string
	var gotEnv []string
	tool := func(_ context.Context, image string, env []string) ToolResult {
		gotImage, gotEnv = image, env
		return ToolResult{Outcome: "rolled_back", ExitCode: 255, DeploymentID: "d-1", Reason: "stopped on alarm", Args: []string{"aws", "deploy"}}
	}
	d := runTool(context.Background(), tool, "repo/m:v3", []string{"SIM_NEVER_READY=true"})
	assert.Equal(t, "repo/m:v3", gotImage)
	assert.Equal(t, []string{"SIM_NEVER_READY=true"}, gotEnv)
	assert.Equal(t, deployer.OutcomeRolledBack, d.Result.Outcome)
	assert.Equal(t, 255, d.ExitCode)
	assert.Equal(t, "d-1", d.Result.DeploymentID)
	assert.Equal(t, "stopped on alarm", d.Result.Failure.Reason)
	assert.Equal(t, []string{"aws", "deploy"}, d.Args)
	assert.False(t, d.End.Before(d.Start))
}

func TestAnswersAreAtTheRealInstantsTheyCameBack(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	got := answersOf(start, []sample{
		{at: at(1.5), latency: 5 * time.Millisecond, status: 200, version: "v2"},
		{at: at(2), status: 0, err: "connection refused", stream: true},
	})
	assert.Equal(t, []Answer{
		{At: start.Add(1500 * time.Millisecond), Latency: 5 * time.Millisecond, Status: 200, Version: "v2"},
		{At: start.Add(2 * time.Second), Err: "connection refused", Stream: true},
	}, got)
}
