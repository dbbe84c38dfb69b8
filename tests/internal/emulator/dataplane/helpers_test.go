package dataplane

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fastScale makes a 5 s ALB health-check interval 50 ms and the model's default 5 s startup 50 ms.
const fastScale Scale = 100

// fastCheck is a health check that settles within a few hundred milliseconds at fastScale.
var fastCheck = HealthCheck{Path: "/health/ready", IntervalSeconds: 5, TimeoutSeconds: 2,
	HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200"}

// patience is how long a test waits for what must eventually happen. Waiting costs nothing when
// things go well, and a 2-core machine running every test package at once can stall a test for
// seconds: a deadline is never the place to assert how fast something happened.
const patience = 10 * time.Second

// eventually polls cond every few milliseconds until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: "+format, append([]any{within}, args...)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startTask(t *testing.T, spec TaskSpec, scale Scale) *Task {
	t.Helper()
	task, err := StartTask(spec, scale)
	require.NoError(t, err)
	t.Cleanup(func() {
		task.Stop(StopCodeUserInitiated, "test finished")
		<-task.Done()
	})
	return task
}

func modelTask(t *testing.T, version string, env map[string]string) *Task {
	t.Helper()
	return startTask(t, TaskSpec{Image: "repo/model-server:" + version, Env: env, ContainerPort: 8080}, fastScale)
}

func newGroup(t *testing.T, cfg TargetGroupConfig, scale Scale, rec *Recorder) *TargetGroup {
	t.Helper()
	g := NewTargetGroup(cfg, scale, rec)
	t.Cleanup(g.Close)
	return g
}

func newListener(t *testing.T, rec *Recorder, f ...WeightedTargetGroup) *Listener {
	t.Helper()
	l, err := NewListener("127.0.0.1:0", rec)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	l.SetForward(f)
	return l
}

func healthOf(g *TargetGroup, task *Task) TargetHealth { return g.HealthOf(task.IP(), task.Port()) }

func waitTargetState(t *testing.T, g *TargetGroup, task *Task, state string) TargetHealth {
	t.Helper()
	eventually(t, patience, func() bool { return healthOf(g, task).State == state },
		"target %s:%d is %+v, want %s", task.IP(), task.Port(), healthOf(g, task), state)
	return healthOf(g, task)
}

// reply is what a client saw for one predict request.
type reply struct {
	code    int
	version string // X-Model-Version: empty when the load balancer answered itself
	server  string
	body    []byte
}

func predict(client *http.Client, base string, features ...float64) (reply, error) {
	return predictCtx(context.Background(), client, base, features...)
}

func predictCtx(ctx context.Context, client *http.Client, base string, features ...float64) (reply, error) {
	body, _ := json.Marshal(map[string]any{"features": features})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+base+"/predict", bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, version: resp.Header.Get("X-Model-Version"),
		server: resp.Header.Get("Server"), body: b}, err
}

// predictInFlight sends a predict in the background and returns once the request has been written to
// the target and the target has had a moment to pick it up: the caller may then act on a request in
// flight (its latency must outlast that moment). wait returns the reply.
func predictInFlight(t *testing.T, addr string) (wait func() (reply, error)) {
	t.Helper()
	wrote := make(chan struct{})
	var once sync.Once
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) }})
	var got reply
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, err = predictCtx(ctx, http.DefaultClient, addr, 1)
		once.Do(func() { close(wrote) }) // it failed before it was written
	}()
	select {
	case <-wrote:
	case <-time.After(patience):
		t.Fatal("the request was never written")
	}
	time.Sleep(200 * time.Millisecond) // the target's server accepts and reads it
	return func() (reply, error) {
		<-done
		return got, err
	}
}

// predictInFlightAt sends a predict through l in the background and returns once g counts it in flight
// at task. wait returns the reply.
func predictInFlightAt(t *testing.T, l *Listener, g *TargetGroup, task *Task) (wait func() (reply, error)) {
	t.Helper()
	var got reply
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, err = predict(http.DefaultClient, l.Addr(), 1)
	}()
	eventually(t, patience, func() bool { return inflight(g, task) == 1 }, "the request never reached the target")
	return func() (reply, error) {
		<-done
		return got, err
	}
}

// inflight returns how many requests g has in flight at task, -1 when task is not its target.
func inflight(g *TargetGroup, task *Task) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.find(task.IP(), task.Port()); t != nil {
		return t.inflight
	}
	return -1
}

func mustPredict(t *testing.T, base string, features ...float64) reply {
	t.Helper()
	r, err := predict(http.DefaultClient, base, features...)
	require.NoError(t, err)
	return r
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// closedPort returns a loopback port nothing listens on any more.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// taskAddr returns the host:port a task listens on.
func taskAddr(task *Task) string { return net.JoinHostPort(task.IP(), strconv.Itoa(task.Port())) }

func taskURL(task *Task, path string) string { return "http://" + taskAddr(task) + path }
