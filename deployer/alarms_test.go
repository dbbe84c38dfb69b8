package deployer

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssessAlarms(t *testing.T) {
	t.Parallel()
	firing := []string{"web-5xx: Threshold Crossed"}
	cases := []struct {
		name           string
		alarming       []string
		waited, limit  time.Duration
		wantWait       bool
		wantRefusalFor string
	}{
		{"no alarm in ALARM lets the deployment start", nil, 0, 5 * time.Minute, false, ""},
		{"an alarm in ALARM is waited for", firing, time.Minute, 5 * time.Minute, true, ""},
		{"an alarm still in ALARM after the wait refuses the release", firing, 5 * time.Minute, 5 * time.Minute, false, "web-5xx"},
		{"no wait allowed refuses at once", firing, 0, 0, false, "web-5xx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wait, err := assessAlarms("web-dg", c.alarming, c.waited, c.limit)
			assert.Equal(t, c.wantWait, wait)
			if c.wantRefusalFor == "" {
				assert.NoError(t, err)
				return
			}
			var active *AlarmActiveError
			require.ErrorAs(t, err, &active)
			assert.Contains(t, err.Error(), c.wantRefusalFor)
		})
	}
}

func TestDeployWaitsForAnAlarmLeftFiringToClearBeforeCreatingTheDeployment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.alarms[0].StateValue = cwtypes.StateValueAlarm
	checks := 0
	w.onDescribeAlarms = func(w *world) {
		if checks++; checks == 3 {
			w.alarms[0].StateValue = cwtypes.StateValueOk
		}
	}
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.GreaterOrEqual(t, checks, 3, "the deployer checked the alarms until they cleared")
}

func TestDeployRefusesWhileAGroupAlarmStaysInAlarmAndWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.alarms[0].StateValue = cwtypes.StateValueAlarm
	w.alarms[0].StateReason = aws.String("Threshold Crossed: 2 datapoints were greater than the threshold (10.0)")
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, true, func(o *Options) { o.AlarmWait = 2 * time.Minute }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeAlarmActive, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "web-5xx: Threshold Crossed")
	assert.Zero(t, w.writes(), "no task definition registered, no deployment created")
}

func TestDeployRetriesAFailedAlarmReadWhileWaitingForAlarmsToClear(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.alarms[0].StateValue = cwtypes.StateValueAlarm
	checks := 0
	w.onDescribeAlarms = func(w *world) {
		if checks++; checks == 4 {
			w.alarms[0].StateValue = cwtypes.StateValueOk
		}
	}
	w.addScript("d-NEW", happyScript()...)
	d := flakyDeployer(t, w, func(op string, n int) error {
		if op == "DescribeAlarms" && (n == 2 || n == 3) {
			return apiError("Throttling", "Rate exceeded")
		}
		return nil
	})
	res := d.Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, "a throttled DescribeAlarms is no reason to give up the release: %s", res.Message)
	assert.Equal(t, 1, w.called("codedeploy:CreateDeployment"))
}

func TestDeployAlarmReadsFailingThroughTheAlarmWaitEndTheRunWithNothingWritten(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	d := flakyDeployer(t, w, func(op string, n int) error {
		if op == "DescribeAlarms" {
			return serverError(503)
		}
		return nil
	}, func(o *Options) { o.AlarmWait = 2 * time.Minute })
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeFailed, res.Outcome)
	assert.Contains(t, res.Message, "read the alarms of deployment group web-dg before creating a deployment (nothing was created)")
	assert.Zero(t, w.writes())
	assert.LessOrEqual(t, w.clock.Now().Sub(res.StartedAt), 2*time.Minute+maxReadBackoff, "retried within --alarm-wait")
}

func TestDeployWaitsLongEnoughForAnAlarmOnFiveMinutePeriodsToClear(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.alarms[0].StateValue = cwtypes.StateValueAlarm
	w.alarms[0].Period, w.alarms[0].EvaluationPeriods, w.alarms[0].DatapointsToAlarm = aws.Int32(300), aws.Int32(3), aws.Int32(3)
	clearAt := w.clock.Now().Add(10 * time.Minute) // the errors stopped as it began: two 5-minute periods later it clears
	w.onDescribeAlarms = func(w *world) {
		if !w.clock.Now().Before(clearAt) {
			w.alarms[0].StateValue = cwtypes.StateValueOk
		}
	}
	w.addScript("d-NEW", happyScript()...)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Equal(t, 12*time.Minute, res.Budget.AlarmWait, "derived: 2 periods + 2m")
}
