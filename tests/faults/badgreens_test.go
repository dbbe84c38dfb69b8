package faults

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// badGreen is a kind of bad release the deployer must roll back to the still-warm blue.
type badGreen struct {
	name string
	env  []string
	emu  emulator.Options
	// degradeAt, when set, degrades the green (SIM_DEGRADE_WHEN_FILE) at the first step it matches:
	// when production traffic first reaches it, say, however many probes the gates sent it before.
	degradeAt func(emulator.Step) bool
	// servesProduction says the bad green takes production traffic before it is caught; the others
	// must never answer a production request. How many of its answers failed is not asserted: a
	// gate that catches it after one request may leave none failed. Whatever failed must be its own
	// (finish checks no request failed outside the bad green's answers).
	servesProduction bool
	// inTerminationWait says it degrades only once all traffic has moved: the release must get there.
	inTerminationWait bool
}

func terminationWait(s emulator.Step) bool {
	return !s.Rollback && s.Event == emulator.StepTerminationWait
}

var badGreens = []badGreen{
	{name: "never ready", env: []string{"SIM_NEVER_READY=true"}},
	{name: "crash-looping", env: []string{"SIM_CRASH_ON_START=true"}},
	{name: "ready but failing the validation suite", env: []string{"SIM_ERROR_RATE=1"}},
	{name: "disagreeing with blue", env: []string{"SIM_PREDICTION_BIAS=0.5"}},
	{name: "slower than blue", env: []string{"SIM_LATENCY_MS=300"}},
	{name: "degrading with errors once it takes production traffic", servesProduction: true,
		degradeAt: shiftTo(10), env: []string{"SIM_DEGRADE_ERROR_RATE=0.3"}},
	{name: "degrading in latency once it takes production traffic", servesProduction: true,
		degradeAt: shiftTo(10), env: []string{"SIM_DEGRADE_LATENCY_MS=400"}},
	{name: "degrading during the termination wait", servesProduction: true, inTerminationWait: true,
		degradeAt: terminationWait, env: []string{"SIM_DEGRADE_ERROR_RATE=0.2"}},
	{name: "Install moving on with an unhealthy green", env: []string{"SIM_NEVER_READY=true"},
		emu: emulator.Options{InstallIgnoresHealth: true}},
}

// degradeWhen returns the env that degrades a green once the world reaches a step matching at.
func (w *world) degradeWhen(at func(emulator.Step) bool) string {
	file := filepath.Join(w.t.TempDir(), "degrade")
	var once sync.Once
	w.steps.listen(func(s emulator.Step) {
		if at(s) {
			once.Do(func() { assert.NoError(w.t, os.WriteFile(file, nil, 0o600)) }) // the engine's goroutine: no FailNow
		}
	})
	return "SIM_DEGRADE_WHEN_FILE=" + file
}

// Every kind of bad green is rolled back to the still-warm blue with exit 1; production loses no
// request except those the bad green answered itself, counted and reported.
func TestABadGreenIsRolledBackToWarmBlue(t *testing.T) {
	matrix(t)
	for _, bg := range badGreens {
		t.Run(bg.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{emulator: bg.emu})
			env := bg.env
			if bg.degradeAt != nil {
				env = append(env[:len(env):len(env)], w.degradeWhen(bg.degradeAt))
			}
			rel := release("v2", "a bad green: "+bg.name, env...)
			run := w.record(rel, w.start("deploy", rel).wait())
			assert.Equal(t, 1, run.ExitCode, run.Result.Message)
			assert.Equal(t, "rolled_back", string(run.Result.Outcome), run.Result.Message)
			rep := w.finish(outcome{version: "v1", deployments: 1, rollbacks: 1, badGreen: true})
			got := rep.Releases[0]
			switch {
			case !bg.servesProduction:
				assert.Zero(t, got.ServedByImage, "the bad green answered production")
			default:
				assert.Positive(t, got.ServedByImage, "the degraded green took production traffic before it was caught")
			}
			if bg.inTerminationWait {
				assert.True(t, got.ReachedTerminationWait, "the release reached the termination wait before the green degraded")
			}
		})
	}
}
