package deployer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// PlanReport is what `deployer plan` shows: what a deploy would do. Nothing is
// written in AWS.
type PlanReport struct {
	Image                 string         `json:"image"`
	LiveTaskDefinitionArn string         `json:"liveTaskDefinitionArn"`
	TaskDefinitionDiff    []string       `json:"taskDefinitionDiff"`
	AppSpec               string         `json:"appSpec"`
	Group                 GroupSettings  `json:"group"`
	Budget                Budget         `json:"budget"`
	Prod                  ListenerReport `json:"prod"`
	Test                  ListenerReport `json:"test"`
	InFlight              string         `json:"inFlight"`
	TestURL               string         `json:"testUrl,omitempty"`       // whether testUrl answers from here (deploy refuses when it does not)
	AlarmsInAlarm         []string       `json:"alarmsInAlarm,omitempty"` // the group's alarms in ALARM now ("name: reason"): deploy would wait up to Budget.AlarmWait for them
	Gates                 []string       `json:"gates"`
	Warnings              []string       `json:"warnings,omitempty"`
	Streams               []string       `json:"streams,omitempty"` // live settings that would cut a request of --max-request-seconds at the cutover (streamWarnings)
	Refusal               string         `json:"refusal,omitempty"` // why deploy would refuse (exit 2) before writing anything
}

// Plan computes the release without writing anything: the task definition diff,
// the AppSpec (with a placeholder for the ARN to be registered), the group
// settings, the budget and what would happen with an in-flight deployment.
func (d *Deployer) Plan(ctx context.Context, req DeployRequest) *Result {
	res := d.newResult("plan")
	defer func() { res.EndedAt = d.clock.Now() }()
	rep, err := d.plan(ctx, req)
	if err != nil {
		return d.endBeforeDeployment(ctx, res, err)
	}
	res.Plan, res.Image = rep, rep.Image
	res.Outcome, res.ExitCode = OutcomeOK, ExitReleased
	if rep.Refusal != "" {
		res.Outcome, res.ExitCode, res.Message = OutcomeBadInput, ExitBadInput, "deploy would refuse: "+rep.Refusal
	}
	return res
}

