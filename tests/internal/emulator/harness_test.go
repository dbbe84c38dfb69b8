package emulator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/stretchr/testify/require"
)

// testScale makes one AWS minute last 0.1 s: health checks every 5 AWS seconds run every 8 ms.
const testScale = 600

// world is an emulator provisioned like the infra program provisions AWS, with real SDK clients
// pointed at it.
type world struct {
	t      *testing.T
	emu    *Emulator
	url    string
	ecs    *ecs.Client
	cd     *codedeploy.Client
	elb    *elbv2.Client
	cw     *cloudwatch.Client
	lb     LoadBalancer
	blue   TargetGroup
	green  TargetGroup
	prod   Listener
	test   Listener
	td     TaskDefinition
	svc    Service
	app    string
	group  string
	scale  float64
	family string
}

// worldOptions vary the deployment group and the first task definition.
type worldOptions struct {
	scale          float64
	config         string
	routing        *TrafficRouting // a custom config named "custom"
	readyWait      int             // minutes; >0 means STOP_DEPLOYMENT
	terminationMin int
	rollbackEvents []string
	alarms         []string
	noTestListener bool
	desired        int
	env            map[string]string
	grace          int     // the service's health check grace period; 0 means 60
	emu            Options // emulator options besides the time scale and logger
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	if o.scale == 0 {
		o.scale = testScale
	}
	if o.desired == 0 {
		o.desired = 2
	}
	if o.grace == 0 {
		o.grace = 60
	}
	opts := o.emu
	opts.TimeScale, opts.Logger = o.scale, testLogger()
	emu := New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		emu.Close()
	})
	w := &world{t: t, emu: emu, url: srv.URL, app: "web-app", group: "web-dg", scale: o.scale, family: "web"}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	endpoint := aws.String(srv.URL)
	w.ecs = ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = endpoint })
	w.cd = codedeploy.NewFromConfig(cfg, func(o *codedeploy.Options) { o.BaseEndpoint = endpoint })
	w.elb = elbv2.NewFromConfig(cfg, func(o *elbv2.Options) { o.BaseEndpoint = endpoint })
	w.cw = cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = endpoint })
	w.provision(o)
	return w
}

func (w *world) provision(o worldOptions) {
	t := w.t
	var err error
	_, err = w.emu.CreateCluster("web-cluster")
	require.NoError(t, err)
	hc := HealthCheckSettings{Path: "/health/ready", IntervalSeconds: 5, TimeoutSeconds: 4, HealthyThreshold: 2, UnhealthyThreshold: 2}
	delay := 30
	w.blue, err = w.emu.CreateTargetGroup(TargetGroupInput{Name: "web-blue", Port: 8080, VpcID: "vpc-1", HealthCheck: hc, DeregistrationDelaySeconds: &delay})
	require.NoError(t, err)
	w.green, err = w.emu.CreateTargetGroup(TargetGroupInput{Name: "web-green", Port: 8080, VpcID: "vpc-1", HealthCheck: hc, DeregistrationDelaySeconds: &delay})
	require.NoError(t, err)
	w.lb, err = w.emu.CreateLoadBalancer(LoadBalancerInput{Name: "web-alb", VpcID: "vpc-1", Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}})
	require.NoError(t, err)
	fwd := []WeightedTarget{{w.blue.ARN, 100}, {w.green.ARN, 0}}
	w.prod, err = w.emu.CreateListener(ListenerInput{LoadBalancerARN: w.lb.ARN, Port: 80, Forward: fwd})
	require.NoError(t, err)
	var testListeners []string
	if !o.noTestListener {
		w.test, err = w.emu.CreateListener(ListenerInput{LoadBalancerARN: w.lb.ARN, Port: 8443, Forward: fwd})
		require.NoError(t, err)
		testListeners = []string{w.test.ARN}
	}
	w.td = w.register("v1", o.env)
	w.svc, err = w.emu.CreateService(ServiceInput{Cluster: "web-cluster", Name: "web", TaskDefinition: w.td.ARN,
		DesiredCount: o.desired, LoadBalancer: ServiceLoadBalancer{TargetGroupARN: w.blue.ARN, ContainerName: "model", ContainerPort: 8080},
		HealthCheckGracePeriodSeconds: o.grace, Subnets: []string{"subnet-a"}, SecurityGroups: []string{"sg-1"}})
	require.NoError(t, err)
	_, err = w.emu.CreateApplication(w.app)
	require.NoError(t, err)
	config := o.config
	if o.routing != nil {
		require.NoError(t, w.emu.CreateDeploymentConfig("custom", *o.routing))
		config = "custom"
	}
	in := DeploymentGroupInput{ApplicationName: w.app, Name: w.group, DeploymentConfigName: config,
		ServiceRoleARN: "arn:aws:iam::123456789012:role/codedeploy", ClusterName: "web-cluster", ServiceName: "web",
		TargetGroupNames: [2]string{"web-blue", "web-green"}, ProdListenerARNs: []string{w.prod.ARN},
		TestListenerARNs: testListeners, TerminationWaitMinutes: o.terminationMin,
		AutoRollbackEnabled: len(o.rollbackEvents) > 0, AutoRollbackEvents: o.rollbackEvents,
		AlarmsEnabled: len(o.alarms) > 0, AlarmNames: o.alarms}
	if o.readyWait > 0 {
		in.ReadyAction, in.ReadyWaitMinutes = "STOP_DEPLOYMENT", o.readyWait
	}
	_, err = w.emu.CreateDeploymentGroup(in)
	require.NoError(t, err)
	w.eventually(func() bool { return w.healthyTargets(w.blue.ARN) == o.desired }, "blue targets healthy")
}

