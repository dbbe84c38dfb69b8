package dataplane

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamResult is what a client of a streaming predict saw.
type streamResult struct {
	code      int
	version   string
	tokens    int
	completed bool // the done event arrived
	answer    map[string]any
	err       error
}

// openStream posts a predict asking for a stream of seconds (or none: the server's default) and
// returns once the answer's headers have arrived; read follows the stream to its end.
func openStream(t *testing.T, addr, query string, seconds *float64) (read func() streamResult) {
	t.Helper()
	body, _ := json.Marshal(predictRequest{Features: []float64{1, 2, 3}, StreamSeconds: seconds})
	resp, err := http.Post("http://"+addr+"/predict"+query, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	return func() streamResult {
		defer resp.Body.Close()
		r := streamResult{code: resp.StatusCode, version: resp.Header.Get("X-Model-Version")}
		sc := bufio.NewScanner(resp.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "token":
				r.tokens++
			case strings.HasPrefix(line, "data: ") && event == StreamDoneEvent:
				r.completed = true
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &r.answer)
			}
		}
		r.err = sc.Err()
		return r
	}
}

func secondsPtr(f float64) *float64 { return &f }

func TestPredictAnswersAsAServerSentEventStreamWhenAsked(t *testing.T) {
	t.Parallel()
	byEnv := modelTask(t, "v2", map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_STREAM_SECONDS": "0.5"})
	plain := modelTask(t, "v2", map[string]string{"SIM_STARTUP_SECONDS": "0"})
	for name, open := range map[string]func() streamResult{
		"SIM_STREAM_SECONDS": openStream(t, taskAddr(byEnv), "", nil),
		"?stream=":           openStream(t, taskAddr(plain), "?stream=0.5", nil),
		"stream_seconds":     openStream(t, taskAddr(plain), "", secondsPtr(0.5)),
	} {
		r := open()
		require.NoError(t, r.err, name)
		assert.Equal(t, http.StatusOK, r.code, name)
		assert.Equal(t, "v2", r.version, name)
		assert.True(t, r.completed, name)
		assert.GreaterOrEqual(t, r.tokens, 3, "%s: a token about every 100 ms", name)
		assert.InDelta(t, 3.0, r.answer["prediction"], 1e-9, name)
	}
	r := openStream(t, taskAddr(byEnv), "", secondsPtr(0))()
	assert.Zero(t, r.tokens, "stream_seconds 0 asks for a plain answer")
}

// streamBehind serves a 1.5 s stream through a listener from one v1 task of a group with the
// deregistration delay (AWS seconds, at 100x) and returns them with the stream opened.
func streamBehind(t *testing.T, delay int) (*Listener, *TargetGroup, *Task, func() streamResult) {
	t.Helper()
	g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck, DeregistrationDelaySeconds: delay}, fastScale, nil)
	task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080, Env: map[string]string{"SIM_STARTUP_SECONDS": "0"}}, fastScale)
	g.Register(task.IP(), task.Port())
	l := newListener(t, nil, WeightedTargetGroup{Group: g, Weight: 1})
	waitHealthy(t, g, task)
	return l, g, task, openStream(t, l.Addr(), "", secondsPtr(1.5))
}

// stopLikeECS removes a task the way ECS does when its task set is deleted: deregister its target,
// wait the group's (scaled) deregistration delay, then stop it.
func stopLikeECS(g *TargetGroup, task *Task) {
	g.Deregister(task.IP(), task.Port())
	time.Sleep(fastScale.D(float64(g.Config().DeregistrationDelaySeconds)))
	task.Stop(StopCodeServiceSchedulerInitiated, "deployment finished")
}

// At 100x a 1.5 s stream lasts 150 AWS seconds.
func TestAStreamOnATargetGroupWhoseWeightWentToZeroGoesOn(t *testing.T) {
	t.Parallel()
	// ALB chooses a target group per request: a weight of 0 sends the group no new requests, and
	// nothing ends the ones it is serving (the target is neither deregistered nor unhealthy).
	l, _, _, read := streamBehind(t, 0)
	other, _ := healthyGroup(t, nil, TargetGroupConfig{}, "v2", 1)
	l.SetForward([]WeightedTargetGroup{{Group: other, Weight: 1}})
	eventually(t, patience, func() bool { return mustPredict(t, l.Addr(), 1).version == "v2" }, "new requests never reached v2")
	r := read()
	assert.True(t, r.completed, "%+v", r)
	assert.Equal(t, "v1", r.version)
}

func TestAStreamSurvivesATaskSetsRemovalWhenTheDeregistrationDelayCoversIt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		delay     int
		completed bool
	}{{300, true}, {30, false}} { // 3 s and 0.3 s at 100x
		t.Run(fmt.Sprintf("delay %d s", c.delay), func(t *testing.T) {
			t.Parallel()
			_, g, task, read := streamBehind(t, c.delay)
			go stopLikeECS(g, task)
			r := read()
			assert.Equal(t, c.completed, r.completed, "%+v", r)
			assert.Equal(t, http.StatusOK, r.code, "the stream had started")
		})
	}
}

func TestAStoppedTaskFinishesItsStreamsWithinTheStopTimeout(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		stopTimeout int
		completed   bool
	}{{300, true}, {30, false}} { // 3 s and 0.3 s at 100x
		t.Run(fmt.Sprintf("stop timeout %d s", c.stopTimeout), func(t *testing.T) {
			t.Parallel()
			task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080, StopTimeoutSeconds: c.stopTimeout,
				Env: map[string]string{"SIM_STARTUP_SECONDS": "0"}}, fastScale)
			read := openStream(t, taskAddr(task), "", secondsPtr(1.5))
			task.Stop(StopCodeUserInitiated, "Task stopped by user")
			eventually(t, patience, func() bool { _, err := predict(http.DefaultClient, taskAddr(task), 1); return err != nil },
				"after SIGTERM the server accepts no new connection")
			r := read()
			assert.Equal(t, c.completed, r.completed, "%+v", r)
		})
	}
}
