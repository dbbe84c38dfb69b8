package deployer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// soakWorld is a happy release whose gate 2 sees metrics (window totals by query id).
func soakWorld(t *testing.T, metrics map[string]float64) *world {
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	w.metrics = metrics
	return w
}

func TestSoakRollsBackWhenGreenServes5xx(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	w.metrics = map[string]float64{"requests": 200, "errors": 20, "p99": 0.1}
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, []string{"READY_WAIT"}, w.continues, "blue is kept: no TERMINATION_WAIT continue")
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Contains(t, res.Message, "5xx rate 10.00% above --max-5xx-rate 1.00%")
}

func TestSoakRollsBackWhenAGroupAlarmFires(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	w.onCreate = func(w *world) error { // fires once green takes traffic, not before the release
		w.mu.Lock()
		defer w.mu.Unlock()
		w.alarms = []cwtypes.MetricAlarm{{AlarmName: aws.String("web-5xx"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed")}}
		return nil
	}
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "alarm in ALARM: web-5xx: Threshold Crossed")
}

func TestSoakZeroWaitsOutTheTerminationWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	termWait := stepTermWait
	termWait.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, termWait, stepSucceeded)
	res := w.deployer(t, true, func(o *Options) { o.Soak = 0 }).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, []string{"READY_WAIT"}, w.continues)
	assert.Equal(t, "skipped", gateNamed(t, res, GateSoak).Verdict)
}

func TestSoakCountsELBGenerated5xxAgainstGreen(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "elb5xx": 50, "p99": 0.1})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, []string{"READY_WAIT"}, w.continues, "blue is kept")
	assert.Contains(t, res.Message, "5xx rate 5.00% above --max-5xx-rate 1.00%")
	assert.Contains(t, res.Message, "target 0, ELB 50, connection errors 0")
}

func TestSoakCountsTargetConnectionErrorsAgainstGreen(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "connErrors": 30, "p99": 0.1})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "5xx rate 3.00% above --max-5xx-rate 1.00%")
}

func TestSoakWithoutRequestDataJudgesOnHealthAndAlarmsAndSaysSo(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	soak := gateNamed(t, res, GateSoak)
	assert.Equal(t, "pass", soak.Verdict)
	evidence := strings.Join(soak.Evidence, "\n")
	assert.Contains(t, evidence, "no request data: judged on target health and alarms only")
	assert.Contains(t, evidence, "no datapoint for the window's last minute after --metrics-lag 3m0s")
	assert.GreaterOrEqual(t, soak.End.Sub(soak.Start), 2*time.Minute+3*time.Minute, "it waited --metrics-lag for datapoints that might still come")
}

func TestSoakFailsWithFewerRequestsThanMinRequests(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 10, "errors": 0, "p99": 0.1})
	res := w.deployer(t, true, func(o *Options) { o.MinRequests = 100 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "only 10 requests reached green during the soak, --min-requests 100: not enough traffic to judge")
}

func TestSoakWaitsForTheLateDatapointsOfItsLastMinuteAndJudgesTheWholeWindow(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "p99": 0.1})
	w.metricsLag = 2 * time.Minute
	w.lateMetrics = map[string]float64{"elb5xx": 40} // green failed in the soak's last minute
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome, "the 5xx that arrived after the soak window still count")
	assert.Contains(t, res.Message, "target 0, ELB 40, connection errors 0")
	soak := gateNamed(t, res, GateSoak)
	assert.GreaterOrEqual(t, soak.End.Sub(soak.Start), 2*time.Minute+time.Minute)
	assert.Less(t, soak.End.Sub(soak.Start), 2*time.Minute+3*time.Minute, "judged as soon as the last minute was covered")
}

func TestSoakStopsWaitingForLateMetricsBeforeTheTerminationWaitEnds(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "p99": 0.1})
	w.group.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes = 5
	w.metricsLag = time.Hour // the last minute never arrives
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	soak := gateNamed(t, res, GateSoak)
	assert.LessOrEqual(t, soak.End.Sub(soak.Start), 4*time.Minute+15*time.Second, "the 5 min termination wait less a minute for ContinueDeployment")
	assert.Contains(t, strings.Join(soak.Evidence, "\n"), "no datapoint for the window's last minute")
	require.NotNil(t, soak.MinutesJudged)
	assert.Zero(t, *soak.MinutesJudged, "CloudWatch published none of its minutes")
}