// now is the emulator's AWS time: every timestamp its APIs answer is on this clock.
func (w *world) now() time.Time { return w.emu.Clock().Now() }

// register registers a task definition revision running the model server image tag.
func (w *world) register(tag string, env map[string]string) TaskDefinition {
	w.t.Helper()
	return w.registerWith(tag, env, nil)
}

// registerWith registers a revision whose container has the given health check (nil for none).
func (w *world) registerWith(tag string, env map[string]string, hc *ContainerHealthCheck) TaskDefinition {
	w.t.Helper()
	var kv []KeyValuePair
	for k, v := range env {
		kv = append(kv, KeyValuePair{Name: k, Value: v})
	}
	td, err := w.emu.RegisterTaskDefinition(TaskDefinitionInput{Family: w.family, NetworkMode: "awsvpc", Cpu: "256", Memory: "512",
		RequiresCompatibilities: []string{"FARGATE"}, ExecutionRoleArn: "arn:aws:iam::123456789012:role/exec",
		ContainerDefinitions: []ContainerDefinition{{Name: "model", Image: "repo/model-server:" + tag, Environment: kv,
			PortMappings: []PortMapping{{ContainerPort: 8080}}, HealthCheck: hc}}})
	require.NoError(w.t, err)
	return td
}

// appSpecFor returns an ECS AppSpec (YAML) deploying the task definition.
func appSpecFor(tdARN string) string { return appSpecWith(tdARN, "model", 8080, "") }

// appSpecWith returns an ECS AppSpec with the load balancer's container and port and extra text
// (Hooks) appended.
func appSpecWith(tdARN, container string, port int, extra string) string {
	return fmt.Sprintf(`version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "%s"
        LoadBalancerInfo:
          ContainerName: "%s"
          ContainerPort: %d
%s`, tdARN, container, port, extra)
}

// deploy registers the image tag and starts a deployment of it.
func (w *world) deploy(tag string, env map[string]string) string {
	w.t.Helper()
	id, err := w.deployE(w.register(tag, env).ARN)
	require.NoError(w.t, err)
	return id
}

func (w *world) deployE(tdARN string) (string, error) { return w.deployAppSpec(appSpecFor(tdARN)) }

// deployAppSpec starts a deployment of an AppSpec.
func (w *world) deployAppSpec(content string) (string, error) {
	out, err := w.cd.CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{
		ApplicationName: aws.String(w.app), DeploymentGroupName: aws.String(w.group),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(content)}},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.DeploymentId), nil
}

func (w *world) deployment(id string) *cdtypes.DeploymentInfo {
	w.t.Helper()
	out, err := w.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	require.NoError(w.t, err)
	return out.DeploymentInfo
}

func (w *world) target(id string) *cdtypes.ECSTarget {
	w.t.Helper()
	out, err := w.cd.GetDeploymentTarget(context.Background(), &codedeploy.GetDeploymentTargetInput{
		DeploymentId: aws.String(id), TargetId: aws.String("web-cluster:web")})
	require.NoError(w.t, err)
	return out.DeploymentTarget.EcsTarget
}

