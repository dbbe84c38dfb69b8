package dataplane

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTaskListensOnItsOwnLoopbackAddressAtTheContainerPort(t *testing.T) {
	t.Parallel()
	a := modelTask(t, "v1", nil)
	b := modelTask(t, "v1", nil)
	assert.True(t, strings.HasPrefix(a.IP(), "127."), a.IP())
	assert.NotEqual(t, taskAddr(a), taskAddr(b), "two tasks share an address")
	if a.IP() != "127.0.0.1" {
		assert.Equal(t, 8080, a.Port(), "with its own address a task keeps the container port")
	}
	s := a.State()
	assert.Equal(t, TaskStatusRunning, s.LastStatus)
	assert.Equal(t, HealthStatusUnknown, s.HealthStatus, "no container health check")
	assert.False(t, s.StartedAt.IsZero())
}

func TestCrashOnStartStopsTheTaskWithExitCodeAndReason(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		env  map[string]string
		exit int
	}{
		"default exit code is 137":    {map[string]string{"SIM_CRASH_ON_START": "true"}, 137},
		"SIM_CRASH_EXIT_CODE is used": {map[string]string{"SIM_CRASH_ON_START": "true", "SIM_CRASH_EXIT_CODE": "3"}, 3},
		"malformed knobs exit 1":      {map[string]string{"SIM_STARTUP_SECONDS": "soon"}, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			task := modelTask(t, "v1", c.env)
			select {
			case <-task.Done():
			case <-time.After(patience):
				t.Fatal("task did not stop")
			}
			s := task.State()
			assert.Equal(t, TaskStatusStopped, s.LastStatus)
			assert.Equal(t, StopCodeEssentialContainerExited, s.StopCode)
			assert.Equal(t, "Essential container in task exited", s.StoppedReason)
			require.NotNil(t, s.ExitCode)
			assert.Equal(t, c.exit, *s.ExitCode)
			assert.False(t, s.StoppedAt.Before(s.StoppingAt))
		})
	}
}

func TestStopIsGracefulWithinTheScaledStopTimeoutThenKills(t *testing.T) {
	t.Parallel()
	// At 600x a 1.5 s request lasts 900 AWS seconds: ECS's default 30 s stop timeout (50 ms here)
	// kills it; a 1,200 s one (2 s here, more than Fargate allows) lets it finish.
	for _, c := range []struct {
		stopTimeout int
		finished    bool
		exit        int
	}{{0, false, 137}, {1200, true, 0}} {
		t.Run(fmt.Sprintf("stop timeout %d", c.stopTimeout), func(t *testing.T) {
			t.Parallel()
			task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080, StopTimeoutSeconds: c.stopTimeout,
				Env: map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_LATENCY_MS": "1500"}}, 600)
			addr := taskAddr(task)
			wait := predictInFlight(t, addr) // inside its 1.5 s of inference
			task.Stop(StopCodeServiceSchedulerInitiated, "Scaling activity initiated by (deployment ecs-svc/1)")
			got, err := wait()
			assert.Equal(t, c.finished, err == nil && got.code == http.StatusOK, "reply %+v, error %v", got, err)
			<-task.Done()
			s := task.State()
			assert.Equal(t, TaskStatusStopped, s.LastStatus)
			assert.Equal(t, StopCodeServiceSchedulerInitiated, s.StopCode)
			require.NotNil(t, s.ExitCode)
			assert.Equal(t, c.exit, *s.ExitCode, "0: exited on SIGTERM; 137: killed")
			_, err = predict(http.DefaultClient, addr, 1)
			assert.Error(t, err, "a stopped task accepts no connections")
		})
	}
}

func TestContainerHealthCheckReportsHealthStatus(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		cmd  []string
		env  map[string]string
		want string
	}{
		"curl -f on liveness is healthy": {[]string{"CMD-SHELL", "curl -f http://localhost:8080/health/live || exit 1"}, nil, HealthStatusHealthy},
		"curl -f on a never-ready model is unhealthy": {[]string{"CMD-SHELL", "curl -f http://localhost:8080/health/ready || exit 1"},
			map[string]string{"SIM_NEVER_READY": "true"}, HealthStatusUnhealthy},
		"curl without -f passes on any response": {[]string{"CMD-SHELL", "curl http://localhost:8080/missing"}, nil, HealthStatusHealthy},
		"exec form with wget":                    {[]string{"CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/health/live"}, nil, HealthStatusHealthy},
		"wrong port is unhealthy":                {[]string{"CMD-SHELL", "curl -f http://localhost:9999/health/live || exit 1"}, nil, HealthStatusUnhealthy},
		"exit 1 is unhealthy":                    {[]string{"CMD-SHELL", "exit 1"}, nil, HealthStatusUnhealthy},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			task := startTask(t, TaskSpec{Image: "m:v1", Env: c.env, ContainerPort: 8080, HealthCheck: &ContainerHealthCheck{
				Command: c.cmd, IntervalSeconds: 20, TimeoutSeconds: 2, Retries: 2}}, fastScale)
			assert.Equal(t, HealthStatusUnknown, task.State().HealthStatus, "no verdict before the first interval")
			eventually(t, patience, func() bool { return task.State().HealthStatus == c.want },
				"health status %s, want %s", task.State().HealthStatus, c.want)
		})
	}
}

func TestContainerHealthCheckIgnoresFailuresDuringTheStartPeriod(t *testing.T) {
	t.Parallel()
	// Ready after 40 AWS s; the start period (120 s) covers it with room to spare, so the container
	// never turns UNHEALTHY although readiness fails for 8 intervals with retries 1.
	task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080,
		Env: map[string]string{"SIM_STARTUP_SECONDS": "40"},
		HealthCheck: &ContainerHealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost:8080/health/ready"},
			IntervalSeconds: 5, TimeoutSeconds: 2, Retries: 1, StartPeriodSeconds: 120}}, fastScale)
	deadline := time.Now().Add(patience)
	for task.State().HealthStatus != HealthStatusHealthy {
		require.NotEqual(t, HealthStatusUnhealthy, task.State().HealthStatus, "failure counted during the start period")
		require.True(t, time.Now().Before(deadline), "never became HEALTHY")
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParseHealthCommandRewritesTheContainerAddress(t *testing.T) {
	t.Parallel()
	p := parseHealthCommand([]string{"CMD-SHELL", "curl -fsS http://localhost:8080/health/live || exit 1"}, "127.0.3.4", 8080, 41000)
	assert.Equal(t, containerProbe{url: "http://127.0.3.4:41000/health/live", requireOK: true}, p)
	p = parseHealthCommand([]string{"CMD-SHELL, curl -f http://localhost/ || exit 1"}, "127.0.3.4", 80, 80)
	assert.Equal(t, "http://127.0.3.4:80/", p.url, "one-string form, default port")
	assert.Equal(t, HealthStatusUnknown, parseHealthCommand([]string{"CMD", "/bin/check"}, "127.0.3.4", 80, 80).constant)
}
