package deployer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deployer builds a Deployer on the world with blue (v1) behind the prod URL and
// green (greenReady decides /health/ready) behind the test URL.
func (w *world) deployer(t *testing.T, greenReady bool, opts ...func(*Options)) *Deployer {
	t.Helper()
	log, _ := newLog(t)
	tgt := testTarget()
	tgt.ProdURL = modelServer(t, "v1", 0, true).URL
	tgt.TestURL = modelServer(t, "v2", 0, greenReady).URL
	o := w.options(log)
	for _, f := range opts {
		f(&o)
	}
	return New(w.clients(), tgt, o)
}

func deployV2() DeployRequest {
	return DeployRequest{Image: newImage, Env: []EnvVar{{"MODEL_WARM", "1"}}, Provenance: Provenance{GitSHA: "abc123"}}
}

func TestDeployReleasesWhenBothGatesPass(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, ExitReleased, res.ExitCode)
	assert.Equal(t, "d-NEW", res.DeploymentID)
	assert.Equal(t, newTD, res.TaskDefinitionArn)
	assert.Equal(t, liveTD, res.PreviousTaskDefinitionArn)
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues, "gate 1 then gate 2 continue the deployment")
	assert.Empty(t, w.stops)
	require.Len(t, res.Gates, 2)
	assert.Equal(t, "pass", res.Gates[0].Verdict)
	assert.Equal(t, "pass", res.Gates[1].Verdict)
	assert.Contains(t, strings.Join(res.Gates[0].Evidence, "\n"), "readiness probe GET /health/ready via the test listener: 200")
	assert.Equal(t, []TrafficStep{{At: res.Traffic[0].At, Blue: 100, Green: 0}, {At: res.Traffic[1].At, Blue: 0, Green: 100}}, res.Traffic)
}

func TestDeployRegistersACloneWithTheImageEnvAndProvenance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Len(t, w.registers, 1)
	in := w.registers[0]
	assert.Equal(t, newImage, containerImage(in.ContainerDefinitions, "model"))
	assert.Equal(t, "repo/sidecar:3", containerImage(in.ContainerDefinitions, "sidecar"))
	tags := map[string]string{}
	for _, tg := range in.Tags {
		tags[*tg.Key] = *tg.Value
	}
	assert.Equal(t, liveTD, tags[TagPreviousTaskDefinition], "the rollback target is recorded on the new revision")
	assert.Equal(t, "abc123", tags[TagGitSHA])
	require.Len(t, w.creates, 1)
	c := w.creates[0]
	assert.Equal(t, "web-dg", *c.DeploymentGroupName)
	assert.Contains(t, *c.Revision.AppSpecContent.Content, newTD)
	assert.Contains(t, *c.Description, "deployer: image repo/model-server:v2 | git abc123")
}

func TestDeployRollsBackWhenGreenNeverBecomesReady(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	res := w.deployer(t, false).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Empty(t, w.continues, "production traffic never moves to a green that is not ready")
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Equal(t, 1, w.called("codedeploy:StopDeployment rollback=true"))
	assert.Equal(t, &RollbackInfo{DeploymentID: "d-RB", Status: S}, res.Rollback)
	assert.Contains(t, res.Message, "readiness probe GET /health/ready via the test listener: not 3 in a row within gate 1's time (until the group's ready wait 1h0m0s less 1m0s); last: 503")
	assert.Equal(t, "fail", res.Gates[0].Verdict)
}

// installingForever is stepInstalling that never moves on: green keeps starting.
func installingForever() step {
	st := stepInstalling
	st.waitFor = "never"
	return st
}

// greenCrashes is installingForever in which, as it is first served, green task
// crash1 exits 137.
func greenCrashes() step {
	st := installingForever()
	st.enter = func(w *world) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.stopped = append(w.stopped, ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:1:task/ml/crash1"), TaskDefinitionArn: aws.String(newTD),
			StopCode: ecstypes.TaskStopCodeEssentialContainerExited, StoppedReason: aws.String("Essential container in task exited"), CreatedAt: aws.Time(w.clock.Now()),
			Containers: []ecstypes.Container{{Name: aws.String("model"), ExitCode: aws.Int32(137)}}})
	}
	return st
}

