package deployer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// errBudgetExceeded means the release ran past its budget.
var errBudgetExceeded = errors.New("the release ran past its time budget")

// GateError is a failed gate or fail-fast check: the release must be rolled back.
type GateError struct {
	Gate   string
	Reason string
}

// Error renders "gate <name> failed: <reason>".
func (e *GateError) Error() string { return "gate " + e.Gate + " failed: " + e.Reason }

// release is one deployment being followed.
type release struct {
	ID           string
	TaskDefArn   string
	revision     bool // releasing a registered revision as is: an in-flight deployment is ours only with that revision
	Image        string
	Group        GroupSettings
	ServiceCount int32
	vars         map[string]string
	deadline     time.Time

	installStart     time.Time // our clock: when we first saw the deployment past Queued
	createdAt        time.Time // CodeDeploy's CreateTime: older stopped tasks are not this deployment's
	green            *targetGroupInfo
	greenHealthy     bool // a green target has been healthy at least once
	unhealthyStreak  int
	seenStopped      map[string]bool
	stopped          []StoppedTask
	gateLimit        string // how gate 1's deadline was set, for its failure message
	gate1Done        bool
	gate2Done        bool
	held             bool // gate 1 passed and --hold-at-ready left the deployment in Ready
	alarmsOverridden bool // created with the group's alarms turned off (rollback redeploy): gate 2 does not judge them
	weights          [2]float64
	facts            map[string]string
}

// targetGroupInfo is a target group as DescribeTargetGroups reports it.
type targetGroupInfo struct {
	Arn, Name, HealthCheckPath string
	LoadBalancerArns           []string
}

// poll reads the deployment and, once it exists, its ECS target.
func (d *Deployer) poll(ctx context.Context, id string) (snapshot, error) {
	out, err := d.c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: &id})
	if err != nil {
		return snapshot{}, readError("get deployment "+id, err)
	}
	s := snapshot{Deployment: out.DeploymentInfo, At: d.clock.Now()}
	if s.Deployment == nil {
		return snapshot{}, fmt.Errorf("get deployment %s: empty answer", id)
	}
	if st := s.Deployment.Status; st == cdtypes.DeploymentStatusCreated || st == cdtypes.DeploymentStatusQueued {
		return s, nil
	}
	tout, err := d.c.CodeDeploy.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: &id, TargetId: aws.String(d.targetID())})
	switch {
	case hasCode(err, "DeploymentTargetDoesNotExistException", "DeploymentNotStartedException"):
	case err != nil:
		return snapshot{}, readError(fmt.Sprintf("get deployment target %s of %s", d.targetID(), id), err)
	case tout.DeploymentTarget != nil:
		s.Target = tout.DeploymentTarget.EcsTarget
	}
	return s, nil
}

// targetID is CodeDeploy's id of the ECS service target: "<cluster>:<service>".
func (d *Deployer) targetID() string {
	cluster := d.t.Cluster
	if i := strings.LastIndex(cluster, "/"); strings.HasPrefix(cluster, "arn:") && i >= 0 {
		cluster = cluster[i+1:]
	}
	return cluster + ":" + d.t.Service
}

// follow polls the deployment to its end, gating Ready and the termination wait
// and failing fast on a broken green. It returns nil once the deployment ended
// or was held in Ready (res then says how), a *GateError when the release must be rolled back,
// errBudgetExceeded, or the context's error.
func (d *Deployer) follow(ctx context.Context, res *Result, r *release) error {
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	var sg sight
	for {
		done, err := d.followStep(ctx, res, r, p)
		if done {
			return err
		}
		if err != nil {
			// A read that failed is retried within the budget: not seeing is no verdict.
			if err = d.retryRead(ctx, &sg, err, r.deadline); err != nil {
				return err
			}
			continue
		}
		sg.clear()
		if d.clock.Now().After(r.deadline) {
			return errBudgetExceeded
		}
		if err := d.clock.Sleep(ctx, p.next()); err != nil {
			return err
		}
	}
}

