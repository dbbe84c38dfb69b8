package deployer

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Budget is the time a release may take, phase by phase; exceeding Total stops
// and rolls back (exit 3). WorstCase is how long the command may run in all: the
// wait for the group's alarms before anything is created (not part of Total: it
// writes nothing), Total, then following a rollback for --rollback-timeout.
type Budget struct {
	Install   time.Duration `json:"install"`
	Gate1     time.Duration `json:"gate1"`
	Shift     time.Duration `json:"shift"`
	Gate2     time.Duration `json:"gate2"`
	Slack     time.Duration `json:"slack"`
	Total     time.Duration `json:"total"`
	AlarmWait time.Duration `json:"alarmWait"`
	Rollback  time.Duration `json:"rollback"`
	WorstCase time.Duration `json:"worstCase"`
	gate2What string        // what Gate2 is, for String
}

// String renders the budget for the log.
func (b Budget) String() string {
	what := b.gate2What
	if what == "" {
		what = "gate 2"
	}
	return fmt.Sprintf("%s (install %s + ready gate %s + traffic shift %s + %s %s + slack %s); worst case %s (+ alarm wait %s before creating, + rollback %s)",
		b.Total, b.Install, b.Gate1, b.Shift, what, b.Gate2, b.Slack, b.WorstCase, b.AlarmWait, b.Rollback)
}

// assessBudget computes the release budget: green start (--green-start-timeout),
// the ready gate (our gate timeout, at most the group's ready wait), the traffic
// shift (from the deployment config), the soak and --metrics-lag (or the whole
// termination wait without a soak), and slack of 10% + 5 min for CodeDeploy's own
// steps. Holding at Ready ends the run before the shift. An explicit timeout
// wins. The worst case adds the alarm wait before it and the rollback after it.
// l holds the release's limits (assessLimits).
func assessBudget(o Options, l limits, g GroupSettings) Budget {
	b := Budget{Install: l.GreenStartTimeout, Shift: g.ShiftDuration, gate2What: "termination wait"}
	if g.gatesBeforeTraffic() {
		b.Gate1 = l.GateTimeout
		if g.ReadyWait > 0 && g.ReadyWait < b.Gate1 {
			b.Gate1 = g.ReadyWait
		}
	}
	b.Gate2 = g.TerminationWait
	if soak := o.Soak + o.MetricsLag; o.Soak > 0 && soak < g.TerminationWait {
		b.Gate2, b.gate2What = soak, "soak + metrics lag" // the soak, then at most --metrics-lag for CloudWatch's last minute
	}
	if o.HoldAtReady {
		b.Shift, b.Gate2 = 0, 0 // the run ends in Ready; the promoting run has its own budget
	}
	sum := b.Install + b.Gate1 + b.Shift + b.Gate2
	b.Slack = sum/10 + 5*time.Minute
	b.Total = sum + b.Slack
	if o.Timeout > 0 {
		b.Total = o.Timeout
	}
	b.AlarmWait, b.Rollback = l.AlarmWait, o.RollbackTimeout
	b.WorstCase = b.AlarmWait + b.Total + b.Rollback
	return b
}

// MarshalJSON renders durations as Go duration strings ("5m0s").
func (b Budget) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"install": b.Install.String(), "gate1": b.Gate1.String(), "shift": b.Shift.String(),
		"gate2": b.Gate2.String(), "slack": b.Slack.String(), "total": b.Total.String(),
		"alarmWait": b.AlarmWait.String(), "rollback": b.Rollback.String(), "worstCase": b.WorstCase.String(),
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Budget) UnmarshalJSON(data []byte) error {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	return parseDurations(m, map[string]*time.Duration{"install": &b.Install, "gate1": &b.Gate1, "shift": &b.Shift,
		"gate2": &b.Gate2, "slack": &b.Slack, "total": &b.Total, "alarmWait": &b.AlarmWait, "rollback": &b.Rollback, "worstCase": &b.WorstCase})
}

func parseDurations(in map[string]string, out map[string]*time.Duration) error {
	for k, p := range out {
		if in[k] == "" {
			continue
		}
		d, err := time.ParseDuration(in[k])
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		*p = d
	}
	return nil
}

// Limits the deployer derives from the service, the group and its alarms when
// their flags are 0 (the default). An explicit flag wins, except that no alarm
// wait is counted when the deployer will not wait for alarms (assessLimits).
const (
	// minGreenStartTimeout is the derived --green-start-timeout's floor.
	minGreenStartTimeout = 10 * time.Minute
	// greenStartMargin is added to the service's health check grace period: ECS
	// ignores the load balancer's health checks for the grace period because the
	// model may take that long to load, and before it starts green may wait for a
	// capacity provider to launch an instance (a GPU host: minutes) and pull a
	// large image; then the target group needs its healthy threshold of checks.
	greenStartMargin = 5 * time.Minute
	// defaultGateTimeout is gate 1's limit when the group sets no ready wait to
	// derive it from.
	defaultGateTimeout = 10 * time.Minute
	// minAlarmWait is the derived --alarm-wait's floor; maxAlarmWait its ceiling.
	minAlarmWait = 5 * time.Minute
	maxAlarmWait = time.Hour
	// alarmDelay is how late an alarm can see a period: ALB metrics reach
	// CloudWatch a minute or more after the minute ends, and alarms are evaluated
	// once a minute.
	alarmDelay = 2 * time.Minute
)

