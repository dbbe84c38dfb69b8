package deployer

import (
	"time"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

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

// assessLimits fills the limits that given leaves at 0 (derived):
//   - --green-start-timeout: the larger of 10m and the service's
//     healthCheckGracePeriodSeconds + greenStartMargin, so a model that loads
//     within the grace period ECS allows it is not rolled back as broken;
//   - --gate-timeout: until readyMargin before the group's ready wait ends, the
//     latest gate 1 can fail and still roll back itself; 10m without a ready wait;
//   - --alarm-wait: the longest any of the group's alarms takes to clear
//     (assessAlarmClearTime), at least 5m, at most 1h; 0 when the deployer will
//     not wait for alarms (noAlarmWait: no enabled alarms, or a rollback redeploy
//     that overrides them).
func assessLimits(given Options, svc *ecstypes.Service, g GroupSettings, alarms []groupAlarm, noAlarmWait bool) Options {
	o := given
	if o.GreenStartTimeout <= 0 {
		o.GreenStartTimeout = minGreenStartTimeout
		if svc != nil && svc.HealthCheckGracePeriodSeconds != nil {
			o.GreenStartTimeout = max(o.GreenStartTimeout, time.Duration(*svc.HealthCheckGracePeriodSeconds)*time.Second+greenStartMargin)
		}
	}
	if o.GateTimeout <= 0 {
		o.GateTimeout = defaultGateTimeout
		if g.gatesBeforeTraffic() && g.ReadyWait > 0 {
			o.GateTimeout = g.ReadyWait - readyMargin(g.ReadyWait)
		}
	}
	switch {
	case noAlarmWait:
		o.AlarmWait = 0
	case o.AlarmWait <= 0:
		o.AlarmWait = minAlarmWait
		for _, a := range alarms {
			o.AlarmWait = max(o.AlarmWait, assessAlarmClearTime(a))
		}
		o.AlarmWait = min(o.AlarmWait, maxAlarmWait)
	}
	return o
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
