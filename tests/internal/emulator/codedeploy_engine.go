package emulator

import (
	"errors"
	"fmt"
	"time"
)

// Deployment statuses.
const (
	statusCreated    = "Created"
	statusInProgress = "InProgress"
	statusReady      = "Ready"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
	statusStopped    = "Stopped"
)

// ecsLifecycleEvents are the lifecycle events of an ECS deployment target, in order.
var ecsLifecycleEvents = []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic",
	"AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}

// installTimeoutMinutes is how long Install waits for the replacement task set's steady state.
const installTimeoutMinutes = 60

type lifecycleEvent struct {
	name, status string
	start, end   time.Time
	diag         *diagnostics
}

type diagnostics struct {
	ErrorCode  string `json:"errorCode,omitempty"`
	ScriptName string `json:"scriptName,omitempty"`
	Message    string `json:"message,omitempty"`
	LogTail    string `json:"logTail,omitempty"`
}

// outcome ends a deployment other than by success: Stopped or Failed with AWS's errorInformation,
// rolled back when the deployment's auto-rollback covers the event that caused it.
type outcome struct {
	status        string // Stopped or Failed
	code, message string
	rollbackEvent string // DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST
	forceRollback *bool  // StopDeployment's autoRollbackEnabled, when given
	eventCode     string // the failed lifecycle event's diagnostics errorCode; UnknownError if empty
}

func (o *outcome) Error() string { return o.status + ": " + o.message }

var (
	errClosed      = errors.New("emulator closed")
	errWaitExpired = errors.New("wait expired")
)

// runDeployment drives an ECS blue/green deployment from Created to a terminal status.
func (e *Emulator) runDeployment(d *deployment) {
	if !e.begin(d) {
		return
	}
	e.log.Info("codedeploy deployment in progress", "deployment", d.id)
	var err error
	if d.spec, err = parseAppSpec(d.rev.content().Content); err != nil {
		err = &outcome{status: statusFailed, code: "INVALID_REVISION", message: err.Error(), rollbackEvent: "DEPLOYMENT_FAILURE"}
	} else {
		err = e.blueGreen(d)
	}
	if errors.Is(err, errClosed) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.finishDeployment(d, err)
}

// finishDeployment ends a deployment with the engine's result; the caller holds e.mu. A deployment
// that ran its course is checked once more for a stop or an alarm under the lock: StopDeployment may
// have answered Pending (or an alarm fired) after the engine's last check, as the termination wait
// ran out, and CodeDeploy honours it.
func (e *Emulator) finishDeployment(d *deployment, err error) {
	if d.terminal() {
		return
	}
	if err == nil {
		if o := e.interruption(d); o != nil {
			err = o
		} else if d.stopRequest != nil {
			err = d.stopRequest // requested, not yet in effect: still honoured
		}
	}
	var o *outcome
	if errors.As(err, &o) {
		e.endDeployment(d, o)
		return
	}
	if err != nil {
		e.endDeployment(d, &outcome{status: statusFailed, code: "INTERNAL_ERROR", message: err.Error(),
			rollbackEvent: "DEPLOYMENT_FAILURE"})
		return
	}
	e.succeed(d)
}

// blueGreen runs the lifecycle events, the optional ready wait and the termination wait.
func (e *Emulator) blueGreen(d *deployment) error {
	steps := []struct {
		event string
		run   func(*deployment) (skipped bool, err error)
	}{
		{"BeforeInstall", e.hook}, {"Install", e.install}, {"AfterInstall", e.hook},
		{"AllowTestTraffic", e.allowTestTraffic}, {"AfterAllowTestTraffic", e.hookAfterTest},
		{"", e.readyWait},
		{"BeforeAllowTraffic", e.hook}, {"AllowTraffic", e.allowTraffic}, {"AfterAllowTraffic", e.hook},
	}
	for _, s := range steps {
		if s.event == "" {
			if _, err := s.run(d); err != nil {
				return err
			}
			continue
		}
		if err := e.runEvent(d, s.event, s.run); err != nil {
			return err
		}
	}
	return e.terminationWait(d)
}

