package deployer

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite/suitetest"
	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	liveTD   = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"
	newTD    = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8"
	prevTD   = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:6"
	lbArn    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/abc"
	newImage = "repo/model-server:v2"
)

func testTarget() Target {
	return Target{
		Region: "us-east-1", Cluster: "ml", Service: "web", ContainerName: "model", ContainerPort: 8080,
		Application: "web-app", DeploymentGroup: "web-dg",
		ProdListenerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/abc/prod",
		TestListenerArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/abc/test",
		ProdURL:         "http://127.0.0.1:1", TestURL: "http://127.0.0.1:1",
	}
}

func healthyTargets(n int) []elbv2types.TargetHealthDescription {
	out := make([]elbv2types.TargetHealthDescription, n)
	for i := range out {
		out[i] = target("10.0.0."+string(rune('1'+i)), "healthy", "")
	}
	return out
}

// newWorld is a service on web:7 (image v1) behind blue, a group that waits in
// Ready (STOP_DEPLOYMENT, 60 min) and keeps blue 30 min, and healthy targets.
func newWorld(t *testing.T) *world {
	t.Helper()
	td := liveTaskDefinition()
	w := &world{
		t: t, clock: newFakeClock(), service: *fargateService(),
		taskDefs: map[string]*ecstypes.TaskDefinition{liveTD: td},
		tags:     map[string][]ecstypes.Tag{liveTD: {{Key: aws.String(TagPreviousTaskDefinition), Value: aws.String(prevTD)}}},
		group: cdtypes.DeploymentGroupInfo{
			DeploymentConfigName: aws.String("CodeDeployDefault.ECSAllAtOnce"),
			BlueGreenDeploymentConfiguration: &cdtypes.BlueGreenDeploymentConfiguration{
				DeploymentReadyOption:                     &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionStopDeployment, WaitTimeInMinutes: 60},
				TerminateBlueInstancesOnDeploymentSuccess: &cdtypes.BlueInstanceTerminationOption{Action: cdtypes.InstanceActionTerminate, TerminationWaitTimeInMinutes: 30},
			},
			AlarmConfiguration:        &cdtypes.AlarmConfiguration{Enabled: true, Alarms: []cdtypes.Alarm{{Name: aws.String("web-5xx")}}},
			AutoRollbackConfiguration: &cdtypes.AutoRollbackConfiguration{Enabled: true},
			LastSuccessfulDeployment:  &cdtypes.LastDeploymentInfo{DeploymentId: aws.String("d-PREV"), Status: "Succeeded"},
		},
		config:  cdtypes.DeploymentConfigInfo{TrafficRoutingConfig: &cdtypes.TrafficRoutingConfig{Type: cdtypes.TrafficRoutingTypeAllAtOnce}},
		scripts: map[string]*script{}, newID: "d-NEW", onStop: map[string][]step{},
		prod: []forward{{tgBlue, 100}, {tgGreen, 0}},
		test: []forward{{tgBlue, 100}, {tgGreen, 0}},
		groups: map[string]elbv2types.TargetGroup{
			"web-blue":  {TargetGroupArn: aws.String(tgBlue), TargetGroupName: aws.String("web-blue"), HealthCheckPath: aws.String("/health/ready"), LoadBalancerArns: []string{lbArn}},
			"web-green": {TargetGroupArn: aws.String(tgGreen), TargetGroupName: aws.String("web-green"), HealthCheckPath: aws.String("/health/ready"), LoadBalancerArns: []string{lbArn}},
		},
		health:  func(string) []elbv2types.TargetHealthDescription { return healthyTargets(2) },
		alarms:  []cwtypes.MetricAlarm{{AlarmName: aws.String("web-5xx"), StateValue: cwtypes.StateValueOk}},
		metrics: map[string]float64{"requests": 1000, "errors": 1, "p99": 0.15},
	}
	return w
}

// addScript installs a deployment's script.
func (w *world) addScript(id string, steps ...step) {
	w.scripts[id] = &script{steps: steps, events: map[string]bool{}}
}

// options are fast test options on the world's fake clock.
func (w *world) options(log *slog.Logger) Options {
	o := DefaultOptions()
	o.Clock, o.Logger = w.clock, log
	o.Soak, o.SoakInterval = 2*time.Minute, 15*time.Second
	o.LatencySamples = latencyMinSamples // gate 1's latency comparison, at its least
	return o
}

