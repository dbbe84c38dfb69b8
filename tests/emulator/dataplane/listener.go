package dataplane

// WeightedTargetGroup is one entry of a listener's weighted forward action.
type WeightedTargetGroup struct {
	Group  *TargetGroup
	Weight int
}

// Listener is an ALB listener: a real HTTP listener on loopback that proxies each request to a
// target group chosen by weight and a healthy target in it.
type Listener struct{}

// NewListener listens on addr ("127.0.0.1:0") and records every request into rec (which may be nil).
func NewListener(addr string, rec *Recorder) (*Listener, error) { return &Listener{}, nil }

// Addr returns the host:port actually bound.
func (l *Listener) Addr() string { return "" }

// SetForward atomically replaces the forward action; in-flight requests are unaffected.
func (l *Listener) SetForward(f []WeightedTargetGroup) {}

// Forward returns a copy of the current forward action.
func (l *Listener) Forward() []WeightedTargetGroup { return nil }

// Close stops listening and detaches from every target group.
func (l *Listener) Close() {}
