package deployer

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepCanary is a canary's first step: 10% of production on green for lasts.
func stepCanary(lasts time.Duration) step {
	return step{status: "InProgress", target: ecsTarget("InProgress", events(S, S, S, S, S, S, "InProgress"), 90, 10), lasts: lasts}
}

// shiftWorld is a release whose canary step lasts canary, with CloudWatch's
// minutes from data, each published a minute after it ends.
func shiftWorld(t *testing.T, canary time.Duration, data func(time.Time) (shiftMinute, bool)) *world {
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepCanary(canary), stepShifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	w.shiftData, w.shiftLag = data, time.Minute
	return w
}

// everyMinute is the same minute throughout: green's and blue's requests and
// 5xx, p95 300 ms on both sides, two healthy targets each.
func everyMinute(greenReq, green5xx, blueReq, blue5xx float64) func(time.Time) (shiftMinute, bool) {
	return func(at time.Time) (shiftMinute, bool) {
		return shiftMinute{Start: at, Green: tgMinute(greenReq, green5xx, 0.3, 0.5), Blue: tgMinute(blueReq, blue5xx, 0.3, 0.5)}, true
	}
}

func TestGateShiftRollsBackAGreenThatFailsUnderItsShareOfProductionBeforeTheShiftCompletes(t *testing.T) {
	t.Parallel()
	w := shiftWorld(t, 10*time.Minute, everyMinute(100, 10, 900, 1))
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, []string{"READY_WAIT"}, w.continues, "never reached the termination wait")
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	g := gateNamed(t, res, GateShift)
	assert.Equal(t, "fail", g.Verdict)
	assert.Contains(t, g.Reason, "CloudWatch: 5xx rate over 1 minute(s): green 10/100 (10.00%), blue 1/900 (0.11%)")
	assert.Contains(t, res.Message, "gate shift failed: CloudWatch: 5xx rate")
	require.NotNil(t, g.MinutesJudged)
	assert.Equal(t, 1, *g.MinutesJudged)
	assert.Contains(t, strings.Join(g.Evidence, "\n"), "12:01Z: green 100 requests, 5xx 10 (target 10, connection errors 0), p95 300ms, p99 500ms, healthy 2; blue 900 requests")
	// The first whole minute of the shift (12:01) is published at 12:03 and read within 15 s.
	assert.LessOrEqual(t, g.End.Sub(time.Date(2025, 6, 1, 12, 3, 0, 0, time.UTC)), shiftMetricsInterval)
}

func TestGateShiftPassesAQuietCanaryAndSaysItsRatesWereNotJudged(t *testing.T) {
	t.Parallel()
	w := shiftWorld(t, 5*time.Minute, everyMinute(3, 1, 27, 0))
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	g := gateNamed(t, res, GateShift)
	assert.Equal(t, "pass", g.Verdict)
	assert.Contains(t, strings.Join(g.Evidence, "\n"), "not judged: green served 9 requests, fewer than 20")
	require.NotNil(t, g.MinutesJudged)
	assert.Equal(t, 3, *g.MinutesJudged, "12:01-12:03 were published within the 5-minute canary")
	require.Len(t, g.Minutes, 3, "the judged minutes' figures are kept for the step summary's charts")
	assert.Equal(t, time.Date(2025, 6, 1, 12, 1, 0, 0, time.UTC), g.Minutes[0].Start)
	assert.Equal(t, 3.0, g.Minutes[0].Green.Requests)
	require.NotNil(t, g.Minutes[0].Blue)
	assert.Equal(t, 27.0, g.Minutes[0].Blue.Requests)
}

func TestGateShiftFailsAMinuteWithoutAHealthyGreenTarget(t *testing.T) {
	t.Parallel()
	w := shiftWorld(t, 10*time.Minute, func(at time.Time) (shiftMinute, bool) {
		m := shiftMinute{Start: at, Green: tgMinute(100, 0, 0.3, 0.5), Blue: tgMinute(900, 0, 0.3, 0.5)}
		m.Green.Healthy = 0
		return m, true
	})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, gateNamed(t, res, GateShift).Reason, "no healthy green target throughout the minute 12:01Z (HealthyHostCount maximum 0)")
}

