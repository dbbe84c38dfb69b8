package deployer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// newAWSClients builds the SDK clients: default credential chain, shared config
// profiles, region; AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (ECS,
// CODEDEPLOY, ELASTIC_LOAD_BALANCING_V2, CLOUDWATCH) are honoured by the SDK, and
// --endpoint-url overrides them for every service. Retries use the SDK's
// standard retryer (see newRetryer). Before returning them it checks that
// each service's endpoint answers and there are credentials (checkEndpoints).
func newAWSClients(ctx context.Context, s awsSettings) (Clients, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return newRetryer(s.clock) }),
	}
	if s.region != "" {
		opts = append(opts, config.WithRegion(s.region))
	}
	if s.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return Clients{}, inputErrorf("AWS configuration", "%v", err)
	}
	if cfg.Region == "" {
		return Clients{}, inputErrorf("--region", "no AWS region: pass --region, stack output region, or set AWS_REGION")
	}
	var ep *string
	if s.endpointURL != "" {
		ep = aws.String(s.endpointURL)
	}
	c := Clients{
		ECS: ecs.NewFromConfig(cfg, func(o *ecs.Options) {
			if ep != nil {
				o.BaseEndpoint = ep
			}
		}),
		CodeDeploy: codedeploy.NewFromConfig(cfg, func(o *codedeploy.Options) {
			if ep != nil {
				o.BaseEndpoint = ep
			}
		}),
		ELB: elbv2.NewFromConfig(cfg, func(o *elbv2.Options) {
			if ep != nil {
				o.BaseEndpoint = ep
			}
		}),
		CloudWatch: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			if ep != nil {
				o.BaseEndpoint = ep
			}
		}),
	}
	return c, checkEndpoints(ctx, cfg, c, s)
}

// newRetryer is the SDK's standard retryer (throttling and 5xx retried with
// jittered exponential backoff, drawing on the client's retry quota), bounded to
// 6 attempts with at most 20 s between them. Not the adaptive mode: its
// client-side rate limiter measures and sleeps on the SDK's own real clock, which
// no Clock can reach, so a rehearsal on a faster AWS clock would be throttled by
// the client itself (one call per two AWS minutes at 60x after a throttle) and
// would not rehearse what AWS does; the deployer's own waits already retry
// failing reads within their deadlines. The SDK sleeps its backoff in real time;
// on a ScaledClock the delay is converted, so a retry waits the same AWS time as
// it would on AWS.
func newRetryer(clock Clock) aws.Retryer {
	r := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 6
		so.MaxBackoff = 20 * time.Second
	})
	if sc, ok := clock.(ScaledClock); ok {
		return scaledRetryer{RetryerV2: r, clock: sc}
	}
	return r
}

// scaledRetryer converts the SDK's retry backoff to its clock's real duration.
type scaledRetryer struct {
	aws.RetryerV2
	clock ScaledClock
}

// RetryDelay is the wrapped retryer's delay, as real time on the clock.
func (r scaledRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, err := r.RetryerV2.RetryDelay(attempt, err)
	return r.clock.RealDuration(d), err
}
