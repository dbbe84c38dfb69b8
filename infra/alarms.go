package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AlarmTarget is a target group the alarms watch.
type AlarmTarget struct {
	// Label names the group in resource names ("blue", "green").
	Label string
	// ArnSuffix is the group's ARN suffix (the TargetGroup dimension).
	ArnSuffix pulumi.StringInput
}

// AlarmsArgs configures Alarms.
type AlarmsArgs struct {
	// Config holds thresholds and evaluation settings.
	Config AlarmsConfig
	// LoadBalancerArnSuffix is the ALB's ARN suffix (the LoadBalancer dimension).
	LoadBalancerArnSuffix pulumi.StringInput
	// TargetGroups are watched one by one: whichever is green in a release has its own alarms.
	TargetGroups []AlarmTarget
	// LoadingSeconds is how long a new target may fail its health check while the model loads (the
	// service's health check grace period). CodeDeploy watches the alarms from Install on, when green's
	// targets are registered but still loading: an unhealthy-host alarm that fires within its usual
	// window would stop every release of a slow model. It tolerates this much more.
	LoadingSeconds int
	// Tags go on every alarm.
	Tags map[string]string
}

// Alarms are the CloudWatch alarms CodeDeploy watches during a deployment: per target group, target 5xx
// count, unhealthy host count and p99 and p90 target response time; for the load balancer, its own 5xx
// count.
//
// The unhealthy-host alarms wait out LoadingSeconds on purpose, so they catch a green that stays broken,
// minutes late; the deployer's gates (target health, readiness probes, soak) are the fast check.
type Alarms struct {
	pulumi.ResourceState

	AlarmNames pulumi.StringArrayOutput `pulumi:"alarmNames"`
	AlarmArns  pulumi.StringArrayOutput `pulumi:"alarmArns"`
}

// alarmSpec is one kind of alarm on an AWS/ApplicationELB metric.
type alarmSpec struct {
	suffix, metric, statistic, extended, description string
	threshold                                        float64
	comparison                                       string
	// extraPeriods are added to both the evaluated and the breaching periods.
	extraPeriods int
}

// loadingPeriods is how many alarm periods cover a model load of loadingSeconds.
func loadingPeriods(loadingSeconds, periodSeconds int) int {
	if periodSeconds <= 0 {
		return 0
	}
	return (loadingSeconds + periodSeconds - 1) / periodSeconds
}

// alarmArgs is the alarm of spec s on the given dimensions; subject says what it watches.
func alarmArgs(s alarmSpec, cfg AlarmsConfig, subject string, dims pulumi.StringMap, tags map[string]string) *cloudwatch.MetricAlarmArgs {
	a := &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String(subject + ": " + s.description),
		Namespace:          pulumi.String("AWS/ApplicationELB"),
		MetricName:         pulumi.String(s.metric),
		Dimensions:         dims,
		ComparisonOperator: pulumi.String(s.comparison),
		Threshold:          pulumi.Float64(s.threshold),
		Period:             pulumi.Int(cfg.PeriodSeconds),
		EvaluationPeriods:  pulumi.Int(cfg.EvaluationPeriods + s.extraPeriods),
		DatapointsToAlarm:  pulumi.Int(cfg.DatapointsToAlarm + s.extraPeriods),
		// Missing data is not a failure: no 5xx datapoint means no 5xx, and an idle target group
		// (weight 0, no targets) reports nothing.
		TreatMissingData: pulumi.String("notBreaching"),
		Tags:             pulumi.ToStringMap(tags),
	}
	if s.extended != "" {
		a.ExtendedStatistic = pulumi.String(s.extended)
		// Percentiles over few requests are the slowest request: judge them only with at least
		// 10/(1−p) samples in a period (see targetGroupAlarms for what that means for a canary).
		a.EvaluateLowSampleCountPercentiles = pulumi.String("ignore")
	} else {
		a.Statistic = pulumi.String(s.statistic)
	}
	return a
}

