package deployer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// fakeClock advances instantly: Sleep moves time forward and returns. Timers
// (AfterFunc, as withTimeout sets them) fire inside the Sleep that passes their
// time, in order, so a timeout lands at the same point of a test every run; a
// sleep whose context a timer ends stops at the timer's time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// fakeTimer is a function to run at a time of a fakeClock.
type fakeTimer struct {
	at   time.Time
	f    func()
	done bool // fired or stopped
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	until := c.now.Add(d)
	for t := c.due(until); t != nil; t = c.due(until) {
		c.now, t.done = maxTime(c.now, t.at), true
		c.mu.Unlock()
		t.f()
		if err := ctx.Err(); err != nil {
			return err
		}
		c.mu.Lock()
	}
	c.now = maxTime(c.now, until)
	c.mu.Unlock()
	return nil
}

// due is the earliest timer to fire by until, or nil. c.mu is held.
func (c *fakeClock) due(until time.Time) *fakeTimer {
	var first *fakeTimer
	for _, t := range c.timers {
		if !t.done && !t.at.After(until) && (first == nil || t.at.Before(first.at)) {
			first = t
		}
	}
	return first
}

// AfterFunc runs f once a Sleep passes d from now.
func (c *fakeClock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(slices.DeleteFunc(c.timers, func(t *fakeTimer) bool { return t.done }), t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		pending := !t.done
		t.done = true
		return pending
	}
}

// step is one scripted answer of GetDeployment (and GetDeploymentTarget). A step
// with waitFor is repeated until that event happens ("READY_WAIT",
// "TERMINATION_WAIT" from ContinueDeployment); then the script moves on. The last
// step repeats forever. enter runs once, when the step is first served.
type step struct {
	status   cdtypes.DeploymentStatus
	target   *cdtypes.ECSTarget
	rollback *cdtypes.RollbackInfo
	errInfo  *cdtypes.ErrorInformation
	creator  cdtypes.DeploymentCreator
	waitFor  string
	until    time.Time     // repeated until the fake clock reaches this time
	lasts    time.Duration // repeated until this long after it was first served
	enter    func(w *world)
}

type script struct {
	steps       []step
	i           int
	entered     int
	events      map[string]bool
	since       time.Time // when the current step was first served
	appSpec     string
	description string
}

// world is the state behind the fake clients of one test.
type world struct {
	t     *testing.T
	mu    sync.Mutex
	clock *fakeClock

	service   ecstypes.Service
	taskDefs  map[string]*ecstypes.TaskDefinition
	tags      map[string][]ecstypes.Tag
	registers []*ecs.RegisterTaskDefinitionInput
	stopped   []ecstypes.Task
	// running are the service's running tasks; nil: one of the released task
	// definition in green's task set behind each of green's targets.
	running []ecstypes.Task

	group   cdtypes.DeploymentGroupInfo
	config  cdtypes.DeploymentConfigInfo
	scripts map[string]*script
	active  []string
	newID   string
	creates []*codedeploy.CreateDeploymentInput
	// continues and stops record the control calls in order.
	continues []string
	stops     []string
	onStop    map[string][]step // script that replaces a deployment's on StopDeployment
	stopErr   error
	// onCreate runs first in CreateDeployment; an error it returns is the answer.
	onCreate func(w *world) error

	prod, test []forward
	groups     map[string]elbv2types.TargetGroup
	health     func(tgArn string) []elbv2types.TargetHealthDescription
	// deregistrationDelay and idleTimeout are the target groups' and the load
	// balancer's attributes, in seconds ("" = unset); attrErr fails their reads.
	deregistrationDelay map[string]string
	idleTimeout         string
	attrErr             error

	lastTarget *cdtypes.ECSTarget
	// contentOnlyFromRevision makes GetDeployment report the AppSpec's sha256 only,
	// as CodeDeploy does; GetApplicationRevision returns the content.
	contentOnlyFromRevision bool

	alarms []cwtypes.MetricAlarm
	// onDescribeAlarms runs (under mu) before DescribeAlarms answers: alarm states that change.
	onDescribeAlarms func(w *world)
	metrics          map[string]float64 // window totals by query id: requests, errors, elb5xx, connErrors, p99
	// lateMetrics are added to the window totals only once the window's last minute
	// is published, metricsLag after it began: CloudWatch's late datapoints.
	lateMetrics map[string]float64
	metricsLag  time.Duration
	// earlyMetrics are added to the window totals of queries that start before
	// earlyUntil: traffic of the minute the soak began in, from before it.
	earlyMetrics map[string]float64
	earlyUntil   time.Time
	// shiftData, when set, answers gate shift's per-minute queries: a minute's
	// figures, or false for a minute without any datapoint. A minute is published
	// shiftLag after it ends.
	shiftData func(minute time.Time) (shiftMinute, bool)
	shiftLag  time.Duration
	calls     []string
	callAt    []time.Time // fake-clock time of each call
	// listTasksPage, when set, makes ListTasks answer that many task ARNs per page.
	listTasksPage int
}

