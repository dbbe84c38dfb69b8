package deployer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failing decides, per call number of an operation, whether it fails and how.
type failing struct {
	mu sync.Mutex
	n  map[string]int
	f  func(op string, n int) error
}

func (f *failing) next(op string) error {
	f.mu.Lock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[op]++
	n := f.n[op]
	f.mu.Unlock()
	return f.f(op, n)
}

type flakyCodeDeploy struct {
	CodeDeployAPI
	f *failing
}

func (c flakyCodeDeploy) GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, o ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	if err := c.f.next("GetDeployment"); err != nil {
		return nil, err
	}
	return c.CodeDeployAPI.GetDeployment(ctx, in, o...)
}

func (c flakyCodeDeploy) GetDeploymentTarget(ctx context.Context, in *codedeploy.GetDeploymentTargetInput, o ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	if err := c.f.next("GetDeploymentTarget"); err != nil {
		return nil, err
	}
	return c.CodeDeployAPI.GetDeploymentTarget(ctx, in, o...)
}

type flakyELB struct {
	ELBv2API
	f *failing
}

func (e flakyELB) DescribeTargetHealth(ctx context.Context, in *elbv2.DescribeTargetHealthInput, o ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	if err := e.f.next("DescribeTargetHealth"); err != nil {
		return nil, err
	}
	return e.ELBv2API.DescribeTargetHealth(ctx, in, o...)
}

func (e flakyELB) DescribeListeners(ctx context.Context, in *elbv2.DescribeListenersInput, o ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	if err := e.f.next("DescribeListeners"); err != nil {
		return nil, err
	}
	return e.ELBv2API.DescribeListeners(ctx, in, o...)
}

type flakyCloudWatch struct {
	CloudWatchAPI
	f *failing
}

func (c flakyCloudWatch) GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, o ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	if err := c.f.next("GetMetricData"); err != nil {
		return nil, err
	}
	return c.CloudWatchAPI.GetMetricData(ctx, in, o...)
}

func (c flakyCloudWatch) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, o ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	if err := c.f.next("DescribeAlarms"); err != nil {
		return nil, err
	}
	return c.CloudWatchAPI.DescribeAlarms(ctx, in, o...)
}

// flakyDeployer is the world's deployer with reads that fail as f says.
func flakyDeployer(t *testing.T, w *world, f func(op string, n int) error, opts ...func(*Options)) *Deployer {
	d := w.deployer(t, true, opts...)
	fl := &failing{f: f}
	d.c.CodeDeploy = flakyCodeDeploy{CodeDeployAPI: d.c.CodeDeploy, f: fl}
	d.c.ELB = flakyELB{ELBv2API: d.c.ELB, f: fl}
	d.c.CloudWatch = flakyCloudWatch{CloudWatchAPI: d.c.CloudWatch, f: fl}
	return d
}

func serverError(status int) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: errors.New("server error")}
}

func TestTransientReadErrorsMidReleaseAreRetriedNotRolledBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	d := flakyDeployer(t, w, func(op string, n int) error {
		switch {
		case op == "GetDeploymentTarget" && n == 6: // what the SDK's retryer gave up on
			return apiError("ThrottlingException", "Rate exceeded")
		case op == "DescribeTargetHealth" && n%4 == 0:
			return serverError(503)
		case op == "DescribeListeners" && n == 4:
			return &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection reset by peer")}
		case op == "GetMetricData" && n == 2:
			return io.ErrUnexpectedEOF
		case op == "DescribeAlarms" && n == 3:
			return apiError("Throttling", "Rate exceeded")
		case op == "GetDeployment" && n == 12:
			return apiError("InternalFailure", "internal error")
		}
		return nil
	})
	res := d.Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Empty(t, w.stops, "a healthy release is not rolled back because the deployer could not see for a moment")
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues)
}

func TestAnAuthErrorMidReleaseLeavesTheDeploymentAsItIs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	d := flakyDeployer(t, w, func(op string, n int) error {
		if op == "GetDeployment" && n >= 5 {
			return apiError("ExpiredTokenException", "The security token included in the request is expired")
		}
		return nil
	})
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeFailed, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Empty(t, w.stops, "not rolled back: the deployer could not see, which says nothing about green")
	assert.Contains(t, res.Message, "deployment d-NEW was left as it is")
	assert.Contains(t, res.Message, "ExpiredTokenException")
	assert.Contains(t, res.Message, "deployer abort --deployment-id d-NEW")
}

func TestReadsFailingUntilTheBudgetRunsOutLeaveTheDeploymentAsItIs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	d := flakyDeployer(t, w, func(op string, n int) error {
		if op == "GetDeploymentTarget" && n >= 2 {
			return apiError("ThrottlingException", "Rate exceeded")
		}
		return nil
	}, func(o *Options) { o.Timeout = 5 * time.Minute })
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeFailed, res.Outcome, "not timed_out: that means stopped and rolled back")
	assert.Empty(t, w.stops)
	assert.Contains(t, res.Message, "ThrottlingException")
	assert.Contains(t, res.Message, "was left as it is")
}

func TestAssessReadError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want readClass
	}{
		{"throttling is transient", apiError("ThrottlingException", "Rate exceeded"), readTransient},
		{"ELB's throttling is transient", apiError("Throttling", "Rate exceeded"), readTransient},
		{"a server error is transient", apiError("InternalFailure", ""), readTransient},
		{"an HTTP 503 is transient", serverError(503), readTransient},
		{"a reset connection is transient", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, readTransient},
		{"a cut-off answer is transient", fmt.Errorf("deserialize: %w", io.ErrUnexpectedEOF), readTransient},
		{"a timeout is transient", context.DeadlineExceeded, readTransient},
		{"access denied is fatal", apiError("AccessDeniedException", "not authorized"), readFatal},
		{"expired credentials are fatal", apiError("ExpiredToken", ""), readFatal},
		{"unknown credentials are fatal", apiError("UnrecognizedClientException", ""), readFatal},
		{"an HTTP 403 is fatal", serverError(403), readFatal},
		{"a missing target group is fatal", apiError("TargetGroupNotFound", ""), readFatal},
		{"a missing deployment is fatal", apiError("DeploymentDoesNotExistException", ""), readFatal},
		{"a missing service is fatal", apiError("ServiceNotFoundException", ""), readFatal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, assessReadError(tc.err))
		})
	}
}

func TestStatusFollowRetriesATransientReadError(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", unattended(stepInstalling, stepReady, stepShifting, stepTermWait, stepSucceeded)...)
	d := flakyDeployer(t, w, func(op string, n int) error {
		if op == "GetDeployment" && (n == 3 || n == 4) {
			return apiError("ThrottlingException", "Rate exceeded")
		}
		return nil
	})
	res := d.Follow(context.Background(), "")

	assert.Equal(t, ExitReleased, res.ExitCode, res.Message)
	assert.Contains(t, res.Message, "deployment d-NEW ended Succeeded")
}
