package deployer

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// passSoakGate runs gate 2 during the termination wait and, when green held,
// continues the deployment (TERMINATION_WAIT) so blue's capacity is freed early.
func (d *Deployer) passSoakGate(ctx context.Context, res *Result, r *release, s snapshot) error {
	g := &GateResult{Name: GateSoak, Start: d.clock.Now()}
	res.Gates = append(res.Gates, g)
	r.gate2Done = true
	if d.o.Soak <= 0 {
		g.End, g.Verdict, g.Reason = g.Start, "skipped", "--soak 0: the group's termination wait runs its course"
		d.log.Info("gate soak skipped; waiting for CodeDeploy to end the termination wait", "terminationWait", r.Group.TerminationWait.String())
		return nil
	}
	d.log.Info("gate soak: watching green under production traffic", "soak", d.o.Soak.String(), "deployment", r.ID)
	ended, err := d.runSoak(ctx, res, g, r, s)
	g.End = d.clock.Now()
	switch {
	case err != nil:
		d.gateFailed(ctx, g, err)
		return err
	case ended:
		g.Verdict, g.Reason = "incomplete", "the termination wait ended before the soak finished"
		d.log.Warn("gate soak incomplete: the termination wait ended first")
		return nil
	}
	g.Verdict = "pass"
	d.log.Info("gate soak passed; ending the termination wait", "deployment", r.ID)
	return d.continueDeployment(ctx, r.ID, cdtypes.DeploymentWaitTypeTerminationWait)
}

// soakObservation is one gate-2 check.
type soakObservation struct {
	Health          healthVerdict
	UnhealthyStreak int
	Alarming        []string
	Metrics         soakMetrics
}

// soakMetrics are green's ALB metrics since the soak began.
type soakMetrics struct {
	Requests  float64
	Target5xx float64
	P99       float64 // seconds
	HasP99    bool
}

// assessSoak decides one gate-2 check: green fails on K consecutive unhealthy
// checks, any group alarm in ALARM, a 5xx rate above the limit, or p99 latency
// above the limit. With no requests there is no rate to judge.
func assessSoak(obs soakObservation, o Options) (bool, string) {
	m := obs.Metrics
	rate := 0.0
	if m.Requests > 0 {
		rate = m.Target5xx / m.Requests
	}
	summary := fmt.Sprintf("targets %s; 5xx %g/%g (%.2f%%)", obs.Health, m.Target5xx, m.Requests, rate*100)
	if m.HasP99 {
		summary += fmt.Sprintf("; p99 %.3fs", m.P99)
	}
	switch {
	case obs.UnhealthyStreak >= o.Consecutive:
		return false, fmt.Sprintf("green unhealthy for %d consecutive checks: %s", obs.UnhealthyStreak, obs.Health)
	case len(obs.Alarming) > 0:
		return false, "alarm in ALARM: " + strings.Join(obs.Alarming, "; ")
	case m.Requests > 0 && rate > o.Max5xxRate:
		return false, fmt.Sprintf("5xx rate %.2f%% above --max-5xx-rate %.2f%% (%s)", rate*100, o.Max5xxRate*100, summary)
	case o.MaxP99 > 0 && m.HasP99 && m.P99 > o.MaxP99.Seconds():
		return false, fmt.Sprintf("p99 TargetResponseTime %.3fs above --max-p99 %s", m.P99, o.MaxP99)
	}
	return true, summary
}

// runSoak checks green every SoakInterval for the soak window. It reports
// ended=true when the deployment left the termination wait on its own.
func (d *Deployer) runSoak(ctx context.Context, res *Result, g *GateResult, r *release, s snapshot) (bool, error) {
	tg, err := d.greenTargetGroup(ctx, r, s)
	if err != nil {
		return false, err
	}
	lb := d.t.LoadBalancerArn
	if lb == "" && len(tg.LoadBalancerArns) > 0 {
		lb = tg.LoadBalancerArns[0]
	}
	start := d.clock.Now()
	end := start.Add(d.o.Soak)
	desired := desiredOf(taskSet(s.Target, cdtypes.TargetLabelGreen), r)
	streak, checks, last := 0, 0, ""
	for {
		snap, err := d.poll(ctx, r.ID)
		if err != nil {
			return false, err
		}
		d.observe(res, r, snap)
		if assessDeployment(snap.Deployment, snap.Target) != PhaseTerminationWait {
			return true, nil
		}
		// Autoscaling may scale green in or out during the soak: judge against the
		// task set's desired count now.
		desired = desiredOf(taskSet(snap.Target, cdtypes.TargetLabelGreen), r)
		obs, err := d.observeSoak(ctx, r, tg, lb, desired, start)
		if err != nil {
			return false, err
		}
		if obs.Health.OK {
			streak = 0
		} else {
			streak++
		}
		obs.UnhealthyStreak = streak
		checks++
		ok, line := assessSoak(obs, d.o)
		if line != last {
			d.log.Info("soak check", "ok", ok, "detail", line, "remaining", end.Sub(d.clock.Now()).Round(time.Second).String())
			last = line
		}
		if !ok {
			g.Evidence = append(g.Evidence, line)
			return false, &GateError{Gate: GateSoak, Reason: line}
		}
		now := d.clock.Now()
		if !now.Before(end) {
			g.Evidence = append(g.Evidence, fmt.Sprintf("%d checks over %s; last: %s", checks, d.o.Soak, line))
			return false, nil
		}
		if now.After(r.deadline) {
			return false, errBudgetExceeded
		}
		if err := d.clock.Sleep(ctx, min(d.o.SoakInterval, end.Sub(now))); err != nil {
			return false, err
		}
	}
}

