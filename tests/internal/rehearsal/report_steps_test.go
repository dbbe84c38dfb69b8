package rehearsal

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// A 10 % canary that ends mid-second is a 10 % row, then a 100 % row: the answers are counted by the
// deployment step they came back in, not by a time window straddling the shift.
func TestTrafficIsCountedByDeploymentStepNotByTimeWindow(t *testing.T) {
	t.Parallel()
	start := time.Now()
	lg := &load{start: start}
	r := &Report{}
	r.addRelease(lg, Release{Tag: "v2", Expect: deployer.OutcomeReleased}, DeployRun{Start: start, End: start.Add(at(4)), Result: deployer.Result{
		Image: "repo/m:v2", Outcome: deployer.OutcomeReleased,
		Traffic: []deployer.TrafficStep{
			{At: start.Add(at(0.5)), Blue: 100}, {At: start.Add(at(1.5)), Blue: 90, Green: 10}, {At: start.Add(at(2.5)), Green: 100}}}})
	var samples []sample
	for i := range 40 { // 10 answers a second from 0 to 4 s; one in ten from v2 during the canary
		s := sample{at: at(float64(i) / 10), status: 200, version: "v1"}
		switch {
		case s.at >= at(2.5):
			s.version = "v2"
		case s.at >= at(1.5) && i%10 == 5:
			s.version = "v2"
		}
		samples = append(samples, s)
	}
	r.addLoad(samples, at(4))
	steps := r.Releases[0].Steps
	require.Len(t, steps, 3)
	assert.Equal(t, StepTraffic{FromS: 0.5, ToS: 1.5, Blue: 100, Requests: 10, AnsweredBy: map[string]int{"v1": 10}}, steps[0])
	assert.Equal(t, StepTraffic{FromS: 1.5, ToS: 2.5, Blue: 90, Green: 10, Requests: 10, AnsweredBy: map[string]int{"v1": 9, "v2": 1}}, steps[1])
	assert.Equal(t, StepTraffic{FromS: 2.5, ToS: 4, Green: 100, Requests: 15, AnsweredBy: map[string]int{"v2": 15}}, steps[2])
}

// The gate that decided a release is the first that did not pass; a released one was decided by
// its last gate, soak. The report says it, with the minutes judged, beside the expectation.
func TestTheReportNamesTheDecidingGateAndTheExpectation(t *testing.T) {
	t.Parallel()
	one, three := 1, 3
	shiftFail := ReleaseReport{Image: "repo/m:v5", Outcome: "rolled_back", Expected: "rolled_back", Gates: []GateReport{
		{Name: "ready", Verdict: "pass"}, {Name: "shift", Verdict: "fail", Reason: "5xx rate", MinutesJudged: &one}}}
	released := ReleaseReport{Image: "repo/m:v2", Outcome: "released", Expected: "rolled_back", Gates: []GateReport{
		{Name: "ready", Verdict: "pass"}, {Name: "shift", Verdict: "pass", MinutesJudged: &one}, {Name: "soak", Verdict: "pass", MinutesJudged: &three}}}
	assert.Equal(t, "shift", shiftFail.DecidingGate().Name)
	assert.Equal(t, "soak", released.DecidingGate().Name)
	assert.Nil(t, ReleaseReport{}.DecidingGate())

	var text bytes.Buffer
	(&Report{Releases: []ReleaseReport{shiftFail, released}}).WriteText(&text)
	assert.Contains(t, text.String(), "rolled_back, as expected")
	assert.Contains(t, text.String(), "decided by gate shift: fail — 5xx rate")
	assert.Contains(t, text.String(), "shift fail (1 min judged)")
	assert.Contains(t, text.String(), "released, EXPECTED rolled_back")
	assert.Contains(t, text.String(), "soak pass (3 min judged)")
}