func (w *world) record(call string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, call)
	w.callAt = append(w.callAt, w.clock.Now())
}

// callsBetween lists the calls made in [from, to) on the fake clock.
func (w *world) callsBetween(from, to time.Time) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for i, at := range w.callAt {
		if !at.Before(from) && at.Before(to) {
			out = append(out, w.calls[i])
		}
	}
	return out
}

// firstCallAfter is when the first call starting with prefix was made at or after t.
func (w *world) firstCallAfter(prefix string, t time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, at := range w.callAt {
		if !at.Before(t) && strings.HasPrefix(w.calls[i], prefix) {
			return at, true
		}
	}
	return time.Time{}, false
}

func (w *world) called(prefix string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (w *world) clients() Clients {
	return Clients{ECS: &fakeECS{w: w}, CodeDeploy: &fakeCodeDeploy{w: w}, ELB: &fakeELB{w: w}, CloudWatch: &fakeCloudWatch{w: w}}
}

// fakeECS serves the world's service and task definitions. Methods it does not
// define panic through the nil embedded interface.
type fakeECS struct {
	ECSAPI
	w *world
}

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.w.record("ecs:DescribeServices")
	svc := f.w.service
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{svc}}, nil
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.w.record("ecs:DescribeTaskDefinition " + *in.TaskDefinition)
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	td, ok := f.w.taskDefs[*in.TaskDefinition]
	if !ok {
		return nil, apiError("ClientException", "Unable to describe task definition.")
	}
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: td, Tags: f.w.tags[*in.TaskDefinition]}, nil
}

func (f *fakeECS) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.w.record("ecs:RegisterTaskDefinition")
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	f.w.registers = append(f.w.registers, in)
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/%s:%d", *in.Family, 7+len(f.w.registers))
	td := &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(arn), Family: in.Family, ContainerDefinitions: in.ContainerDefinitions}
	f.w.taskDefs[arn] = td
	f.w.tags[arn] = in.Tags
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: td, Tags: in.Tags}, nil
}

func (f *fakeECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.w.record("ecs:ListTasks")
	running := f.w.runningTasks()
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	tasks := f.w.stopped
	if in.DesiredStatus != ecstypes.DesiredStatusStopped {
		tasks = running
	}
	out := &ecs.ListTasksOutput{}
	first := 0
	if in.NextToken != nil {
		first, _ = strconv.Atoi(*in.NextToken)
	}
	for i := first; i < len(tasks); i++ {
		if f.w.listTasksPage > 0 && len(out.TaskArns) == f.w.listTasksPage {
			out.NextToken = aws.String(strconv.Itoa(i))
			break
		}
		out.TaskArns = append(out.TaskArns, *tasks[i].TaskArn)
	}
	return out, nil
}

// runningTasks are w.running, else one task of the released task definition
// in green's task set behind each of green's targets.
func (w *world) runningTasks() []ecstypes.Task {
	w.mu.Lock()
	running, td := w.running, w.releasedTaskDefinition()
	w.mu.Unlock()
	if running != nil {
		return running
	}
	for i, h := range w.health(tgGreen) {
		running = append(running, runningTask(fmt.Sprintf("green%d", i), aws.ToString(h.Target.Id), td, "ecs-svc/2"))
	}
	return running
}

