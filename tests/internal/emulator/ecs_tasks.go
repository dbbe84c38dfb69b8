package emulator

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator/dataplane"
)

// task is an ECS task backed by a real dataplane task. Its instants are AWS time; the dataplane's
// real instants are converted on the clock as they are read (state).
type task struct {
	clock         *awsclock.Clock
	arn, id       string
	ts            *taskSet        // its service, cluster and task definition are the task set's
	dp            *dataplane.Task // nil while PROVISIONING, and when the task failed to start
	startErr      string
	provisioned   time.Time // when PROVISIONING ends and the image pull (PENDING) begins
	pullStarted   time.Time
	desiredStatus string
	created       time.Time
	eni, attachID string
	mac, subnet   string
	containerARN  string
	runtimeID     string
	registered    bool // registered in the task set's target group
	ip            string
	port          int
	stopping      time.Time // when the scheduler decided to stop it
	stopCode      string
	stopReason    string
}

// state returns the dataplane state with its instants in AWS time; before the container exists it
// is PROVISIONING, a stopped state for a task the scheduler stopped then, or TaskFailedToStart.
func (t *task) state() dataplane.TaskState {
	switch {
	case t.dp != nil:
		st := t.dp.State()
		st.StartedAt, st.StoppingAt, st.StoppedAt = t.awsTime(st.StartedAt), t.awsTime(st.StoppingAt), t.awsTime(st.StoppedAt)
		return st
	case t.startErr != "":
		exit := 1
		return dataplane.TaskState{LastStatus: "STOPPED", HealthStatus: "UNKNOWN", StopCode: "TaskFailedToStart",
			StoppedReason: t.startErr, ExitCode: &exit, StoppedAt: t.created}
	case t.desiredStatus == "STOPPED":
		return dataplane.TaskState{LastStatus: "STOPPED", HealthStatus: "UNKNOWN", StopCode: t.stopCode,
			StoppedReason: t.stopReason, StoppingAt: t.stopping, StoppedAt: t.stopping}
	}
	return dataplane.TaskState{LastStatus: "PROVISIONING", HealthStatus: "UNKNOWN"}
}

// awsTime converts a real instant of the data plane to AWS time; zero stays zero.
func (t *task) awsTime(real time.Time) time.Time {
	if real.IsZero() {
		return real
	}
	return t.clock.AWSTime(real)
}

// lastStatus is the ECS lastStatus: the dataplane's, except that a running task the scheduler is
// stopping is DEACTIVATING while its target drains, as ECS reports it.
func (t *task) lastStatus() string {
	st := t.state()
	if st.LastStatus == "STOPPED" {
		return "STOPPED"
	}
	if t.desiredStatus == "STOPPED" {
		if st.LastStatus == "RUNNING" {
			return "DEACTIVATING"
		}
		return "STOPPING"
	}
	return st.LastStatus
}

// supervisorTick is how often the service scheduler looks at its tasks: one AWS second, bounded
// so that tiny scales do not spin and huge ones still react.
func (e *Emulator) supervisorTick() time.Duration {
	return min(max(e.d(1), 10*time.Millisecond), time.Second)
}

// superviseService is the ECS service scheduler of one service: it launches tasks up to each task
// set's desired count, registers running ones in the target group, replaces tasks that stop or
// fail their container or ELB health checks, and forgets stopped tasks after an hour.
func (e *Emulator) superviseService(s *ecsService) {
	for e.sleep(e.supervisorTick()) {
		e.mu.Lock()
		now := e.now()
		for _, ts := range append([]*taskSet(nil), s.taskSets...) {
			e.superviseTaskSet(ts, now)
		}
		e.pruneStoppedTasks(now)
		e.mu.Unlock()
	}
}

func (e *Emulator) superviseTaskSet(ts *taskSet, now time.Time) {
	for _, t := range append([]*task(nil), ts.tasks...) {
		if t.dp == nil && t.startErr == "" && !now.Before(t.provisioned) {
			e.startContainer(t)
		}
		st := t.state()
		switch {
		case st.LastStatus == "STOPPED":
			e.taskStoppedOnItsOwn(t, st, now)
		case st.LastStatus == "RUNNING" && !t.registered && ts.tg != nil:
			ts.tg.dp.Register(t.ip, t.port)
			t.registered = true
			e.addEvent(ts.svc, fmt.Sprintf("(service %s) registered 1 targets in (target-group %s)", ts.svc.name, ts.tg.arn))
		case st.LastStatus == "RUNNING" && st.HealthStatus == "UNHEALTHY" && !e.inGracePeriod(t, st, now):
			e.addEvent(ts.svc, fmt.Sprintf("(service %s) (task %s) failed container health checks.", ts.svc.name, t.id))
			e.stopTask(t, "ServiceSchedulerInitiated", "Task failed container health checks")
		case st.LastStatus == "RUNNING" && e.failsELBHealth(t, st, now):
			e.addEvent(ts.svc, fmt.Sprintf("(service %s) (port %d) is unhealthy in (target-group %s) due to (reason Health checks failed).",
				ts.svc.name, t.port, ts.tg.arn))
			e.stopTask(t, "ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group "+ts.tg.arn+")")
		}
	}
	if ts.status == "DRAINING" {
		if len(ts.tasks) == 0 && !e.hasStoppingTasks(ts) {
			e.removeTaskSet(ts)
		}
		return
	}
	if e.steady(ts) {
		if !ts.steady {
			ts.steady, ts.stableAt, ts.failures = true, now, 0
			e.addEvent(ts.svc, fmt.Sprintf("(service %s) has reached a steady state.", ts.svc.name))
		}
	} else if ts.steady {
		ts.steady, ts.stableAt = false, now
	}
	for len(ts.tasks) < ts.desired() && !now.Before(ts.nextLaunch) {
		e.launchTask(ts)
	}
}

