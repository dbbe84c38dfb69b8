package faults

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// world is one case: the dev stack provisioned on an emulator of its own, production load through
// the prod listener, a tap in front of the AWS endpoint, and the deployer processes the case runs.
type world struct {
	t     *testing.T
	s     *rehearsal.Session
	tap   *tap
	steps *stepHold
	began time.Time
	runs  []rehearsal.DeployRun
}

// worldOptions vary a case's world.
type worldOptions struct {
	// stackFile is the stack to provision; empty is the dev stack.
	stackFile string
	streams   rehearsal.Streams
	emulator  emulator.Options
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	steps := &stepHold{}
	o.emulator.OnStep = steps.onStep
	if o.stackFile == "" {
		o.stackFile = stackFile
	}
	s, err := rehearsal.Start(context.Background(), rehearsal.Options{StackFile: o.stackFile, TimeScale: timeScale,
		Rate: rate, Streams: o.streams, Settle: settle, Emulator: o.emulator})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	w := &world{t: t, s: s, tap: newTap(s.Stack.Server.Emulator), steps: steps, began: time.Now()}
	// Cleanups run last first: held calls and steps are let go before the emulator closes, which
	// waits for its engines.
	t.Cleanup(w.tap.close)
	t.Cleanup(steps.close)
	return w
}

