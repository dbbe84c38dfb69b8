package rehearsal

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// The Markdown report draws each release with the deployer's own renderer: a canary release's
// traffic split by step is in it as a Mermaid chart, beside the outcome and the deciding gate.
func TestTheMarkdownReportDrawsEachReleaseWithTheDeployersCharts(t *testing.T) {
	t.Parallel()
	start := time.Now()
	lg := &load{start: start}
	r := &Report{Stack: "Pulumi.dev.yaml", TimeScale: 60}
	res := deployer.Result{Image: "repo/m:v2", Outcome: deployer.OutcomeReleased,
		Traffic: []deployer.TrafficStep{{At: start, Blue: 100}, {At: start.Add(time.Second), Blue: 90, Green: 10}, {At: start.Add(6 * time.Second), Green: 100}},
		Gates:   []*deployer.GateResult{{Name: deployer.GateSoak, Verdict: "pass"}}}
	r.addRelease(lg, Release{Tag: "v2", Why: "a good model", Expect: deployer.OutcomeReleased}, DeployRun{Start: start, End: start.Add(7 * time.Second), Result: res})

	var md strings.Builder
	r.WriteMarkdown(&md)
	out := md.String()
	assert.Contains(t, out, "## v2: a good model")
	assert.Contains(t, out, "released, as expected (exit 0). Decided by gate `soak`: pass.")
	assert.Contains(t, out, "```mermaid")
	assert.Contains(t, out, deployer.ReleaseCharts(res), "the same charts as the deployer's step summary")
	assert.Contains(t, out, "[100, 90, 0]", "blue's weight at each step")
}
