package dataplane

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ELBv2 target states (DescribeTargetHealth TargetHealth.State).
const (
	TargetStateInitial   = "initial"
	TargetStateHealthy   = "healthy"
	TargetStateUnhealthy = "unhealthy"
	TargetStateUnused    = "unused"
	TargetStateDraining  = "draining"
)

// ELBv2 reason codes (TargetHealth.Reason), as documented for Application Load Balancers.
const (
	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonNotRegistered            = "Target.NotRegistered"
	ReasonNotInUse                 = "Target.NotInUse"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
)

// descriptions are the TargetHealth.Description texts AWS pairs with each reason code.
var descriptions = map[string]string{
	ReasonRegistrationInProgress:   "Target registration is in progress",
	ReasonInitialHealthChecking:    "Initial health checks in progress",
	ReasonTimeout:                  "Request timed out",
	ReasonFailedHealthChecks:       "Health checks failed",
	ReasonNotRegistered:            "Target is not registered to the target group",
	ReasonNotInUse:                 "Target group is not configured to receive traffic from the load balancer",
	ReasonDeregistrationInProgress: "Target deregistration is in progress",
}

// HealthCheck is a target group's health check. Zero values take ALB's defaults: path "/", interval
// 30 s, timeout 5 s, healthy threshold 5, unhealthy threshold 2, matcher "200".
type HealthCheck struct {
	Path                                                                  string
	IntervalSeconds, TimeoutSeconds, HealthyThreshold, UnhealthyThreshold int
	Matcher                                                               string // "200", "200-299", "200,202"
}

// TargetGroupConfig is the part of an ELBv2 target group the data plane acts on. Unlike the health
// check fields, a zero DeregistrationDelaySeconds is a real value (drop at once), and a zero
// SlowStartSeconds turns slow start off, as in AWS.
//
// RegistrationSeconds is not an ELBv2 setting: it is how long (AWS seconds, scaled) a newly
// registered target stays initial/Elb.RegistrationInProgress before its first health check, the
// time ALB takes to propagate a registration to its nodes. Zero skips it.
type TargetGroupConfig struct {
	Name                                         string
	HealthCheck                                  HealthCheck
	DeregistrationDelaySeconds, SlowStartSeconds int
	RegistrationSeconds                          int
}

// TargetHealth is one target's health as DescribeTargetHealth reports it.
type TargetHealth struct {
	IP                         string
	Port                       int
	State, Reason, Description string
}

// TargetGroup is an ELBv2 target group of IP targets: registration, health checks while a listener
// uses it, draining, slow start and the choice of a target for each request.
type TargetGroup struct {
	scale Scale
	rec   *Recorder
	probe *http.Client

	mu      sync.Mutex
	cfg     TargetGroupConfig
	targets []*target // registration order, which round robin follows
	users   map[*Listener]struct{}
	closed  bool
	hosts   [2]int // last healthy/unhealthy counts sent to the recorder
}

// target is one registered (or draining) IP:port. Fields are guarded by the group's mutex.
type target struct {
	ip   string
	port int
	addr string

	state, reason, desc  string
	okStreak, failStreak int
	gen                  int // bumped whenever health checking restarts, so stale results are dropped
	stopChecks           context.CancelFunc
	drainTimer           *time.Timer // ends the draining state: the target leaves the group and its requests are cut

	slowStart, slowEnd time.Time // zero unless in slow start mode
	rrCurrent          float64   // smooth weighted round robin state
	inflight           int

	// gone is cancelled when the deregistration delay has run out after Deregister: ALB closes the
	// connections of requests still in flight then.
	gone   context.Context
	cancel context.CancelFunc
}