// steady reports whether a task set is in STEADY_STATE as ECS defines it: its running count equals
// its computed desired count, nothing is pending, and every task reports healthy from the load
// balancer (its target is healthy in the task set's target group) and from its container health
// check when the container defines one. The scheduler records it in ts.steady on each pass; that
// record is the one source of truth: DescribeTaskSets reports it and CodeDeploy's Install waits on
// it (aws/containers-roadmap#897): RUNNING tasks whose model is still loading are not installed.
func (e *Emulator) steady(ts *taskSet) bool {
	pending, running := ts.counts()
	if running != ts.desired() || pending > 0 {
		return false
	}
	checked := ts.td.container(ts.containerName).HealthCheck != nil
	for _, t := range ts.tasks {
		if checked && t.state().HealthStatus != dataplane.HealthStatusHealthy {
			return false
		}
		if ts.tg != nil && (!t.registered || ts.tg.dp.HealthOf(t.ip, t.port).State != dataplane.TargetStateHealthy) {
			return false
		}
	}
	return true
}

// inGracePeriod reports whether the service's health check grace period still shields a task: the
// scheduler ignores unhealthy load balancer and container health checks until it has passed since
// the task started.
func (e *Emulator) inGracePeriod(t *task, st dataplane.TaskState, now time.Time) bool {
	return now.Sub(st.StartedAt) < seconds(float64(t.ts.svc.healthGrace))
}

// failsELBHealth reports whether the task's target is unhealthy in its (in use) target group after
// the service's health check grace period.
func (e *Emulator) failsELBHealth(t *task, st dataplane.TaskState, now time.Time) bool {
	if !t.registered || t.ts.tg == nil || e.inGracePeriod(t, st, now) {
		return false
	}
	return t.ts.tg.dp.HealthOf(t.ip, t.port).State == dataplane.TargetStateUnhealthy
}

// taskStoppedOnItsOwn handles a task that stopped without the scheduler asking (a crash): it is
// deregistered and the task set schedules a replacement, backing off as failures repeat.
func (e *Emulator) taskStoppedOnItsOwn(t *task, st dataplane.TaskState, now time.Time) {
	ts := t.ts
	ts.tasks = removeTask(ts.tasks, t)
	t.desiredStatus = "STOPPED"
	if t.registered && ts.tg != nil {
		ts.tg.dp.Deregister(t.ip, t.port)
		t.registered = false
	}
	ts.failures++
	// ECS throttles a service whose tasks keep failing: the delay grows with each failure.
	backoff := seconds(min(10*float64(int(1)<<min(ts.failures-1, 7)), 900))
	ts.nextLaunch = now.Add(backoff)
	e.addEvent(ts.svc, fmt.Sprintf("(service %s) has stopped 1 running tasks: (task %s).", ts.svc.name, t.id))
	e.log.Info("ecs task stopped", "task", t.id, "reason", st.StoppedReason, "exitCode", exitCodeString(st.ExitCode))
}

// launchTask adds one task to a task set. It is PROVISIONING (its ENI being attached) for the
// emulator's provisioning time, then startContainer pulls its image (PENDING) and runs it.
func (e *Emulator) launchTask(ts *taskSet) {
	id := randomHex(32)
	now := e.now()
	t := &task{clock: e.clock, id: id, arn: e.arn("ecs", "task/"+ts.svc.cluster.name+"/"+id), ts: ts, desiredStatus: "RUNNING",
		created: now, provisioned: now.Add(seconds(e.provisioning)), runtimeID: id + "-" + randomDigits(10),
		eni: "eni-" + randomHex(17), attachID: randomUUID(), mac: macAddress(),
		containerARN: e.arn("ecs", "container/"+ts.svc.cluster.name+"/"+id+"/"+randomUUID())}
	if len(ts.svc.subnets) > 0 {
		t.subnet = ts.svc.subnets[0]
	}
	ts.tasks = append(ts.tasks, t)
	e.ecs.tasks = append(e.ecs.tasks, t)
	e.addEvent(ts.svc, fmt.Sprintf("(service %s) has started 1 tasks: (task %s).", ts.svc.name, id))
	if e.provisioning <= 0 {
		e.startContainer(t)
	}
}

