package dataplane

import (
	"math/rand/v2"
	"time"
)

// minSlowStartWeight keeps a target that has just entered slow start reachable: its share starts
// near zero and grows linearly, but never is exactly zero.
const minSlowStartWeight = 0.01

// pickGroup chooses a target group for one request at random in proportion to the forward weights,
// as ALB's weighted forward does. It returns nil when no group has a positive weight.
func pickGroup(f []WeightedTargetGroup) *TargetGroup {
	total := 0
	for _, w := range f {
		if w.Weight > 0 {
			total += w.Weight
		}
	}
	if total == 0 {
		return nil
	}
	n := rand.IntN(total)
	for _, w := range f {
		if w.Weight <= 0 {
			continue
		}
		if n < w.Weight {
			return w.Group
		}
		n -= w.Weight
	}
	return nil
}

// acquire picks the target for one request and counts it in flight; release must follow. It uses
// ALB's default algorithm, round robin (smooth weighted, so slow start can scale a target's share),
// over the healthy targets. ALB fails open only when the group's registered targets are all
// unhealthy: it then routes to every one of them whatever its health. With no healthy target and any
// still initial (registering, or not yet through its first checks), or no registered target at all,
// ok is false and ALB answers 503. Draining targets never get new requests.
func (g *TargetGroup) acquire(now time.Time) (t *target, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	cands := make([]*target, 0, len(g.targets))
	for _, c := range g.targets {
		if c.state == TargetStateHealthy {
			cands = append(cands, c)
		}
	}
	failOpen := len(cands) == 0
	if failOpen {
		for _, c := range g.targets {
			switch c.state {
			case TargetStateDraining:
			case TargetStateUnhealthy:
				cands = append(cands, c)
			default:
				return nil, false
			}
		}
	}
	if len(cands) == 0 {
		return nil, false
	}
	var total float64
	for _, c := range cands {
		w := 1.0
		if !failOpen {
			w = slowStartWeight(c, now)
		}
		c.rrCurrent += w
		total += w
		if t == nil || c.rrCurrent > t.rrCurrent {
			t = c
		}
	}
	t.rrCurrent -= total
	t.inflight++
	return t, true
}

func (g *TargetGroup) release(t *target) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t.inflight--
}

// enterSlowStart starts slow start for a target about to become healthy. Per AWS, a target enters
// slow start only when the group has slow start enabled and at least one other healthy target that
// is not itself in slow start: a group of all-new targets (a fresh green) takes full traffic at once.
func (g *TargetGroup) enterSlowStart(t *target, now time.Time) {
	if g.cfg.SlowStartSeconds <= 0 {
		return
	}
	for _, o := range g.targets {
		if o != t && o.state == TargetStateHealthy && !inSlowStart(o, now) {
			t.slowStart, t.slowEnd = now, now.Add(g.scale.D(float64(g.cfg.SlowStartSeconds)))
			return
		}
	}
}

func inSlowStart(t *target, now time.Time) bool {
	return !t.slowEnd.IsZero() && now.Before(t.slowEnd)
}

// slowStartWeight is a healthy target's round-robin weight: 1, or during slow start the elapsed
// fraction of the window, so its share of requests grows linearly to a full share.
func slowStartWeight(t *target, now time.Time) float64 {
	if !inSlowStart(t, now) {
		return 1
	}
	frac := float64(now.Sub(t.slowStart)) / float64(t.slowEnd.Sub(t.slowStart))
	return max(frac, minSlowStartWeight)
}