func TestDeployFailsFastWhenGreenTasksCrash(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, greenCrashes())
	w.health = func(string) []elbv2types.TargetHealthDescription { return nil }
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	require.NotNil(t, res.Failure)
	require.Len(t, res.Failure.StoppedTasks, 1)
	assert.Contains(t, res.Message, "task crash1: EssentialContainerExited: Essential container in task exited; model exit 137")
	assert.Less(t, w.clock.Now().Sub(res.StartedAt), time.Minute, "no waiting for CodeDeploy's hour-long Install timeout")
}

func TestAGreenThatNeverTurnsHealthyIsRolledBackAfterTheGreenStartTimeout(t *testing.T) {
	t.Parallel()
	unhealthy := func(string) []elbv2types.TargetHealthDescription {
		return []elbv2types.TargetHealthDescription{target("10.0.0.5", "unhealthy", "Target.ResponseCodeMismatch")}
	}
	none := func(string) []elbv2types.TargetHealthDescription { return nil }
	cases := []struct {
		name    string
		grace   *int32 // the service's health check grace period
		timeout time.Duration
		health  func(string) []elbv2types.TargetHealthDescription
		want    string
	}{
		{"an explicit --green-start-timeout rolls back a green whose targets stay unhealthy", nil, 2 * time.Minute, unhealthy,
			"no healthy green target within --green-start-timeout 2m0s: 0/2 healthy; 10.0.0.5:8080 unhealthy (Target.ResponseCodeMismatch)"},
		{"the derived start time is the service's grace period plus 5m", aws.Int32(1200), 0, none,
			"no healthy green target within 25m0s (--green-start-timeout derived: the larger of 10m0s and the service's health check grace period + 5m0s)"},
		{"an explicit --green-start-timeout wins over the grace period", aws.Int32(1200), 3 * time.Minute, none,
			"no healthy green target within --green-start-timeout 3m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.service.HealthCheckGracePeriodSeconds = tc.grace
			w.addScript("d-NEW", stepCreated, installingForever())
			w.health = tc.health
			w.expectRollback("d-NEW")
			res := w.deployer(t, true, func(o *Options) { o.GreenStartTimeout = tc.timeout }).Deploy(context.Background(), deployV2())

			assert.Equal(t, OutcomeRolledBack, res.Outcome)
			assert.Contains(t, res.Message, tc.want)
		})
	}
}

func TestDeployGivesAGreenThatLoadsWithinTheServicesGracePeriodTimeToStart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.service.HealthCheckGracePeriodSeconds = aws.Int32(1200) // the GPU stack: a 20-minute model load
	var healthyAt time.Time
	w.addScript("d-NEW", stepCreated, step{status: "InProgress", target: ecsTarget("InProgress", events(S, "InProgress"), 100, 0), lasts: 18 * time.Minute,
		enter: func(w *world) { healthyAt = w.clock.Now().Add(17 * time.Minute) }},
		stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.health = func(string) []elbv2types.TargetHealthDescription {
		if w.clock.Now().Before(healthyAt) {
			return []elbv2types.TargetHealthDescription{target("10.0.0.5", "unhealthy", "Target.ResponseCodeMismatch")}
		}
		return healthyTargets(2)
	}
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, 25*time.Minute, res.Budget.Install, "the grace period plus 5m, not the 10m floor")
}

func TestDeployAttachesToTheInFlightDeploymentOfTheSameImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[newTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(newTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String(newImage)}}}
	w.tags[newTD] = []ecstypes.Tag{{Key: aws.String(TagPreviousTaskDefinition), Value: aws.String(liveTD)}}
	w.active = []string{"d-OLD"}
	w.addScript("d-OLD", stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.scripts["d-OLD"].appSpec = mustAppSpec(t, newTD)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Equal(t, "d-OLD", res.DeploymentID)
	assert.Equal(t, liveTD, res.PreviousTaskDefinitionArn)
	assert.Empty(t, w.registers, "resuming registers nothing")
	assert.Empty(t, w.creates, "resuming never creates a second deployment")
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues, "the resumed run still gates")
}

