package dataplane

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ECS task and container values the data plane reports.
const (
	TaskStatusPending = "PENDING"
	TaskStatusRunning = "RUNNING"
	TaskStatusStopped = "STOPPED"

	HealthStatusUnknown   = "UNKNOWN"
	HealthStatusHealthy   = "HEALTHY"
	HealthStatusUnhealthy = "UNHEALTHY"

	StopCodeEssentialContainerExited  = "EssentialContainerExited"
	StopCodeServiceSchedulerInitiated = "ServiceSchedulerInitiated"
	StopCodeUserInitiated             = "UserInitiated"

	// StoppedReasonEssentialExited is ECS's stoppedReason when the essential container exits.
	StoppedReasonEssentialExited = "Essential container in task exited"
)

// ecsStopTimeoutSeconds is ECS's default container stopTimeout: after SIGTERM the agent waits this
// long for the process to exit before sending SIGKILL (Fargate allows at most 120).
const ecsStopTimeoutSeconds = 30

// ContainerHealthCheck is an ECS container health check. Command is what ECS would run in the
// container (["CMD-SHELL", "curl -f http://localhost:8080/health/live || exit 1"]); the emulator
// probes the URL in it. Zero values take ECS's defaults (interval 30, timeout 5, retries 3, start
// period 0).
type ContainerHealthCheck struct {
	Command                                                      []string
	IntervalSeconds, TimeoutSeconds, Retries, StartPeriodSeconds int
}

// TaskSpec is what an emulated ECS task runs: the essential container's image, environment, port and
// health check. The image tag and SIM_* variables decide how the simulated model server behaves.
//
// PendingSeconds (AWS seconds, scaled) is how long the task stays PENDING before its container starts:
// the image pull. Its address is bound from the start, as an attached ENI's is, but nothing answers
// until the container runs. StopTimeoutSeconds is the container's stopTimeout (AWS seconds, scaled;
// 0 takes ECS's default of 30).
type TaskSpec struct {
	Image              string
	Env                map[string]string
	ContainerPort      int
	HealthCheck        *ContainerHealthCheck
	PendingSeconds     float64
	StopTimeoutSeconds int
}

// TaskState is the ECS-visible state of a task.
type TaskState struct {
	LastStatus    string // PENDING, RUNNING, STOPPED
	HealthStatus  string // UNKNOWN, HEALTHY, UNHEALTHY (from the container health check; UNKNOWN without one)
	StopCode      string // "", EssentialContainerExited, ServiceSchedulerInitiated, UserInitiated
	StoppedReason string
	ExitCode      *int
	StartedAt     time.Time
	StoppingAt    time.Time
	StoppedAt     time.Time
}

// Task is one simulated model server process: a real HTTP server on its own loopback address.
type Task struct {
	spec   TaskSpec
	scale  Scale
	ip     string
	port   int
	srv    *http.Server
	ln     net.Listener
	model  *modelServer
	cfgErr error
	ctx    context.Context // cancelled once STOPPED: ends the container health check and crash timer
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	mu    sync.Mutex
	state TaskState
}

