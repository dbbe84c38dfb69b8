// Package awsclock is the one AWS clock of a rehearsal: virtual AWS time, linear in real time,
// that the emulator stamps and measures everything AWS-side with and an in-process deployer
// runs on (it implements deployer.Clock and deployer.ScaledClock).
//
//	aws = awsStart + (real − realStart) × scale
//
// At scale 60 an AWS minute lasts a real second: the stack's 15-minute termination wait lasts
// 15 real seconds, and a deployer sleeping its 5-minute soak on this clock sleeps 5 real seconds.
// AWS time starts at the wall clock's time when the clock is made, so at scale 1 it is the wall
// clock, and a deployer started separately (on the wall clock) sees the same time as the emulator.
package awsclock

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Clock is a linear virtual AWS clock. Its methods are safe for concurrent use; the zero value
// is not usable (see New).
type Clock struct {
	scale     float64
	realStart time.Time // with its monotonic reading: real elapsed time is measured on it
	awsStart  time.Time // without one: AWS times compare by their wall reading only
}

// New returns a clock that runs scale AWS seconds per real second (a scale of zero or less
// means 1), reading the wall clock's time now.
func New(scale float64) *Clock {
	now := time.Now()
	return NewAt(scale, now, now)
}

// NewAt returns a clock whose AWS time is awsStart at the real instant realStart.
func NewAt(scale float64, realStart, awsStart time.Time) *Clock {
	if scale <= 0 {
		scale = 1
	}
	// Round(0) drops the monotonic reading: AWS instants are compared with instants parsed from
	// the wire, which have none.
	return &Clock{scale: scale, realStart: realStart, awsStart: awsStart.Round(0)}
}

// Anchor is what fixes a clock: its scale, and the AWS instant AWSStart at the real instant
// RealStart. Two processes on one machine given the same anchor share one clock exactly (the wall
// clock's readings stand in for the monotonic one across processes).
type Anchor struct {
	Scale     float64
	RealStart time.Time
	AWSStart  time.Time
}

// Anchor returns the clock's anchor, to hand to another process (Anchor.String, ParseAnchor).
func (c *Clock) Anchor() Anchor {
	return Anchor{Scale: c.scale, RealStart: c.realStart.Round(0), AWSStart: c.awsStart}
}

// String encodes the anchor as "scale,realStartUnixNano,awsStartUnixNano", for an environment
// variable.
func (a Anchor) String() string {
	return strconv.FormatFloat(a.Scale, 'g', -1, 64) + "," + strconv.FormatInt(a.RealStart.UnixNano(), 10) + "," +
		strconv.FormatInt(a.AWSStart.UnixNano(), 10)
}

// ParseAnchor decodes Anchor.String's encoding.
func ParseAnchor(s string) (Anchor, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return Anchor{}, fmt.Errorf("clock anchor %q: want scale,realStartUnixNano,awsStartUnixNano", s)
	}
	scale, err := strconv.ParseFloat(parts[0], 64)
	if err != nil || scale <= 0 {
		return Anchor{}, fmt.Errorf("clock anchor %q: scale must be a positive number", s)
	}
	var ns [2]int64
	for i, p := range parts[1:] {
		if ns[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return Anchor{}, fmt.Errorf("clock anchor %q: %w", s, err)
		}
	}
	return Anchor{Scale: scale, RealStart: time.Unix(0, ns[0]), AWSStart: time.Unix(0, ns[1])}, nil
}

// AnchorEnv is the environment variable that carries a clock's anchor (Anchor.String) to a
// process started on it.
const AnchorEnv = "AWSCLOCK_ANCHOR"

// FromAnchor returns the clock a.
func FromAnchor(a Anchor) *Clock { return NewAt(a.Scale, a.RealStart, a.AWSStart) }

// Scale returns how many AWS seconds pass per real second.
func (c *Clock) Scale() float64 { return c.scale }

// Now returns the current AWS time.
func (c *Clock) Now() time.Time { return c.AWSTime(time.Now()) }

// AWSTime converts a real instant to AWS time.
func (c *Clock) AWSTime(real time.Time) time.Time {
	return c.awsStart.Add(c.AWS(real.Sub(c.realStart)))
}

// RealTime converts an AWS instant to the real instant it happens at.
func (c *Clock) RealTime(aws time.Time) time.Time {
	return c.realStart.Add(c.RealDuration(aws.Sub(c.awsStart)))
}

// RealDuration returns how long d of AWS time lasts in real time: d / scale.
func (c *Clock) RealDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.scale)
}

// AWS returns how much AWS time passes in the real duration d: d × scale.
func (c *Clock) AWS(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.scale)
}

// Sleep waits for d of AWS time (d/scale of real time) or until ctx is done, whichever comes
// first, and returns ctx.Err() in the latter case.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	real := c.RealDuration(d)
	if real <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(real)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// SleepUntil waits until the AWS instant at, or until ctx is done.
func (c *Clock) SleepUntil(ctx context.Context, at time.Time) error {
	return c.Sleep(ctx, at.Sub(c.Now()))
}
