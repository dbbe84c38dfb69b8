package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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