// StartTask starts the task's HTTP server on its own loopback address (127.0.x.y:ContainerPort when
// the OS allows, else 127.0.0.1:<ephemeral>) and returns at once; the image pull, startup delay and
// crash happen in the background. The task is RUNNING as soon as its container starts listening: ECS
// reports RUNNING once the container process has started, long before the model inside it is ready.
func StartTask(spec TaskSpec, scale Scale) (*Task, error) {
	ln, err := listenLoopback(spec.ContainerPort)
	if err != nil {
		return nil, fmt.Errorf("start task %s: %w", spec.Image, err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	cfg, cfgErr := parseSimConfig(spec, scale)
	model := &modelServer{cfg: cfg}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Task{
		spec:  spec,
		scale: scale,
		ip:    addr.IP.String(),
		port:  addr.Port,
		// The server closes a keep-alive connection idle for SIM_KEEPALIVE_SECONDS, as uvicorn
		// (5 s by default) or gunicorn do.
		srv:    &http.Server{Handler: model, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: cfg.keepAlive},
		ln:     finListener{ln},
		model:  model,
		cfgErr: cfgErr,
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		state:  TaskState{LastStatus: TaskStatusPending, HealthStatus: HealthStatusUnknown},
	}
	if pull := scale.D(spec.PendingSeconds); pull > 0 {
		t.afterOrStop(pull, t.run)
	} else {
		t.run()
	}
	return t, nil
}

// run starts the container: the task is RUNNING and its server answers (unless Stop came first).
func (t *Task) run() {
	t.mu.Lock()
	if !t.state.StoppingAt.IsZero() {
		t.mu.Unlock()
		return
	}
	now := time.Now()
	t.state.LastStatus, t.state.StartedAt = TaskStatusRunning, now
	t.model.started = now
	t.mu.Unlock()
	go func() { _ = t.srv.Serve(t.ln) }()
	cfg := t.model.cfg
	switch {
	case t.cfgErr != nil:
		// A server that cannot parse its configuration exits at once with a generic failure.
		t.exit(1, StopCodeEssentialContainerExited, StoppedReasonEssentialExited, false)
	case cfg.crashOnStart:
		// The crash comes when loading the model would have finished, like an OOM while loading
		// weights: the process was briefly alive (RUNNING, /health/live answered) before it died.
		t.afterOrStop(cfg.startup, func() {
			t.exit(cfg.crashExit, StopCodeEssentialContainerExited, StoppedReasonEssentialExited, false)
		})
	}
	if t.spec.HealthCheck != nil {
		go t.runContainerHealthCheck(*t.spec.HealthCheck)
	}
}

// loopbackNext picks the next 127.0.x.y address; it starts at a random point so that test binaries
// running in parallel rarely try the same address and port.
var loopbackNext = func() *atomic.Uint32 {
	var n atomic.Uint32
	n.Store(rand.Uint32())
	return &n
}()

// listenLoopback binds 127.0.x.y:port, as if the task had its own ENI (awsvpc), so that many tasks can
// all listen on the container port. Linux routes all of 127/8 to lo; elsewhere (macOS) only 127.0.0.1
// exists and the task falls back to an ephemeral port.
func listenLoopback(port int) (net.Listener, error) {
	for range 8 {
		n := loopbackNext.Add(1) % (254 * 254)
		ip := fmt.Sprintf("127.0.%d.%d", 1+n/254, 1+n%254)
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return ln, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return net.Listen("tcp", "127.0.0.1:0")
}

// IP returns the loopback address the task listens on (its "ENI" address, registered as an IP target).
func (t *Task) IP() string { return t.ip }

// Port returns the port the task listens on: the container port, unless the OS forced a fallback.
func (t *Task) Port() int { return t.port }

// State returns a snapshot of the task's ECS state.
func (t *Task) State() TaskState {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.state
	if s.ExitCode != nil {
		code := *s.ExitCode
		s.ExitCode = &code
	}
	return s
}

// Done is closed once the task is STOPPED (crash or Stop).
func (t *Task) Done() <-chan struct{} { return t.done }

// Stop stops the task the way the ECS agent does and returns at once: SIGTERM (the server stops
// accepting connections, in-flight requests and streams go on, exit code 0 once they are done), then
// SIGKILL (exit code 137), which cuts whatever is still in flight, if the server is still busy after
// the container's stopTimeout. The stop timeout is an AWS duration, scaled like every other: a stream
// that outlasts it in AWS time is cut here too. Done is closed when it is STOPPED. Stopping a stopped
// task does nothing.
func (t *Task) Stop(code, reason string) { t.exit(0, code, reason, true) }

// exit moves the task to STOPPED once, whichever of crash or Stop comes first. A task stopped while
// still PENDING never ran a container: it has no exit code.
func (t *Task) exit(exitCode int, stopCode, reason string, graceful bool) {
	t.once.Do(func() {
		t.mu.Lock()
		t.state.StoppingAt = time.Now()
		t.state.StopCode, t.state.StoppedReason = stopCode, reason
		ran := !t.state.StartedAt.IsZero()
		t.mu.Unlock()
		go func() {
			if !ran {
				_ = t.ln.Close()
			}
			if ran && graceful {
				ctx, cancel := context.WithTimeout(context.Background(), t.scale.D(float64(t.stopTimeout())))
				if err := t.srv.Shutdown(ctx); err != nil {
					exitCode = defaultCrashExitCode
				}
				cancel()
			}
			_ = t.srv.Close() // a crash drops every connection, in-flight requests included
			t.cancel()
			t.mu.Lock()
			t.state.LastStatus = TaskStatusStopped
			t.state.StoppedAt = time.Now()
			if ran {
				t.state.ExitCode = &exitCode
			}
			t.mu.Unlock()
			close(t.done)
		}()
	})
}

// stopTimeout is the container's stopTimeout in AWS seconds.
func (t *Task) stopTimeout() int {
	if t.spec.StopTimeoutSeconds > 0 {
		return t.spec.StopTimeoutSeconds
	}
	return ecsStopTimeoutSeconds
}

// afterOrStop runs f after d unless the task stops first.
func (t *Task) afterOrStop(d time.Duration, f func()) {
	go func() {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
			f()
		case <-t.ctx.Done():
		}
	}()
}

func (t *Task) setHealth(status string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.LastStatus != TaskStatusStopped {
		t.state.HealthStatus = status
	}
}