// deployer builds a Deployer on the world with blue (v1) behind the prod URL and
// green (greenReady decides /health/ready) behind the test URL.
func (w *world) deployer(t *testing.T, greenReady bool, opts ...func(*Options)) *Deployer {
	t.Helper()
	log, _ := newLog(t)
	tgt := testTarget()
	tgt.ProdURL = modelServer(t, "v1", 0, true).URL
	tgt.TestURL = modelServer(t, "v2", 0, greenReady).URL
	o := w.options(log)
	for _, f := range opts {
		f(&o)
	}
	return New(w.clients(), tgt, o)
}

func deployV2() DeployRequest {
	return DeployRequest{Image: mustParseImage(newImage), Env: []EnvVar{{"MODEL_WARM", "1"}}, Provenance: Provenance{GitSHA: "abc123"}}
}

// registerTaskDefinition registers arn: a task definition whose container model
// runs image.
func (w *world) registerTaskDefinition(arn, image string) {
	w.taskDefs[arn] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(arn), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String(image)}}}
}

// deploymentOf scripts deployment id of task definition arn: its AppSpec names
// arn, as one the deployer created would.
func (w *world) deploymentOf(id, arn string, steps ...step) {
	w.t.Helper()
	w.addScript(id, steps...)
	content, _, err := buildAppSpec(fargateService(), arn, "model", 8080).Render()
	require.NoError(w.t, err)
	w.scripts[id].appSpec = content
}

// inFlight makes id, a deployment of arn that follows steps, the group's
// in-flight deployment.
func (w *world) inFlight(id, arn string, steps ...step) {
	w.t.Helper()
	w.deploymentOf(id, arn, steps...)
	w.active = []string{id}
}

const S = "Succeeded"

func taskSets(blueWeight, greenWeight float64) []cdtypes.ECSTaskSet {
	return []cdtypes.ECSTaskSet{
		{Identifer: aws.String("ecs-svc/1"), TaskSetLabel: cdtypes.TargetLabelBlue, Status: aws.String("PRIMARY"), DesiredCount: 2, RunningCount: 2, TrafficWeight: blueWeight, TargetGroup: &cdtypes.TargetGroupInfo{Name: aws.String("web-blue")}},
		{Identifer: aws.String("ecs-svc/2"), TaskSetLabel: cdtypes.TargetLabelGreen, Status: aws.String("ACTIVE"), DesiredCount: 2, RunningCount: 2, TrafficWeight: greenWeight, TargetGroup: &cdtypes.TargetGroupInfo{Name: aws.String("web-green")}},
	}
}

func ecsTarget(status string, evs []cdtypes.LifecycleEvent, blueWeight, greenWeight float64) *cdtypes.ECSTarget {
	return &cdtypes.ECSTarget{Status: cdtypes.TargetStatus(status), LifecycleEvents: evs, TaskSetsInfo: taskSets(blueWeight, greenWeight), TargetId: aws.String("ml:web")}
}

func events(statuses ...string) []cdtypes.LifecycleEvent {
	names := []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}
	out := make([]cdtypes.LifecycleEvent, len(names))
	for i, n := range names {
		st := "Pending"
		if i < len(statuses) {
			st = statuses[i]
		}
		out[i] = cdtypes.LifecycleEvent{LifecycleEventName: aws.String(n), Status: cdtypes.LifecycleEventStatus(st)}
	}
	return out
}

const (
	tgBlue  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/1111"
	tgGreen = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/2222"
)

func weighted(pairs ...any) []elbv2types.Action {
	var tgs []elbv2types.TargetGroupTuple
	for i := 0; i < len(pairs); i += 2 {
		tgs = append(tgs, elbv2types.TargetGroupTuple{TargetGroupArn: aws.String(pairs[i].(string)), Weight: aws.Int32(int32(pairs[i+1].(int)))})
	}
	return []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, ForwardConfig: &elbv2types.ForwardActionConfig{TargetGroups: tgs}}}
}

// Scripted phases of a deployment.
var (
	stepCreated     = step{status: "Created"}
	stepInstalling  = step{status: "InProgress", target: ecsTarget("InProgress", events(S, "InProgress"), 100, 0)}
	stepTestTraffic = step{status: "InProgress", target: ecsTarget("InProgress", events(S, S, S, S, S), 100, 0),
		enter: func(w *world) { w.setTest(tgGreen) }}
	stepReady    = step{status: "Ready", target: ecsTarget("Ready", events(S, S, S, S, S), 100, 0), waitFor: "READY_WAIT"}
	stepShifting = step{status: "InProgress", target: ecsTarget("InProgress", events(S, S, S, S, S, S, "InProgress"), 0, 100),
		enter: func(w *world) { w.setProd(tgGreen) }}
	stepTermWait  = step{status: "InProgress", target: ecsTarget(S, events(S, S, S, S, S, S, S, S), 0, 100), waitFor: "TERMINATION_WAIT"}
	stepSucceeded = step{status: S, target: ecsTarget(S, events(S, S, S, S, S, S, S, S), 0, 100)}
)