func TestGateShiftJudgesAMinuteOnlyOnceCloudWatchHasPublishedIt(t *testing.T) {
	t.Parallel()
	bad := time.Date(2025, 6, 1, 12, 2, 0, 0, time.UTC)
	w := shiftWorld(t, 10*time.Minute, func(at time.Time) (shiftMinute, bool) {
		if at.Equal(bad) {
			return shiftMinute{Start: at, Green: tgMinute(200, 40, 0.3, 0.5), Blue: tgMinute(1800, 1, 0.3, 0.5)}, true
		}
		return everyMinute(200, 0, 1800, 1)(at)
	})
	w.shiftLag = 90 * time.Second
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	g := gateNamed(t, res, GateShift)
	assert.Contains(t, g.Reason, "CloudWatch: 5xx rate over 2 minute(s): green 40/400 (10.00%)")
	assert.Contains(t, strings.Join(g.Evidence, "\n"), "in the latest minute, 12:02Z: green 40/200 (20.00%)")
	published := bad.Add(time.Minute + 90*time.Second)
	assert.False(t, g.End.Before(published), "not judged before its datapoints arrived")
	assert.LessOrEqual(t, g.End.Sub(published), shiftMetricsInterval, "judged at the first read after")
	assert.Equal(t, 2, *g.MinutesJudged)
}

func TestGateShiftChecksTargetHealthOnItsOwnIntervalNotThePollBackOff(t *testing.T) {
	t.Parallel()
	w := shiftWorld(t, 10*time.Minute, nil)
	canary := stepCanary(10 * time.Minute)
	canary.enter = func(w *world) {
		w.health = func(string) []elbv2types.TargetHealthDescription {
			return []elbv2types.TargetHealthDescription{target("10.0.0.1", "unhealthy", "Target.Timeout"), target("10.0.0.2", "healthy", "")}
		}
	}
	w.scripts["d-NEW"].steps[4] = canary
	d := w.deployer(t, true, func(o *Options) {
		o.PollInterval, o.PollMaxInterval, o.CheckInterval = 10*time.Second, time.Minute, 2*time.Second
	})
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	g := gateNamed(t, res, GateShift)
	assert.Contains(t, g.Reason, "green target group web-green unhealthy for 3 consecutive checks 2s apart: 1/2 healthy")
	assert.LessOrEqual(t, g.End.Sub(g.Start), 2*2*time.Second, "three checks 2 s apart, not three 10 s polls")
}

// switchable answers like the model server, slowly or with 503 once told to.
type switchable struct {
	slow, failing atomic.Bool
	srv           *httptest.Server
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	inner := modelServer(t, "v2", 0, true)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if s.slow.Load() {
			time.Sleep(250 * time.Millisecond) // a gap no loaded machine closes
		}
		inner.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// probedShift releases to a green behind the test listener that turns as turn
// says once the canary starts, with no CloudWatch data: only the probes can see it.
func probedShift(t *testing.T, turn func(*switchable)) (*Deployer, *Result) {
	w := shiftWorld(t, 10*time.Minute, nil)
	green := newSwitchable(t)
	canary := stepCanary(10 * time.Minute)
	canary.enter = func(*world) { turn(green) }
	w.scripts["d-NEW"].steps[4] = canary
	d := w.deployer(t, true)
	d.t.TestURL = green.srv.URL
	return d, d.Deploy(context.Background(), deployV2())
}

func TestGateShiftProbesCatchAGreenThatSlowsDownUnderProductionTraffic(t *testing.T) {
	t.Parallel()
	_, res := probedShift(t, func(s *switchable) { s.slow.Store(true) })

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	g := gateNamed(t, res, GateShift)
	assert.Contains(t, g.Reason, "probes through the test listener: latency: green is slower now than in gate 1: GET /health/ready: p50")
	assert.Contains(t, strings.Join(g.Evidence, "\n"), "latency GET /health/ready: gate 1 ")
	assert.Less(t, g.End.Sub(g.Start), time.Minute, "seen in seconds of probing, not CloudWatch minutes")
}

func TestGateShiftProbesFailAGreenThatFailsConsecutiveProbes(t *testing.T) {
	t.Parallel()
	d, res := probedShift(t, func(s *switchable) { s.failing.Store(true) })

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	g := gateNamed(t, res, GateShift)
	assert.Contains(t, g.Reason, "green failed the last 3 probes through the test listener: GET /health/ready: 503")
	assert.LessOrEqual(t, g.End.Sub(g.Start), 2*d.o.CheckInterval)
}

func TestGateShiftRecordsItsFiguresInTheResultAndTheStepSummary(t *testing.T) {
	t.Parallel()
	w := shiftWorld(t, 5*time.Minute, everyMinute(300, 0, 2700, 1))
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	data, err := json.Marshal(res)
	require.NoError(t, err)
	assert.Contains(t, string(data), `{"name":"shift","verdict":"pass"`)
	assert.Contains(t, string(data), `"minutesJudged":3`)
	var md bytes.Buffer
	res.writeMarkdown(&md)
	assert.Contains(t, md.String(), "| shift | pass |  | green target health: ")
	assert.Contains(t, md.String(), "5xx rate over 3 minute(s): green 0/900 (0.00%), blue 3/8100 (0.04%)")
}

func TestGateShiftKeepsWithinItsAPIBudget(t *testing.T) {
	t.Parallel()
	w := shiftWorld(t, 15*time.Minute, everyMinute(300, 0, 2700, 1))
	var from time.Time
	canary := stepCanary(15 * time.Minute)
	canary.enter = func(w *world) { from = w.clock.Now().Add(2 * time.Minute) }
	w.scripts["d-NEW"].steps[4] = canary
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())
	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)

	calls := w.callsBetween(from, from.Add(10*time.Minute))
	metrics := 0
	for _, c := range calls {
		if c == "cloudwatch:GetMetricData" {
			metrics++
		}
	}
	assert.Equal(t, 40, metrics, "CloudWatch every 15 s")
	t.Logf("%d calls in 10 minutes of a quiet shift: %.2f/s", len(calls), float64(len(calls))/600)
	assert.LessOrEqual(t, float64(len(calls))/600, 0.9, "AWS calls per second while the shift is quiet")
}