func TestGateTwoRecordsTheWholeCloudWatchMinutesItJudged(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "p99": 0.1})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	soak := gateNamed(t, res, GateSoak)
	require.NotNil(t, soak.MinutesJudged)
	assert.Equal(t, 2, *soak.MinutesJudged, "a 2m soak that began mid-minute holds the two whole minutes after it")
	data, err := json.Marshal(soak)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"minutesJudged":2`)
	assert.Nil(t, res.Gates[0].MinutesJudged, "gate ready judges no CloudWatch minute")
}

func TestACodeDeployAlarmRollbackMidSoakIsNoticedWithinAPollNotAtTheNextCheck(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{"requests": 1000, "errors": 0, "p99": 0.1})
	var stoppedAt, seenAt time.Time
	tw := stepTermWait // CodeDeploy's alarm fires 37 s into the soak: between the checks at 30 s and 45 s
	tw.waitFor, tw.lasts = "", 37*time.Second
	tw.enter = func(w *world) { stoppedAt = w.clock.Now().Add(37 * time.Second) }
	stopped := step{status: "Stopped", target: stepTermWait.target, errInfo: &cdtypes.ErrorInformation{Code: "ALARM_ACTIVE", Message: aws.String("alarm web-5xx fired")},
		rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}, enter: func(w *world) { seenAt = w.clock.Now() }}
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, tw, stopped)
	w.addScript("d-RB", step{status: S, enter: func(w *world) { w.setProd(tgBlue) }})
	d := w.deployer(t, true, func(o *Options) { o.PollInterval, o.PollMaxInterval = time.Second, time.Second })
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Empty(t, w.stops, "CodeDeploy stopped it, not the deployer")
	// The fake serves a step's end from the poll after the one at which it came
	// due: the change is seen within one poll of the first poll that could see it.
	assert.LessOrEqual(t, seenAt.Sub(stoppedAt), 2*d.o.PollMaxInterval, "read between the soak's checks")
	soak := gateNamed(t, res, GateSoak)
	assert.Equal(t, "incomplete", soak.Verdict)
	assert.Contains(t, soak.Reason, "CodeDeploy ended the deployment (stopped")
	assert.Less(t, soak.End.Sub(soak.Start), 45*time.Second, "not at the next soak check")
}

func TestGateOnesOwnProbesDoNotMeetMinRequests(t *testing.T) {
	t.Parallel()
	w := soakWorld(t, map[string]float64{})
	w.earlyMetrics = map[string]float64{"requests": 500} // gate 1's probes and suite, in the minute the soak began in
	tw := stepTermWait
	tw.enter = func(w *world) { w.earlyUntil = w.clock.Now() }
	w.scripts["d-NEW"].steps[5] = tw
	res := w.deployer(t, true, func(o *Options) { o.MinRequests = 100 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "only 0 requests reached green during the soak, --min-requests 100")
	assert.Contains(t, strings.Join(gateNamed(t, res, GateSoak).Evidence, "\n"), "the whole minutes that began inside the soak")
}

func TestDeployWhoseTerminationWaitEndedWhileWaitingForLateMetricsSaysTheSoakHadPassed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.metricsLag = time.Hour // the window's last minute never arrives
	tw := stepTermWait       // the termination wait ends a minute after the 2m soak window
	tw.waitFor, tw.lasts = "", 3*time.Minute
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, tw, stepSucceeded)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeReleasedUnverified, res.Outcome)
	require.Len(t, res.Gates, 3)
	assert.Equal(t, "incomplete", gateNamed(t, res, GateSoak).Verdict)
	assert.NotContains(t, gateNamed(t, res, GateSoak).Reason, "before the soak finished")
	assert.Contains(t, gateNamed(t, res, GateSoak).Reason, "the termination wait ended after the 2m0s soak window, whose checks had all passed, while the deployer waited for CloudWatch's late datapoints of its last minute")
	assert.Contains(t, res.Message, "into --metrics-lag 3m0s): the whole window's metrics were not judged")
}

func TestAssessSoakCut(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	w := &soakWindow{start: start, end: start.Add(5 * time.Minute), lagEnd: start.Add(8 * time.Minute)}
	cases := []struct {
		name  string
		now   time.Time
		phase Phase
		want  string
	}{
		{"inside the soak window it ended before the soak finished", start.Add(2 * time.Minute), PhaseSucceeded, "the termination wait ended before the soak finished (2m0s into the 5m0s soak)"},
		{"after the window it ended while waiting for CloudWatch", start.Add(6 * time.Minute), PhaseSucceeded, "after the 5m0s soak window, whose checks had all passed, while the deployer waited for CloudWatch's late datapoints of its last minute (1m0s into --metrics-lag 3m0s)"},
		{"CodeDeploy stopping it is said as such", start.Add(2 * time.Minute), PhaseStopped, "CodeDeploy ended the deployment (stopped: a group alarm, an operator's stop) 2m0s into the 5m0s soak; it rolls back to blue"},
		{"so is CodeDeploy failing it", start.Add(6 * time.Minute), PhaseFailed, "CodeDeploy ended the deployment (failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Contains(t, assessSoakCut(w, tc.now, 3*time.Minute, tc.phase), tc.want)
		})
	}
}

func TestAssessSoak(t *testing.T) {
	t.Parallel()
	o := DefaultOptions() // K=3, 5xx 1%, p99 2s
	healthy := healthVerdict{Healthy: 2, Desired: 2, OK: true}
	sick := healthVerdict{Healthy: 1, Desired: 2, Problems: []string{"10.0.0.2:8080 unhealthy (Target.Timeout)"}}
	cases := []struct {
		name     string
		obs      soakObservation
		wantOK   bool
		wantText string
	}{
		{"healthy green with low errors and latency holds", soakObservation{Health: healthy, Metrics: soakMetrics{Requests: 1000, Target5xx: 5, P99: 0.2, HasP99: true}}, true, "5xx 5/1000 (0.50%: target 5, ELB 0, connection errors 0)"},
		{"ELB-generated 5xx count as errors", soakObservation{Health: healthy, Metrics: soakMetrics{Requests: 100, ELB5xx: 2}}, false, "5xx rate 2.00%"},
		{"connection errors count as errors", soakObservation{Health: healthy, Metrics: soakMetrics{Requests: 100, ConnErrors: 2}}, false, "5xx rate 2.00%"},
		{"a connection error already counted as an ELB 502 counts once", soakObservation{Health: healthy, Metrics: soakMetrics{Requests: 1000, ELB5xx: 6, ConnErrors: 6}}, true, "5xx 6/1000 (0.60%"},
		{"errors without a single served request are a 100% error rate", soakObservation{Health: healthy, Metrics: soakMetrics{ELB5xx: 3}}, false, "5xx rate 100.00%"},
		{"one unhealthy check is tolerated", soakObservation{Health: sick, UnhealthyStreak: 1}, true, "1/2 healthy"},
		{"K consecutive unhealthy checks fail", soakObservation{Health: sick, UnhealthyStreak: 3}, false, "unhealthy for 3 consecutive checks"},
		{"an alarm in ALARM fails", soakObservation{Health: healthy, Alarming: []string{"web-5xx: threshold crossed"}}, false, "alarm in ALARM: web-5xx"},
		{"a 5xx rate above the limit fails", soakObservation{Health: healthy, Metrics: soakMetrics{Requests: 100, Target5xx: 2}}, false, "5xx rate 2.00%"},
		{"p99 above the limit fails", soakObservation{Health: healthy, Metrics: soakMetrics{Requests: 100, P99: 2.5, HasP99: true}}, false, "p99 TargetResponseTime 2.500s"},
		{"no traffic gives no rate to judge", soakObservation{Health: healthy}, true, "5xx 0/0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, text := assessSoak(tc.obs, o)
			assert.Equal(t, tc.wantOK, ok)
			assert.Contains(t, text, tc.wantText)
		})
	}
}

func TestSoakChecksNeverSleepPastTheWindowOrTheMetricsLag(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	w := &soakWindow{start: start, end: start.Add(5 * time.Minute), lagEnd: start.Add(8 * time.Minute)}
	assert.Equal(t, 15*time.Second, w.nextCheck(start, 15*time.Second), "every interval inside the window")
	assert.Equal(t, 5*time.Second, w.nextCheck(start.Add(5*time.Minute-5*time.Second), 15*time.Second), "the last check is at the window's end")
	assert.Equal(t, 10*time.Second, w.nextCheck(start.Add(8*time.Minute-10*time.Second), 15*time.Second), "then until the metrics lag ends")
	assert.Zero(t, w.nextCheck(start.Add(9*time.Minute), 15*time.Second), "never a negative sleep")
}

func TestGateTwoRollsBackAGreenCodeDeployMovedOnWithWhileItsTargetsAreUnhealthy(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	installMovesOnUnhealthy(w, stepShifting, stepTermWait, stepSucceeded) // all at once: the shift lasts a poll
	res := w.deployer(t, true, ungated).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Empty(t, w.continues, "blue is kept")
	assert.Equal(t, "pass", gateNamed(t, res, GateShift).Verdict, "one unhealthy check in the shift")
	soak := gateNamed(t, res, GateSoak)
	assert.Equal(t, "fail", soak.Verdict)
	assert.Contains(t, soak.Reason, "green unhealthy for 3 consecutive checks: 0/2 healthy")
	assert.Less(t, soak.End.Sub(soak.Start), 2*15*time.Second, "the shift's unhealthy check counts: two soak checks, not three")
}
