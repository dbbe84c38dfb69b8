package deployer

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptedRelease is a released canary: 10 % to green, then all of it, with
// gate shift judging two minutes against blue and gate soak three of green's.
func scriptedRelease() Result {
	at := func(m, s int) time.Time { return time.Date(2026, 12, 6, 10, m, s, 0, time.UTC) }
	ms := func(v float64) *float64 { return &v }
	return Result{Command: "deploy", Outcome: OutcomeReleased, DeploymentID: "d-ABC",
		Traffic: []TrafficStep{{At: at(0, 5), Blue: 100}, {At: at(1, 10), Blue: 90, Green: 10}, {At: at(6, 20), Green: 100}},
		Gates: []*GateResult{
			{Name: GateReady, Verdict: "pass", Reason: "3 checks passed"},
			{Name: GateShift, Verdict: "pass", Minutes: []GateMinute{
				{Start: at(2, 0), Green: MinuteFigures{Requests: 200, Errors: 3, P95Ms: ms(120)}, Blue: &MinuteFigures{Requests: 1800, Errors: 9, P95Ms: ms(100)}},
				{Start: at(3, 0), Green: MinuteFigures{Requests: 220}, Blue: &MinuteFigures{Requests: 1780, P95Ms: ms(95.5)}},
			}},
			{Name: GateSoak, Verdict: "pass", Minutes: []GateMinute{
				{Start: at(7, 0), Green: MinuteFigures{Requests: 2000, Errors: 2, P99Ms: ms(400)}},
				{Start: at(8, 0), Green: MinuteFigures{Requests: 2010, P99Ms: ms(410)}},
				{Start: at(9, 0), Green: MinuteFigures{Requests: 1990, P99Ms: ms(390)}},
			}},
		}}
}

// chartAfter returns the Mermaid block whose title contains title.
func chartAfter(t *testing.T, charts, title string) string {
	t.Helper()
	i := strings.Index(charts, title)
	require.GreaterOrEqual(t, i, 0, "no chart %q in:\n%s", title, charts)
	block := charts[strings.LastIndex(charts[:i], "```mermaid"):]
	return block[:strings.Index(block[3:], "```")+6]
}

func TestReleaseChartsDrawTheTrafficSplitOnePointPerStep(t *testing.T) {
	t.Parallel()
	traffic := chartAfter(t, ReleaseCharts(scriptedRelease()), "Production traffic by step")
	assert.Contains(t, traffic, "\nxychart-beta\n")
	assert.Contains(t, traffic, `x-axis ["1 10:00:05", "2 10:01:10", "3 10:06:20"]`)
	assert.Contains(t, traffic, `y-axis "%" 0 --> 100`)
	assert.Contains(t, traffic, "bar [0, 10, 100]", "green's share at each step: the canary is 10 %")
	assert.Contains(t, traffic, "line [100, 90, 0]", "blue's")
}

func TestReleaseChartsDrawGreenAgainstBlueInEachJudgedMinute(t *testing.T) {
	t.Parallel()
	charts := ReleaseCharts(scriptedRelease())
	reqs := chartAfter(t, charts, "Gate shift: requests per minute")
	assert.Contains(t, reqs, `x-axis ["10:02", "10:03"]`)
	assert.Contains(t, reqs, "bar [200, 220]")
	assert.Contains(t, reqs, "line [1800, 1780]")
	errs := chartAfter(t, charts, "Gate shift: error rate %")
	assert.Contains(t, errs, "bar [1.5, 0]")
	assert.Contains(t, errs, "line [0.5, 0]")
	lat := chartAfter(t, charts, "Gate shift: p95 latency ms")
	assert.Contains(t, lat, "bar [120, 0]", "a minute without a datapoint draws 0, as the title says")
	assert.Contains(t, lat, "line [100, 95.5]")

	soak := chartAfter(t, charts, "Gate soak: p99 latency ms")
	assert.Contains(t, soak, `x-axis ["10:07", "10:08", "10:09"]`)
	assert.Contains(t, soak, "bar [400, 410, 390]")
	assert.NotContains(t, soak, "line [", "blue serves no production traffic in the soak")
	assert.Contains(t, chartAfter(t, charts, "Gate soak: error rate %"), "bar [0.1, 0, 0]")
	assert.NotContains(t, charts, "Gate ready", "gate 1 judges no CloudWatch minutes")
}

func TestReleaseChartsDrawNothingForAResultWithoutTrafficOrMinutes(t *testing.T) {
	t.Parallel()
	assert.Empty(t, ReleaseCharts(Result{Command: "status", Outcome: OutcomeOK}))
	assert.Equal(t, `"say 'hi'"`, mermaidString(`say "hi"`))
}

func TestTheStepSummaryHasTheChartsBesideTodaysTables(t *testing.T) {
	t.Parallel()
	r := scriptedRelease()
	var b bytes.Buffer
	r.writeMarkdown(&b)
	md := b.String()
	assert.Contains(t, md, "| Gate | Verdict | Reason | Evidence |\n")
	assert.Contains(t, md, "| Time | Blue % | Green % |\n")
	assert.Contains(t, md, "| 2026-12-06T10:01:10Z | 90 | 10 |\n")
	assert.Contains(t, md, "```mermaid\nxychart-beta\n")
	assert.Less(t, strings.Index(md, "| Time | Blue % | Green % |"), strings.Index(md, "```mermaid"))
	assert.Equal(t, 7, strings.Count(md, "```mermaid"), "traffic, then three charts for each of shift and soak")
	assert.Equal(t, strings.Count(md, "<details>"), strings.Count(md, "</details>"))
}