// startContainer ends PROVISIONING: the dataplane task binds its address at once and stays PENDING
// for the image pull before its container runs.
func (e *Emulator) startContainer(t *task) {
	c := t.ts.td.container(t.ts.containerName)
	env := map[string]string{}
	for _, kv := range c.Environment {
		env[kv.Name] = kv.Value
	}
	spec := dataplane.TaskSpec{Image: c.Image, Env: env, ContainerPort: t.ts.containerPort, PendingSeconds: e.imagePull}
	if c.StopTimeout != nil {
		spec.StopTimeoutSeconds = *c.StopTimeout
	}
	if spec.ContainerPort == 0 && len(c.PortMappings) > 0 {
		spec.ContainerPort = c.PortMappings[0].ContainerPort
	}
	if hc := c.HealthCheck; hc != nil {
		spec.HealthCheck = &dataplane.ContainerHealthCheck{Command: hc.Command, IntervalSeconds: hc.Interval,
			TimeoutSeconds: hc.Timeout, Retries: hc.Retries, StartPeriodSeconds: hc.StartPeriod}
	}
	pullStarted := e.now() // before StartTask starts the pull's clock: pullStoppedAt-pullStartedAt >= the pull
	dp, err := dataplane.StartTask(spec, e.scale)
	if err != nil {
		t.startErr = "CannotStartContainerError: " + err.Error()
		return
	}
	t.dp, t.ip, t.port, t.pullStarted = dp, dp.IP(), dp.Port(), pullStarted
}

// stopTask is the scheduler stopping a task: it leaves its task set (which will replace it unless
// draining), its target is deregistered and drains for the group's deregistration delay, then
// the task is stopped gracefully.
func (e *Emulator) stopTask(t *task, code, reason string) {
	if t.desiredStatus == "STOPPED" {
		return
	}
	t.desiredStatus, t.stopping, t.stopCode, t.stopReason = "STOPPED", e.now(), code, reason
	t.ts.tasks = removeTask(t.ts.tasks, t)
	var drain time.Duration
	if t.registered && t.ts.tg != nil {
		t.ts.tg.dp.Deregister(t.ip, t.port)
		t.registered = false
		drain = e.d(float64(t.ts.tg.dp.Config().DeregistrationDelaySeconds))
		e.addEvent(t.ts.svc, fmt.Sprintf("(service %s) deregistered 1 targets in (target-group %s)", t.ts.svc.name, t.ts.tg.arn))
	}
	if t.dp == nil {
		return
	}
	dp := t.dp
	e.goBackground(func() {
		if e.sleep(drain) {
			dp.Stop(code, reason)
		}
	})
}

// hasStoppingTasks reports whether a task set still has tasks on their way to STOPPED.
func (e *Emulator) hasStoppingTasks(ts *taskSet) bool {
	for _, t := range e.ecs.tasks {
		if t.ts == ts && t.state().LastStatus != "STOPPED" {
			return true
		}
	}
	return false
}

func (e *Emulator) removeTaskSet(ts *taskSet) {
	s := ts.svc
	for i, other := range s.taskSets {
		if other == ts {
			s.taskSets = append(s.taskSets[:i:i], s.taskSets[i+1:]...)
			break
		}
	}
	e.addEvent(s, fmt.Sprintf("(service %s, taskSet %s) has stopped all tasks and was deleted.", s.name, ts.id))
}

// pruneStoppedTasks forgets tasks stopped more than an hour ago, as ECS does.
func (e *Emulator) pruneStoppedTasks(now time.Time) {
	keep := e.ecs.tasks[:0]
	for _, t := range e.ecs.tasks {
		st := t.state()
		if st.LastStatus == "STOPPED" {
			at := st.StoppedAt
			if at.IsZero() {
				at = t.created
			}
			if now.Sub(at) > time.Hour {
				continue
			}
		}
		keep = append(keep, t)
	}
	for i := len(keep); i < len(e.ecs.tasks); i++ {
		e.ecs.tasks[i] = nil
	}
	e.ecs.tasks = keep
}

func removeTask(list []*task, t *task) []*task {
	for i, x := range list {
		if x == t {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

func macAddress() string {
	h := randomHex(10)
	return "0a:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6] + ":" + h[6:8] + ":" + h[8:10]
}

func exitCodeString(c *int) string {
	if c == nil {
		return ""
	}
	return strconv.Itoa(*c)
}
