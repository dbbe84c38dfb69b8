package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The green that degrades under production traffic does so a quarter of the canary step after
// traffic first reaches it, for every tool alike; the others are not timed by the shift.
func TestAGreenDegradesAQuarterOfTheCanaryStepIntoTheShift(t *testing.T) {
	t.Parallel()
	c := calibration{shiftMinutes: 5}
	for _, k := range badGreens {
		want := time.Duration(0)
		if k.Name == "degrading under production traffic" {
			want = 75 * time.Second
		}
		assert.Equal(t, want, k.degradeInShiftAfter(c), k.Name)
	}
}

// The model server counts from its own start, 40 AWS seconds (provisioning and the image pull)
// after Install starts: a release that reached the termination wait 11 minutes after Install
// began degrades 2 minutes into it.
func TestAGreenDegradesTwoMinutesIntoTheTerminationWaitOfItsTool(t *testing.T) {
	t.Parallel()
	c := calibration{tool: ToolAWSDeploy, terminationWaitAt: map[string]time.Duration{ToolAWSDeploy: 11 * time.Minute, ToolDeployer: 9 * time.Minute}}
	assert.Equal(t, []string{"SIM_DEGRADE_AFTER_SECONDS=740", "SIM_DEGRADE_ERROR_RATE=0.2"}, degradeInTerminationWait(c))
}

func TestEveryBadGreenSaysHowItBehaves(t *testing.T) {
	t.Parallel()
	c := calibration{rate: 150, desired: 2, shiftPercent: 10, shiftMinutes: 5, scale: 60, tool: ToolDeployer,
		terminationWaitAt: map[string]time.Duration{ToolDeployer: 10 * time.Minute}}
	names := map[string]bool{}
	for _, k := range badGreens {
		assert.NotEmpty(t, k.What, k.Name)
		assert.NotEmpty(t, k.Env(c), k.Name)
		assert.False(t, names[k.Name], "one row per kind: %s", k.Name)
		names[k.Name] = true
	}
	assert.Len(t, badGreens, 7)
}