func TestDeployReadsTheInFlightAppSpecFromTheRevisionWhenGetDeploymentOmitsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.contentOnlyFromRevision = true
	w.taskDefs[newTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(newTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String(newImage)}}}
	w.active = []string{"d-OLD"}
	w.addScript("d-OLD", stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.scripts["d-OLD"].appSpec = mustAppSpec(t, newTD)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Equal(t, 1, w.called("codedeploy:GetApplicationRevision"))
}

func TestDeployRefusesWhenAnotherImageIsInFlight(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	other := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9"
	w.taskDefs[other] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(other), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String("repo/model-server:v3")}}}
	w.active = []string{"d-OTHER"}
	w.addScript("d-OTHER", stepReady)
	w.scripts["d-OTHER"].appSpec = mustAppSpec(t, other)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeBusy, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Equal(t, "d-OTHER", res.DeploymentID)
	assert.Contains(t, res.Message, "deployment d-OTHER (phase ready) deploys repo/model-server:v3")
	assert.Empty(t, w.registers)
	assert.Empty(t, w.creates)
	assert.Empty(t, w.stops, "someone else's deployment is left alone")
}

func TestDeployInterruptedStopsAndRollsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	installing := stepInstalling
	installing.enter = func(*world) { cancel() }
	w.addScript("d-NEW", stepCreated, installing, stepReady)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(ctx, deployV2())

	assert.Equal(t, OutcomeInterrupted, res.Outcome)
	assert.Equal(t, ExitInterrupted, res.ExitCode)
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Equal(t, &RollbackInfo{DeploymentID: "d-RB", Status: S}, res.Rollback)
}

func TestDeployInterruptedWithDetachLeavesTheDeploymentRunning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	installing := stepInstalling
	installing.enter = func(*world) { cancel() }
	w.addScript("d-NEW", stepCreated, installing, stepReady)
	res := w.deployer(t, true, func(o *Options) { o.OnInterrupt = "detach" }).Deploy(ctx, deployV2())

	assert.Equal(t, OutcomeDetached, res.Outcome)
	assert.Equal(t, ExitInterrupted, res.ExitCode)
	assert.Empty(t, w.stops)
	assert.Contains(t, res.Message, "Resume gating by running the same `deployer deploy` command")
}

func TestDeployTimesOutAndRollsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, step{status: "Queued", waitFor: "never"})
	w.expectRollback("d-NEW")
	res := w.deployer(t, true, func(o *Options) { o.Timeout = 5 * time.Minute }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeTimedOut, res.Outcome)
	assert.Equal(t, ExitTimedOut, res.ExitCode)
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Contains(t, res.Message, "time budget")
}

func TestDeployReportsARollbackCodeDeployStartedAsFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting,
		step{status: "Stopped", errInfo: &cdtypes.ErrorInformation{Code: "ALARM_ACTIVE", Message: aws.String("One or more alarms have been activated")},
			rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}})
	w.addScript("d-RB", step{status: "InProgress"}, step{status: S})
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome, "a rolled-back deployment is never success")
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Equal(t, "ALARM_ACTIVE", res.Failure.ErrorCode)
	assert.Contains(t, res.Message, "CodeDeploy ended deployment d-NEW as Stopped: ALARM_ACTIVE: One or more alarms have been activated")
	assert.Empty(t, w.stops)
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
	assert.Equal(t, "skipped", res.Gates[1].Verdict)
}

func TestDeployIsNotSuccessWhenProductionIsUnhealthyAfterCodeDeploySucceeded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	succeeded := stepSucceeded
	succeeded.enter = func(w *world) {
		w.health = func(string) []elbv2types.TargetHealthDescription {
			return []elbv2types.TargetHealthDescription{target("10.0.0.1", "unhealthy", "Target.Timeout")}
		}
	}
	termWait := stepTermWait
	termWait.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, termWait, succeeded)
	res := w.deployer(t, true, func(o *Options) { o.Soak = 0 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeUnhealthyAfterRelease, res.Outcome, "not released, and not an ordinary failure: blue is gone")
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "CodeDeploy reports success but production target group web-green is not healthy (0/2 healthy; 10.0.0.1:8080 unhealthy (Target.Timeout))")
	assert.Contains(t, res.Message, "blue is already gone, so there is no fast rollback: run `deployer rollback --to-task-definition "+liveTD+"` now")
	assert.Nil(t, res.Rollback, "nothing was rolled back")
	assert.Empty(t, w.stops)
}