// runningTask is a running task with an ENI address, of task definition td,
// started by a task set.
func runningTask(id, ip, td, startedBy string) ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/ml/" + id), TaskDefinitionArn: aws.String(td), StartedBy: aws.String(startedBy),
		LastStatus: aws.String("RUNNING"), Attachments: []ecstypes.Attachment{{Type: aws.String("ElasticNetworkInterface"),
			Details: []ecstypes.KeyValuePair{{Name: aws.String("privateIPv4Address"), Value: aws.String(ip)}}}}}
}

// releasedTaskDefinition is the task definition in the AppSpec of the
// deployment the deployer creates, else of the group's in-flight one. w.mu is held.
func (w *world) releasedTaskDefinition() string {
	ids := append([]string{w.newID}, w.active...)
	for _, id := range ids {
		if s := w.scripts[id]; s != nil {
			if arn, err := appSpecTaskDefinition(s.appSpec); err == nil && arn != "" {
				return arn
			}
		}
	}
	return newTD
}

func (f *fakeECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.w.record("ecs:DescribeTasks")
	running := f.w.runningTasks()
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	out := &ecs.DescribeTasksOutput{}
	for _, t := range append(slices.Clone(f.w.stopped), running...) {
		for _, arn := range in.Tasks {
			if arn == *t.TaskArn {
				out.Tasks = append(out.Tasks, t)
			}
		}
	}
	return out, nil
}

// fakeCodeDeploy replays the world's scripts.
type fakeCodeDeploy struct {
	CodeDeployAPI
	w *world
}

func (f *fakeCodeDeploy) GetDeploymentGroup(context.Context, *codedeploy.GetDeploymentGroupInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error) {
	f.w.record("codedeploy:GetDeploymentGroup")
	g := f.w.group
	return &codedeploy.GetDeploymentGroupOutput{DeploymentGroupInfo: &g}, nil
}

func (f *fakeCodeDeploy) GetDeploymentConfig(context.Context, *codedeploy.GetDeploymentConfigInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentConfigOutput, error) {
	f.w.record("codedeploy:GetDeploymentConfig")
	c := f.w.config
	return &codedeploy.GetDeploymentConfigOutput{DeploymentConfigInfo: &c}, nil
}

func (f *fakeCodeDeploy) ListDeployments(context.Context, *codedeploy.ListDeploymentsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error) {
	f.w.record("codedeploy:ListDeployments")
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	// A listed deployment whose script has reached an end is no longer active.
	var ids []string
	for _, id := range f.w.active {
		if sc := f.w.scripts[id]; sc != nil && assessDeployment(&cdtypes.DeploymentInfo{Status: sc.steps[sc.i].status}, nil).Terminal() {
			continue
		}
		ids = append(ids, id)
	}
	return &codedeploy.ListDeploymentsOutput{Deployments: ids}, nil
}

func (f *fakeCodeDeploy) CreateDeployment(_ context.Context, in *codedeploy.CreateDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error) {
	f.w.record("codedeploy:CreateDeployment")
	if f.w.onCreate != nil {
		if err := f.w.onCreate(f.w); err != nil {
			return nil, err
		}
	}
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	f.w.creates = append(f.w.creates, in)
	if s := f.w.scripts[f.w.newID]; s != nil {
		s.appSpec, s.description = *in.Revision.AppSpecContent.Content, aws.ToString(in.Description)
	}
	f.w.active = append(f.w.active, f.w.newID)
	return &codedeploy.CreateDeploymentOutput{DeploymentId: aws.String(f.w.newID)}, nil
}

