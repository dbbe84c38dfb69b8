package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// call is an API call by caller at s seconds; in and out are its input and answer digests.
func call(s float64, caller, action, in, out string) emulator.Call {
	service := "codedeploy"
	switch action {
	case "DescribeTargetHealth", "DescribeListeners":
		service = "elbv2"
	case "ListTasks", "RegisterTaskDefinition":
		service = "ecs"
	}
	return emulator.Call{At: at(s), Service: service, Action: action, Caller: "aws-sdk-go-v2/1.0 app/" + caller, Input: in, Output: out}
}

func TestCallersAreToldApartByTheApplicationIDInTheirUserAgent(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "bench-deployer", callerOf("aws-sdk-go-v2/1.41.0 ua/2.1 os/linux lang/go#1.26 app/bench-deployer m/E"))
	assert.Equal(t, "bench-aws-deploy", callerOf("aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 app/bench-aws-deploy cfg/retry-mode#legacy"))
	assert.Equal(t, "", callerOf("aws-sdk-go-v2/1.41.0 os/linux"), "no application id: nobody the benchmark counts")

	calls := []emulator.Call{call(1, "a", "GetDeployment", "", ""), call(2, "b", "GetDeployment", "", ""),
		call(3, "a", "GetDeployment", "", ""), call(9, "a", "GetDeployment", "", "")}
	assert.Len(t, callsBy(calls, "a", time.Time{}, time.Time{}), 3)
	assert.Len(t, callsBy(calls, "a", at(2), at(3)), 1, "both ends included")

	log := &CallLog{}
	for _, i := range []int{3, 0, 2, 1} {
		log.Add(calls[i])
	}
	assert.Equal(t, calls, log.Calls(), "in AWS-time order, whatever order they were answered in")
}

func TestP99IsTheNearestRankOfTheRequestsNotTheStreams(t *testing.T) {
	t.Parallel()
	var answers []answer
	for i := 1; i <= 200; i++ {
		answers = append(answers, answer{At: at(float64(i)), Latency: time.Duration(i) * time.Millisecond})
	}
	answers = append(answers, answer{At: at(1), Latency: time.Hour, Stream: true})
	p, n := p99(answers)
	assert.Equal(t, 198*time.Millisecond, p, "the 198th of 200")
	assert.Equal(t, 200, n)
	p, n = p99(within(answers, at(1), at(11)))
	assert.Equal(t, 10*time.Millisecond, p)
	assert.Equal(t, 10, n, "[from, to): the stream is left out too")
	p, n = p99(nil)
	assert.Zero(t, p)
	assert.Zero(t, n)
}

// The steady state is before the tool began; the shift is from AllowTraffic's start to a minute
// after the termination wait began.
func TestZeroDowntimeComparesTheShiftWithTheSteadyState(t *testing.T) {
	t.Parallel()
	var answers []answer
	for s := 0.0; s < 600; s++ {
		lat := 10 * time.Millisecond
		if s < 60 {
			lat = time.Second // the warm-up
		}
		if s >= 300 && s < 420 {
			lat = 30 * time.Millisecond
		}
		answers = append(answers, answer{At: at(s), Latency: lat})
	}
	o := &outcome{scenario: scenario{Name: "canary", Tool: ToolDeployer}, Outcome: "released", Start: at(100), Answers: answers,
		Report:     &rehearsal.Report{Requests: 600, Failed: 2, DurationS: 4, Streams: rehearsal.StreamReport{Started: 5, Cut: 1}},
		Deployment: deploymentFacts{Events: map[string]span{"AllowTraffic": {at(300), at(350)}, "AfterAllowTraffic": {at(350), at(360)}}}}
	z := zeroDowntime(o)
	assert.Equal(t, 10*time.Millisecond, z.SteadyP99)
	assert.Equal(t, 40, z.SteadyN, "from a minute after the first answer to the release's start")
	assert.Equal(t, 30*time.Millisecond, z.ShiftP99)
	assert.Equal(t, 120, z.ShiftN, "300 s to 360 s + 60 s")
	assert.InDelta(t, 3.0, z.ratio(), 1e-9)
	assert.InDelta(t, 150.0, z.Rate, 1e-9)
	assert.Equal(t, [3]int{2, 5, 1}, [3]int{z.Failed, z.StreamsStarted, z.Cut})
}

func TestCallsAreCountedPerOperationAndPerPhase(t *testing.T) {
	t.Parallel()
	calls := []emulator.Call{call(0, "d", "CreateDeployment", "", ""), call(10, "d", "GetDeployment", "", ""),
		call(20, "d", "GetDeployment", "", ""), call(70, "d", "GetDeploymentTarget", "", ""), call(130, "d", "ContinueDeployment", "", "")}
	assert.Equal(t, []opCount{{"codedeploy:GetDeployment", 2}, {"codedeploy:ContinueDeployment", 1},
		{"codedeploy:CreateDeployment", 1}, {"codedeploy:GetDeploymentTarget", 1}}, countByOperation(calls))
	rates := ratesByPhase(calls, []phase{{"a", at(0), at(60)}, {"never", time.Time{}, time.Time{}}, {"b", at(60), at(180)}})
	assert.Equal(t, []phaseRate{{"a", 3, 1}, {"b", 2, 2}}, rates)
	assert.InDelta(t, 1.0, rates[1].perMinute(), 1e-9)
	assert.True(t, isWrite("ContinueDeployment"))
	assert.True(t, isWrite("RegisterTaskDefinition"))
	assert.False(t, isWrite("GetDeploymentTarget"))
	assert.False(t, isWrite("DescribeTargetHealth"))
}
