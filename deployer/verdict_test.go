package deployer

import (
	"testing"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
)

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

func TestAssessAgreementRate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		agreed, total int
		min           float64
		want          bool
	}{
		{"full agreement passes a full threshold", 10, 10, 1, true},
		{"one disagreement fails a full threshold", 9, 10, 1, false},
		{"agreement at the threshold passes", 9, 10, 0.9, true},
		{"nothing compared fails", 0, 0, 0.5, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, _ := assessAgreementRate(tc.agreed, tc.total, tc.min)
			assert.Equal(t, tc.want, ok)
		})
	}
}

func TestAssessTrafficRouting(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  *cdtypes.TrafficRoutingConfig
		want time.Duration
	}{
		{"all at once shifts at once", &cdtypes.TrafficRoutingConfig{Type: "AllAtOnce"}, 0},
		{"no routing config is all at once", nil, 0},
		{"canary takes one interval", &cdtypes.TrafficRoutingConfig{Type: "TimeBasedCanary", TimeBasedCanary: &cdtypes.TimeBasedCanary{CanaryPercentage: 10, CanaryInterval: 5}}, 5 * time.Minute},
		{"linear takes one interval per step", &cdtypes.TrafficRoutingConfig{Type: "TimeBasedLinear", TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 10, LinearInterval: 3}}, 30 * time.Minute},
		{"linear rounds the last partial step up", &cdtypes.TrafficRoutingConfig{Type: "TimeBasedLinear", TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 30, LinearInterval: 1}}, 4 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got := assessTrafficRouting(tc.cfg)
			assert.Equal(t, tc.want, got)
		})
	}
}

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
			b := assessBudget(opts, tc.group)
			assert.Equal(t, tc.want, b.Total)
			assert.Equal(t, tc.wantG1, b.Gate1)
			assert.Equal(t, tc.wantG2, b.Gate2)
		})
	}
}