// current serves the script's current step, running its enter hook once and
// advancing past steps that do not wait.
func (f *fakeCodeDeploy) current(id string) (step, *script, error) {
	f.w.mu.Lock()
	s := f.w.scripts[id]
	if s == nil {
		f.w.mu.Unlock()
		return step{}, nil, apiError("DeploymentDoesNotExistException", "no deployment "+id)
	}
	st := s.steps[s.i]
	now := f.w.clock.Now()
	if s.entered <= s.i {
		s.since = now
	}
	enter := s.entered <= s.i && st.enter != nil
	s.entered = s.i + 1
	if (st.waitFor == "" || s.events[st.waitFor]) && !now.Before(st.until) && !now.Before(s.since.Add(st.lasts)) {
		if s.i < len(s.steps)-1 {
			s.i++
		}
	}
	f.w.mu.Unlock()
	if enter {
		st.enter(f.w)
	}
	return st, s, nil
}

func (f *fakeCodeDeploy) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	f.w.record("codedeploy:GetDeployment " + *in.DeploymentId)
	st, s, err := f.current(*in.DeploymentId)
	if err != nil {
		return nil, err
	}
	rev := &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(s.appSpec)}}
	if f.w.contentOnlyFromRevision {
		rev.AppSpecContent = &cdtypes.AppSpecContent{Sha256: aws.String("sum-" + *in.DeploymentId)}
	}
	creator := st.creator
	if creator == "" {
		creator = cdtypes.DeploymentCreatorUser
	}
	info := &cdtypes.DeploymentInfo{DeploymentId: in.DeploymentId, Status: st.status, RollbackInfo: st.rollback, ErrorInformation: st.errInfo, Revision: rev, Creator: creator,
		Description: aws.String(s.description)}
	f.w.mu.Lock()
	f.w.lastTarget = st.target
	f.w.mu.Unlock()
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: info}, nil
}

func (f *fakeCodeDeploy) GetDeploymentTarget(_ context.Context, in *codedeploy.GetDeploymentTargetInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	f.w.record("codedeploy:GetDeploymentTarget " + *in.TargetId)
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if f.w.lastTarget == nil {
		return nil, apiError("DeploymentTargetDoesNotExistException", "no target")
	}
	return &codedeploy.GetDeploymentTargetOutput{DeploymentTarget: &cdtypes.DeploymentTarget{DeploymentTargetType: cdtypes.DeploymentTargetTypeEcsTarget, EcsTarget: f.w.lastTarget}}, nil
}

func (f *fakeCodeDeploy) GetApplicationRevision(_ context.Context, in *codedeploy.GetApplicationRevisionInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetApplicationRevisionOutput, error) {
	f.w.record("codedeploy:GetApplicationRevision")
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	for id, s := range f.w.scripts {
		if in.Revision.AppSpecContent != nil && aws.ToString(in.Revision.AppSpecContent.Sha256) == "sum-"+id {
			return &codedeploy.GetApplicationRevisionOutput{Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
				AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(s.appSpec)}}}, nil
		}
	}
	return nil, apiError("RevisionDoesNotExistException", "no such revision")
}

func (f *fakeCodeDeploy) ContinueDeployment(_ context.Context, in *codedeploy.ContinueDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error) {
	f.w.record("codedeploy:ContinueDeployment " + string(in.DeploymentWaitType))
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	f.w.continues = append(f.w.continues, string(in.DeploymentWaitType))
	s := f.w.scripts[*in.DeploymentId]
	if s.steps[s.i].waitFor != string(in.DeploymentWaitType) {
		return nil, apiError("DeploymentIsNotInReadyStateException", "not waiting")
	}
	s.events[string(in.DeploymentWaitType)] = true
	return &codedeploy.ContinueDeploymentOutput{}, nil
}

func (f *fakeCodeDeploy) StopDeployment(_ context.Context, in *codedeploy.StopDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error) {
	f.w.record(fmt.Sprintf("codedeploy:StopDeployment rollback=%t", aws.ToBool(in.AutoRollbackEnabled)))
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	f.w.stops = append(f.w.stops, *in.DeploymentId)
	if f.w.stopErr != nil {
		return nil, f.w.stopErr
	}
	if steps, ok := f.w.onStop[*in.DeploymentId]; ok {
		s := f.w.scripts[*in.DeploymentId]
		s.steps, s.i, s.entered = steps, 0, 0
	}
	return &codedeploy.StopDeploymentOutput{Status: cdtypes.StopStatusPending}, nil
}

// fakeELB serves listeners, target groups and target health.
type fakeELB struct {
	ELBv2API
	w *world
}

