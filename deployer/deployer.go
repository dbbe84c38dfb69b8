// Package deployer releases a new image to an ECS service through a CodeDeploy
// blue/green deployment, moving production traffic to green only after green is
// proven healthy (gate 1, during the Ready wait) and letting blue go only after
// green has held under production traffic (gate 2, during the termination wait).
package deployer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Target names the AWS resources of one service's releases (from the stack
// outputs, overridden by flags).
type Target struct {
	Region          string
	Cluster         string
	Service         string
	ContainerName   string
	ContainerPort   int32
	Application     string
	DeploymentGroup string
	ProdListenerArn string
	TestListenerArn string
	LoadBalancerArn string // optional: read from the target group when empty
	ProdURL         string
	TestURL         string
}

// Options are the deployer's timing knobs and thresholds. Durations are real time.
type Options struct {
	PollInterval        time.Duration // fastest poll, right after a change
	PollMaxInterval     time.Duration // cap of the adaptive backoff
	Consecutive         int           // K: consecutive passing checks a gate needs (and failing ones that fail it)
	GreenStartTimeout   time.Duration // from install start to the first healthy green target; 0 = derived from the service's health check grace period (assessLimits)
	AlarmWait           time.Duration // before creating a deployment, how long to wait for the group's alarms to leave ALARM; 0 = derived from the alarms' periods
	MaxGreenTaskStops   int           // failed green task stops tolerated before rolling back
	GateTimeout         time.Duration // gate 1 limit, from entering Ready; 0 = until shortly before the group's ready wait ends
	CheckInterval       time.Duration // spacing of the K consecutive checks of gate 1
	ReadyPath           string        // readiness probe path; "" = the green target group's health-check path
	RequestTimeout      time.Duration // per HTTP request of probes and the suite
	Suite               *Suite        // optional validation suite
	HoldAtReady         bool          // after gate 1 passes, leave the deployment waiting in Ready (no ContinueDeployment)
	AllowUngatedTraffic bool          // release through a group that does not wait in Ready (no gate 1)
	Soak                time.Duration // gate 2 window; 0 = no soak, wait out the group's termination wait
	SoakInterval        time.Duration // gate 2 check interval
	Max5xxRate          float64       // gate 2: max failed fraction of green's requests (target 5xx plus ELB 5xx or connection errors: soakMetrics.errorRate)
	MaxP99              time.Duration // gate 2: max p99 TargetResponseTime; 0 = not checked
	MinRequests         int           // gate 2: fewest requests green must serve during the soak; 0 = judge an idle green on health and alarms
	MetricsLag          time.Duration // gate 2: after the soak, how long to wait for CloudWatch's datapoints of its last minute
	Timeout             time.Duration // overall limit; 0 = computed budget
	RollbackTimeout     time.Duration // how long to follow a rollback deployment
	OnInterrupt         string        // "rollback" or "detach"
	InterruptGrace      time.Duration // time to stop and follow the rollback after a signal

	Clock      Clock        // nil = wall clock
	HTTPClient *http.Client // nil = a client without redirects-following surprises
	Logger     *slog.Logger // nil = discard
}

// DefaultOptions returns the defaults the CLI documents. GreenStartTimeout,
// AlarmWait and GateTimeout are 0: derived from the service, its alarms and the
// deployment group once they are read (assessLimits).
func DefaultOptions() Options {
	return Options{
		PollInterval: time.Second, PollMaxInterval: 5 * time.Second, Consecutive: 3,
		CheckInterval: 5 * time.Second, RequestTimeout: 10 * time.Second,
		Soak: 5 * time.Minute, SoakInterval: 15 * time.Second, Max5xxRate: 0.01, MaxP99: 2 * time.Second, MetricsLag: 3 * time.Minute,
		RollbackTimeout: 15 * time.Minute, OnInterrupt: "rollback", InterruptGrace: 7 * time.Second,
	}
}

// Deployer runs and controls releases of one ECS service.
type Deployer struct {
	c     Clients
	t     Target
	o     Options // in use: given, with the derived limits filled in (assessLimits)
	given Options // as the caller set them: a 0 limit is derived
	log   *slog.Logger
	clock Clock
	http  *http.Client
}