func (w *world) setProd(live string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prod = liveForwards(live)
}

func (w *world) setTest(live string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.test = liveForwards(live)
}

func liveForwards(live string) []forward {
	if live == tgGreen {
		return []forward{{tgBlue, 0}, {tgGreen, 100}}
	}
	return []forward{{tgBlue, 100}, {tgGreen, 0}}
}

// happyScript is a release that waits for both continues and then succeeds.
func happyScript() []step {
	return []step{stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded}
}

// unattended is a script nobody continues: the group's waits run their course.
func unattended(steps ...step) []step {
	out := make([]step, len(steps))
	for i, s := range steps {
		s.waitFor = ""
		out[i] = s
	}
	return out
}

// codeDeployRollback is the step of CodeDeploy's rollback deployment of d-NEW.
var codeDeployRollback = step{status: "InProgress", creator: cdtypes.DeploymentCreatorCodeDeployRollback,
	target:   ecsTarget("InProgress", events(S, "InProgress"), 0, 100),
	rollback: &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-NEW")}}

// expectRollback makes StopDeployment on id end it and create rollback d-RB,
// which puts production back on blue.
func (w *world) expectRollback(id string) {
	w.onStop[id] = []step{{status: "Stopped", errInfo: &cdtypes.ErrorInformation{Code: "DEPLOYMENT_STOPPED", Message: aws.String("stopped by user")},
		rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}}}
	w.addScript("d-RB", step{status: "InProgress"}, step{status: S, enter: func(w *world) { w.setProd(tgBlue); w.setTest(tgBlue) }})
}

// writes counts the calls that change anything in AWS.
func (w *world) writes() int {
	return w.called("ecs:Register") + w.called("codedeploy:Create") + w.called("codedeploy:Continue") + w.called("codedeploy:Stop")
}

// logBuffer collects slog output for assertions and shows it on failure.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLog(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	lb := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("deployer log:\n" + lb.String())
		}
	})
	return slog.New(slog.NewTextHandler(lb, nil)), lb
}

// assertDecision checks one case of a decider's table test: with wantErr, an error
// that contains it; else no error and want.
func assertDecision[T any](t *testing.T, got T, err error, want T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		require.Error(t, err)
		assert.Contains(t, err.Error(), wantErr)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// mustParseImage is parseImage for a reference a test knows to be valid.
func mustParseImage(ref string) ImageRef {
	r, err := parseImage(ref)
	if err != nil {
		panic(err)
	}
	return r
}

// modelServer answers like the contract's simulated model server.
var modelServer = suitetest.ModelServer

// gateNamed is the result's gate of that name; the test fails without one.
func gateNamed(t *testing.T, res *Result, name string) *GateResult {
	t.Helper()
	for _, g := range res.Gates {
		if g.Name == name {
			return g
		}
	}
	require.Failf(t, "no gate "+name, "gates: %v (%s)", gateNames(res), res.Message)
	return nil
}

// gateNames are the result's gates' names, in order.
func gateNames(res *Result) []string {
	var out []string
	for _, g := range res.Gates {
		out = append(out, g.Name)
	}
	return out
}

// installMovesOnUnhealthy is CodeDeploy moving past Install while green's
// targets are unhealthy (aws/containers-roadmap#1941), through a group that does
// not wait in Ready (released with --allow-ungated-traffic, so gate 1 cannot
// catch it): steps follow the test traffic step.
func installMovesOnUnhealthy(w *world, steps ...step) {
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}
	w.health = func(string) []elbv2types.TargetHealthDescription {
		return []elbv2types.TargetHealthDescription{target("10.0.0.1", "unhealthy", "Target.ResponseCodeMismatch"), target("10.0.0.2", "unhealthy", "Target.ResponseCodeMismatch")}
	}
	w.addScript("d-NEW", append([]step{stepCreated, stepInstalling, stepTestTraffic}, steps...)...)
	w.expectRollback("d-NEW")
}

// ungated allows a release through a group that does not wait in Ready.
func ungated(o *Options) { o.AllowUngatedTraffic = true }
