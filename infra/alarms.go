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
// count, unhealthy host count and p99 target response time; for the load balancer, its own 5xx count.
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
		// Percentiles over few requests are noise: evaluate them only with enough samples.
		a.EvaluateLowSampleCountPercentiles = pulumi.String("ignore")
	} else {
		a.Statistic = pulumi.String(s.statistic)
	}
	return a
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
	perGroup := []alarmSpec{
		{suffix: "5xx", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", threshold: float64(cfg.Target5xxCount),
			comparison: "GreaterThanOrEqualToThreshold", description: "targets answer 5xx"},
		{suffix: "unhealthy", metric: "UnHealthyHostCount", statistic: "Maximum", threshold: float64(cfg.UnhealthyHosts),
			comparison: "GreaterThanOrEqualToThreshold", description: "targets fail the health check for longer than a model load",
			extraPeriods: loadingPeriods(args.LoadingSeconds, cfg.PeriodSeconds)},
		{suffix: "p99", metric: "TargetResponseTime", extended: "p99", threshold: cfg.P99LatencySeconds,
			comparison: "GreaterThanThreshold", description: "p99 target response time is too high"},
	}

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
