package deployer

import (
	"context"
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
// API budget with the defaults (1 s minimum, 5 s cap): one follow poll is
// GetDeployment + GetDeploymentTarget, plus, while green is starting or taking
// traffic, DescribeTargetHealth and ListTasks (+ DescribeTasks only when a green
// task has stopped). That is at most 4 calls/s for ~10 s after a change and at most
// 0.8 calls/s in steady state, well below CodeDeploy's and ECS's per-account
// request rates, so several deployers in one account do not throttle each other.
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
