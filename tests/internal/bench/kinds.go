package bench

import (
	"fmt"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// goodModel is every release's model: it takes two AWS minutes to load, like the demo's.
var goodModel = []string{"SIM_STARTUP_SECONDS=120"}

// degradeErrorRate is the share of predictions a degraded green fails while its readiness still
// passes (health checks do not see it).
const degradeErrorRate = 0.2

// badGreen is a kind of bad release: how its model server behaves, and which of its production
// answers users got wrong.
type badGreen struct {
	Name, What string
	Env        func(c calibration) []string
	// DegradesInShift says the green degrades a quarter of the canary step after production traffic
	// first reaches it (SIM_DEGRADE_WHEN_FILE, written at that instant on the AWS clock), whatever the
	// gates sent it before: the same instant for every tool.
	DegradesInShift bool
	// Bad says whether an answer of this green was wrong for the user; nil: every answer was
	// (a wrong prediction, or one far slower than blue's).
	Bad func(a answer) bool
}

// calibration is what some kinds need to know of the release they are in.
type calibration struct {
	rate, desired, shiftPercent, shiftMinutes int
	scale                                     float64
	// terminationWaitAt is, per tool, how long after Install started a good release reached the
	// termination wait (measured in this run).
	terminationWaitAt map[string]time.Duration
	tool              string
}

func failed(a answer) bool { return a.Err != "" }

// badGreens are the bad releases an SRE would try before trusting a release tool with production.
var badGreens = []badGreen{
	{Name: "never ready", What: "`SIM_NEVER_READY`: the model never loads; readiness answers 503",
		Env: fixed("SIM_NEVER_READY=true")},
	{Name: "crash-looping", What: "`SIM_CRASH_ON_START`: exits (137) when loading would have finished; ECS starts it again",
		Env: fixed("SIM_CRASH_ON_START=true")},
	{Name: "failing the validation suite", What: "`SIM_ERROR_RATE=1`: every prediction a 500 while its health checks pass",
		Env: fixed("SIM_ERROR_RATE=1"), Bad: failed},
	{Name: "disagreeing with blue", What: "`SIM_PREDICTION_BIAS=0.5`: healthy, every prediction off by 0.5",
		Env: fixed("SIM_PREDICTION_BIAS=0.5")},
	// Latencies are real while the gate's time is AWS time: at 60x gate ready's 9 AWS minutes last 9 real
	// seconds, so a green much slower than 80 ms would be cut short there (failing closed) rather than
	// judged slow; on AWS the same gate times a 400 ms green with minutes to spare.
	{Name: "slower than blue", What: "`SIM_LATENCY_MS=80`: 80 ms per prediction against blue's 5 ms (a GPU model fallen back to the CPU), far under the 2.5 s p99 alarm",
		Env: fixed("SIM_LATENCY_MS=80")},
	{Name: "degrading under production traffic", What: "`SIM_DEGRADE_WHEN_FILE`: fails a fifth of its predictions from a quarter of the canary step on (readiness still passes)",
		Env: fixed("SIM_DEGRADE_ERROR_RATE=0.2"), DegradesInShift: true, Bad: failed},
	{Name: "degrading in the termination wait", What: "`SIM_DEGRADE_AFTER_SECONDS`: fails a fifth of its predictions from 2 AWS minutes into the termination wait (readiness still passes)",
		Env: degradeInTerminationWait, Bad: failed},
}

// degradeInShiftAfter is how long after production traffic first reaches green a kind that
// DegradesInShift degrades: a quarter of the canary step (0 for the other kinds).
func (k badGreen) degradeInShiftAfter(c calibration) time.Duration {
	if !k.DegradesInShift {
		return 0
	}
	return time.Duration(c.shiftMinutes) * time.Minute / 4
}

func fixed(env ...string) func(calibration) []string {
	return func(calibration) []string { return env }
}

// degradeInTerminationWait degrades two AWS minutes into the termination wait, as measured for the
// same tool's good release: the model server counts from its own start, which comes Fargate's
// provisioning and the image pull after Install starts.
func degradeInTerminationWait(c calibration) []string {
	start := time.Duration(emulator.DefaultTaskProvisioningSeconds+emulator.DefaultImagePullSeconds) * time.Second
	at := c.terminationWaitAt[c.tool] - start + 2*time.Minute
	return []string{fmt.Sprintf("SIM_DEGRADE_AFTER_SECONDS=%.0f", at.Seconds()), fmt.Sprintf("SIM_DEGRADE_ERROR_RATE=%g", degradeErrorRate)}
}
