package deployer

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// installingForever is stepInstalling that never moves on: green keeps starting.
func installingForever() step {
	st := stepInstalling
	st.waitFor = "never"
	return st
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

func TestAGreenThatTurnsUnhealthyWhileTrafficShiftsIsRolledBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	shifting := stepShifting // production moves to green, whose targets then fail
	shifting.waitFor = "never"
	shifting.enter = func(w *world) {
		w.setProd(tgGreen)
		w.health = func(string) []elbv2types.TargetHealthDescription {
			return []elbv2types.TargetHealthDescription{target("10.0.0.1", "unhealthy", "Target.Timeout"), target("10.0.0.2", "healthy", "")}
		}
	}
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, shifting)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, []string{"READY_WAIT"}, w.continues, "gate 1 passed")
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Contains(t, res.Message, "gate shift failed: green target group web-green unhealthy for 3 consecutive checks 5s apart: 1/2 healthy; 10.0.0.1:8080 unhealthy (Target.Timeout)")
}