// targetGroupAlarms are the alarms of each target group: 5xx answers, unhealthy targets (waiting out a
// model load) and latency.
//
// Latency is judged by two percentiles against the one limit, alarms.p99LatencySeconds, because a
// percentile alarm with EvaluateLowSampleCountPercentiles = ignore keeps its state through any period
// with fewer than 10/(1−p) samples (CloudWatch, "Percentile-based alarms and low data samples"): p99
// needs 1,000 requests to the group in a period, p90 needs 100. In 60-second periods a 10 % canary of
// R requests/s gives green 6·R samples, so p99 sees green only from R ≈ 167 requests/s, p90 from
// R ≈ 17; after the shift (all of R) from 17 and 1.7. p90 above the p99 limit means at least a tenth
// of the requests are slower than a hundredth may be: a broadly slow green (a model fallen back from
// GPU to CPU) is seen at canary volumes, while p99 keeps watching the tail where there are enough
// requests to have one.
//
// Not "evaluate": with fewer than 100 samples p99 is the period's slowest request (p90 with fewer than
// 10), so one legitimately long generation in 2 of 3 minutes would stop good releases (and blue's
// alarm, which CodeDeploy watches too, would stop them at quiet times). Not longer periods: 1,000 samples in 5
// minutes still needs 33 requests/s at 10 %, and 2 of 3 five-minute periods outlast a 5-minute canary.
// Not a trimmed mean: the low-sample setting covers percentiles only, so at low volume tm99 is a plain
// mean that one outlier moves. Below these volumes the deployer's shift gate, which compares green with
// blue every CloudWatch minute and probes green between them, is the check that sees a canary.
func targetGroupAlarms(cfg AlarmsConfig, loadingSeconds int) []alarmSpec {
	return []alarmSpec{
		{suffix: "5xx", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", threshold: float64(cfg.Target5xxCount),
			comparison: "GreaterThanOrEqualToThreshold", description: "targets answer 5xx"},
		{suffix: "unhealthy", metric: "UnHealthyHostCount", statistic: "Maximum", threshold: float64(cfg.UnhealthyHosts),
			comparison: "GreaterThanOrEqualToThreshold", description: "targets fail the health check for longer than a model load",
			extraPeriods: loadingPeriods(loadingSeconds, cfg.PeriodSeconds)},
		{suffix: "p99", metric: "TargetResponseTime", extended: "p99", threshold: cfg.P99LatencySeconds,
			comparison: "GreaterThanThreshold", description: "p99 target response time is too high (judged in periods of at least 1,000 requests)"},
		{suffix: "p90", metric: "TargetResponseTime", extended: "p90", threshold: cfg.P99LatencySeconds,
			comparison: "GreaterThanThreshold", description: "p90 target response time is above the p99 limit: a tenth of the requests are too slow (judged in periods of at least 100 requests)"},
	}
}

// NewAlarms declares the alarms.
func NewAlarms(ctx *pulumi.Context, name string, args *AlarmsArgs, opts ...pulumi.ResourceOption) (*Alarms, error) {
	if args == nil || args.LoadBalancerArnSuffix == nil || len(args.TargetGroups) == 0 {
		return nil, fmt.Errorf("alarms %s: LoadBalancerArnSuffix and TargetGroups are required", name)
	}
	a := &Alarms{}
	if err := ctx.RegisterComponentResource("ai-bluegreen:infra:Alarms", name, a, opts...); err != nil {
		return nil, err
	}
	cfg := args.Config
	// 502, 503 and 504 are the ALB's own answers when targets crash, refuse connections or time out, and
	// none of them counts as HTTPCode_Target_5XX_Count: only the LoadBalancer dimension sees them.
	elb5xx := alarmSpec{suffix: "5xx", metric: "HTTPCode_ELB_5XX_Count", statistic: "Sum", threshold: float64(cfg.Elb5xxCount),
		comparison: "GreaterThanOrEqualToThreshold", description: "answers 5xx itself (targets crashing, unreachable or timing out)"}
	perGroup := targetGroupAlarms(cfg, args.LoadingSeconds)

	var names, arns pulumi.StringArray
	declare := func(label, subject string, s alarmSpec, dims pulumi.StringMap) error {
		alarm, err := cloudwatch.NewMetricAlarm(ctx, fmt.Sprintf("%s-%s-%s", name, label, s.suffix),
			alarmArgs(s, cfg, fmt.Sprintf("%s (%s)", subject, name), dims, args.Tags), pulumi.Parent(a))
		if err != nil {
			return err
		}
		names = append(names, alarm.Name)
		arns = append(arns, alarm.Arn)
		return nil
	}
	if err := declare("alb", "load balancer", elb5xx, pulumi.StringMap{"LoadBalancer": args.LoadBalancerArnSuffix}); err != nil {
		return nil, err
	}
	for _, tg := range args.TargetGroups {
		dims := pulumi.StringMap{"LoadBalancer": args.LoadBalancerArnSuffix, "TargetGroup": tg.ArnSuffix}
		for _, s := range perGroup {
			if err := declare(tg.Label, tg.Label+" target group", s, dims); err != nil {
				return nil, err
			}
		}
	}

	a.AlarmNames = names.ToStringArrayOutput()
	a.AlarmArns = arns.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{"alarmNames": a.AlarmNames, "alarmArns": a.AlarmArns}); err != nil {
		return nil, err
	}
	return a, nil
}