// runEvent runs one lifecycle event and records its status, times and diagnostics.
func (e *Emulator) runEvent(d *deployment, name string, run func(*deployment) (bool, error)) error {
	e.mu.Lock()
	ev := d.event(name)
	ev.status, ev.start = "InProgress", e.now()
	d.current = name
	e.mu.Unlock()
	e.step(d, name, 0)
	skipped, err := run(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	ev.end = e.now()
	switch {
	case errors.Is(err, errClosed):
	case err != nil:
		ev.status = "Failed"
		msg := err.Error()
		code := "UnknownError"
		var o *outcome
		if errors.As(err, &o) {
			msg = o.message
			if o.eventCode != "" {
				code = o.eventCode
			}
		}
		ev.diag = &diagnostics{ErrorCode: code, Message: msg}
	case skipped:
		ev.status = "Skipped"
	default:
		ev.status = "Succeeded"
		ev.diag = &diagnostics{ErrorCode: "Success", Message: "Succeeded"}
	}
	e.log.Info("codedeploy lifecycle event", "deployment", d.id, "event", name, "status", ev.status)
	return err
}

// hook is an event that runs the AppSpec's Lambda hook if any. The emulator has no Lambda, and
// pretending a hook reported Succeeded would hide a validation the user relies on: the event fails
// as a hook that could not run does, and the deployment fails (rolled back on DEPLOYMENT_FAILURE).
func (e *Emulator) hook(d *deployment) (bool, error) {
	if fn, ok := d.spec.Hooks[d.current]; ok {
		return false, &outcome{status: statusFailed, code: "HOOK_EXECUTION_FAILURE", rollbackEvent: "DEPLOYMENT_FAILURE",
			eventCode: "ScriptFailed",
			message: fmt.Sprintf("The deployment failed because the %s lifecycle event hook failed: "+
				"the emulator cannot invoke Lambda hook %s (it has no Lambda); remove the hook to rehearse here.", d.current, fn)}
	}
	return false, e.pause(d, time.Second)
}

// hookAfterTest is AfterAllowTestTraffic: Skipped without a test listener, like AllowTestTraffic.
func (e *Emulator) hookAfterTest(d *deployment) (bool, error) {
	if len(d.group.spec.TestListenerARNs) == 0 {
		return true, nil
	}
	return e.hook(d)
}

// install creates the replacement task set on the target group the production listener does not
// serve, and waits for its steady state: every task RUNNING and healthy from the load balancer and
// its container health check. It waits on the stability ECS reports (the scheduler's ts.steady,
// DescribeTaskSets' stabilityStatus), never on a reading of its own that could run ahead of it.
// With InstallIgnoresHealth it waits only for every task to be RUNNING. CodeDeploy gives up after
// 60 minutes.
func (e *Emulator) install(d *deployment) (bool, error) {
	e.mu.Lock()
	svc := e.groupService(d.group)
	if svc == nil || svc.primary() == nil {
		e.mu.Unlock()
		return false, &outcome{status: statusFailed, code: "INVALID_ECS_SERVICE", rollbackEvent: "DEPLOYMENT_FAILURE",
			message: "The ECS service of the deployment group does not exist or has no primary task set."}
	}
	td := e.taskDefByRef(d.spec.TaskDefinition)
	if msg := taskSetProblem(td, d.spec); msg != "" {
		e.mu.Unlock()
		return false, &outcome{status: statusFailed, code: "ECS_UPDATE_ERROR", rollbackEvent: "DEPLOYMENT_FAILURE",
			message: "The ECS service cannot be updated due to an unexpected error: " + msg +
				" (Service: AmazonECS; Status Code: 400; Error Code: InvalidParameterException). Check your ECS service status."}
	}
	live, other := e.trafficPair(d.group, svc)
	d.original = svc.primary()
	d.replacement = e.createTaskSet(svc, td, other, d.spec.ContainerName, d.spec.ContainerPort, "CODE_DEPLOY", d.id)
	e.log.Info("codedeploy replacement task set created", "deployment", d.id, "taskSet", d.replacement.id,
		"targetGroup", other.name, "original", live.name)
	ts := d.replacement
	e.mu.Unlock()
	installed := func() bool { return ts.steady }
	if e.installIgnoresHealth {
		installed = func() bool { pending, running := ts.counts(); return pending == 0 && running == ts.desired() }
	}
	err := e.waitFor(d, installTimeoutMinutes*time.Minute, installed)
	if errors.Is(err, errWaitExpired) {
		return false, &outcome{status: statusFailed, code: "TIMEOUT", rollbackEvent: "DEPLOYMENT_FAILURE",
			message: "The deployment timed out while waiting for the replacement task set to become healthy. " +
				"This time out period is 60 minutes."}
	}
	return false, err
}

// taskSetProblem returns the message ECS's CreateTaskSet answers when the AppSpec's load balancer
// container and port do not match the task definition, or "" when they do.
func taskSetProblem(td *taskDef, spec *appSpec) string {
	if td == nil {
		return "Unable to describe task definition " + spec.TaskDefinition + "."
	}
	c := td.containerNamed(spec.ContainerName)
	if c == nil {
		return fmt.Sprintf("The container %s does not exist in the task definition.", spec.ContainerName)
	}
	for _, pm := range c.PortMappings {
		if pm.ContainerPort == spec.ContainerPort {
			return ""
		}
	}
	return fmt.Sprintf("The container %s did not have a container port %d defined.", spec.ContainerName, spec.ContainerPort)
}

// allowTestTraffic points every test listener at the replacement target group.
func (e *Emulator) allowTestTraffic(d *deployment) (bool, error) {
	e.mu.Lock()
	if len(d.group.spec.TestListenerARNs) == 0 {
		e.mu.Unlock()
		return true, nil
	}
	e.route(d.group.spec.TestListenerARNs, d.replacement.tg, d.original.tg, 100)
	e.mu.Unlock()
	return false, e.pause(d, time.Second)
}

// readyWait holds the deployment in Ready until ContinueDeployment(READY_WAIT) when the group's
// ready option is STOP_DEPLOYMENT; if nobody continues in time the deployment is Stopped.
func (e *Emulator) readyWait(d *deployment) (bool, error) {
	e.mu.Lock()
	spec := d.group.spec
	if spec.ReadyAction != "STOP_DEPLOYMENT" {
		e.mu.Unlock()
		return true, nil
	}
	d.status = statusReady
	d.setTarget("Ready", e.now())
	d.current = ""
	e.log.Info("codedeploy deployment ready: waiting for ContinueDeployment", "deployment", d.id, "minutes", spec.ReadyWaitMinutes)
	e.mu.Unlock()
	e.step(d, StepReady, 0)
	err := e.waitFor(d, time.Duration(spec.ReadyWaitMinutes)*time.Minute, func() bool { return d.readyContinued })
	if errors.Is(err, errWaitExpired) {
		return false, &outcome{status: statusStopped, code: "TIMEOUT", rollbackEvent: "DEPLOYMENT_STOP_ON_REQUEST",
			message: fmt.Sprintf("The deployment timed out while waiting for traffic rerouting to be started. "+
				"The wait period is %d minutes.", spec.ReadyWaitMinutes)}
	}
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	d.status = statusInProgress
	d.setTarget("InProgress", e.now())
	e.mu.Unlock()
	return false, nil
}

// allowTraffic shifts the production listeners to the replacement target group as the
// deployment configuration says, then makes the replacement task set PRIMARY.
func (e *Emulator) allowTraffic(d *deployment) (bool, error) {
	r := d.config.routing
	steps := []int{100}
	switch r.Type {
	case TimeBasedCanary:
		steps = []int{r.Percentage, 100}
	case TimeBasedLinear:
		steps = nil
		for w := r.Percentage; w < 100; w += r.Percentage {
			steps = append(steps, w)
		}
		steps = append(steps, 100)
	}
	for i, w := range steps {
		e.mu.Lock()
		e.route(d.group.spec.ProdListenerARNs, d.replacement.tg, d.original.tg, w)
		e.log.Info("codedeploy traffic shifted", "deployment", d.id, "replacementWeight", w)
		e.mu.Unlock()
		e.step(d, StepShift, w)
		wait := time.Second
		if i < len(steps)-1 {
			wait = time.Duration(r.IntervalMinutes) * time.Minute
		}
		if err := e.pause(d, wait); err != nil {
			return false, err
		}
	}
	e.mu.Lock()
	e.setPrimary(d.replacement)
	e.mu.Unlock()
	return false, nil
}

// terminationWait starts when the ECS target succeeds: alarms are still watched and rollback is
// still possible until the wait ends (or ContinueDeployment(TERMINATION_WAIT) ends it early).
func (e *Emulator) terminationWait(d *deployment) error {
	e.mu.Lock()
	d.setTarget("Succeeded", e.now())
	d.current = ""
	minutes := d.group.spec.TerminationWaitMinutes
	e.mu.Unlock()
	e.step(d, StepTerminationWait, 0)
	err := e.waitFor(d, time.Duration(minutes)*time.Minute, func() bool { return d.terminationContinued })
	if errors.Is(err, errWaitExpired) {
		return nil
	}
	return err
}

// waitFor waits until done (checked under the lock) holds, timeout (AWS time) passes
// (errWaitExpired; zero waits one check only), the deployment is stopped or an alarm fires (an
// *outcome), or the emulator closes. A nil done never holds.
func (e *Emulator) waitFor(d *deployment, timeout time.Duration, done func() bool) error {
	deadline := e.now().Add(timeout)
	for {
		e.mu.Lock()
		if o := e.interruption(d); o != nil {
			e.mu.Unlock()
			return o
		}
		ok := done != nil && done()
		e.mu.Unlock()
		if ok {
			return nil
		}
		left := deadline.Sub(e.now())
		if left <= 0 {
			return errWaitExpired
		}
		if !e.sleep(min(e.clock.RealDuration(left), e.supervisorTick())) {
			return errClosed
		}
	}
}

// pause waits for an AWS duration while watching for stops and alarms.
func (e *Emulator) pause(d *deployment, dur time.Duration) error {
	if err := e.waitFor(d, dur, nil); !errors.Is(err, errWaitExpired) {
		return err
	}
	return nil
}

// interruption returns why the deployment must end now: a StopDeployment request or an alarm
// of the group's alarm configuration in ALARM.
func (e *Emulator) interruption(d *deployment) *outcome {
	if d.stopRequest != nil && !e.now().Before(d.stopAt) {
		return d.stopRequest
	}
	return e.alarmOutcome(d)
}

// setTarget sets the ECS deployment target's status at the AWS instant now.
func (d *deployment) setTarget(status string, now time.Time) {
	d.targetStatus, d.targetUpdated = status, now
}

func (d *deployment) event(name string) *lifecycleEvent {
	for _, ev := range d.events {
		if ev.name == name {
			return ev
		}
	}
	return nil
}