// New returns a Deployer using the given clients.
func New(c Clients, t Target, o Options) *Deployer {
	d := &Deployer{c: c, t: t, o: o, log: o.Logger, clock: o.Clock, http: o.HTTPClient}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.clock == nil {
		d.clock = realClock{}
	}
	if d.http == nil {
		d.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if d.o.Consecutive < 1 {
		d.o.Consecutive = 1
	}
	d.given = d.o
	d.o = assessLimits(d.given, nil, GroupSettings{}, nil, false) // until the service and group are read
	return d
}

// serviceState is what a release starts from.
type serviceState struct {
	Service     *ecstypes.Service
	TaskDef     *ecstypes.TaskDefinition
	TaskDefTags []ecstypes.Tag
	Group       GroupSettings
}

// readService reads the live service, its task definition and the deployment
// group, and checks the service can take a blue/green deployment.
func (d *Deployer) readService(ctx context.Context) (*serviceState, error) {
	svc, err := d.describeService(ctx)
	if err != nil {
		return nil, err
	}
	if svc.DeploymentController == nil || svc.DeploymentController.Type != ecstypes.DeploymentControllerTypeCodeDeploy {
		return nil, fmt.Errorf("service %s does not use the CODE_DEPLOY deployment controller", d.t.Service)
	}
	if len(svc.LoadBalancers) != 1 {
		return nil, fmt.Errorf("service %s has %d load balancer entries; blue/green needs exactly one (the initial target group), else Install hangs", d.t.Service, len(svc.LoadBalancers))
	}
	if lb := svc.LoadBalancers[0]; str(lb.ContainerName) != d.t.ContainerName || aws.ToInt32(lb.ContainerPort) != d.t.ContainerPort {
		return nil, fmt.Errorf("service %s routes to container %s:%d, not %s:%d (check containerName/containerPort)",
			d.t.Service, str(lb.ContainerName), aws.ToInt32(lb.ContainerPort), d.t.ContainerName, d.t.ContainerPort)
	}
	td, tags, err := d.describeTaskDefinition(ctx, str(svc.TaskDefinition))
	if err != nil {
		return nil, err
	}
	g, _, err := d.readGroup(ctx)
	if err != nil {
		return nil, err
	}
	return &serviceState{Service: svc, TaskDef: td, TaskDefTags: tags, Group: g}, nil
}

func (d *Deployer) describeService(ctx context.Context) (*ecstypes.Service, error) {
	out, err := d.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &d.t.Cluster, Services: []string{d.t.Service}})
	op := fmt.Sprintf("describe service %s in cluster %s", d.t.Service, d.t.Cluster)
	if err != nil {
		return nil, readError(op, err)
	}
	if len(out.Services) == 0 {
		reason := "not found"
		if len(out.Failures) > 0 {
			reason = str(out.Failures[0].Reason)
		}
		return nil, fmt.Errorf("%s: %s", op, reason)
	}
	return &out.Services[0], nil
}

func (d *Deployer) describeTaskDefinition(ctx context.Context, arn string) (*ecstypes.TaskDefinition, []ecstypes.Tag, error) {
	out, err := d.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: &arn, Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		return nil, nil, awsError("describe task definition "+arn, err)
	}
	return out.TaskDefinition, out.Tags, nil
}

// GroupSettings are the deployment group's settings that shape a release.
type GroupSettings struct {
	DeploymentConfig string        `json:"deploymentConfig"`
	ReadyAction      string        `json:"readyAction"`
	ReadyWait        time.Duration `json:"readyWait"`
	TerminationWait  time.Duration `json:"terminationWait"`
	TrafficRouting   string        `json:"trafficRouting"`
	ShiftDuration    time.Duration `json:"shiftDuration"`
	Alarms           []string      `json:"alarms,omitempty"`
	AlarmsEnabled    bool          `json:"alarmsEnabled"`
	AutoRollback     bool          `json:"autoRollback"`
}

// gatesBeforeTraffic reports whether the group waits in Ready for us.
func (g GroupSettings) gatesBeforeTraffic() bool {
	return g.ReadyAction == string(cdtypes.DeploymentReadyActionStopDeployment)
}

