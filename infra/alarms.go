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

// alarmSpec is one kind of alarm per target group.
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
	specs := []alarmSpec{
		{suffix: "5xx", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", threshold: float64(cfg.Target5xxCount),
			comparison: "GreaterThanOrEqualToThreshold", description: "targets answer 5xx"},
		{suffix: "unhealthy", metric: "UnHealthyHostCount", statistic: "Maximum", threshold: float64(cfg.UnhealthyHosts),
			comparison: "GreaterThanOrEqualToThreshold", description: "targets fail the health check for longer than a model load",
			extraPeriods: loadingPeriods(args.LoadingSeconds, cfg.PeriodSeconds)},
		{suffix: "p99", metric: "TargetResponseTime", extended: "p99", threshold: cfg.P99LatencySeconds,
			comparison: "GreaterThanThreshold", description: "p99 target response time is too high"},
	}
	var names, arns pulumi.StringArray
	// 502, 503 and 504 are the ALB's own answers when targets crash, refuse connections or time out, and
	// none of them counts as HTTPCode_Target_5XX_Count: only the LoadBalancer dimension sees them.
	elb, err := cloudwatch.NewMetricAlarm(ctx, name+"-alb-5xx", &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String(fmt.Sprintf("load balancer (%s): answers 5xx itself (targets crashing, unreachable or timing out)", name)),
		Namespace:          pulumi.String("AWS/ApplicationELB"),
		MetricName:         pulumi.String("HTTPCode_ELB_5XX_Count"),
		Dimensions:         pulumi.StringMap{"LoadBalancer": args.LoadBalancerArnSuffix},
		Statistic:          pulumi.String("Sum"),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		Threshold:          pulumi.Float64(float64(cfg.Elb5xxCount)),
		Period:             pulumi.Int(cfg.PeriodSeconds),
		EvaluationPeriods:  pulumi.Int(cfg.EvaluationPeriods),
		DatapointsToAlarm:  pulumi.Int(cfg.DatapointsToAlarm),
		// No 5xx datapoint means no 5xx.
		TreatMissingData: pulumi.String("notBreaching"),
		Tags:             pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(a))
	if err != nil {
		return nil, err
	}
	names = append(names, elb.Name)
	arns = append(arns, elb.Arn)
	for _, tg := range args.TargetGroups {
		for _, s := range specs {
			alarmArgs := &cloudwatch.MetricAlarmArgs{
				AlarmDescription:   pulumi.String(fmt.Sprintf("%s target group (%s): %s", tg.Label, name, s.description)),
				Namespace:          pulumi.String("AWS/ApplicationELB"),
				MetricName:         pulumi.String(s.metric),
				Dimensions:         pulumi.StringMap{"LoadBalancer": args.LoadBalancerArnSuffix, "TargetGroup": tg.ArnSuffix},
				ComparisonOperator: pulumi.String(s.comparison),
				Threshold:          pulumi.Float64(s.threshold),
				Period:             pulumi.Int(cfg.PeriodSeconds),
				EvaluationPeriods:  pulumi.Int(cfg.EvaluationPeriods + s.extraPeriods),
				DatapointsToAlarm:  pulumi.Int(cfg.DatapointsToAlarm + s.extraPeriods),
				// An idle target group (weight 0, no targets) reports nothing: that is not a failure.
				TreatMissingData: pulumi.String("notBreaching"),
				Tags:             pulumi.ToStringMap(args.Tags),
			}
			if s.extended != "" {
				alarmArgs.ExtendedStatistic = pulumi.String(s.extended)
				// Percentiles over few requests are noise: evaluate them only with enough samples.
				alarmArgs.EvaluateLowSampleCountPercentiles = pulumi.String("ignore")
			} else {
				alarmArgs.Statistic = pulumi.String(s.statistic)
			}
			alarm, err := cloudwatch.NewMetricAlarm(ctx, fmt.Sprintf("%s-%s-%s", name, tg.Label, s.suffix), alarmArgs, pulumi.Parent(a))
			if err != nil {
				return nil, err
			}
			names = append(names, alarm.Name)
			arns = append(arns, alarm.Arn)
		}
	}
	a.AlarmNames = names.ToStringArrayOutput()
	a.AlarmArns = arns.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(a, pulumi.Map{"alarmNames": a.AlarmNames, "alarmArns": a.AlarmArns}); err != nil {
		return nil, err
	}
	return a, nil
}
