package faults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// waitFor waits until ch is closed, failing the case if p exits first or it takes too long.
func waitFor(t *testing.T, ch <-chan struct{}, p *proc, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-p.exited:
		t.Fatalf("%s: the deployer exited (code %d) before %s", p.name, p.run.ExitCode, what)
	case <-time.After(procTimeout):
		t.Fatalf("%s: not %s within %s", p.name, what, procTimeout)
	}
}

// assertAttached checks a run that attached to another run's deployment of the same release.
func assertAttached(t *testing.T, run rehearsal.DeployRun) {
	t.Helper()
	assert.True(t, run.Result.Attached, "the second run attached")
	assertReleasedOrCutShort(t, run)
}

// assertReleasedOrCutShort checks one of two runs gating one deployment. Both gate it; whichever
// passes gate 2 first ends the termination wait, and the other, whose own soak was cut short (the
// first run as often as the second: it depends on when each polled), cannot say it verified green:
// released, or released_unverified with exit 1.
func assertReleasedOrCutShort(t *testing.T, run rehearsal.DeployRun) {
	t.Helper()
	if run.ExitCode != 0 {
		assert.Equal(t, 1, run.ExitCode, run.Result.Message)
		assert.Equal(t, "released_unverified", string(run.Result.Outcome), run.Result.Message)
	}
}

// Two pipelines release at once: a second `deploy` of another image is refused with the id of the
// deployment in flight (outcome busy, exit 1) and the first goes on; a second `deploy` of the same
// image attaches to it. Never a second deployment.
func TestASecondDeployWhileOneIsInFlight(t *testing.T) {
	matrix(t)
	for _, c := range []struct {
		name string
		tag  string
	}{{"of another image is refused with the active id", "v3"}, {"of the same image attaches to it", "v2"}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{})
			first := release("v2", "a good model")
			installing := w.tap.when("first", eventIs("Install", "InProgress"))
			a := w.start("first", first)
			waitFor(t, installing, a, "installing")
			second := release(c.tag, "a second pipeline while the first installs")
			runB := w.record(second, w.start("second", second).wait())
			runA := w.record(first, a.wait())

			if c.tag == "v2" {
				assertReleasedOrCutShort(t, runA)
				assert.True(t, runA.Result.Outcome == "released" || runB.Result.Outcome == "released", "one of the two verified green")
			} else {
				assert.Equal(t, 0, runA.ExitCode, runA.Result.Message)
				assert.Equal(t, "released", string(runA.Result.Outcome), runA.Result.Message)
			}
			require.NotEmpty(t, runA.Result.DeploymentID)
			assert.Equal(t, runA.Result.DeploymentID, runB.Result.DeploymentID, "the second run names the deployment in flight")
			if c.tag != "v2" {
				assert.Equal(t, 1, runB.ExitCode, runB.Result.Message)
				assert.Equal(t, "busy", string(runB.Result.Outcome), runB.Result.Message)
				assert.Contains(t, runB.Result.Message, runA.Result.DeploymentID)
			} else {
				assertAttached(t, runB)
			}
			w.finish(outcome{version: "v2", deployments: 1})
		})
	}
}

// Two pipelines both find the group free and both call CreateDeployment (the tap holds both calls,
// then lets the first through): CodeDeploy creates one deployment and answers the other
// DeploymentLimitExceededException, on which the second run attaches (same image) or refuses as
// busy with the id. Never a second deployment.
func TestTwoDeploysRacingToCreate(t *testing.T) {
	matrix(t)
	for _, c := range []struct {
		name string
		tag  string
	}{{"another image: the loser is refused with the winner's id", "v3"}, {"the same image: the loser attaches", "v2"}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{})
			relA, relB := release("v2", "a good model"), release(c.tag, "a second pipeline at the same instant")
			heldA := w.tap.hold("first", answered("RegisterTaskDefinition"))
			heldB := w.tap.hold("second", answered("RegisterTaskDefinition"))
			a, b := w.start("first", relA), w.start("second", relB)
			hA, hB := waitHeld(t, heldA, a, "creating"), waitHeld(t, heldB, b, "creating")
			require.Equal(t, "CreateDeployment", hA.action)
			require.Equal(t, "CreateDeployment", hB.action)
			createdA := w.tap.when("first", answered("CreateDeployment"))
			hA.release <- true
			waitFor(t, createdA, a, "created its deployment")
			hB.release <- true
			runB := w.record(relB, b.wait())
			runA := w.record(relA, a.wait())

			assert.Equal(t, 0, runA.ExitCode, runA.Result.Message)
			assert.Equal(t, runA.Result.DeploymentID, runB.Result.DeploymentID, "the loser names the winner's deployment")
			if c.tag != "v2" {
				assert.Equal(t, 1, runB.ExitCode, runB.Result.Message)
				assert.Equal(t, "busy", string(runB.Result.Outcome), runB.Result.Message)
			} else {
				assertAttached(t, runB)
			}
			w.finish(outcome{version: "v2", deployments: 1})
		})
	}
}
