package deployer

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPollerIsFastAfterAChangeAndBacksOffToTheCap(t *testing.T) {
	t.Parallel()
	p := newPoller(time.Second, 5*time.Second)
	for i := 0; i < fastPolls; i++ {
		assert.Equal(t, time.Second, p.next())
	}
	assert.Equal(t, 1500*time.Millisecond, p.next())
	for i := 0; i < 10; i++ {
		p.next()
	}
	assert.Equal(t, 5*time.Second, p.next())
	p.changed()
	assert.Equal(t, time.Second, p.next())
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