// followStep polls the deployment once and acts on its phase: fail fast while
// green starts or takes traffic, gate 1 in Ready, gate 2 in the termination wait,
// or finish. done says the follow is over; err then says how it ended.
func (d *Deployer) followStep(ctx context.Context, res *Result, r *release, p *poller) (bool, error) {
	snap, err := d.poll(ctx, r.ID)
	if err != nil {
		return false, err
	}
	if d.observe(res, r, snap) {
		p.changed()
	}
	switch phase := assessDeployment(snap.Deployment, snap.Target); phase {
	case PhaseSucceeded, PhaseFailed, PhaseStopped:
		return true, d.finish(ctx, res, r, snap, phase)
	case PhaseInstalling, PhaseShifting:
		return false, d.failFast(ctx, r, snap, phase)
	case PhaseReady:
		if !r.gate1Done {
			p.changed()
			if err := d.passReadyGate(ctx, res, r, snap); err != nil {
				return false, err
			}
		}
		if r.held {
			d.holdAtReady(res, r, snap)
			return true, nil
		}
	case PhaseTerminationWait:
		r.gate1Done = true
		if !r.gate2Done {
			p.changed()
			return false, d.passSoakGate(ctx, res, r, snap)
		}
	}
	return false, nil
}

// observe logs what changed since the last poll (one line per change) and
// records the traffic split; it reports whether anything changed.
func (d *Deployer) observe(res *Result, r *release, s snapshot) bool {
	facts := describeSnapshot(s)
	changes := snapshotChanges(r.facts, facts)
	r.facts = facts
	elapsed := d.clock.Now().Sub(res.StartedAt).Round(time.Second)
	for _, c := range changes {
		d.log.Info(c, "deployment", r.ID, "elapsed", elapsed.String())
	}
	res.recordEvents(s.Target)
	if blue, green := taskSet(s.Target, cdtypes.TargetLabelBlue), taskSet(s.Target, cdtypes.TargetLabelGreen); blue != nil || green != nil {
		var w [2]float64
		if blue != nil {
			w[0] = blue.TrafficWeight
		}
		if green != nil {
			w[1] = green.TrafficWeight
		}
		if w != r.weights || len(res.Traffic) == 0 {
			r.weights = w
			res.Traffic = append(res.Traffic, TrafficStep{At: s.At, Blue: w[0], Green: w[1]})
		}
	}
	if s.Deployment.CreateTime != nil && r.createdAt.IsZero() {
		r.createdAt = *s.Deployment.CreateTime
	}
	if phase := assessDeployment(s.Deployment, s.Target); phase != PhaseQueued && r.installStart.IsZero() {
		r.installStart = d.clock.Now()
	}
	return len(changes) > 0
}

// failFast checks green while it starts or takes traffic: failed task stops, no
// healthy target within the green start timeout, and (during the shift) K
// consecutive unhealthy checks.
func (d *Deployer) failFast(ctx context.Context, r *release, s snapshot, phase Phase) error {
	green := taskSet(s.Target, cdtypes.TargetLabelGreen)
	if green == nil {
		return d.checkGreenStart(r, nil)
	}
	if err := d.checkStoppedTasks(ctx, r); err != nil {
		return err
	}
	tg, err := d.greenTargetGroup(ctx, r, s)
	if err != nil {
		return err
	}
	v, err := d.targetHealth(ctx, tg.Arn, desiredOf(green, r))
	if err != nil {
		return err
	}
	if v.Healthy > 0 {
		r.greenHealthy = true
	}
	if phase == PhaseShifting {
		if v.OK {
			r.unhealthyStreak = 0
		} else if r.unhealthyStreak++; r.unhealthyStreak >= d.o.Consecutive {
			return &GateError{Gate: "traffic-shift", Reason: fmt.Sprintf("green target group %s unhealthy for %d consecutive checks: %s", tg.Name, r.unhealthyStreak, v)}
		}
		return nil
	}
	return d.checkGreenStart(r, &v)
}

