package deployer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// probeConnectTimeout bounds the TCP connect of the first reads. It is real
// time (a network timeout, not an AWS duration): an endpoint that drops
// packets would otherwise hold each read for the dialer's 30 s, then the
// retryer would try five times more.
const probeConnectTimeout = 5 * time.Second

// endpointProbe is one service's first read: its name, the suffix of its
// AWS_ENDPOINT_URL_<SERVICE> variable, and the read, made with a single attempt.
type endpointProbe struct {
	service, envSuffix string
	read               func(ctx context.Context) error
}

// checkEndpoints makes one cheap read per service, each with one attempt, and
// fails when an endpoint does not answer at all (connection refused, no such
// host, connect timeout) or there are no credentials, so that a wrong
// AWS_ENDPOINT_URL or a stopped emulator is reported in seconds, before
// anything is written, instead of after a minute of the SDK's retries. Any
// answer, an AWS error included (throttling, 5xx, access denied), means the
// endpoint is there: later calls keep the deployer's normal retries.
func checkEndpoints(ctx context.Context, cfg aws.Config, c Clients, s awsSettings) error {
	if cfg.Credentials == nil {
		return credentialsError(errors.New("the default credential chain found none"))
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return credentialsError(err)
	}
	probes := endpointProbes(c, s)
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() { errs[i] = p.read(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if unreachable(err) {
			return endpointError(probes[i], cfg, s, err)
		}
	}
	return nil
}

// endpointProbes are the first reads of the four services, each one the
// deployer makes anyway, so the deployer's IAM policy already allows it.
func endpointProbes(c Clients, s awsSettings) []endpointProbe {
	t := s.target
	client := s.httpClient
	if client == nil {
		client = awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) { d.Timeout = probeConnectTimeout })
	}
	return []endpointProbe{
		{"ECS", "ECS", func(ctx context.Context) error {
			_, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(t.Cluster), Services: []string{t.Service}},
				func(o *ecs.Options) { o.Retryer, o.HTTPClient = retry.AddWithMaxAttempts(o.Retryer, 1), client })
			return err
		}},
		{"CodeDeploy", "CODEDEPLOY", func(ctx context.Context) error {
			_, err := c.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(t.Application), DeploymentGroupName: aws.String(t.DeploymentGroup)},
				func(o *codedeploy.Options) { o.Retryer, o.HTTPClient = retry.AddWithMaxAttempts(o.Retryer, 1), client })
			return err
		}},
		{"Elastic Load Balancing", "ELASTIC_LOAD_BALANCING_V2", func(ctx context.Context) error {
			_, err := c.ELB.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(1)},
				func(o *elbv2.Options) { o.Retryer, o.HTTPClient = retry.AddWithMaxAttempts(o.Retryer, 1), client })
			return err
		}},
		{"CloudWatch", "CLOUDWATCH", func(ctx context.Context) error {
			_, err := c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(1)},
				func(o *cloudwatch.Options) { o.Retryer, o.HTTPClient = retry.AddWithMaxAttempts(o.Retryer, 1), client })
			return err
		}},
	}
}

// unreachable says whether a read got no answer at all: the connection was
// refused or timed out, or the host name does not resolve.
func unreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return err != nil && (errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial")
}

func credentialsError(err error) error {
	return &InputError{Problem: fmt.Sprintf("no AWS credentials: %v; nothing was written", err),
		Hint: "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE (or --profile), or run where a role is available."}
}

// endpointError names the endpoint a read could not reach and where that
// endpoint came from, since the fix is there.
func endpointError(p endpointProbe, cfg aws.Config, s awsSettings, err error) error {
	endpoint := "its endpoint"
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			endpoint = u.Scheme + "://" + u.Host
		}
	}
	source, hint := endpointSource(p, cfg, s)
	cause := err.Error()
	if op := (*net.OpError)(nil); errors.As(err, &op) {
		cause = op.Error()
	} else if dns := (*net.DNSError)(nil); errors.As(err, &dns) {
		cause = dns.Error()
	}
	return &InputError{Problem: fmt.Sprintf("cannot reach the AWS %s endpoint %s (from %s): %s; nothing was written", p.service, endpoint, source, cause), Hint: hint}
}

// endpointSource says which setting chose a service's endpoint, in the SDK's
// order of precedence, and what to do about it.
func endpointSource(p endpointProbe, cfg aws.Config, s awsSettings) (source, hint string) {
	set := func(k string) bool { v, ok := s.getenv(k); return ok && v != "" }
	switch {
	case s.endpointURL != "":
		return "--endpoint-url", "Check --endpoint-url: is the emulator or proxy there running?"
	case s.getenv != nil && set("AWS_ENDPOINT_URL_"+p.envSuffix):
		return "AWS_ENDPOINT_URL_" + p.envSuffix, "Check AWS_ENDPOINT_URL_" + p.envSuffix + ", or unset it to use AWS's endpoint."
	case s.getenv != nil && set("AWS_ENDPOINT_URL"):
		return "AWS_ENDPOINT_URL", "Check AWS_ENDPOINT_URL (is the emulator running?), or unset it to use AWS's regional endpoint."
	case cfg.BaseEndpoint != nil:
		return "endpoint_url in the AWS shared config profile", "Check the profile's endpoint_url."
	}
	return "the default regional endpoint for " + cfg.Region, "Check the runner's network access to AWS, and --region."
}
