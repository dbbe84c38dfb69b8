package deployer

import (
	"context"
	"fmt"
	"sync"
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

// AfterFunc runs f in its own goroutine once d has passed (time.AfterFunc).
func (realClock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	return time.AfterFunc(d, f).Stop
}

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
// small: Install, which ends unprompted, takes minutes; the two waits gates 1
// and 2 act in (Ready, the termination wait) wait for the deployer; and the gates'
// own checks run at --check-interval and --soak-interval, not at the poll rate
// (gate shift, which judges the traffic shift that ends unprompted, adds
// CloudWatch every 15 s: 0.88 calls/s in all, gate_shift.go).
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

// next is what one look of a wait decides: the wait is over, or look again after
// a pause.
type next struct {
	done  bool
	after time.Duration
}

// waitOver ends a wait.
var waitOver = next{done: true}

// lookAgainIn continues a wait: the next look comes after d.
func lookAgainIn(d time.Duration) next { return next{after: d} }

// blindLimit is when reads that keep failing end a wait: at a fixed deadline, or
// a duration after they began failing.
type blindLimit struct {
	at    time.Time
	after time.Duration
}

// blindAt gives up on failing reads at deadline.
func blindAt(deadline time.Time) blindLimit { return blindLimit{at: deadline} }

// blindAfter gives up on reads that have been failing for d.
func blindAfter(d time.Duration) blindLimit { return blindLimit{after: d} }

// deadline is when reads failing since since give up.
func (b blindLimit) deadline(since time.Time) time.Time {
	if b.after > 0 {
		return since.Add(b.after)
	}
	return b.at
}

// readFailures are the reads that keep failing during one wait: since when, and
// how long to back off before the next try.
type readFailures struct {
	since   time.Time
	backoff time.Duration
}

// assessReadFailure decides what a failed read (a *ReadError) means for a wait at
// now: a transient one is retried after pause, backing off from first (the poll
// interval) to 30 s; a fatal one, or a transient one still failing at the limit,
// ends the wait as a *BlindError. f is the wait's failures so far; the result is
// what they become.
func assessReadFailure(err error, f readFailures, now time.Time, limit blindLimit, first time.Duration) (pause time.Duration, after readFailures, blind error) {
	if f.since.IsZero() {
		f.since, f.backoff = now, first
	}
	if assessReadError(err) == readFatal {
		return 0, f, &BlindError{Since: f.since, Err: err}
	}
	deadline := limit.deadline(f.since)
	if !now.Before(deadline) {
		return 0, f, &BlindError{Since: f.since, Err: fmt.Errorf("still failing after %s, at the deadline: %w", now.Sub(f.since).Round(time.Second), err)}
	}
	pause = min(f.backoff, deadline.Sub(now))
	f.backoff = min(f.backoff*2, maxReadBackoff)
	return pause, f, nil
}

// waitFor is the deployer's one wait loop, in the shape of the AWS SDK's waiters:
// it calls look, which reads what the wait waits on and decides, until look says
// the wait is over, sleeping on the deployer's clock between looks (cut short by
// ctx). A look that could not read (a *ReadError) has observed nothing: it is
// retried as assessReadFailure decides, and ends the wait as a *BlindError at
// limit. Any other error a look returns ends the wait, a *BlindError from a wait
// inside the look included; so does an error returned with waitOver.
func (d *Deployer) waitFor(ctx context.Context, limit blindLimit, look func(context.Context) (next, error)) error {
	var failing readFailures
	for {
		n, err := look(ctx)
		if n.done {
			return err
		}
		switch {
		case err == nil:
			failing = readFailures{}
			if err := d.clock.Sleep(ctx, n.after); err != nil {
				return err
			}
		case !retryableRead(err) || ctx.Err() != nil:
			return err
		default:
			now := d.clock.Now()
			pause, f, blind := assessReadFailure(err, failing, now, limit, d.o.PollInterval)
			if blind != nil {
				return blind
			}
			failing = f
			d.log.Warn("could not read; retrying (a read error is no verdict on green)", "error", err.Error(), "retryIn", pause.String(),
				"failingFor", now.Sub(f.since).Round(time.Second).String())
			if err := d.clock.Sleep(ctx, pause); err != nil {
				return err
			}
		}
	}
}

// waitForRead retries read, within the wait loop, until it succeeds.
func (d *Deployer) waitForRead(ctx context.Context, limit blindLimit, read func(context.Context) error) error {
	return d.waitFor(ctx, limit, func(ctx context.Context) (next, error) {
		if err := read(ctx); err != nil {
			return next{}, err
		}
		return waitOver, nil
	})
}

// timerClock is a Clock that can run a function once d of its time has passed,
// as time.AfterFunc does. withTimeout uses it when a clock has it, and otherwise
// sleeps on the clock in a goroutine of its own.
type timerClock interface {
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// withTimeout is context.WithTimeout measured on the deployer's clock: the
// context ends with context.DeadlineExceeded once d of the clock's time has
// passed, or with the parent. The deployer's own timeouts (the write timeout, the
// interrupt grace) run on it, so that on a clock faster than real time they mean
// the same AWS time as on AWS; HTTP request timeouts stay real (probes, reachTestURL).
// Deadline reports the parent's: d is no wall-clock instant.
func withTimeout(parent context.Context, clock Clock, d time.Duration) (context.Context, context.CancelFunc) {
	c := &clockContext{parent: parent, done: make(chan struct{})}
	stopParent := context.AfterFunc(parent, func() { c.end(parent.Err()) })
	expire := func() { c.end(context.DeadlineExceeded) }
	var stopTimer func() bool
	if tc, ok := clock.(timerClock); ok {
		stopTimer = tc.AfterFunc(d, expire)
	} else {
		go func() {
			if clock.Sleep(c, d) == nil {
				expire()
			}
		}()
	}
	return c, func() {
		stopParent()
		if stopTimer != nil {
			stopTimer()
		}
		c.end(context.Canceled)
	}
}

// clockContext is the context withTimeout returns: it ends once, with the error
// of whichever came first (the parent, the clock's timeout, the cancel).
type clockContext struct {
	parent context.Context
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (c *clockContext) Deadline() (time.Time, bool) { return c.parent.Deadline() }
func (c *clockContext) Done() <-chan struct{}       { return c.done }
func (c *clockContext) Value(key any) any           { return c.parent.Value(key) }

func (c *clockContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *clockContext) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
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