// checkGreenStart fails when no green target has been healthy within the green
// start timeout (CodeDeploy itself would keep Install busy for about an hour).
func (d *Deployer) checkGreenStart(r *release, v *healthVerdict) error {
	if r.greenHealthy || r.installStart.IsZero() || d.clock.Now().Sub(r.installStart) < d.o.GreenStartTimeout {
		return nil
	}
	reason := fmt.Sprintf("no healthy green target within --green-start-timeout %s", d.o.GreenStartTimeout)
	if d.given.GreenStartTimeout <= 0 {
		reason = fmt.Sprintf("no healthy green target within %s (--green-start-timeout derived: the larger of %s and the service's health check grace period + %s)",
			d.o.GreenStartTimeout, minGreenStartTimeout, greenStartMargin)
	}
	if v != nil {
		reason += ": " + v.String()
	} else {
		reason += ": the replacement task set was not created"
	}
	return &GateError{Gate: "green-start", Reason: reason}
}

func desiredOf(ts *cdtypes.ECSTaskSet, r *release) int {
	if ts != nil && ts.DesiredCount > 0 {
		return int(ts.DesiredCount)
	}
	return int(r.ServiceCount)
}

// checkStoppedTasks looks for green tasks that stopped because they failed. Only
// newly stopped task ARNs are described.
func (d *Deployer) checkStoppedTasks(ctx context.Context, r *release) error {
	// ECS keeps stopped tasks listed for about an hour, 100 per page: blue's scale-in and
	// earlier releases can push green's crashes past the first page.
	var arns []string
	pages := ecs.NewListTasksPaginator(d.c.ECS, &ecs.ListTasksInput{Cluster: &d.t.Cluster, ServiceName: &d.t.Service, DesiredStatus: ecstypes.DesiredStatusStopped})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return readError("list stopped tasks of service "+d.t.Service, err)
		}
		arns = append(arns, out.TaskArns...)
	}
	if r.seenStopped == nil {
		r.seenStopped = map[string]bool{}
	}
	var fresh []string
	for _, arn := range arns {
		if !r.seenStopped[arn] {
			fresh = append(fresh, arn)
		}
	}
	var tasks []ecstypes.Task
	for i := 0; i < len(fresh); i += 100 { // DescribeTasks takes at most 100 tasks
		batch := fresh[i:min(i+100, len(fresh))]
		dt, err := d.c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: &d.t.Cluster, Tasks: batch})
		if err != nil {
			return readError("describe stopped tasks", err)
		}
		for _, arn := range batch { // seen only once described: a failed read is retried
			r.seenStopped[arn] = true
		}
		tasks = append(tasks, dt.Tasks...)
	}
	if len(tasks) == 0 {
		return nil
	}
	since := r.createdAt
	if since.IsZero() {
		since = r.installStart
	}
	since = since.Add(-time.Minute) // clock skew between us and AWS
	for _, st := range assessStoppedTasks(tasks, r.TaskDefArn, since) {
		d.log.Warn("green task stopped", "task", shortTaskID(st.TaskArn), "detail", st.String())
		r.stopped = append(r.stopped, st)
	}
	if len(r.stopped) > d.o.MaxGreenTaskStops {
		return &GateError{Gate: "green-tasks", Reason: fmt.Sprintf("%d green task(s) stopped: %s", len(r.stopped), r.stopped[len(r.stopped)-1])}
	}
	return nil
}

// targetHealth reads and assesses a target group's health.
func (d *Deployer) targetHealth(ctx context.Context, arn string, desired int) (healthVerdict, error) {
	out, err := d.c.ELB.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: &arn})
	if err != nil {
		return healthVerdict{}, readError("describe target health of "+targetGroupName(arn), err)
	}
	return assessTargetHealth(out.TargetHealthDescriptions, desired), nil
}