func (d *Deployer) plan(ctx context.Context, req DeployRequest) (*PlanReport, error) {
	st, err := d.readService(ctx)
	if err != nil {
		return nil, err
	}
	image, in, arn, err := d.desiredRelease(ctx, st, req)
	if err != nil {
		return nil, err
	}
	alarms, err := d.readGroupAlarms(ctx, st.Group, d.clock.Now().Add(planReadTimeout))
	if err != nil {
		return nil, err
	}
	lim := assessLimits(d.o, st.Service, st.Group, alarms, len(alarms) == 0)
	rep := &PlanReport{Image: image.String(), LiveTaskDefinitionArn: aws.ToString(st.Service.TaskDefinition), Group: st.Group, Budget: assessBudget(d.o, lim, st.Group),
		AlarmsInAlarm: firing(alarms)}
	ls, err := d.readListeners(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.planRefusal(ctx, rep, st.Group, ls); err != nil {
		return nil, err
	}
	rep.Streams = d.streamWarnings(ctx, ls)
	before := cloneTaskDefinition(st.TaskDef, st.TaskDefTags)
	if in == nil {
		td, tags, err := d.describeTaskDefinition(ctx, arn)
		if err != nil {
			return nil, err
		}
		in = cloneTaskDefinition(td, tags)
	} else {
		arn = fmt.Sprintf("(new revision of %s, registered by deploy)", aws.ToString(in.Family))
	}
	rep.TaskDefinitionDiff = diffTaskDefinitions(withoutProvenance(before), withoutProvenance(in))
	if rep.AppSpec, _, err = buildAppSpec(st.Service, arn, d.t.ContainerName, d.t.ContainerPort).Render(); err != nil {
		return nil, err
	}
	rep.Prod = d.listenerReport(ctx, d.t.ProdListenerArn)
	rep.Test = d.listenerReport(ctx, d.t.TestListenerArn)
	if rep.InFlight, err = d.planInFlight(ctx, &release{Image: image, TaskDefArn: arn, revision: in == nil}); err != nil {
		return nil, err
	}
	rep.Gates = d.describeGates(st.Group, lim)
	return rep, nil
}

// planRefusal records what deploy's checks before any write (checkBeforeWriting)
// would say: the warnings, whether testUrl answers, and the first refusal.
func (d *Deployer) planRefusal(ctx context.Context, rep *PlanReport, g GroupSettings, ls listeners) error {
	var err error
	if rep.Warnings, err = assessGroup(d.o, d.t.DeploymentGroup, g); err != nil {
		rep.Refusal = err.Error()
	}
	if d.t.ProdURL != "" && d.t.TestURL != "" { // plan may run without the URLs
		ports, err := d.checkListenerPorts(ls)
		rep.Warnings = append(rep.Warnings, ports...)
		if err != nil && rep.Refusal == "" {
			rep.Refusal = err.Error()
		}
	}
	if d.t.TestURL != "" && g.gatesBeforeTraffic() {
		reached, err := d.reachTestURL(ctx)
		var in *InputError
		switch {
		case errors.As(err, &in):
			rep.TestURL = "unreachable: " + in.Problem
			if rep.Refusal == "" {
				rep.Refusal = err.Error()
			}
		case err != nil:
			return err
		default:
			rep.TestURL = reached
		}
	}
	return nil
}

// planInFlight says what deploy would do with the group's in-flight deployment:
// attach to it when it is the release want, else refuse as busy.
func (d *Deployer) planInFlight(ctx context.Context, want *release) (string, error) {
	active, err := d.activeDeployment(ctx)
	if err != nil {
		return "", err
	}
	if active == nil {
		return "none: deploy would create a deployment", nil
	}
	activeArn, activeImage, _, err := d.deploymentRelease(ctx, active)
	if err != nil {
		return "", err
	}
	verb := "refuse (busy)"
	if rollbackOf(active) == "" && sameRelease(want, activeArn, activeImage) {
		verb = "attach to it"
	}
	return fmt.Sprintf("%s (%s) deploys %s: deploy would %s", aws.ToString(active.DeploymentId), active.Status, activeImage, verb), nil
}

// planReadTimeout bounds plan's retries of a read that fails transiently.
const planReadTimeout = 30 * time.Second

// withoutProvenance drops the deployer's tags so the diff shows what changes in
// the running task.
func withoutProvenance(in *ecs.RegisterTaskDefinitionInput) *ecs.RegisterTaskDefinitionInput {
	cp := *in
	cp.Tags = nil
	return &cp
}

// describeGates says what the gates will check with these options and limits.
func (d *Deployer) describeGates(g GroupSettings, l limits) []string {
	o := d.o
	ready := fmt.Sprintf("gate 1 (Ready): all green targets healthy %d checks in a row, readiness probe via the test listener %d in a row, within %s", o.Consecutive, o.Consecutive, l.GateTimeout)
	if o.Suite != nil {
		ready += fmt.Sprintf("; validation suite: %d checks", len(o.Suite.Checks))
		if o.Suite.Warmup != nil {
			ready += ", warm-up"
		}
		if o.Suite.Compare != nil {
			ready += ", blue-vs-green comparison"
		}
	}
	if th := o.latencyThresholds(); th.Samples > 0 {
		ready += fmt.Sprintf("; latency against blue: %d requests per kind and side, green fails at p50 over %s or p95 over %s (and a rank test, p < %g)", th.Samples, th.P50, th.P95, th.Alpha)
	}
	if !g.gatesBeforeTraffic() {
		ready = "gate 1: NOT possible: the group continues without waiting in Ready (deploy refuses unless --allow-ungated-traffic)"
	}
	soak := fmt.Sprintf("gate 2 (termination wait): %s soak, then up to %s for CloudWatch's last minute; targets healthy, 5xx rate (target + ELB-generated) <= %.2f%%, p99 <= %s, at least %d requests, group alarms (%d) not in ALARM",
		o.Soak, o.MetricsLag, o.Max5xxRate*100, o.MaxP99, o.MinRequests, len(g.Alarms))
	if o.Soak <= 0 {
		soak = fmt.Sprintf("gate 2: skipped (--soak 0); CodeDeploy's termination wait (%s) runs its course", g.TerminationWait)
	}
	if o.HoldAtReady {
		soak = "then hold in Ready (--hold-at-ready): production stays on blue; gate 2 runs when deploy is re-run without it to promote"
	}
	shift := fmt.Sprintf("gate shift (while production traffic moves): green's targets every %s (%d unhealthy in a row fail), a probe of each kind through the test listener as often "+
		"(%d failed in a row, a failure rate or latency worse than gate 1's fail), and every CloudWatch minute once published, against blue: 5xx rate (worse beyond 1 point, p < 0.001), "+
		"p95 over %s (from 200 requests a side), p99 over %s (from 1,000), a minute without a healthy green target",
		o.CheckInterval, o.Consecutive, o.Consecutive, d.shiftThresholds().P95, defaultShiftThresholds().P99)
	return []string{
		fmt.Sprintf("fail fast: failed green task stops > %d, or no healthy green target within %s", o.MaxGreenTaskStops, l.GreenStartTimeout),
		ready, shift, soak,
	}
}

// writeText prints the plan for people.
func (p *PlanReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "image            %s\nlive             %s\n", p.Image, p.LiveTaskDefinitionArn)
	fmt.Fprintf(w, "prod serves      %s (%s)\ntest serves      %s (%s)\n", targetGroupName(p.Prod.LiveTargetGroup), formatForwards(p.Prod.Forwards),
		targetGroupName(p.Test.LiveTargetGroup), formatForwards(p.Test.Forwards))
	fmt.Fprintf(w, "in flight        %s\n", p.InFlight)
	if p.TestURL != "" {
		fmt.Fprintf(w, "test listener    %s\n", p.TestURL)
	}
	g := p.Group
	fmt.Fprintf(w, "group            config %s (%s), ready %s wait %s, termination wait %s, alarms %v (enabled %t), auto rollback %t\n",
		g.DeploymentConfig, g.TrafficRouting, g.ReadyAction, g.ReadyWait, g.TerminationWait, g.Alarms, g.AlarmsEnabled, g.AutoRollback)
	fmt.Fprintf(w, "budget           %s\n", p.Budget)
	for _, a := range p.AlarmsInAlarm {
		fmt.Fprintf(w, "alarm in ALARM   %s (deploy would wait up to %s for it to clear, else exit 1 alarm_active)\n", a, p.Budget.AlarmWait)
	}
	for _, l := range p.Gates {
		fmt.Fprintf(w, "                 %s\n", l)
	}
	for _, l := range p.Warnings {
		fmt.Fprintf(w, "warning          %s\n", l)
	}
	for _, l := range p.Streams {
		fmt.Fprintf(w, "streams          %s\n", l)
	}
	if p.Refusal != "" {
		fmt.Fprintf(w, "DEPLOY REFUSES   %s\n", p.Refusal)
	}
	fmt.Fprintln(w, "task definition changes:")
	if len(p.TaskDefinitionDiff) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, l := range p.TaskDefinitionDiff {
		fmt.Fprintln(w, "  "+l)
	}
	fmt.Fprintf(w, "appspec:\n%s\n", p.AppSpec)
}
