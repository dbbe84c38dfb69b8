package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Clock is the deployer's view of time; tests inject a fake that advances
// instantly so waits of minutes run in milliseconds.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever comes first, and returns
	// ctx.Err() in the latter case.
	Sleep(ctx context.Context, d time.Duration) error
}

// ScaledClock is a Clock that runs faster than real time, such as an emulator's
// AWS clock. RealDuration says how long d of its time lasts in real time; the
// deployer uses it for the waits it cannot route through Sleep (the AWS SDK's
// retry backoff).
type ScaledClock interface {
	Clock
	RealDuration(d time.Duration) time.Duration
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fastPolls is how many polls stay at the minimum interval after a change.
const fastPolls = 10

// poller produces adaptive poll intervals: the minimum interval for fastPolls polls
// after anything changed, then growing by half each unchanged poll up to the cap.
//
// Reaction bound with the defaults (--poll-interval 1s, --poll-max-interval 5s): a
// change is seen within 1 s while the deployment keeps changing (for 10 polls after
// the last change), and within 5 s once it has been quiet for about 17 s (10 × 1 s,
// then 1.5, 2.25 and 3.375 s before the first 5 s interval). That is the honest
// promise: "within 5 s", not "within about a second".
//
// Why not poll every second throughout: one follow poll is GetDeployment +
// GetDeploymentTarget, plus, while green is starting or taking traffic,
// DescribeTargetHealth and ListTasks (+ DescribeTasks only when a green task has
// stopped): 4 calls. At 1 s that is 4 calls/s (about 14,000 an hour) per deployer,
// against per-account request rates that every pipeline, console and CodeDeploy
// itself share; with the cap it is at most 4 calls/s for ~10 s after a change and
// at most 0.8 calls/s in steady state (TestDeployPollsWithinTheAPIBudget… checks the
// steady-state rate and that a change is seen within 5 s). The cost of the cap is
// small: the phases that end unprompted (Install, the traffic shift) take tens of
// seconds to minutes, the two waits the gates act in (Ready, the termination wait)
// wait for the deployer, and the gates' own checks run at --check-interval and
// --soak-interval, not at the poll rate.
type poller struct {
	min, max time.Duration
	cur      time.Duration
	fast     int
}

func newPoller(min, max time.Duration) *poller {
	if max < min {
		max = min
	}
	return &poller{min: min, max: max, cur: min, fast: fastPolls}
}

// changed resets the poller to its fastest rate.
func (p *poller) changed() {
	p.cur = p.min
	p.fast = fastPolls
}

// next returns how long to sleep before the next poll.
func (p *poller) next() time.Duration {
	if p.fast > 0 {
		p.fast--
		return p.min
	}
	p.cur += p.cur / 2
	if p.cur > p.max {
		p.cur = p.max
	}
	return p.cur
}

// maxReadBackoff caps the wait between retries of a failing read.
const maxReadBackoff = 30 * time.Second

// sight tracks reads that keep failing during one wait.
type sight struct {
	since   time.Time
	backoff time.Duration
}

// clear records a successful read.
func (sg *sight) clear() { *sg = sight{} }

// retryRead decides what a failed read means for the release. A transient
// *ReadError is waited out (context-aware, backing off from --poll-interval to
// 30 s) and nil is returned: try again, with no observation made. A fatal one, or
// a transient one still failing at deadline, becomes a *BlindError. Any other
// error (a gate's verdict, an interrupt, a failed write) is returned unchanged.
func (d *Deployer) retryRead(ctx context.Context, sg *sight, err error, deadline time.Time) error {
	var re *ReadError
	if !errors.As(err, &re) || ctx.Err() != nil {
		return err
	}
	now := d.clock.Now()
	if sg.since.IsZero() {
		sg.since, sg.backoff = now, d.o.PollInterval
	}
	if assessReadError(err) == readFatal {
		return &BlindError{Since: sg.since, Err: err}
	}
	if !now.Before(deadline) {
		return &BlindError{Since: sg.since, Err: fmt.Errorf("still failing after %s, at the deadline: %w", now.Sub(sg.since).Round(time.Second), err)}
	}
	wait := min(sg.backoff, deadline.Sub(now))
	d.log.Warn("could not read; retrying (a read error is no verdict on green)", "error", err.Error(), "retryIn", wait.String(),
		"failingFor", now.Sub(sg.since).Round(time.Second).String())
	if err := d.clock.Sleep(ctx, wait); err != nil {
		return err
	}
	sg.backoff = min(sg.backoff*2, maxReadBackoff)
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
