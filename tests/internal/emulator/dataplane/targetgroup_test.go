package dataplane

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// fakeTarget is a target whose health-check answer the test controls.
type fakeTarget struct {
	ip     string
	port   int
	status atomic.Int32 // answered to health checks
	delay  atomic.Int64 // nanoseconds before answering
	probes atomic.Int32
	ua     atomic.Value
}

func newFakeTarget(t *testing.T, status int) *fakeTarget {
	t.Helper()
	f := &fakeTarget{}
	f.status.Store(int32(status))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.probes.Add(1)
		f.ua.Store(r.UserAgent())
		select {
		case <-time.After(time.Duration(f.delay.Load())):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(int(f.status.Load()))
	}))
	t.Cleanup(srv.Close)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	f.ip = host
	f.port, _ = strconv.Atoi(port)
	return f
}

func (f *fakeTarget) health(g *TargetGroup) TargetHealth { return g.HealthOf(f.ip, f.port) }

// inUse makes g "in use" the way the contract defines it: a listener forwards to it, weight 0 counts.
func inUse(t *testing.T, g *TargetGroup) *Listener {
	t.Helper()
	return newListener(t, nil, WeightedTargetGroup{Group: g, Weight: 0})
}

func TestMatcherAcceptsCodesListsAndRanges(t *testing.T) {
	t.Parallel()
	cases := []struct {
		matcher string
		code    int
		want    bool
	}{
		{"200", 200, true}, {"200", 204, false}, {"200-299", 204, true}, {"200-299", 300, false},
		{"200,202", 202, true}, {"200,202", 201, false}, {"200, 301-302", 302, true}, {"junk", 200, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, matchCode(c.matcher, c.code), "%q with %d", c.matcher, c.code)
	}
}

func TestHealthFollowsThresholdsAndReportsReasonCodes(t *testing.T) {
	t.Parallel()
	f := newFakeTarget(t, http.StatusOK)
	hc := fastCheck
	hc.Path, hc.HealthyThreshold, hc.UnhealthyThreshold = "/ping", 3, 2
	g := newGroup(t, TargetGroupConfig{Name: "tg", HealthCheck: hc}, fastScale, nil)
	inUse(t, g)
	g.Register(f.ip, f.port)
	first := f.health(g)
	assert.Equal(t, TargetStateInitial, first.State)
	assert.Contains(t, []string{ReasonRegistrationInProgress, ReasonInitialHealthChecking}, first.Reason)

	eventually(t, patience, func() bool { return f.health(g).State == TargetStateHealthy }, "never healthy")
	assert.GreaterOrEqual(t, f.probes.Load(), int32(3), "healthy before HealthyThreshold successes")
	assert.Equal(t, TargetHealth{IP: f.ip, Port: f.port, State: TargetStateHealthy}, f.health(g), "healthy has no reason")
	assert.Equal(t, "ELB-HealthChecker/2.0", f.ua.Load())

	f.status.Store(http.StatusServiceUnavailable)
	failingFrom := f.probes.Load()
	eventually(t, patience, func() bool { return f.health(g).State == TargetStateUnhealthy }, "never unhealthy")
	assert.GreaterOrEqual(t, f.probes.Load()-failingFrom, int32(2), "unhealthy before UnhealthyThreshold failures")
	assert.Equal(t, TargetHealth{IP: f.ip, Port: f.port, State: TargetStateUnhealthy, Reason: ReasonResponseCodeMismatch,
		Description: "Health checks failed with these codes: [503]"}, f.health(g))

	f.delay.Store(int64(2 * time.Second)) // well past the 500 ms floor of the 20 ms scaled timeout
	eventually(t, patience, func() bool { return f.health(g).Reason == ReasonTimeout }, "reason never became a timeout")
	assert.Equal(t, "Request timed out", f.health(g).Description)

	f.delay.Store(0)
	f.status.Store(http.StatusOK)
	eventually(t, patience, func() bool { return f.health(g).State == TargetStateHealthy }, "never recovered")
}

func TestConnectionFailuresAreFailedHealthChecks(t *testing.T) {
	t.Parallel()
	port := closedPort(t)
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck}, fastScale, nil)
	inUse(t, g)
	g.Register("127.0.0.1", port)
	eventually(t, patience, func() bool { return g.HealthOf("127.0.0.1", port).State == TargetStateUnhealthy }, "never unhealthy")
	assert.Equal(t, ReasonFailedHealthChecks, g.HealthOf("127.0.0.1", port).Reason)
	assert.Equal(t, "Health checks failed", g.HealthOf("127.0.0.1", port).Description)
}

