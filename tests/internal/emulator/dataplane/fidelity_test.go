package dataplane

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamingTarget answers /health at once and streams /stream: chunks of body spaced by gap.
func streamingTarget(t *testing.T, chunks int, gap time.Duration) (ip string, port int) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusOK)
		for i := range chunks {
			select {
			case <-time.After(gap):
			case <-r.Context().Done():
				return
			}
			fmt.Fprintf(w, "chunk %d\n", i)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	host, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ = strconv.Atoi(p)
	return host, port
}

func TestTheIdleTimeoutIsRealTimeWhateverTheScale(t *testing.T) {
	t.Parallel()
	// At 60x a scaled 60 s idle timeout would be one real second: a 1.5 s inference would get a 504
	// although ALB, whose timeout bounds real latency, waits a full minute.
	task := startTask(t, TaskSpec{Image: "m:slow", ContainerPort: 8080,
		Env: map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_LATENCY_MS": "1500"}}, 60)
	hc := fastCheck
	hc.IntervalSeconds, hc.TimeoutSeconds = 6, 5
	g := newGroup(t, TargetGroupConfig{HealthCheck: hc}, 60, nil)
	g.Register(task.IP(), task.Port())
	l := newListener(t, nil, WeightedTargetGroup{Group: g, Weight: 1})
	waitHealthy(t, g, task)
	r := mustPredict(t, l.Addr(), 1)
	assert.Equal(t, http.StatusOK, r.code, "a 1.5 s answer is well within ALB's default 60 s idle timeout")
}

func TestIdleTimeoutIsInactivityNotATotalDeadline(t *testing.T) {
	t.Parallel()
	ip, port := streamingTarget(t, 8, 400*time.Millisecond) // 3.2 s in all, never silent for 2 s
	hc := fastCheck
	hc.Path = "/health"
	g := newGroup(t, TargetGroupConfig{HealthCheck: hc}, fastScale, nil)
	g.Register(ip, port)
	l := newListener(t, nil, WeightedTargetGroup{Group: g, Weight: 1})
	l.SetIdleTimeout(2)
	eventually(t, patience, func() bool { return g.HealthOf(ip, port).State == TargetStateHealthy }, "never healthy")
	resp, err := http.Get("http://" + l.Addr() + "/stream")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err, "a response that keeps sending is not cut at the idle timeout")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "chunk 7")
}

func TestListenerAnswers504WhenTheTargetIsSilentForTheIdleTimeout(t *testing.T) {
	t.Parallel()
	task := startTask(t, TaskSpec{Image: "m:slow", ContainerPort: 8080,
		Env: map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_LATENCY_MS": "10000"}}, fastScale)
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck}, fastScale, nil)
	g.Register(task.IP(), task.Port())
	l := newListener(t, nil, WeightedTargetGroup{Group: g, Weight: 1})
	l.SetIdleTimeout(1) // ALB's minimum
	waitHealthy(t, g, task)
	began := time.Now()
	r := mustPredict(t, l.Addr(), 1)
	assert.Equal(t, http.StatusGatewayTimeout, r.code)
	assert.Equal(t, "awselb/2.0", r.server)
	assert.GreaterOrEqual(t, time.Since(began), time.Second, "cut before the idle timeout")
	assert.Less(t, time.Since(began), 5*time.Second, "the load balancer did not wait the target's 10 s")
}

func TestListenerAnswers503WhenNoTargetIsHealthyYetSomeAreStillInitial(t *testing.T) {
	t.Parallel()
	f := newFakeTarget(t, http.StatusServiceUnavailable) // fails checks, but would answer requests
	hc := fastCheck
	hc.IntervalSeconds, hc.UnhealthyThreshold = 300, 2 // one failed check, then 3 s until the next
	g := newGroup(t, TargetGroupConfig{HealthCheck: hc}, fastScale, nil)
	g.Register(f.ip, f.port)
	l := newListener(t, nil, WeightedTargetGroup{Group: g, Weight: 1})
	eventually(t, patience, func() bool { return f.probes.Load() >= 1 }, "never checked")
	require.Equal(t, TargetStateInitial, f.health(g).State)
	r := mustPredict(t, l.Addr(), 1)
	assert.Equal(t, http.StatusServiceUnavailable, r.code, "ALB fails open only when every registered target is unhealthy")
	assert.Equal(t, "awselb/2.0", r.server)
}

func TestANewTargetStaysInRegistrationInProgressBeforeItsFirstHealthCheck(t *testing.T) {
	t.Parallel()
	f := newFakeTarget(t, http.StatusOK)
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck, RegistrationSeconds: 150}, fastScale, nil) // 1.5 s
	inUse(t, g)
	g.Register(f.ip, f.port)
	time.Sleep(300 * time.Millisecond)
	assert.Zero(t, f.probes.Load(), "health checks begin once registration completes")
	assert.Equal(t, TargetHealth{IP: f.ip, Port: f.port, State: TargetStateInitial, Reason: ReasonRegistrationInProgress,
		Description: "Target registration is in progress"}, f.health(g))
	eventually(t, patience, func() bool { return f.health(g).State == TargetStateHealthy }, "never healthy")
}

func TestDrainingCutsInFlightRequestsAtTheScaledEndOfTheDeregistrationDelay(t *testing.T) {
	t.Parallel()
	// At 600x a 1.5 s request lasts 900 AWS seconds: a 60 s deregistration delay (100 ms here) cuts
	// it, as AWS would cut a 15-minute request; a 1,200 s delay (2 s here) lets it finish.
	for _, c := range []struct {
		delay int
		code  int
	}{{60, http.StatusBadGateway}, {1200, http.StatusOK}} {
		t.Run(fmt.Sprintf("delay %d s", c.delay), func(t *testing.T) {
			t.Parallel()
			const scale = 600
			l := newListener(t, nil)
			g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck, DeregistrationDelaySeconds: c.delay}, scale, nil)
			l.SetForward([]WeightedTargetGroup{{Group: g, Weight: 1}})
			task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080,
				Env: map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_LATENCY_MS": "1500"}}, scale)
			g.Register(task.IP(), task.Port())
			waitHealthy(t, g, task)
			wait := predictInFlightAt(t, l, g, task)
			g.Deregister(task.IP(), task.Port())
			got, err := wait()
			require.NoError(t, err)
			assert.Equal(t, c.code, got.code)
		})
	}
}

func TestATaskIsPendingWhileItsImageIsPulled(t *testing.T) {
	t.Parallel()
	task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080, PendingSeconds: 100,
		Env: map[string]string{"SIM_STARTUP_SECONDS": "0"}}, fastScale) // 1 s
	s := task.State()
	assert.Equal(t, TaskStatusPending, s.LastStatus)
	assert.True(t, s.StartedAt.IsZero(), "no container has started")
	eventually(t, patience, func() bool { return task.State().LastStatus == TaskStatusRunning }, "never RUNNING")
	assert.Equal(t, http.StatusOK, get(t, taskURL(task, "/health/ready")))

	stopped := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080, PendingSeconds: 300}, fastScale)
	stopped.Stop(StopCodeServiceSchedulerInitiated, "deployment stopped")
	<-stopped.Done()
	s = stopped.State()
	assert.Equal(t, TaskStatusStopped, s.LastStatus)
	assert.Nil(t, s.ExitCode, "a container that never ran has no exit code")
	assert.True(t, s.StartedAt.IsZero())
}