// linearStack writes the dev stack shifting production traffic linearly, 10% a minute, and returns
// its path.
func linearStack(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(stackFile)
	require.NoError(t, err)
	text := string(data)
	for old, new := range map[string]string{"trafficShift: canary": "trafficShift: linear", "shiftMinutes: 5": "shiftMinutes: 1"} {
		require.Equal(t, 1, strings.Count(text, old), "the dev stack's %q", old)
		text = strings.Replace(text, old, new, 1)
	}
	path := filepath.Join(t.TempDir(), "Pulumi.dev-linear.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// release is a rehearsal release of the stack's image with tag.
func release(tag, why string, env ...string) rehearsal.Release {
	return rehearsal.Release{Tag: tag, Why: why, Env: env}
}

// start starts `deployer deploy` of r as a process named name, through its own tap endpoint.
func (w *world) start(name string, r rehearsal.Release, extra ...string) *proc {
	w.t.Helper()
	return w.startArgs(name, append(w.s.Args(w.tap.endpoint(name), r), extra...))
}

// startArgs starts a deployer process named name with args as they are.
func (w *world) startArgs(name string, args []string) *proc {
	w.t.Helper()
	return startProc(w.t, name, w.s.Clock, args)
}

// endpoint is a new tap endpoint for a deployer command the case builds itself.
func (w *world) endpoint(name string) string { return w.tap.endpoint(name) }

// record adds a deployer run to the case's report and table row.
func (w *world) record(r rehearsal.Release, run rehearsal.DeployRun) rehearsal.DeployRun {
	if run.Result.Image == "" { // a killed deployer printed no result
		run.Result.Image = w.s.Image(r.Tag)
	}
	w.s.Record(r, run)
	w.runs = append(w.runs, run)
	return run
}

// deployments counts the deployments users created and the rollback deployments CodeDeploy did.
func (w *world) deployments() (created, rollbacks int) {
	for _, d := range w.s.Stack.Server.Deployments() {
		if d.Creator == "codeDeployRollback" {
			rollbacks++
		} else {
			created++
		}
	}
	return created, rollbacks
}

// waitIdle waits until no deployment of the group is in flight: a rollback the deployer left to
// CodeDeploy, or a deployment a detached deployer left running, has ended.
func (w *world) waitIdle() {
	w.t.Helper()
	deadline := time.Now().Add(procTimeout)
	for {
		busy := ""
		for _, d := range w.s.Stack.Server.Deployments() {
			if d.Status != "Succeeded" && d.Status != "Failed" && d.Status != "Stopped" {
				busy = d.ID + " " + d.Status
			}
		}
		if busy == "" {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("deployment %s still in flight after %s", busy, procTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// prodVersions asks production 20 times which model version answers.
func (w *world) prodVersions() []string {
	w.t.Helper()
	prod, _ := w.s.Stack.Outputs["prodUrl"].(string)
	seen := map[string]bool{}
	for i := range 20 {
		resp, err := http.Post(prod+"/predict", "application/json", strings.NewReader(fmt.Sprintf(`{"features":[%d]}`, i)))
		require.NoError(w.t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		seen[resp.Header.Get("X-Model-Version")] = true
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// outcome is what a case must end with.
type outcome struct {
	// version is the one model version production answers once the group is idle.
	version                string
	deployments, rollbacks int
	// badGreen allows failed production requests that the bad green answered itself (counted
	// and reported); every other failure fails the case.
	badGreen bool
}

// finish waits for the group to be idle, lets the load settle, and asserts what production saw.
func (w *world) finish(want outcome) *rehearsal.Report {
	w.t.Helper()
	w.waitIdle()
	versions := w.prodVersions()
	rep, err := w.s.Finish(context.Background())
	require.NoError(w.t, err)
	var text strings.Builder
	rep.WriteText(&text)
	w.t.Logf("report:\n%s", text.String())
	created, rollbacks := w.deployments()
	assert.Equal(w.t, []string{want.version}, versions, "production answers with")
	assert.Equal(w.t, want.deployments, created, "deployments created")
	assert.Equal(w.t, want.rollbacks, rollbacks, "rollback deployments")
	if want.badGreen {
		assert.Zero(w.t, rep.FailedOutsideBadAnswers, "production requests failed besides the bad green's own answers: %v", rep.FailureReasons)
	} else {
		assert.Zero(w.t, rep.Failed, "production requests failed: %v", rep.FailureReasons)
	}
	w.addRow(rep, created, rollbacks)
	return rep
}

func (w *world) addRow(rep *rehearsal.Report, created, rollbacks int) {
	r := row{name: w.t.Name(), deployments: created, rollbacks: rollbacks, failed: rep.Failed, requests: rep.Requests,
		wall: time.Since(w.began)}
	var outcomes, exits []string
	for _, run := range w.runs {
		outcomes = append(outcomes, string(run.Result.Outcome))
		exits = append(exits, fmt.Sprint(run.ExitCode))
	}
	// Runs that overlap (two pipelines at once) count the same answers: count each stretch once.
	releases := append([]rehearsal.ReleaseReport(nil), rep.Releases...)
	sort.Slice(releases, func(i, j int) bool { return releases[i].StartS < releases[j].StartS })
	counted := -1.0
	for _, rel := range releases {
		if rel.StartS >= counted {
			r.failedByImage += rel.FailedByImage
			r.servedByImage += rel.ServedByImage
			counted = rel.EndS
		}
	}
	r.outcome, r.exit = strings.Join(outcomes, " → "), strings.Join(exits, " → ")
	w.t.Logf("case: outcome %s, exit %s, %d deployment(s) (+%d rollback), %d of %d production requests failed, the green answered %d badly of %d",
		r.outcome, r.exit, created, rollbacks, r.failed, r.requests, r.failedByImage, r.servedByImage)
	addRow(r)
}

// stepHold holds the emulator's engine at one step (Options.OnStep) until the test lets it go, and
// tells its listeners of every step.
type stepHold struct {
	mu        sync.Mutex
	match     func(emulator.Step) bool
	reached   chan emulator.Step
	release   chan struct{}
	closed    bool
	listeners []func(emulator.Step)
}

// listen calls f at every step, before the engine goes on.
func (h *stepHold) listen(f func(emulator.Step)) {
	h.mu.Lock()
	h.listeners = append(h.listeners, f)
	h.mu.Unlock()
}

// arm makes the next step that matches wait; it arrives on the returned channel.
func (h *stepHold) arm(match func(emulator.Step) bool) <-chan emulator.Step {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.match, h.reached, h.release = match, make(chan emulator.Step, 1), make(chan struct{})
	return h.reached
}

// letGo lets the held step (if any, now or later) go on.
func (h *stepHold) letGo() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.release != nil {
		close(h.release)
		h.release, h.match = nil, nil
	}
}

func (h *stepHold) close() {
	h.letGo()
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
}

func (h *stepHold) onStep(s emulator.Step) {
	h.mu.Lock()
	listeners := append([]func(emulator.Step){}, h.listeners...)
	h.mu.Unlock()
	for _, f := range listeners {
		f(s)
	}
	h.mu.Lock()
	if h.closed || h.match == nil || !h.match(s) {
		h.mu.Unlock()
		return
	}
	h.match = nil
	reached, release := h.reached, h.release
	h.mu.Unlock()
	reached <- s
	<-release
}