// observeSoak gathers one gate-2 observation.
func (d *Deployer) observeSoak(ctx context.Context, r *release, tg *targetGroupInfo, lb string, desired int, start time.Time) (soakObservation, error) {
	var obs soakObservation
	if err := d.checkStoppedTasks(ctx, r); err != nil {
		return obs, err
	}
	var err error
	if obs.Health, err = d.targetHealth(ctx, tg.Arn, desired); err != nil {
		return obs, err
	}
	if obs.Alarming, err = d.alarmsInAlarm(ctx, r.Group.Alarms); err != nil {
		return obs, err
	}
	if lb != "" {
		if obs.Metrics, err = d.readSoakMetrics(ctx, lb, tg.Arn, start, d.clock.Now()); err != nil {
			return obs, err
		}
	}
	return obs, nil
}

// alarmsInAlarm returns "name: reason" for each of the group's alarms in ALARM.
func (d *Deployer) alarmsInAlarm(ctx context.Context, names []string) ([]string, error) {
	var out []string
	for i := 0; i < len(names); i += 100 {
		batch := names[i:min(i+100, len(names))]
		resp, err := d.c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: batch, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		})
		if err != nil {
			return nil, awsError("describe alarms "+strings.Join(batch, ","), err)
		}
		for _, a := range resp.MetricAlarms {
			if a.StateValue == cwtypes.StateValueAlarm {
				out = append(out, str(a.AlarmName)+": "+str(a.StateReason))
			}
		}
		for _, a := range resp.CompositeAlarms {
			if a.StateValue == cwtypes.StateValueAlarm {
				out = append(out, str(a.AlarmName)+": "+str(a.StateReason))
			}
		}
	}
	return out, nil
}

// readSoakMetrics reads green's RequestCount and HTTPCode_Target_5XX_Count sums and
// p99 TargetResponseTime since start, one period covering the whole window.
// CloudWatch's ALB metrics arrive with a delay of a minute or more, so the last
// minute of a soak is judged at the next check, or not at all.
func (d *Deployer) readSoakMetrics(ctx context.Context, lbArn, tgArn string, start, end time.Time) (soakMetrics, error) {
	from := start.Truncate(time.Minute)
	period := int32(math.Ceil(end.Sub(from).Seconds()/60)) * 60
	if period < 60 {
		period = 60
	}
	dims := []cwtypes.Dimension{
		{Name: aws.String("LoadBalancer"), Value: aws.String(arnResource(lbArn))},
		{Name: aws.String("TargetGroup"), Value: aws.String(arnResource(tgArn))},
	}
	q := func(id, metric, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(period), Stat: aws.String(stat),
		}}
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(from.Add(time.Duration(period) * time.Second)),
		MetricDataQueries: []cwtypes.MetricDataQuery{q("requests", "RequestCount", "Sum"), q("errors", "HTTPCode_Target_5XX_Count", "Sum"), q("p99", "TargetResponseTime", "p99")},
	}
	var m soakMetrics
	for {
		out, err := d.c.CloudWatch.GetMetricData(ctx, in)
		if err != nil {
			return m, awsError("get metric data for "+targetGroupName(tgArn), err)
		}
		for _, r := range out.MetricDataResults {
			for _, v := range r.Values {
				switch str(r.Id) {
				case "requests":
					m.Requests += v
				case "errors":
					m.Target5xx += v
				case "p99":
					m.P99, m.HasP99 = math.Max(m.P99, v), true
				}
			}
		}
		if out.NextToken == nil {
			return m, nil
		}
		in.NextToken = out.NextToken
	}
}
