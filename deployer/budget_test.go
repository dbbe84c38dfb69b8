package deployer

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
)

func TestAssessBudget(t *testing.T) {
	t.Parallel()
	o := DefaultOptions() // soak 5m, metrics lag 3m
	o.GreenStartTimeout, o.GateTimeout = 10*time.Minute, 10*time.Minute
	stop := GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 60 * time.Minute, TerminationWait: 30 * time.Minute, ShiftDuration: 5 * time.Minute}
	cases := []struct {
		name   string
		opts   func(*Options)
		group  GroupSettings
		want   time.Duration
		wantG1 time.Duration
		wantG2 time.Duration
	}{
		{"the budget adds install, gate 1, shift, soak with metrics lag and slack", nil, stop, 33*time.Minute + 198*time.Second + 5*time.Minute, 10 * time.Minute, 8 * time.Minute},
		{"a short ready wait caps gate 1", nil, GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 2 * time.Minute, TerminationWait: 30 * time.Minute}, 20*time.Minute + 2*time.Minute + 5*time.Minute, 2 * time.Minute, 8 * time.Minute},
		{"without a soak the whole termination wait counts", func(o *Options) { o.Soak = 0 }, stop, 55*time.Minute + 330*time.Second + 5*time.Minute, 10 * time.Minute, 30 * time.Minute},
		{"a group that does not wait in Ready has no gate 1 time", nil, GroupSettings{ReadyAction: "CONTINUE_DEPLOYMENT", TerminationWait: 30 * time.Minute}, 18*time.Minute + 108*time.Second + 5*time.Minute, 0, 8 * time.Minute},
		{"holding at Ready ends the run before the traffic shift and soak", func(o *Options) { o.HoldAtReady = true }, stop, 20*time.Minute + 2*time.Minute + 5*time.Minute, 10 * time.Minute, 0},
		{"an explicit timeout wins", func(o *Options) { o.Timeout = time.Hour }, stop, time.Hour, 10 * time.Minute, 8 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := o
			if tc.opts != nil {
				tc.opts(&opts)
			}
			b := assessBudget(opts, assessLimits(opts, nil, tc.group, nil, true), tc.group)
			assert.Equal(t, tc.want, b.Total)
			assert.Equal(t, tc.wantG1, b.Gate1)
			assert.Equal(t, tc.wantG2, b.Gate2)
		})
	}
}

func TestTheBudgetLineNamesGateTwoForWhatItIs(t *testing.T) {
	t.Parallel()
	g := GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour, TerminationWait: 30 * time.Minute}
	o := DefaultOptions() // soak 5m, metrics lag 3m
	assert.Contains(t, assessBudget(o, limits{}, g).String(), "+ soak + metrics lag 8m0s +")
	assert.NotContains(t, assessBudget(o, limits{}, g).String(), "termination wait 8m0s")
	o.Soak = 0
	assert.Contains(t, assessBudget(o, limits{}, g).String(), "+ termination wait 30m0s +")
}

func TestAssessLimits(t *testing.T) {
	t.Parallel()
	grace := func(s int32) *ecstypes.Service { return &ecstypes.Service{HealthCheckGracePeriodSeconds: aws.Int32(s)} }
	dev := GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 10 * time.Minute}
	slow := []groupAlarm{{Period: 5 * time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 1}}
	cases := []struct {
		name                  string
		given                 func(*Options)
		svc                   *ecstypes.Service
		group                 GroupSettings
		alarms                []groupAlarm
		noAlarmWait           bool
		greenStart, gate, ala time.Duration
	}{
		{"a short grace period keeps green's 10m floor", nil, grace(60), dev, nil, false, 10 * time.Minute, 9 * time.Minute, 5 * time.Minute},
		{"the GPU stack's 1200 s grace period gives green 25m to start", nil, grace(1200), dev, nil, false, 25 * time.Minute, 9 * time.Minute, 5 * time.Minute},
		{"an explicit green start timeout wins over the grace period", func(o *Options) { o.GreenStartTimeout = 3 * time.Minute }, grace(1200), dev, nil, false, 3 * time.Minute, 9 * time.Minute, 5 * time.Minute},
		{"gate 1 runs until a minute before an hour-long ready wait ends", nil, nil, GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour}, nil, false, 10 * time.Minute, 59 * time.Minute, 5 * time.Minute},
		{"a group without a ready wait leaves gate 1 10m", nil, nil, GroupSettings{ReadyAction: "CONTINUE_DEPLOYMENT"}, nil, false, 10 * time.Minute, 10 * time.Minute, 5 * time.Minute},
		{"an explicit gate timeout is kept as given", func(o *Options) { o.GateTimeout = 20 * time.Minute }, nil, dev, nil, false, 10 * time.Minute, 20 * time.Minute, 5 * time.Minute},
		{"the alarm wait covers the slowest alarm's clearing", nil, nil, dev, slow, false, 10 * time.Minute, 9 * time.Minute, 22 * time.Minute},
		{"an explicit alarm wait wins", func(o *Options) { o.AlarmWait = time.Minute }, nil, dev, slow, false, 10 * time.Minute, 9 * time.Minute, time.Minute},
		{"a derived alarm wait is at most an hour", nil, nil, dev, []groupAlarm{{Period: time.Hour, EvaluationPeriods: 1}}, false, 10 * time.Minute, 9 * time.Minute, time.Hour},
		{"no alarm wait when the deployer will not wait for alarms", nil, nil, dev, slow, true, 10 * time.Minute, 9 * time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			given := DefaultOptions()
			if tc.given != nil {
				tc.given(&given)
			}
			o := assessLimits(given, tc.svc, tc.group, tc.alarms, tc.noAlarmWait)
			assert.Equal(t, tc.greenStart, o.GreenStartTimeout, "green start timeout")
			assert.Equal(t, tc.gate, o.GateTimeout, "gate timeout")
			assert.Equal(t, tc.ala, o.AlarmWait, "alarm wait")
		})
	}
}

func TestAssessAlarmClearTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		alarm groupAlarm
		want  time.Duration
	}{
		{"a 3-of-3 alarm on 5-minute periods needs two periods and the publish delay", groupAlarm{Period: 5 * time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 3}, 12 * time.Minute},
		{"an unset DatapointsToAlarm means all of the evaluation periods", groupAlarm{Period: 5 * time.Minute, EvaluationPeriods: 3}, 12 * time.Minute},
		{"a 1-of-3 alarm needs three clean periods", groupAlarm{Period: 5 * time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 1}, 22 * time.Minute},
		{"a 1-minute alarm clears in a few minutes", groupAlarm{Period: time.Minute, EvaluationPeriods: 3, DatapointsToAlarm: 2}, 5 * time.Minute},
		{"a composite alarm has no period of its own", groupAlarm{Name: "composite"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, assessAlarmClearTime(tc.alarm))
		})
	}
}

func TestAssessLimitsSaysWhichLimitsWereDerived(t *testing.T) {
	t.Parallel()
	given := DefaultOptions()
	given.GateTimeout = 20 * time.Minute
	l := assessLimits(given, nil, GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour}, nil, false)
	assert.True(t, l.Derived.GreenStartTimeout, "--green-start-timeout 0 is derived")
	assert.False(t, l.Derived.GateTimeout, "--gate-timeout 20m is as given")
}