func (f *fakeELB) DescribeListeners(_ context.Context, in *elbv2.DescribeListenersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	f.w.record("elb:DescribeListeners")
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	fw, port := f.w.prod, int32(80)
	if in.ListenerArns[0] == testTarget().TestListenerArn {
		fw, port = f.w.test, 8443
	}
	var pairs []any
	for _, x := range fw {
		pairs = append(pairs, x.TargetGroupArn, int(x.Weight))
	}
	return &elbv2.DescribeListenersOutput{Listeners: []elbv2types.Listener{{ListenerArn: aws.String(in.ListenerArns[0]), Port: aws.Int32(port), DefaultActions: weighted(pairs...)}}}, nil
}

func (f *fakeELB) DescribeTargetGroups(_ context.Context, in *elbv2.DescribeTargetGroupsInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	f.w.record("elb:DescribeTargetGroups")
	out := &elbv2.DescribeTargetGroupsOutput{}
	for _, tg := range f.w.groups {
		for _, k := range append(in.Names, in.TargetGroupArns...) {
			if k == *tg.TargetGroupName || k == *tg.TargetGroupArn {
				out.TargetGroups = append(out.TargetGroups, tg)
			}
		}
	}
	return out, nil
}

func (f *fakeELB) DescribeTargetHealth(_ context.Context, in *elbv2.DescribeTargetHealthInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	f.w.record("elb:DescribeTargetHealth " + targetGroupName(*in.TargetGroupArn))
	return &elbv2.DescribeTargetHealthOutput{TargetHealthDescriptions: f.w.health(*in.TargetGroupArn)}, nil
}

func (f *fakeELB) DescribeTargetGroupAttributes(_ context.Context, in *elbv2.DescribeTargetGroupAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	f.w.record("elb:DescribeTargetGroupAttributes " + targetGroupName(*in.TargetGroupArn))
	if f.w.attrErr != nil {
		return nil, f.w.attrErr
	}
	out := &elbv2.DescribeTargetGroupAttributesOutput{Attributes: []elbv2types.TargetGroupAttribute{{Key: aws.String("slow_start.duration_seconds"), Value: aws.String("0")}}}
	if v, ok := f.w.deregistrationDelay[*in.TargetGroupArn]; ok {
		out.Attributes = append(out.Attributes, elbv2types.TargetGroupAttribute{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(v)})
	}
	return out, nil
}

func (f *fakeELB) DescribeLoadBalancerAttributes(_ context.Context, in *elbv2.DescribeLoadBalancerAttributesInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	f.w.record("elb:DescribeLoadBalancerAttributes " + *in.LoadBalancerArn)
	if f.w.attrErr != nil {
		return nil, f.w.attrErr
	}
	out := &elbv2.DescribeLoadBalancerAttributesOutput{}
	if f.w.idleTimeout != "" {
		out.Attributes = []elbv2types.LoadBalancerAttribute{{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String(f.w.idleTimeout)}}
	}
	return out, nil
}

// fakeCloudWatch serves alarm states and soak metrics.
type fakeCloudWatch struct {
	CloudWatchAPI
	w *world
}

func (f *fakeCloudWatch) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.w.record("cloudwatch:DescribeAlarms")
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if f.w.onDescribeAlarms != nil {
		f.w.onDescribeAlarms(f.w)
	}
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: append([]cwtypes.MetricAlarm(nil), f.w.alarms...)}, nil
}