// NewTargetGroup returns an empty target group recording its healthy and unhealthy host counts into
// rec (which may be nil).
func NewTargetGroup(cfg TargetGroupConfig, scale Scale, rec *Recorder) *TargetGroup {
	cfg.HealthCheck = cfg.HealthCheck.withDefaults()
	g := &TargetGroup{
		scale: scale,
		rec:   rec,
		cfg:   cfg,
		users: map[*Listener]struct{}{},
		// ALB health checks use a fresh connection each time and never follow redirects.
		probe: &http.Client{
			Transport:     &http.Transport{DisableKeepAlives: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	rec.recordHosts(g, 0, 0)
	return g
}

// Config returns the group's current configuration, ALB's health check defaults filled in.
func (g *TargetGroup) Config() TargetGroupConfig {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

// Update replaces the group's configuration (ModifyTargetGroup / ModifyTargetGroupAttributes). Health
// checks pick up the new settings at their next interval; targets already draining keep their delay.
func (g *TargetGroup) Update(cfg TargetGroupConfig) {
	cfg.HealthCheck = cfg.HealthCheck.withDefaults()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg = cfg
}

// Register adds a target. It starts in initial/Elb.RegistrationInProgress when a listener uses the
// group, else unused/Target.NotInUse. Registering a registered target does nothing, as in AWS;
// registering a draining one cancels its deregistration and health-checks it afresh.
func (g *TargetGroup) Register(ip string, port int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	t := g.find(ip, port)
	switch {
	case t == nil:
		ctx, cancel := context.WithCancel(context.Background())
		t = &target{ip: ip, port: port, addr: net.JoinHostPort(ip, strconv.Itoa(port)), gone: ctx, cancel: cancel}
		g.targets = append(g.targets, t)
	case t.state == TargetStateDraining:
		t.drainTimer.Stop()
	default:
		return
	}
	g.activate(t)
	g.recordHostsLocked()
}

// Deregister starts draining a target: the load balancer sends it no new requests, requests in flight
// finish, and the target stays "draining" until the scaled deregistration delay expires, then leaves
// the group. AWS completes deregistration early when a target has no in-flight requests and no open
// connections but keeps displaying it as draining for the whole delay; since ECS in practice waits the
// full delay (the ALB holds keep-alive connections), the emulator keeps the target for the full delay.
//
// Requests still in flight when the delay runs out are cut off, as ALB does ("ELB waits ... before
// completing the deregistration process, which can help in-flight requests to the target to
// complete"): the delay is an AWS duration, so the cut comes at its scaled end, when ECS also stops
// the task. A request or stream lasting longer than the delay in AWS time (its real length × the
// scale) is cut, as it would be on AWS.
func (g *TargetGroup) Deregister(ip string, port int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.find(ip, port)
	if t == nil || t.state == TargetStateDraining {
		return
	}
	g.stopChecksLocked(t)
	g.setState(t, TargetStateDraining, ReasonDeregistrationInProgress, "")
	delay := g.scale.D(float64(g.cfg.DeregistrationDelaySeconds))
	if delay <= 0 {
		g.removeLocked(t)
		t.cancel()
	} else {
		t.drainTimer = time.AfterFunc(delay, func() { g.drained(t) })
	}
	g.recordHostsLocked()
}

func (g *TargetGroup) drained(t *target) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.state == TargetStateDraining && slices.Contains(g.targets, t) {
		g.removeLocked(t)
		t.cancel()
		g.recordHostsLocked()
	}
}

// Health returns the health of every registered or draining target, ordered by IP and port.
func (g *TargetGroup) Health() []TargetHealth {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]TargetHealth, 0, len(g.targets))
	for _, t := range g.targets {
		out = append(out, TargetHealth{IP: t.ip, Port: t.port, State: t.state, Reason: t.reason, Description: t.desc})
	}
	slices.SortFunc(out, func(a, b TargetHealth) int {
		if c := compareIP(a.IP, b.IP); c != 0 {
			return c
		}
		return a.Port - b.Port
	})
	return out
}

// HealthOf returns one target's health; a target the group does not hold is
// unused/Target.NotRegistered, which is what DescribeTargetHealth answers when asked about it.
func (g *TargetGroup) HealthOf(ip string, port int) TargetHealth {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.find(ip, port); t != nil {
		return TargetHealth{IP: t.ip, Port: t.port, State: t.state, Reason: t.reason, Description: t.desc}
	}
	return TargetHealth{IP: ip, Port: port, State: TargetStateUnused, Reason: ReasonNotRegistered,
		Description: descriptions[ReasonNotRegistered]}
}

// Close stops the group's health checks and draining timers and drops its targets (DeleteTargetGroup).
func (g *TargetGroup) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for _, t := range slices.Clone(g.targets) {
		g.removeLocked(t)
		t.cancel()
	}
}

