package faults

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// rollbackArgs are `deployer rollback`'s arguments against the world's stack through endpoint: the
// same inputs and gates as a deploy.
func (w *world) rollbackArgs(endpoint string) []string {
	args := w.s.Args(endpoint, release("v1", "roll back"))
	out := []string{"rollback"}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "--image", "--description", "--env": // what to release: rollback picks it
			i++
		default:
			out = append(out, args[i])
		}
	}
	return out
}

// `deployer rollback` takes production back to the previous version: while blue is still warm (the
// termination wait) by stopping the deployment with rollback; after blue is gone by redeploying the
// previous task definition through the gates.
func TestRollbackCommand(t *testing.T) {
	matrix(t)
	t.Run("while blue is warm goes back to blue", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, worldOptions{})
		rel := release("v2", "a good model, rolled back by hand in the termination wait")
		soaking := w.tap.when("deploy", targetIs("Succeeded"))
		p := w.start("deploy", rel)
		waitFor(t, soaking, p, "in the termination wait")
		back := release("v1", "deployer rollback")
		rb := w.record(back, w.startArgs("rollback", w.rollbackArgs(w.endpoint("rollback"))).wait())
		run := w.record(rel, p.wait())

		assert.Equal(t, 0, rb.ExitCode, rb.Result.Message)
		assert.Equal(t, run.Result.DeploymentID, rb.Result.DeploymentID, "rollback stopped the release in flight")
		assert.Equal(t, 1, run.ExitCode, "the release that was rolled back fails its CI step: %s", run.Result.Message)
		assert.Contains(t, []string{"rolled_back", "failed"}, string(run.Result.Outcome), run.Result.Message)
		w.finish(outcome{version: "v1", deployments: 1, rollbacks: 1})
	})
	t.Run("after blue is gone redeploys the previous task definition", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, worldOptions{})
		rel := release("v2", "a good model, rolled back by hand after blue is gone")
		run := w.record(rel, w.start("deploy", rel).wait())
		assert.Equal(t, 0, run.ExitCode, run.Result.Message)
		back := release("v1", "deployer rollback")
		rb := w.record(back, w.startArgs("rollback", w.rollbackArgs(w.endpoint("rollback"))).wait())

		assert.Equal(t, 0, rb.ExitCode, rb.Result.Message)
		assert.Equal(t, "released", string(rb.Result.Outcome), rb.Result.Message)
		assert.Equal(t, run.Result.PreviousTaskDefinitionArn, rb.Result.TaskDefinitionArn, "the recorded previous task definition")
		assert.True(t, rb.Result.AlarmsOverridden, "the group's alarms are off for the redeploy")
		gates := map[string]string{}
		for _, g := range rb.Result.Gates {
			gates[g.Name] = g.Verdict
			assert.Equal(t, "pass", g.Verdict, "gate %s", g.Name)
		}
		assert.Contains(t, gates, "ready", "the redeploy went through gate ready")
		assert.Contains(t, gates, "soak", "the redeploy went through gate soak")
		w.finish(outcome{version: "v1", deployments: 2})
	})
}
