package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// At 150 requests/s and 60x, a 10 % canary sends each of 2 green tasks 7.5 requests a real second
// for 5 real seconds: a quarter of that after gate 1's 20 is 30 requests.
func TestAGreenDegradesUnderTrafficAfterAQuarterOfItsCanaryShare(t *testing.T) {
	t.Parallel()
	env := degradeUnderTraffic(calibration{rate: 150, desired: 2, shiftPercent: 10, shiftMinutes: 5, scale: 60})
	assert.Equal(t, []string{"SIM_DEGRADE_AFTER_REQUESTS=30", "SIM_DEGRADE_ERROR_RATE=0.2"}, env)
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
