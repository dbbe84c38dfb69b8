package rehearsal

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

func at(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func TestReportPutsBadAnswersDownToTheImageThatGaveThem(t *testing.T) {
	t.Parallel()
	r := &Report{Releases: []ReleaseReport{
		{Image: "repo/m:v2", Outcome: string(deployer.OutcomeReleased), StartS: 0, EndS: 10},
		{Image: "repo/m:v4", Outcome: string(deployer.OutcomeRolledBack), StartS: 10, EndS: 20},
	}}
	r.addLoad([]sample{
		{at: at(1), status: 200, version: "v1"},
		{at: at(2), status: 200, version: "v2"},
		{at: at(3), status: 500, version: "v2", err: "HTTP 500"}, // the released image's own: still counts outside
		{at: at(11), status: 200, version: "v4"},
		{at: at(12), status: 500, version: "v4", err: "HTTP 500"},
		{at: at(13), status: 500, version: "v4", err: "HTTP 500"},
		{at: at(14), status: 502, err: "HTTP 502"}, // the load balancer's: no image to blame
		{at: at(15), status: 200, version: "v2"},
	}, at(20))
	assert.Equal(t, 8, r.Requests)
	assert.Equal(t, 4, r.Failed)
	assert.Equal(t, 2, r.FailedOutsideBadAnswers, "the rolled-back v4's two bad answers are taken out")
	v2, v4 := r.Releases[0], r.Releases[1]
	assert.Equal(t, [4]int{3, 1, 2, 1}, [4]int{v2.Requests, v2.Failed, v2.ServedByImage, v2.FailedByImage})
	assert.Equal(t, [4]int{5, 3, 3, 2}, [4]int{v4.Requests, v4.Failed, v4.ServedByImage, v4.FailedByImage})
	assert.Equal(t, StreamReport{}, r.Streams)
}

func TestReportCountsStreamsApartFromRequests(t *testing.T) {
	t.Parallel()
	r := &Report{}
	r.addLoad([]sample{
		{at: at(1), status: 200, version: "v1"},
		{at: at(5), status: 200, version: "v1", stream: true, latency: at(4)},
		{at: at(6), status: 200, version: "v1", stream: true, latency: at(4), err: "HTTP 200, body cut off: unexpected EOF"},
		{at: at(7), status: 503, stream: true, err: "HTTP 503"},
	}, at(10))
	assert.Equal(t, StreamReport{Started: 3, Completed: 1, Cut: 2}, r.Streams)
	assert.Equal(t, 1, r.Requests)
	assert.Zero(t, r.Failed)
	assert.Less(t, r.P99Ms, 4000.0, "a stream's length is not a request's latency")
}

func TestAReleaseReachedTheTerminationWaitWhenAfterAllowTrafficSucceeded(t *testing.T) {
	t.Parallel()
	start := time.Now()
	lg := &load{start: start}
	for _, c := range []struct {
		status  string
		reached bool
	}{{"Succeeded", true}, {"InProgress", false}} {
		r := &Report{}
		r.addRelease(lg, Release{Tag: "v2"}, DeployRun{Start: start, End: start, Result: deployer.Result{
			Phases: []deployer.PhaseRecord{{Name: "AllowTraffic", Status: "Succeeded"}, {Name: "AfterAllowTraffic", Status: c.status}}}})
		assert.Equal(t, c.reached, r.Releases[0].ReachedTerminationWait, c.status)
	}
}
