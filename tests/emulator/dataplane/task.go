package dataplane

import "time"

// ContainerHealthCheck is an ECS container health check. Command is what ECS would run in the
// container (["CMD-SHELL", "curl -f http://localhost:8080/health/live || exit 1"]); the emulator
// probes the URL in it. Zero durations take ECS's defaults (interval 30, timeout 5, retries 3,
// start period 0).
type ContainerHealthCheck struct {
	Command                                                      []string
	IntervalSeconds, TimeoutSeconds, Retries, StartPeriodSeconds int
}

// TaskSpec is what an emulated ECS task runs: the essential container's image, environment, port and
// health check. The image tag and SIM_* variables decide how the simulated model server behaves.
type TaskSpec struct {
	Image         string
	Env           map[string]string
	ContainerPort int
	HealthCheck   *ContainerHealthCheck
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

// Task is one running simulated model server.
type Task struct{}

// StartTask starts the task's HTTP server on its own loopback address (127.0.x.y:ContainerPort when
// the OS allows, else 127.0.0.1:<ephemeral>) and returns at once; startup delay and crash happen in
// the background.
func StartTask(spec TaskSpec, scale Scale) (*Task, error) { return &Task{}, nil }

// IP returns the loopback address the task listens on.
func (t *Task) IP() string { return "" }

// Port returns the port the task listens on.
func (t *Task) Port() int { return 0 }

// State returns a snapshot of the task's ECS state.
func (t *Task) State() TaskState { return TaskState{} }

// Done is closed once the task is STOPPED (crash or Stop).
func (t *Task) Done() <-chan struct{} { return nil }

// Stop stops the task gracefully: in-flight requests finish, then it is STOPPED with exit code 0.
func (t *Task) Stop(code, reason string) {}