func (f *fakeCloudWatch) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.w.record("cloudwatch:GetMetricData")
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	now := f.w.clock.Now()
	if slices.ContainsFunc(in.MetricDataQueries, func(q cwtypes.MetricDataQuery) bool { return strings.HasPrefix(*q.Id, "g_") }) {
		return f.w.shiftMetricData(in, now), nil
	}
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		var dims []string
		for _, dim := range q.MetricStat.Metric.Dimensions {
			dims = append(dims, *dim.Name)
			if *dim.Name == "TargetGroup" && !strings.HasPrefix(*dim.Value, "targetgroup/") {
				f.w.t.Errorf("TargetGroup dimension %q is not an ARN suffix", *dim.Value)
			}
		}
		if *q.MetricStat.Metric.MetricName == "HTTPCode_ELB_5XX_Count" && strings.Join(dims, ",") != "LoadBalancer" {
			f.w.t.Errorf("HTTPCode_ELB_5XX_Count has dimensions %v: ELB-generated errors are counted per load balancer only", dims)
		}
		res := cwtypes.MetricDataResult{Id: q.Id}
		period := time.Duration(*q.MetricStat.Period) * time.Second
		v, ok := f.w.metrics[*q.Id]
		lastMinutePublished := !in.EndTime.Add(-time.Minute).Add(f.w.metricsLag).After(now)
		if late, lok := f.w.lateMetrics[*q.Id]; lok && lastMinutePublished {
			v, ok = v+late, true
		}
		if early, eok := f.w.earlyMetrics[*q.Id]; eok && in.StartTime.Before(f.w.earlyUntil) {
			v, ok = v+early, true
		}
		if period == time.Minute && (*q.Id == "recent" || *q.Id == "elb5xx") {
			// Per-minute datapoints exist once published: "recent" with traffic in every
			// minute, the other's total in the latest published minute.
			var last time.Time
			for b := *in.StartTime; b.Before(*in.EndTime); b = b.Add(period) {
				if !b.Add(f.w.metricsLag).After(now) {
					last = b
					if *q.Id == "recent" && f.w.metrics["requests"] > 0 {
						res.Timestamps, res.Values = append(res.Timestamps, b), append(res.Values, 1)
					}
				}
			}
			if *q.Id != "recent" && ok && !last.IsZero() {
				res.Timestamps, res.Values = []time.Time{last}, []float64{v}
			}
			out.MetricDataResults = append(out.MetricDataResults, res)
			continue
		}
		if ok {
			res.Timestamps, res.Values = []time.Time{*in.StartTime}, []float64{v}
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	return out, nil
}

// shiftMetricData answers gate shift's queries from w.shiftData, minute by
// minute, for the minutes published by now. w.mu is held.
func (w *world) shiftMetricData(in *cloudwatch.GetMetricDataInput, now time.Time) *cloudwatch.GetMetricDataOutput {
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		if *q.MetricStat.Period != 60 {
			w.t.Errorf("gate shift reads per minute, not per %d s", *q.MetricStat.Period)
		}
		res := cwtypes.MetricDataResult{Id: q.Id}
		for b := *in.StartTime; b.Before(*in.EndTime) && w.shiftData != nil; b = b.Add(time.Minute) {
			m, ok := w.shiftData(b)
			if !ok || b.Add(time.Minute+w.shiftLag).After(now) {
				continue
			}
			if v, ok := shiftFigure(m, *q.Id); ok {
				res.Timestamps, res.Values = append(res.Timestamps, b), append(res.Values, v)
			}
		}
		out.MetricDataResults = append(out.MetricDataResults, res)
	}
	return out
}

// shiftFigure is the datapoint of query id in m, as CloudWatch would have it: no
// count datapoint without requests, a percentile only when set.
func shiftFigure(m shiftMinute, id string) (float64, bool) {
	if id == "elb5xx" {
		return m.ELB5xx, m.ELB5xx > 0
	}
	side := m.Blue
	if strings.HasPrefix(id, "g_") {
		side = m.Green
	}
	switch id[2:] {
	case "requests":
		return side.Requests, side.Requests > 0
	case "t5xx":
		return side.Target5xx, side.Requests > 0
	case "conn":
		return side.ConnErrors, side.Requests > 0
	case "p95":
		return side.P95, side.HasP95
	case "p99":
		return side.P99, side.HasP99
	case "healthy":
		return side.Healthy, side.HasHealthy
	}
	return 0, false
}