func TestDeployWhoseProductionForwardsElsewhereAfterSuccessIsAPlainFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	succeeded := stepSucceeded
	succeeded.enter = func(w *world) { w.setProd(tgBlue) }
	termWait := stepTermWait
	termWait.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, termWait, succeeded)
	res := w.deployer(t, true, func(o *Options) { o.Soak = 0 }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeFailed, res.Outcome, "someone moved the listener: check status, not a redeploy")
	assert.Contains(t, res.Message, "CodeDeploy reports success but production forwards web-blue=100 web-green=0, not to green web-green")
}

func TestDeployPollsWithinTheAPIBudgetInSteadyStateAndReactsWithinTheMaxInterval(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	start := w.clock.Now()
	change := start.Add(10*time.Minute + 2500*time.Millisecond)
	installing := stepInstalling // green starts for ten unchanged minutes, then test traffic moves
	installing.until = change
	w.addScript("d-NEW", stepCreated, installing, stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	d := w.deployer(t, true)
	res := d.Deploy(context.Background(), deployV2())
	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)

	// After the fast window (fastPolls polls at --poll-interval) only the capped interval
	// remains: each install poll is GetDeployment, GetDeploymentTarget, ListTasks and
	// DescribeTargetHealth, 4 calls per --poll-max-interval (5 s) = 0.8 calls/s, clock.go's budget.
	from := start.Add(time.Minute)
	steady := w.callsBetween(from, change)
	perSecond := float64(len(steady)) / change.Sub(from).Seconds()
	assert.LessOrEqual(t, perSecond, 0.81, "AWS calls per second while nothing changes")
	assert.GreaterOrEqual(t, perSecond, 0.5, "still polling")

	seen, ok := w.firstCallAfter("codedeploy:GetDeployment d-NEW", change)
	require.True(t, ok)
	assert.LessOrEqual(t, seen.Sub(change), d.o.PollMaxInterval, "a change is seen within --poll-max-interval")
}

func mustAppSpec(t *testing.T, arn string) string {
	t.Helper()
	content, _, err := buildAppSpec(fargateService(), arn, "model", 8080).render()
	require.NoError(t, err)
	return content
}

func TestGateOneNoticesWhenTheReadyWaitRunsOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ready := stepReady
	ready.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, ready, ready, ready,
		step{status: "Stopped", errInfo: &cdtypes.ErrorInformation{Code: "TIMEOUT", Message: aws.String("ready wait timed out")},
			rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}})
	w.addScript("d-RB", step{status: S})
	res := w.deployer(t, false).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, "incomplete", res.Gates[0].Verdict)
	assert.Empty(t, w.stops, "CodeDeploy already stopped it")
	assert.Contains(t, res.Message, "TIMEOUT: ready wait timed out")
}

func TestDeployFailsFastOnAGreenCrashListedOnALaterPageOfStoppedTasks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.listTasksPage = 2
	for i := 0; i < 3; i++ { // blue's old stopped tasks fill the first pages
		w.stopped = append(w.stopped, ecstypes.Task{TaskArn: aws.String(fmt.Sprintf("arn:aws:ecs:us-east-1:1:task/ml/old%d", i)), TaskDefinitionArn: aws.String(liveTD),
			StopCode: ecstypes.TaskStopCodeServiceSchedulerInitiated, StoppedReason: aws.String("Scaling activity initiated by deployment")})
	}
	w.addScript("d-NEW", stepCreated, greenCrashes())
	w.health = func(string) []elbv2types.TargetHealthDescription { return nil }
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "task crash1: EssentialContainerExited", "the crash is on the second page of ListTasks")
	assert.Less(t, w.clock.Now().Sub(res.StartedAt), time.Minute)
}
