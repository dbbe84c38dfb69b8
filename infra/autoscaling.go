package infra

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// autoscaling declares the scalable target and a target tracking policy on requests per target.
//
// The predefined ALBRequestCountPerTarget metric names one target group, and CodeDeploy swaps the live
// group on every release, so the policy tracks the sum of RequestCountPerTarget over both groups
// instead (the idle group contributes nothing; FILL keeps the sum defined when it reports no data).
//
// The sum does not double during a traffic shift. Each group's RequestCountPerTarget is that group's
// requests divided by that group's targets, and CodeDeploy runs the replacement task set at the
// service's desired count N beside the original one: with production split w / 1-w, the sum is
// (1-w)·R/N + w·R/N = R/N, the same load per desired task as outside a release. That is what target
// tracking must see, because it scales desiredCount and both task sets follow it. RequestCount over
// both groups divided by running tasks would read R/2N while both sets run, and scale the service in
// during every release.
func (s *Service) autoscaling(ctx *pulumi.Context, name string, cluster *ecs.Cluster, svc *ecs.Service, args *ServiceArgs) error {
	a := args.Autoscaling
	parent := pulumi.Parent(s)
	target, err := appautoscaling.NewTarget(ctx, name+"-scaling", &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", cluster.Name, svc.Name),
		MinCapacity:       pulumi.Int(a.MinTasks),
		MaxCapacity:       pulumi.Int(a.MaxTasks),
		Tags:              pulumi.ToStringMap(args.Tags),
	}, parent)
	if err != nil {
		return err
	}
	suffixes := args.TargetGroupArnSuffixes.ToStringArrayOutput()
	metric := func(id string, index int) appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArgs {
		return appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArgs{
			Id:         pulumi.String(id),
			ReturnData: pulumi.Bool(false),
			MetricStat: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatArgs{
				Stat: pulumi.String("Sum"),
				Metric: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricArgs{
					Namespace:  pulumi.String("AWS/ApplicationELB"),
					MetricName: pulumi.String("RequestCountPerTarget"),
					Dimensions: appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricDimensionArray{
						appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricMetricStatMetricDimensionArgs{
							Name:  pulumi.String("TargetGroup"),
							Value: suffixes.Index(pulumi.Int(index)),
						},
					},
				},
			},
		}
	}
	_, err = appautoscaling.NewPolicy(ctx, name+"-requests-per-target", &appautoscaling.PolicyArgs{
		PolicyType:        pulumi.String("TargetTrackingScaling"),
		ServiceNamespace:  target.ServiceNamespace,
		ScalableDimension: target.ScalableDimension,
		ResourceId:        target.ResourceId,
		TargetTrackingScalingPolicyConfiguration: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs{
			TargetValue:      pulumi.Float64(float64(a.RequestsPerTarget)),
			ScaleInCooldown:  pulumi.Int(a.ScaleInCooldown),
			ScaleOutCooldown: pulumi.Int(a.ScaleOutCooldown),
			CustomizedMetricSpecification: &appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationArgs{
				Metrics: appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArray{
					metric("blue", 0),
					metric("green", 1),
					appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricArgs{
						Id:         pulumi.String("requests_per_target"),
						Label:      pulumi.String("requests per target, both target groups"),
						Expression: pulumi.String("FILL(blue, 0) + FILL(green, 0)"),
						ReturnData: pulumi.Bool(true),
					},
				},
			},
		},
	}, parent)
	return err
}