func apiError(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

// failing decides, per call number of an operation, whether it fails and how.
type failing struct {
	mu sync.Mutex
	n  map[string]int
	f  func(op string, n int) error
}

func (f *failing) next(op string) error {
	f.mu.Lock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[op]++
	n := f.n[op]
	f.mu.Unlock()
	return f.f(op, n)
}

type flakyCodeDeploy struct {
	CodeDeployAPI
	f *failing
}

func (c flakyCodeDeploy) GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, o ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	if err := c.f.next("GetDeployment"); err != nil {
		return nil, err
	}
	return c.CodeDeployAPI.GetDeployment(ctx, in, o...)
}

func (c flakyCodeDeploy) GetDeploymentTarget(ctx context.Context, in *codedeploy.GetDeploymentTargetInput, o ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	if err := c.f.next("GetDeploymentTarget"); err != nil {
		return nil, err
	}
	return c.CodeDeployAPI.GetDeploymentTarget(ctx, in, o...)
}

type flakyELB struct {
	ELBv2API
	f *failing
}

func (e flakyELB) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, o ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	if err := e.f.next("DescribeTargetHealth"); err != nil {
		return nil, err
	}
	return e.ELBv2API.DescribeTargetHealth(ctx, in, o...)
}

func (e flakyELB) DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, o ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	if err := e.f.next("DescribeListeners"); err != nil {
		return nil, err
	}
	return e.ELBv2API.DescribeListeners(ctx, in, o...)
}

type flakyCloudWatch struct {
	CloudWatchAPI
	f *failing
}

func (c flakyCloudWatch) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, o ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	if err := c.f.next("GetMetricData"); err != nil {
		return nil, err
	}
	return c.CloudWatchAPI.GetMetricData(ctx, in, o...)
}

func (c flakyCloudWatch) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, o ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	if err := c.f.next("DescribeAlarms"); err != nil {
		return nil, err
	}
	return c.CloudWatchAPI.DescribeAlarms(ctx, in, o...)
}

// flakyDeployer is the world's deployer with reads that fail as f says.
func flakyDeployer(t *testing.T, w *world, f func(op string, n int) error, opts ...func(*Options)) *Deployer {
	d := w.deployer(t, true, opts...)
	fl := &failing{f: f}
	d.c.CodeDeploy = flakyCodeDeploy{CodeDeployAPI: d.c.CodeDeploy, f: fl}
	d.c.ELB = flakyELB{ELBv2API: d.c.ELB, f: fl}
	d.c.CloudWatch = flakyCloudWatch{CloudWatchAPI: d.c.CloudWatch, f: fl}
	return d
}

func serverError(status int) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: errors.New("server error")}
}

// cancelDuring wraps CodeDeploy so that CI's cancel lands while CreateDeployment or
// StopDeployment is on the wire: AWS acts on the request, and the SDK reports the
// cancellation when the caller's context is cancelled.
type cancelDuring struct {
	CodeDeployAPI
	cancel func()
	call   string // "CreateDeployment" or "StopDeployment"
	lost   bool   // the answer is lost even when the context survives (a timeout)
	noop   bool   // AWS never got the request
}

func (c cancelDuring) CreateDeployment(ctx context.Context, in *codedeploy.CreateDeploymentInput, o ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error) {
	if c.call != "CreateDeployment" {
		return c.CodeDeployAPI.CreateDeployment(ctx, in, o...)
	}
	var out *codedeploy.CreateDeploymentOutput
	var err error
	if !c.noop {
		out, err = c.CodeDeployAPI.CreateDeployment(context.Background(), in, o...)
	}
	c.cancel()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case c.lost || c.noop:
		return nil, context.DeadlineExceeded
	}
	return out, err
}

func (c cancelDuring) StopDeployment(ctx context.Context, in *codedeploy.StopDeploymentInput, o ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error) {
	if c.call != "StopDeployment" {
		return c.CodeDeployAPI.StopDeployment(ctx, in, o...)
	}
	c.cancel()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return c.CodeDeployAPI.StopDeployment(ctx, in, o...)
}

func interruptedDeploy(t *testing.T, w *world, greenReady bool, wrap cancelDuring) *Result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := w.deployer(t, greenReady)
	wrap.CodeDeployAPI, wrap.cancel = d.c.CodeDeploy, cancel
	d.c.CodeDeploy = wrap
	return d.Deploy(ctx, deployV2())
}