func TestTargetsOfAGroupNoListenerUsesAreUnusedAndNotChecked(t *testing.T) {
	t.Parallel()
	f := newFakeTarget(t, http.StatusOK)
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck}, fastScale, nil)
	g.Register(f.ip, f.port)
	want := TargetHealth{IP: f.ip, Port: f.port, State: TargetStateUnused, Reason: ReasonNotInUse,
		Description: "Target group is not configured to receive traffic from the load balancer"}
	assert.Equal(t, want, f.health(g))
	time.Sleep(150 * time.Millisecond) // three health-check intervals
	assert.Zero(t, f.probes.Load(), "an unused group is not health-checked")

	l := inUse(t, g)
	eventually(t, patience, func() bool { return f.health(g).State == TargetStateHealthy }, "never healthy once in use")

	l.SetForward(nil)
	assert.Equal(t, want, f.health(g), "unused again once no listener forwards to it")
}

func TestHealthOfAnUnknownTargetIsNotRegistered(t *testing.T) {
	t.Parallel()
	g := newGroup(t, TargetGroupConfig{}, fastScale, nil)
	assert.Equal(t, TargetHealth{IP: "10.0.0.1", Port: 80, State: TargetStateUnused, Reason: ReasonNotRegistered,
		Description: "Target is not registered to the target group"}, g.HealthOf("10.0.0.1", 80))
	assert.Empty(t, g.Health())
}

func TestDeregisteredTargetDrainsForTheScaledDelayThenLeaves(t *testing.T) {
	t.Parallel()
	f := newFakeTarget(t, http.StatusOK)
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck, DeregistrationDelaySeconds: 30}, fastScale, nil) // 300 ms
	inUse(t, g)
	g.Register(f.ip, f.port)
	eventually(t, patience, func() bool { return f.health(g).State == TargetStateHealthy }, "never healthy")
	start := time.Now()
	g.Deregister(f.ip, f.port)
	assert.Equal(t, TargetHealth{IP: f.ip, Port: f.port, State: TargetStateDraining, Reason: ReasonDeregistrationInProgress,
		Description: "Target deregistration is in progress"}, f.health(g))
	eventually(t, patience, func() bool { return len(g.Health()) == 0 }, "never left the group")
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "left before the deregistration delay")
	assert.Equal(t, ReasonNotRegistered, f.health(g).Reason)
}

func TestRegisteringADrainingTargetStartsItAfresh(t *testing.T) {
	t.Parallel()
	f := newFakeTarget(t, http.StatusOK)
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck, DeregistrationDelaySeconds: 30}, fastScale, nil)
	inUse(t, g)
	g.Register(f.ip, f.port)
	g.Deregister(f.ip, f.port)
	g.Register(f.ip, f.port)
	assert.Equal(t, TargetStateInitial, f.health(g).State)
	eventually(t, patience, func() bool { return f.health(g).State == TargetStateHealthy }, "never healthy")
	time.Sleep(350 * time.Millisecond) // past the cancelled deregistration delay
	assert.Equal(t, TargetStateHealthy, f.health(g).State)
}

func TestHealthListsTargetsInAddressOrder(t *testing.T) {
	t.Parallel()
	g := newGroup(t, TargetGroupConfig{}, fastScale, nil)
	g.Register("127.0.0.10", 80)
	g.Register("127.0.0.9", 81)
	g.Register("127.0.0.9", 80)
	var got []string
	for _, h := range g.Health() {
		got = append(got, net.JoinHostPort(h.IP, strconv.Itoa(h.Port)))
	}
	assert.Equal(t, []string{"127.0.0.9:80", "127.0.0.9:81", "127.0.0.10:80"}, got)
}

func TestNeverReadyTaskIsUnhealthyWithTheCodeItAnswered(t *testing.T) {
	t.Parallel()
	task := modelTask(t, "v1", map[string]string{"SIM_NEVER_READY": "true"})
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck}, fastScale, nil)
	inUse(t, g)
	g.Register(task.IP(), task.Port())
	h := waitTargetState(t, g, task, TargetStateUnhealthy)
	assert.Equal(t, ReasonResponseCodeMismatch, h.Reason)
	assert.Equal(t, "Health checks failed with these codes: [503]", h.Description)
	assert.Equal(t, TaskStatusRunning, task.State().LastStatus, "a never-ready model keeps running")
}

func TestHealthCheckIntervalFollowsTheTimeScale(t *testing.T) {
	t.Parallel()
	f := newFakeTarget(t, http.StatusOK)
	// 30 AWS seconds at 300x is 100 ms; three successes need two full intervals after the first check.
	hc := HealthCheck{Path: "/", IntervalSeconds: 30, TimeoutSeconds: 5, HealthyThreshold: 3, UnhealthyThreshold: 2}
	g := newGroup(t, TargetGroupConfig{HealthCheck: hc}, 300, nil)
	inUse(t, g)
	start := time.Now()
	g.Register(f.ip, f.port)
	eventually(t, patience, func() bool { return f.health(g).State == TargetStateHealthy }, "never healthy")
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	assert.GreaterOrEqual(t, f.probes.Load(), int32(3))
}
