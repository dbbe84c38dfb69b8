package suite

import (
	"fmt"
	"time"
)

// Latency tunes gate 1's latency comparison of green with blue (the deployer's
// flags give the defaults; a flag given on the command line wins over the
// suite). Every key is optional.
type Latency struct {
	// Samples is how many requests of each kind go to each side; 0 turns the
	// comparison off.
	Samples *int `yaml:"samples"`
	// P50 and P95 say how much slower green's median and 95th percentile may be.
	P50 *LatencyLimit `yaml:"p50"`
	P95 *LatencyLimit `yaml:"p95"`
	// Requests are the request kinds compared (default: compare.requests).
	Requests []Request `yaml:"requests"`
}

// LatencyLimit is one percentile's limit: green is too slow when it is more than
// MaxRatio times blue's AND more than MinIncrease above it.
type LatencyLimit struct {
	MaxRatio    *float64  `yaml:"maxRatio"`
	MinIncrease *Duration `yaml:"minIncrease"`
}

// LatencyRequests are the requests gate 1 times on blue and green: the latency
// section's, else the comparison's (already meant for both sides; warm-up
// requests and checks are for green only). None: the caller falls back to the
// readiness path.
func (s *Suite) LatencyRequests() []Request {
	if s == nil {
		return nil
	}
	if s.Latency != nil && len(s.Latency.Requests) > 0 {
		return s.Latency.Requests
	}
	if s.Compare != nil {
		return s.Compare.Requests
	}
	return nil
}

// Label names the request in reports: its name, else method and path.
func (r Request) Label() string { return r.label() }

// validate checks the section's shape; the ranges of its values are the
// deployer's to check, with the flags they override.
func (l *Latency) validate() error {
	if l == nil {
		return nil
	}
	if l.Requests != nil {
		if err := validateRequests("latency.requests", l.Requests); err != nil {
			return err
		}
	}
	for _, p := range []struct {
		name string
		l    *LatencyLimit
	}{{"latency.p50", l.P50}, {"latency.p95", l.P95}} {
		if p.l != nil && p.l.MaxRatio == nil && p.l.MinIncrease == nil {
			return fmt.Errorf("%s: give maxRatio, minIncrease or both", p.name)
		}
		if p.l != nil && p.l.MinIncrease != nil && time.Duration(*p.l.MinIncrease) < 0 {
			return fmt.Errorf("%s.minIncrease: must not be negative", p.name)
		}
	}
	return nil
}