// attach and detach are called by listeners: a group is "in use", and health-checked, while at least
// one listener forwards to it (at any weight, 0 included).
func (g *TargetGroup) attach(l *Listener) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.users[l]; ok {
		return
	}
	g.users[l] = struct{}{}
	if len(g.users) == 1 {
		for _, t := range g.targets {
			if t.state != TargetStateDraining {
				g.activate(t)
			}
		}
		g.recordHostsLocked()
	}
}

func (g *TargetGroup) detach(l *Listener) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.users[l]; !ok {
		return
	}
	delete(g.users, l)
	if len(g.users) > 0 {
		return
	}
	for _, t := range g.targets {
		if t.state != TargetStateDraining {
			g.stopChecksLocked(t)
			g.setState(t, TargetStateUnused, ReasonNotInUse, "")
		}
	}
	g.recordHostsLocked()
}

// activate (re)starts a target's life in the group: health checks from scratch when in use.
func (g *TargetGroup) activate(t *target) {
	g.stopChecksLocked(t)
	t.okStreak, t.failStreak = 0, 0
	if len(g.users) == 0 || g.closed {
		g.setState(t, TargetStateUnused, ReasonNotInUse, "")
		return
	}
	g.setState(t, TargetStateInitial, ReasonRegistrationInProgress, "")
	ctx, cancel := context.WithCancel(context.Background())
	t.stopChecks = cancel
	t.gen++
	go g.runHealthChecks(ctx, t, t.gen)
}

func (g *TargetGroup) stopChecksLocked(t *target) {
	if t.stopChecks != nil {
		t.stopChecks()
		t.stopChecks = nil
	}
	t.gen++
}

// removeLocked drops a target from the group; its in-flight requests are cut by its cut timer (or by
// the caller).
func (g *TargetGroup) removeLocked(t *target) {
	g.stopChecksLocked(t)
	if t.drainTimer != nil {
		t.drainTimer.Stop()
	}
	g.targets = slices.DeleteFunc(g.targets, func(x *target) bool { return x == t })
}

// setState sets state and reason; desc overrides the reason's standard description when not empty.
// Only a healthy target can be in slow start: one that becomes anything else leaves it (AWS), and
// one that becomes healthy again may re-enter it (enterSlowStart).
func (g *TargetGroup) setState(t *target, state, reason, desc string) {
	if state != TargetStateHealthy {
		t.slowStart, t.slowEnd = time.Time{}, time.Time{}
	}
	if desc == "" {
		desc = descriptions[reason]
	}
	t.state, t.reason, t.desc = state, reason, desc
}

func (g *TargetGroup) find(ip string, port int) *target {
	for _, t := range g.targets {
		if t.ip == ip && t.port == port {
			return t
		}
	}
	return nil
}

// recordHostsLocked sends HealthyHostCount/UnHealthyHostCount to the recorder when they change.
func (g *TargetGroup) recordHostsLocked() {
	var h [2]int
	for _, t := range g.targets {
		switch t.state {
		case TargetStateHealthy:
			h[0]++
		case TargetStateUnhealthy:
			h[1]++
		}
	}
	if h != g.hosts {
		g.hosts = h
		g.rec.recordHosts(g, h[0], h[1])
	}
}

func compareIP(a, b string) int {
	pa, pb := net.ParseIP(a).To16(), net.ParseIP(b).To16()
	if pa == nil || pb == nil {
		return strings.Compare(a, b)
	}
	return bytes.Compare(pa, pb)
}