func TestTheUnhealthyStreakOfTheShiftCarriesIntoTheSoak(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	unhealthy := func(w *world) {
		w.health = func(string) []elbv2types.TargetHealthDescription {
			return []elbv2types.TargetHealthDescription{target("10.0.0.1", "unhealthy", "Target.Timeout"), target("10.0.0.2", "healthy", "")}
		}
	}
	shifting := stepShifting // green turns unhealthy as the shift ends: two checks 5 s apart see it
	shifting.lasts, shifting.enter = 7*time.Second, func(w *world) { w.setProd(tgGreen); unhealthy(w) }
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, shifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, "pass", gateNamed(t, res, GateShift).Verdict, "two unhealthy checks are not three")
	soak := gateNamed(t, res, GateSoak)
	assert.Equal(t, "fail", soak.Verdict)
	assert.Contains(t, soak.Reason, "green unhealthy for 3 consecutive checks")
	assert.Less(t, soak.End.Sub(soak.Start), 15*time.Second, "at the soak's first check, not its third")
}

func TestGateShiftEndsWhenCodeDeployStopsTheDeployment(t *testing.T) {
	t.Parallel()
	w := shiftWorld(t, time.Minute, nil)
	stopped := step{status: "Stopped", errInfo: &cdtypes.ErrorInformation{Code: "ALARM_ACTIVE", Message: aws.String("alarm fired")},
		rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}}
	w.scripts["d-NEW"].steps = append(w.scripts["d-NEW"].steps[:5], stopped)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Empty(t, w.stops)
	g := gateNamed(t, res, GateShift)
	assert.Equal(t, "incomplete", g.Verdict)
	assert.Contains(t, g.Reason, "CodeDeploy ended the deployment (stopped")
}

func TestAssessShiftStartIsAllowTrafficsStart(t *testing.T) {
	t.Parallel()
	seen := time.Date(2025, 6, 1, 12, 0, 30, 0, time.UTC)
	evs := events(S, S, S, S, S, S, "InProgress")
	assert.Equal(t, seen, assessShiftStart(&cdtypes.ECSTarget{LifecycleEvents: evs}, seen), "no start time: when first seen")
	evs[6].StartTime = aws.Time(seen.Add(-20 * time.Second))
	assert.Equal(t, seen.Add(-20*time.Second), assessShiftStart(&cdtypes.ECSTarget{LifecycleEvents: evs}, seen))
	assert.Equal(t, seen, assessShiftStart(nil, seen))
}

func TestGateShiftRollsBackAGreenCodeDeployMovedOnWithWhileItsTargetsAreUnhealthy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	installMovesOnUnhealthy(w, stepCanary(10*time.Minute), stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, true, ungated).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Empty(t, w.continues, "never reached the termination wait")
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	g := gateNamed(t, res, GateShift)
	assert.Contains(t, g.Reason, "green target group web-green unhealthy for 3 consecutive checks 5s apart: 0/2 healthy")
	assert.LessOrEqual(t, g.End.Sub(g.Start), 10*time.Second, "within the canary's first seconds")
}