// greenTargetGroup finds the replacement target group: from the GREEN task set's
// target group, else from the listeners (the test listener's live group when it
// differs from production's, else production's other group). Never assumed.
func (d *Deployer) greenTargetGroup(ctx context.Context, r *release, s snapshot) (*targetGroupInfo, error) {
	if r.green != nil {
		return r.green, nil
	}
	in := &elbv2.DescribeTargetGroupsInput{}
	if ts := taskSet(s.Target, cdtypes.TargetLabelGreen); ts != nil && ts.TargetGroup != nil && str(ts.TargetGroup.Name) != "" {
		in.Names = []string{str(ts.TargetGroup.Name)}
	} else {
		arn, err := d.greenFromListeners(ctx)
		if err != nil {
			return nil, err
		}
		in.TargetGroupArns = []string{arn}
	}
	out, err := d.c.ELB.DescribeTargetGroups(ctx, in)
	if err != nil {
		return nil, readError(fmt.Sprintf("describe target group %s", strings.Join(append(in.Names, in.TargetGroupArns...), ",")), err)
	}
	if len(out.TargetGroups) != 1 {
		return nil, fmt.Errorf("describe target group %v: got %d groups", append(in.Names, in.TargetGroupArns...), len(out.TargetGroups))
	}
	tg := out.TargetGroups[0]
	r.green = &targetGroupInfo{Arn: str(tg.TargetGroupArn), Name: str(tg.TargetGroupName), HealthCheckPath: str(tg.HealthCheckPath), LoadBalancerArns: tg.LoadBalancerArns}
	d.log.Info("green target group", "name", r.green.Name, "arn", r.green.Arn)
	return r.green, nil
}

func (d *Deployer) greenFromListeners(ctx context.Context) (string, error) {
	prod, err := d.listenerForwards(ctx, d.t.ProdListenerArn)
	if err != nil {
		return "", err
	}
	prodLive, err := assessLiveTargetGroup(prod)
	if err != nil {
		return "", fmt.Errorf("production listener: %w", err)
	}
	if test, err := d.listenerForwards(ctx, d.t.TestListenerArn); err == nil {
		if testLive, err := assessLiveTargetGroup(test); err == nil && testLive != prodLive {
			return testLive, nil
		}
	}
	for _, f := range prod {
		if f.TargetGroupArn != prodLive {
			return f.TargetGroupArn, nil
		}
	}
	return "", fmt.Errorf("cannot find the replacement target group: production forwards only to %s", targetGroupName(prodLive))
}

// describeListener reads one listener.
func (d *Deployer) describeListener(ctx context.Context, arn string) (*elbv2types.Listener, error) {
	out, err := d.c.ELB.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{arn}})
	if err != nil {
		return nil, readError("describe listener "+arn, err)
	}
	if len(out.Listeners) == 0 {
		return nil, fmt.Errorf("describe listener %s: not found", arn)
	}
	return &out.Listeners[0], nil
}

// checkListenerPorts reads both listeners and checks the URLs reach them
// (assessListenerPorts), returning the warnings for the caller to log or report.
func (d *Deployer) checkListenerPorts(ctx context.Context) ([]string, error) {
	prod, err := d.describeListener(ctx, d.t.ProdListenerArn)
	if err != nil {
		return nil, err
	}
	test, err := d.describeListener(ctx, d.t.TestListenerArn)
	if err != nil {
		return nil, err
	}
	return assessListenerPorts(d.t.ProdURL, d.t.TestURL, aws.ToInt32(prod.Port), aws.ToInt32(test.Port))
}

// listenerForwards reads a listener's forward weights from its default action, or
// from its highest-priority forwarding rule when the default action does not
// forward.
func (d *Deployer) listenerForwards(ctx context.Context, arn string) ([]forward, error) {
	l, err := d.describeListener(ctx, arn)
	if err != nil {
		return nil, err
	}
	if fw := actionForwards(l.DefaultActions); len(fw) > 0 {
		return fw, nil
	}
	rules, err := d.c.ELB.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: &arn})
	if err != nil {
		return nil, readError("describe rules of listener "+arn, err)
	}
	return ruleForwards(rules.Rules), nil
}

// ruleForwards returns the forwards of the highest-priority rule that forwards.
func ruleForwards(rules []elbv2types.Rule) []forward {
	sorted := append([]elbv2types.Rule(nil), rules...)
	sort.SliceStable(sorted, func(i, j int) bool { return rulePriority(sorted[i]) < rulePriority(sorted[j]) })
	for _, rule := range sorted {
		if fw := actionForwards(rule.Actions); len(fw) > 0 {
			return fw
		}
	}
	return nil
}

func rulePriority(r elbv2types.Rule) int {
	var n int
	if _, err := fmt.Sscanf(str(r.Priority), "%d", &n); err != nil {
		return 1 << 30 // "default"
	}
	return n
}
