package deployer

import (
	"fmt"
	"time"
)

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

// assessGroup decides, before anything is written, whether the deployment group
// can gate a release with these options. The refusal is an *InputError (exit 2):
// the stack's deployment settings and the flags disagree. The warnings say what
// the release will do differently from what the flags ask.
func assessGroup(o Options, group string, g GroupSettings) ([]string, error) {
	var warnings []string
	field := "deployment group " + group
	if !g.gatesBeforeTraffic() {
		if o.HoldAtReady {
			return nil, inputErrorf("--hold-at-ready", "%s does not wait in Ready (deploymentReadyOption %s): --hold-at-ready cannot hold production traffic; set deployment.readyWaitMinutes in the stack (STOP_DEPLOYMENT with a wait time) and run pulumi up",
				field, g.ReadyAction)
		}
		if !o.AllowUngatedTraffic {
			return nil, inputErrorf(field, "deploymentReadyOption %s (ready wait 0): production traffic would move to green without gate 1; "+
				"set deployment.readyWaitMinutes in the stack (> 0: CodeDeploy then waits in Ready for the deployer) and run pulumi up, "+
				"or pass --allow-ungated-traffic to release without gate 1", g.ReadyAction)
		}
		warnings = append(warnings, fmt.Sprintf("--allow-ungated-traffic: production traffic moves to green without gate 1 (%s does not wait in Ready); only fail-fast and gate 2 apply", field))
	} else if g.ReadyWait > 0 && o.GateTimeout > g.ReadyWait-readyMargin(g.ReadyWait) {
		warnings = append(warnings, fmt.Sprintf("--gate-timeout %s reaches the group's ready wait (deployment.readyWaitMinutes, %s): gate 1 is cut at %s, so that it fails with its own reason and rolls back before CodeDeploy stops the deployment",
			o.GateTimeout, g.ReadyWait, g.ReadyWait-readyMargin(g.ReadyWait)))
	}
	if o.Soak > 0 && !o.HoldAtReady && g.TerminationWait <= o.Soak+soakMargin {
		return nil, inputErrorf("--soak", "--soak %s needs the group's termination wait (deployment.terminationWaitMinutes, %s) to exceed the soak by more than %s, "+
			"else CodeDeploy terminates blue before gate 2 can judge green; raise deployment.terminationWaitMinutes in the stack to at least %d, shorten --soak, or pass --soak 0 to skip gate 2",
			o.Soak, g.TerminationWait, soakMargin, int((o.Soak+soakMargin)/time.Minute)+1)
	}
	return warnings, nil
}

// assessGateDeadline is when gate 1 gives up: --gate-timeout from now, but no later
// than readyMargin(readyWait) before the group's ready wait ends (readyEnd; zero:
// unknown), so that gate 1 fails with its own reason and the deployer's rollback
// instead of CodeDeploy's TIMEOUT. clamped says the ready wait decided.
func assessGateDeadline(now time.Time, timeout time.Duration, readyEnd time.Time, readyWait time.Duration) (deadline time.Time, clamped bool) {
	deadline = now.Add(timeout)
	if readyEnd.IsZero() {
		return deadline, false
	}
	if limit := readyEnd.Add(-readyMargin(readyWait)); limit.Before(deadline) {
		return limit, true
	}
	return deadline, false
}
