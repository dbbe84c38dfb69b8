package deployer

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// groupAlarm is one of the deployment group's alarms as DescribeAlarms reports it.
type groupAlarm struct {
	Name, Reason      string
	InAlarm           bool
	Period            time.Duration // metric alarms only
	EvaluationPeriods int32
	DatapointsToAlarm int32
}

// String renders "name: reason", as the logs and results show an alarm in ALARM.
func (a groupAlarm) String() string { return a.Name + ": " + a.Reason }

// firing lists "name: reason" of the alarms in ALARM.
func firing(alarms []groupAlarm) []string {
	var out []string
	for _, a := range alarms {
		if a.InAlarm {
			out = append(out, a.String())
		}
	}
	return out
}

// readGroupAlarms reads the group's alarms before anything is written, retrying
// a read that fails transiently (throttling, a 5xx, the network) until deadline:
// one failed DescribeAlarms is no reason to give up a release. Without enabled
// alarms there is nothing to read.
func (d *Deployer) readGroupAlarms(ctx context.Context, g GroupSettings, deadline time.Time) ([]groupAlarm, error) {
	if !g.AlarmsEnabled || len(g.Alarms) == 0 {
		return nil, nil
	}
	var alarms []groupAlarm
	if err := d.waitForRead(ctx, blindAt(deadline), func(ctx context.Context) (err error) {
		alarms, err = d.describeAlarms(ctx, g.Alarms)
		return err
	}); err != nil {
		return nil, fmt.Errorf("read the alarms of deployment group %s before creating a deployment (nothing was created): %w", d.t.DeploymentGroup, err)
	}
	return alarms, nil
}

// waitForAlarmsToClear waits, from start up to start + limit (--alarm-wait), for
// the group's alarms (first: as read at start) to leave ALARM before a deployment
// is created (see assessAlarms). Reads that fail transiently are retried within
// the same time.
func (d *Deployer) waitForAlarmsToClear(ctx context.Context, g GroupSettings, first []groupAlarm, start time.Time, limit time.Duration) error {
	alarms, looked := first, false
	return d.waitFor(ctx, blindAt(start.Add(limit)), func(ctx context.Context) (next, error) {
		if looked {
			var err error
			if alarms, err = d.readGroupAlarms(ctx, g, start.Add(limit)); err != nil {
				return waitOver, err // readGroupAlarms retried it already
			}
		}
		alarming := firing(alarms)
		wait, err := assessAlarms(d.t.DeploymentGroup, alarming, d.clock.Now().Sub(start), limit)
		if !wait {
			if looked && err == nil {
				d.log.Info("group alarms are clear", "waited", d.clock.Now().Sub(start).Round(time.Second).String())
			}
			return waitOver, err
		}
		if !looked {
			d.log.Warn("group alarms in ALARM: CodeDeploy would stop a new deployment at once; waiting for them to clear",
				"alarms", strings.Join(alarming, "; "), "alarmWait", limit.String())
		}
		looked = true
		return lookAgainIn(d.o.PollMaxInterval), nil
	})
}

// assessAlarms decides, before a deployment is created, what the group's alarms
// in ALARM (alarming, "name: reason") allow after waiting waited of limit:
// proceed (false, nil), check again (true, nil), or refuse (false, error).
// CodeDeploy stops a deployment at once while one of its group's alarms is in
// ALARM, so creating one then only costs a rollback; alarms left firing by a
// previous release's errors clear after a few periods.
func assessAlarms(group string, alarming []string, waited, limit time.Duration) (wait bool, err error) {
	switch {
	case len(alarming) == 0:
		return false, nil
	case waited < limit:
		return true, nil
	}
	return false, &AlarmActiveError{Group: group, Alarms: alarming, Waited: waited}
}
