package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// runPython runs a Python program with the shim for clock and returns its output lines.
func runPython(t *testing.T, clock *awsclock.Clock, program string) []string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	pc, err := NewPythonClock(t.TempDir(), clock)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", program)
	cmd.Env = append(os.Environ(), pc.Env()...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	return strings.Fields(out.String())
}

func floats(t *testing.T, fields []string) []float64 {
	t.Helper()
	out := make([]float64, len(fields))
	for i, f := range fields {
		v, err := strconv.ParseFloat(f, 64)
		require.NoError(t, err, f)
		out[i] = v
	}
	return out
}

// Under the shim a Python process reads the AWS clock the emulator reads, and its sleeps are AWS
// durations: at 20x, six AWS seconds of sleep last 0.3 real seconds and move its clocks by six AWS
// seconds (plus whatever the interpreter itself took, times the scale).
func TestThePythonShimPutsPythonOnTheAWSClock(t *testing.T) {
	t.Parallel()
	awsStart := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := awsclock.NewAt(20, time.Now(), awsStart)
	before := clock.Now()
	v := floats(t, runPython(t, clock, `
import time
real0 = time.perf_counter()
t0, m0 = time.time(), time.monotonic()
time.sleep(6)
t1, m1 = time.time(), time.monotonic()
print(t0, t1 - t0, m1 - m0, time.perf_counter() - real0, time.time_ns() / 1e9)
`))
	after := clock.Now()
	t0, slept, monoSlept, realSlept, tns := v[0], v[1], v[2], v[3], v[4]
	at := time.Unix(0, int64(t0*1e9))
	assert.False(t, at.Before(before.Add(-time.Millisecond)) || at.After(after), "time.time() %v is AWS time, between %v and %v", at, before, after)
	assert.GreaterOrEqual(t, slept, 6.0, "time.time() moved by the AWS seconds slept")
	assert.InDelta(t, slept, monoSlept, 0.5, "time.monotonic() runs on the same clock")
	assert.GreaterOrEqual(t, realSlept, 0.3, "a real 6/20 s")
	assert.Less(t, realSlept, 3.0, "not six real seconds")
	assert.InDelta(t, t0+slept, tns, 10, "time.time_ns() agrees with time.time()")
}

// The shim runs before the program's imports, so botocore's waiters and retryers sleep on it:
// botocore's waiter module calls time.sleep, and the standard retryer's default sleep is bound to
// the patched function when the module is imported.
func TestBotocoreSleepsOnThePythonShim(t *testing.T) {
	t.Parallel()
	clock := awsclock.New(60)
	out := runPython(t, clock, `
import time
try:
    import botocore.waiter, botocore.retries.standard, inspect
except ImportError:
    print("no-botocore"); raise SystemExit
print(botocore.waiter.time.sleep is time.sleep)
print(inspect.signature(botocore.retries.standard.RetryHandler.__init__).parameters["sleep"].default is time.sleep)
`)
	if len(out) == 1 && out[0] == "no-botocore" {
		t.Skip("botocore is not installed")
	}
	assert.Equal(t, []string{"True", "True"}, out)
}