// waitStatus waits until the deployment has the status, failing on another terminal status.
func (w *world) waitStatus(id string, want cdtypes.DeploymentStatus) *cdtypes.DeploymentInfo {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info := w.deployment(id)
		if info.Status == want {
			return info
		}
		terminal := info.Status == cdtypes.DeploymentStatusSucceeded || info.Status == cdtypes.DeploymentStatusFailed ||
			info.Status == cdtypes.DeploymentStatusStopped
		if terminal || time.Now().After(deadline) {
			var events []string
			if info.Status != cdtypes.DeploymentStatusCreated {
				for _, ev := range w.target(id).LifecycleEvents {
					events = append(events, aws.ToString(ev.LifecycleEventName)+"="+string(ev.Status))
				}
			}
			w.t.Fatalf("deployment %s is %s (error %+v, events %v), want %s", id, info.Status, info.ErrorInformation, events, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rollbackOf waits for a stopped or failed deployment's rollbackInfo, which CodeDeploy shows only
// a while after the deployment ended, and returns the rollback deployment's id.
func (w *world) rollbackOf(id string) string {
	w.t.Helper()
	var rollback string
	w.eventually(func() bool {
		if ri := w.deployment(id).RollbackInfo; ri != nil {
			rollback = aws.ToString(ri.RollbackDeploymentId)
		}
		return rollback != ""
	}, "the rollback of "+id)
	return rollback
}

// eventually polls cond every 5 ms for up to 20 s.
func (w *world) eventually(cond func() bool, what string) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *world) healthyTargets(tgARN string) int {
	out, err := w.elb.DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
	require.NoError(w.t, err)
	n := 0
	for _, d := range out.TargetHealthDescriptions {
		if d.TargetHealth.State == "healthy" {
			n++
		}
	}
	return n
}

// service describes the web service as DescribeServices reports it.
func (w *world) service() ecstypes.Service {
	w.t.Helper()
	out, err := w.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("web-cluster"), Services: []string{"web"}})
	require.NoError(w.t, err)
	require.Len(w.t, out.Services, 1)
	return out.Services[0]
}

// weights returns the prod (or test) listener's weight for blue and green from DescribeListeners.
func (w *world) weights(listenerARN string) (blue, green int32) {
	w.t.Helper()
	out, err := w.elb.DescribeListeners(context.Background(), &elbv2.DescribeListenersInput{ListenerArns: []string{listenerARN}})
	require.NoError(w.t, err)
	require.Len(w.t, out.Listeners, 1)
	for _, tg := range out.Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups {
		switch aws.ToString(tg.TargetGroupArn) {
		case w.blue.ARN:
			blue = aws.ToInt32(tg.Weight)
		case w.green.ARN:
			green = aws.ToInt32(tg.Weight)
		}
	}
	return blue, green
}

// postQuery posts an awsQuery form to the emulator and returns the status and body it answers.
func (w *world) postQuery(form url.Values) (int, string) {
	w.t.Helper()
	resp, err := http.Post(w.url, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	require.NoError(w.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return resp.StatusCode, string(body)
}

// postJSON posts an awsJson request (version "1.0" or "1.1") for target (Service.Action) to the
// emulator and returns the status and body it answers.
func (w *world) postJSON(target, version, body string) (int, string) {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.url, strings.NewReader(body))
	require.NoError(w.t, err)
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-"+version)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return resp.StatusCode, string(out)
}

// version asks a listener's /predict which model version answers.
func (w *world) version(l Listener) string {
	w.t.Helper()
	resp, err := http.Post(l.URL+"/predict", "application/json", strings.NewReader(`{"features":[1,2,3]}`))
	require.NoError(w.t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header.Get("X-Model-Version")
}

// taskSetInfo returns the labelled task set of a deployment target.
func taskSetInfo(t *cdtypes.ECSTarget, label cdtypes.TargetLabel) *cdtypes.ECSTaskSet {
	for i := range t.TaskSetsInfo {
		if t.TaskSetsInfo[i].TaskSetLabel == label {
			return &t.TaskSetsInfo[i]
		}
	}
	return nil
}

// testLogger writes the emulator's log to stderr when EMULATOR_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("EMULATOR_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