func (d *Deployer) readGroup(ctx context.Context) (GroupSettings, *cdtypes.DeploymentGroupInfo, error) {
	out, err := d.c.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{
		ApplicationName: &d.t.Application, DeploymentGroupName: &d.t.DeploymentGroup,
	})
	if err != nil {
		return GroupSettings{}, nil, awsError(fmt.Sprintf("get deployment group %s of application %s", d.t.DeploymentGroup, d.t.Application), err)
	}
	info := out.DeploymentGroupInfo
	if info == nil {
		return GroupSettings{}, nil, fmt.Errorf("get deployment group %s: empty answer", d.t.DeploymentGroup)
	}
	g := GroupSettings{DeploymentConfig: str(info.DeploymentConfigName)}
	if g.DeploymentConfig == "" {
		g.DeploymentConfig = "CodeDeployDefault.ECSAllAtOnce"
	}
	if bg := info.BlueGreenDeploymentConfiguration; bg != nil {
		if ro := bg.DeploymentReadyOption; ro != nil {
			g.ReadyAction = string(ro.ActionOnTimeout)
			g.ReadyWait = time.Duration(ro.WaitTimeInMinutes) * time.Minute
		}
		if tw := bg.TerminateBlueInstancesOnDeploymentSuccess; tw != nil {
			g.TerminationWait = time.Duration(tw.TerminationWaitTimeInMinutes) * time.Minute
		}
	}
	if g.ReadyAction == "" {
		g.ReadyAction = string(cdtypes.DeploymentReadyActionContinueDeployment)
	}
	if ac := info.AlarmConfiguration; ac != nil {
		g.AlarmsEnabled = ac.Enabled
		for _, a := range ac.Alarms {
			g.Alarms = append(g.Alarms, str(a.Name))
		}
	}
	g.AutoRollback = info.AutoRollbackConfiguration != nil && info.AutoRollbackConfiguration.Enabled
	cfg, err := d.c.CodeDeploy.GetDeploymentConfig(ctx, &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: &g.DeploymentConfig})
	if err != nil {
		return GroupSettings{}, nil, awsError("get deployment config "+g.DeploymentConfig, err)
	}
	if cfg.DeploymentConfigInfo != nil {
		g.TrafficRouting, g.ShiftDuration = assessTrafficRouting(cfg.DeploymentConfigInfo.TrafficRoutingConfig)
	}
	return g, info, nil
}

// assessTrafficRouting describes a traffic routing config and how long the shift
// takes: canary = one interval; linear = one interval per step.
func assessTrafficRouting(tr *cdtypes.TrafficRoutingConfig) (string, time.Duration) {
	if tr == nil {
		return "AllAtOnce", 0
	}
	switch tr.Type {
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		if c := tr.TimeBasedCanary; c != nil {
			return fmt.Sprintf("canary %d%% then the rest after %d min", c.CanaryPercentage, c.CanaryInterval), time.Duration(c.CanaryInterval) * time.Minute
		}
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		if l := tr.TimeBasedLinear; l != nil && l.LinearPercentage > 0 {
			steps := (100 + l.LinearPercentage - 1) / l.LinearPercentage
			return fmt.Sprintf("linear %d%% every %d min", l.LinearPercentage, l.LinearInterval), time.Duration(steps*l.LinearInterval) * time.Minute
		}
	}
	return "AllAtOnce", 0
}

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
// o holds the limits in use (assessLimits).
func assessBudget(o Options, g GroupSettings) Budget {
	b := Budget{Install: o.GreenStartTimeout, Shift: g.ShiftDuration, gate2What: "termination wait"}
	if g.gatesBeforeTraffic() {
		b.Gate1 = o.GateTimeout
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
	b.AlarmWait, b.Rollback = o.AlarmWait, o.RollbackTimeout
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

// MarshalJSON renders durations as Go duration strings ("30m0s").
func (g GroupSettings) MarshalJSON() ([]byte, error) {
	type plain GroupSettings
	return json.Marshal(struct {
		plain
		ReadyWait       string `json:"readyWait"`
		TerminationWait string `json:"terminationWait"`
		ShiftDuration   string `json:"shiftDuration"`
	}{plain(g), g.ReadyWait.String(), g.TerminationWait.String(), g.ShiftDuration.String()})
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

// UnmarshalJSON reads what MarshalJSON writes.
func (g *GroupSettings) UnmarshalJSON(data []byte) error {
	type plain GroupSettings
	var v struct {
		plain
		ReadyWait       string `json:"readyWait"`
		TerminationWait string `json:"terminationWait"`
		ShiftDuration   string `json:"shiftDuration"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*g = GroupSettings(v.plain)
	return parseDurations(map[string]string{"readyWait": v.ReadyWait, "terminationWait": v.TerminationWait, "shiftDuration": v.ShiftDuration},
		map[string]*time.Duration{"readyWait": &g.ReadyWait, "terminationWait": &g.TerminationWait, "shiftDuration": &g.ShiftDuration})
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
