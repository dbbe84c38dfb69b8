package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mustFaults parses a fault spec or fails the test.
func mustFaults(t *testing.T, spec string) Faults {
	t.Helper()
	fs, err := ParseFaults(spec)
	require.NoError(t, err)
	return fs
}

// A throttled call answers in its protocol's shape, and the Go SDK's retryer counts it as
// throttling (so it backs off and draws from its retry quota as it would on AWS): JSON 1.1 (ECS,
// CodeDeploy) with ThrottlingException, Query (ELBv2) with Throttling, rpcv2-CBOR (CloudWatch) with
// the Query code in X-Amzn-Query-Error.
func TestInjectedThrottlingHasEachProtocolsShape(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, emu: Options{Faults: mustFaults(t,
		"ecs:DescribeServices:throttle=1,codedeploy:GetDeploymentGroup:throttle=1,elbv2:DescribeListeners:throttle=1,cloudwatch:DescribeAlarms:throttle=1")}})
	ctx := context.Background()
	once := func(o *retry.StandardOptions) { o.MaxAttempts = 1 }
	calls := map[string]func() error{
		"ecs": func() error {
			_, err := w.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("web-cluster"), Services: []string{"web"}},
				func(o *ecs.Options) { o.Retryer = retry.NewStandard(once) })
			return err
		},
		"codedeploy": func() error {
			_, err := w.cd.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(w.app), DeploymentGroupName: aws.String(w.group)},
				func(o *codedeploy.Options) { o.Retryer = retry.NewStandard(once) })
			return err
		},
		"elbv2": func() error {
			_, err := w.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{w.prod.ARN}},
				func(o *elbv2.Options) { o.Retryer = retry.NewStandard(once) })
			return err
		},
		"cloudwatch": func() error {
			_, err := w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}, func(o *cloudwatch.Options) { o.Retryer = retry.NewStandard(once) })
			return err
		},
	}
	want := map[string]string{"ecs": "ThrottlingException", "codedeploy": "ThrottlingException", "elbv2": "Throttling", "cloudwatch": "Throttling"}
	for name, call := range calls {
		err := call()
		require.Error(t, err, name)
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr, name)
		assert.Equal(t, want[name], apiErr.ErrorCode(), name)
		assert.Equal(t, "Rate exceeded", apiErr.ErrorMessage(), name)
		assert.Equal(t, aws.TrueTernary, retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err), "%s: the SDK sees throttling", name)
		var re *awshttp.ResponseError
		require.ErrorAs(t, err, &re, name)
		assert.Equal(t, http.StatusBadRequest, re.HTTPStatusCode(), name)
	}
	status, body := w.postQuery(url.Values{"Action": {"DescribeAlarms"}, "Version": {"2010-08-01"}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, "<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>")
}

// A 5xx fault is an HTTP 500 InternalFailure or 503 ServiceUnavailable, which the SDK retries.
func TestInjected5xxIsAServerErrorTheSDKRetries(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, emu: Options{Faults: mustFaults(t, "ecs:DescribeServices:5xx=1"), FaultSeed: 7}})
	seen := map[int]string{}
	for range 40 {
		_, err := w.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("web-cluster"), Services: []string{"web"}},
			func(o *ecs.Options) {
				o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 })
			})
		require.Error(t, err)
		var re *awshttp.ResponseError
		require.ErrorAs(t, err, &re)
		var apiErr smithy.APIError
		require.True(t, errors.As(err, &apiErr))
		seen[re.HTTPStatusCode()] = apiErr.ErrorCode()
		assert.Equal(t, aws.TrueTernary, retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err), "the SDK retries a 5xx")
	}
	assert.Equal(t, map[int]string{500: "InternalFailure", 503: "ServiceUnavailable"}, seen)
	assert.Equal(t, uint64(7), w.emu.FaultSeed())
}

// The account's rate limits run on AWS time: at real time, 80 ListClusters calls at once exceed ECS's
// cluster-read bucket (50, refilling 20 a second), and the excess is throttled.
func TestRateLimitsThrottleABurstBeyondTheBucket(t *testing.T) {
	t.Parallel()
	emu := New(Options{TimeScale: 1})
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	client := ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Retryer:     retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 })})
	began, throttled := time.Now(), 0
	for range 80 {
		if _, err := client.ListClusters(context.Background(), &ecs.ListClustersInput{}); err != nil {
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, "ThrottlingException", apiErr.ErrorCode())
			throttled++
		}
	}
	refilled := int(time.Since(began).Seconds()*20) + 1
	assert.GreaterOrEqual(t, throttled, 80-50-refilled, "a burst of 50, then 20 a second")
	assert.Positive(t, throttled)
}
