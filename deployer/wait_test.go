package deployer

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
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

func TestAssessReadFailure(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	throttled := readError("get deployment d-1", apiError("ThrottlingException", "Rate exceeded"))
	denied := readError("get deployment d-1", apiError("AccessDeniedException", "not authorized"))
	cases := []struct {
		name      string
		err       error
		failing   readFailures
		limit     blindLimit
		wantPause time.Duration
		wantAfter readFailures
		wantBlind string
	}{
		{"a first transient failure is retried after the poll interval", throttled, readFailures{}, blindAt(now.Add(time.Hour)),
			time.Second, readFailures{since: now, backoff: 2 * time.Second}, ""},
		{"the backoff doubles up to 30 s", throttled, readFailures{since: now.Add(-time.Minute), backoff: 20 * time.Second}, blindAt(now.Add(time.Hour)),
			20 * time.Second, readFailures{since: now.Add(-time.Minute), backoff: 30 * time.Second}, ""},
		{"a retry never sleeps past the limit", throttled, readFailures{since: now.Add(-time.Minute), backoff: 20 * time.Second}, blindAt(now.Add(5 * time.Second)),
			5 * time.Second, readFailures{since: now.Add(-time.Minute), backoff: 30 * time.Second}, ""},
		{"a fatal read is blind at once", denied, readFailures{}, blindAt(now.Add(time.Hour)), 0, readFailures{since: now, backoff: time.Second}, "AccessDeniedException"},
		{"reads still failing at the limit are blind", throttled, readFailures{since: now.Add(-time.Minute), backoff: 4 * time.Second}, blindAt(now),
			0, readFailures{since: now.Add(-time.Minute), backoff: 4 * time.Second}, "still failing after 1m0s, at the deadline"},
		{"a limit after failing for a while counts from the first failure", throttled, readFailures{since: now.Add(-5 * time.Minute), backoff: 30 * time.Second}, blindAfter(5 * time.Minute),
			0, readFailures{since: now.Add(-5 * time.Minute), backoff: 30 * time.Second}, "still failing after 5m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pause, after, blind := assessReadFailure(tc.err, tc.failing, now, tc.limit, time.Second)
			assert.Equal(t, tc.wantPause, pause)
			assert.Equal(t, tc.wantAfter, after)
			if tc.wantBlind == "" {
				assert.NoError(t, blind)
				return
			}
			var be *BlindError
			require.ErrorAs(t, blind, &be)
			assert.Equal(t, tc.wantAfter.since, be.Since)
			assert.Contains(t, blind.Error(), tc.wantBlind)
		})
	}
}

// waitDeployer is a deployer with nothing but a fake clock and a 1 s poll interval.
func waitDeployer(t *testing.T) (*Deployer, *fakeClock, *logBuffer) {
	t.Helper()
	clock := newFakeClock()
	log, logs := newLog(t)
	return New(Clients{}, Target{}, Options{Clock: clock, Logger: log, PollInterval: time.Second}), clock, logs
}

func TestTheWaitLoopSleepsOnTheClockBetweenLooksUntilALookEndsIt(t *testing.T) {
	t.Parallel()
	d, clock, _ := waitDeployer(t)
	start, looks := clock.Now(), 0
	err := d.waitFor(context.Background(), blindAt(start.Add(time.Hour)), func(context.Context) (next, error) {
		if looks++; looks == 4 {
			return waitOver, nil
		}
		return lookAgainIn(10 * time.Second), nil
	})
	require.NoError(t, err)
	assert.Equal(t, 4, looks)
	assert.Equal(t, 30*time.Second, clock.Now().Sub(start))
}

func TestTheWaitLoopRetriesAReadThatFailsAndBacksOff(t *testing.T) {
	t.Parallel()
	d, clock, logs := waitDeployer(t)
	start, looks := clock.Now(), 0
	err := d.waitFor(context.Background(), blindAt(start.Add(time.Hour)), func(context.Context) (next, error) {
		if looks++; looks <= 3 {
			return next{}, readError("describe target health of web-green", serverError(503))
		}
		return waitOver, nil
	})
	require.NoError(t, err)
	assert.Equal(t, (1+2+4)*time.Second, clock.Now().Sub(start), "backing off from the poll interval")
	assert.Contains(t, logs.String(), "could not read; retrying (a read error is no verdict on green)")
}

func TestTheWaitLoopEndsOnAnErrorThatIsNotARead(t *testing.T) {
	t.Parallel()
	d, clock, _ := waitDeployer(t)
	start := clock.Now()
	verdict := &GateError{Gate: GateReady, Reason: "green is not ready"}
	err := d.waitFor(context.Background(), blindAt(start.Add(time.Hour)), func(context.Context) (next, error) {
		return next{}, verdict
	})
	assert.Same(t, verdict, err)
	assert.Equal(t, start, clock.Now(), "no sleep")
}

func TestTheWaitLoopEndsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	d, clock, _ := waitDeployer(t)
	ctx, cancel := context.WithCancel(context.Background())
	looks := 0
	err := d.waitFor(ctx, blindAt(clock.Now().Add(time.Hour)), func(context.Context) (next, error) {
		if looks++; looks == 2 {
			cancel()
		}
		return lookAgainIn(time.Second), nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, looks)
}

func TestATimeoutOnTheClockEndsItsContextWhenTheClockPassesIt(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	start := clock.Now()
	ctx, cancel := withTimeout(context.Background(), clock, 30*time.Second)
	defer cancel()
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()

	require.NoError(t, clock.Sleep(context.Background(), 29*time.Second))
	require.NoError(t, ctx.Err(), "29 s of the clock's time: not yet")
	assert.ErrorIs(t, clock.Sleep(ctx, time.Minute), context.DeadlineExceeded, "a sleep on the context is cut short by its timeout")
	assert.Equal(t, 30*time.Second, clock.Now().Sub(start), "at the timeout, not after the whole sleep")
	assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	select {
	case <-child.Done():
		assert.ErrorIs(t, child.Err(), context.DeadlineExceeded, "contexts derived from it see a timeout too")
	case <-time.After(5 * time.Second):
		t.Fatal("the derived context did not end")
	}
}

func TestATimeoutOnTheClockEndsWithItsParentOrItsCancel(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel := withTimeout(parent, clock, time.Minute)
	defer cancel()
	cancelParent()
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)

	ctx, cancel = withTimeout(context.Background(), clock, time.Minute)
	cancel()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	require.NoError(t, clock.Sleep(context.Background(), 2*time.Minute))
	assert.ErrorIs(t, ctx.Err(), context.Canceled, "a cancelled timeout stays cancelled")
	_, hasDeadline := ctx.Deadline()
	assert.False(t, hasDeadline, "a time of the deployer's clock is no wall-clock deadline")
}

// sleepyClock has no timers (withTimeout sleeps on it in a goroutine); its time runs 1000 times
// faster than real time.
type sleepyClock struct{}

func (sleepyClock) Now() time.Time { return time.Now() }

func (sleepyClock) Sleep(ctx context.Context, d time.Duration) error {
	return realClock{}.Sleep(ctx, d/1000)
}

func TestATimeoutEndsOnClocksThatRunInRealTime(t *testing.T) {
	t.Parallel()
	for name, clock := range map[string]Clock{"a clock 1000 times faster than real time": sleepyClock{}, "the wall clock": realClock{}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := withTimeout(context.Background(), clock, 20*time.Millisecond)
			defer cancel()
			select {
			case <-ctx.Done():
				assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
			case <-time.After(10 * time.Second):
				t.Fatal("the timeout never ended the context")
			}
		})
	}
}

func TestTheWaitLoopEndsOnABlindErrorFromAWaitInsideTheLook(t *testing.T) {
	t.Parallel()
	d, clock, _ := waitDeployer(t)
	start := clock.Now()
	blind := &BlindError{Since: start, Err: readError("describe target health of web-green", serverError(503))}
	err := d.waitFor(context.Background(), blindAt(start.Add(time.Hour)), func(context.Context) (next, error) {
		return next{}, blind
	})
	assert.Same(t, blind, err, "a wait that gave up on its reads has decided: no outer wait retries it")
	assert.Equal(t, start, clock.Now(), "no sleep")
}

func TestGateOneGivingUpOnFailingReadsEndsTheReleaseAsBlindOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	log, logs := newLog(t)
	d := flakyDeployer(t, w, func(op string, n int) error {
		if op == "DescribeTargetHealth" && n >= 4 { // gate 1's health checks, after install
			return serverError(503)
		}
		return nil
	}, func(o *Options) { o.GateTimeout, o.Logger = 10*time.Minute, log })
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeFailed, res.Outcome)
	assert.Empty(t, w.stops, "left as it is")
	assert.Empty(t, w.continues, "not promoted")
	assert.Equal(t, 1, strings.Count(res.Message, "could not read the release's state"), res.Message)
	require.Len(t, res.Gates, 1)
	assert.Equal(t, "incomplete", res.Gates[0].Verdict)
	assert.Equal(t, 1, strings.Count(logs.String(), "gate ready: checking green"), "gate 1 ran once, not again past its deadline")
}