// limits are a release's time limits: --green-start-timeout, --gate-timeout and
// --alarm-wait as given, or, when given as 0, derived from what the deployer read
// (assessLimits). A command resolves them once and the release carries them.
type limits struct {
	GreenStartTimeout time.Duration
	GateTimeout       time.Duration
	AlarmWait         time.Duration
	// Derived says which limits were derived, for the messages that explain them.
	Derived struct{ GreenStartTimeout, GateTimeout bool }
}

// assessLimits resolves the limits, deriving those that given leaves at 0:
//   - --green-start-timeout: the larger of 10m and the service's
//     healthCheckGracePeriodSeconds + greenStartMargin, so a model that loads
//     within the grace period ECS allows it is not rolled back as broken;
//   - --gate-timeout: until readyMargin before the group's ready wait ends, the
//     latest gate 1 can fail and still roll back itself; 10m without a ready wait;
//   - --alarm-wait: the longest any of the group's alarms takes to clear
//     (assessAlarmClearTime), at least 5m, at most 1h; 0 when the deployer will
//     not wait for alarms (noAlarmWait: no enabled alarms, or a rollback redeploy
//     that overrides them).
func assessLimits(given Options, svc *ecstypes.Service, g GroupSettings, alarms []groupAlarm, noAlarmWait bool) limits {
	l := limits{GreenStartTimeout: given.GreenStartTimeout, GateTimeout: given.GateTimeout, AlarmWait: given.AlarmWait}
	if l.GreenStartTimeout <= 0 {
		l.GreenStartTimeout, l.Derived.GreenStartTimeout = minGreenStartTimeout, true
		if svc != nil && svc.HealthCheckGracePeriodSeconds != nil {
			l.GreenStartTimeout = max(l.GreenStartTimeout, time.Duration(*svc.HealthCheckGracePeriodSeconds)*time.Second+greenStartMargin)
		}
	}
	if l.GateTimeout <= 0 {
		l.GateTimeout, l.Derived.GateTimeout = defaultGateTimeout, true
		if g.gatesBeforeTraffic() && g.ReadyWait > 0 {
			l.GateTimeout = g.ReadyWait - readyMargin(g.ReadyWait)
		}
	}
	switch {
	case noAlarmWait:
		l.AlarmWait = 0
	case l.AlarmWait <= 0:
		l.AlarmWait = minAlarmWait
		for _, a := range alarms {
			l.AlarmWait = max(l.AlarmWait, assessAlarmClearTime(a))
		}
		l.AlarmWait = min(l.AlarmWait, maxAlarmWait)
	}
	return l
}

// assessAlarmClearTime is the longest an alarm in ALARM takes to leave it once
// what made it fire has stopped: an M-of-N alarm (DatapointsToAlarm M, default N
// = EvaluationPeriods) is OK again when fewer than M of its last N periods breach,
// i.e. after N-M+1 clean periods; the period in which the errors stopped still
// breaches, and the last one is seen alarmDelay late. A 3-of-3 alarm on 300 s
// periods: 2 periods + 2m = 12m. Composite alarms have no period of their own: 0.
func assessAlarmClearTime(a groupAlarm) time.Duration {
	if a.Period <= 0 {
		return 0
	}
	n := max(a.EvaluationPeriods, 1)
	m := a.DatapointsToAlarm
	if m <= 0 || m > n {
		m = n
	}
	return time.Duration(n-m+2)*a.Period + alarmDelay
}

// soakMargin is how much longer than --soak the group's termination wait must be:
// room for the last soak check, for CloudWatch's late datapoints (--metrics-lag,
// cut to fit) and for ContinueDeployment before CodeDeploy ends the wait itself
// and terminates blue without gate 2's verdict.
const soakMargin = 2 * time.Minute

// continueHeadroom is how long before a group's wait runs out the deployer stops
// waiting on its own checks, so that its ContinueDeployment or StopDeployment
// reaches CodeDeploy before the wait's own timeout does.
const continueHeadroom = time.Minute

// readyMargin is how long before the group's ready wait runs out gate 1 ends: a
// minute, or a fifth of a short ready wait.
func readyMargin(readyWait time.Duration) time.Duration {
	return min(continueHeadroom, readyWait/5)
}

// errBudgetExceeded means the release ran past its budget.
var errBudgetExceeded = errors.New("the release ran past its time budget")
