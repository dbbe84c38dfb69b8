package emulator

import (
	"context"
	"math"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lookAWSCLI returns the aws CLI's path, skipping the test when it is not installed.
func lookAWSCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed (pip install awscli): skipping the botocore compatibility test")
	}
	return path
}

// With throttle=0.3 and AWS_MAX_ATTEMPTS=1 (no retry), about 30 % of `aws ecs describe-services`
// calls fail, each with a throttling error botocore recognises as one: it says it reached its
// retries, which it counts only for errors it retries, and ThrottlingException is the code.
func TestAWSCLIIsThrottledAtTheInjectedRate(t *testing.T) {
	t.Parallel()
	if raceDetector {
		t.Skip("40 aws CLI runs (a CPU second each) check botocore, not the emulator's concurrency: the plain run asserts them")
	}
	awsCLI := lookAWSCLI(t)
	fs, err := ParseFaults("throttle=0.3")
	require.NoError(t, err)
	emu := New(Options{TimeScale: 60, Faults: fs, NoRateLimits: true})
	_, err = emu.CreateCluster("web-cluster")
	require.NoError(t, err)
	srv, err := emu.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(srv.Close)

	const calls, workers = 40, 4 // each aws CLI run costs about a CPU second
	outputs := make([]string, calls)
	failed := make([]bool, calls)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < calls; i += workers {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				cmd := exec.CommandContext(ctx, awsCLI, "ecs", "describe-services", "--cluster", "web-cluster", "--services", "web")
				cmd.Env = cliEnv(srv.URL)
				out, err := cmd.CombinedOutput()
				cancel()
				outputs[i], failed[i] = string(out), err != nil
			}
		})
	}
	wg.Wait()
	throttled := 0
	for i, out := range outputs {
		if !failed[i] {
			continue
		}
		require.Contains(t, out, "An error occurred (ThrottlingException) when calling the DescribeServices operation (reached max retries: 0): Rate exceeded",
			"every failure is a throttling error botocore would have retried")
		throttled++
	}
	lo, hi := binomialBand(calls, 0.3, 1e-4)
	assert.GreaterOrEqual(t, throttled, lo, "%d of %d calls throttled", throttled, calls)
	assert.LessOrEqual(t, throttled, hi, "%d of %d calls throttled", throttled, calls)
}

// binomialBand returns the counts [lo, hi] outside which a Binomial(n, p) count falls with
// probability at most alpha on each side.
func binomialBand(n int, p, alpha float64) (lo, hi int) {
	pmf := make([]float64, n+1)
	for k := range pmf {
		lg, _ := math.Lgamma(float64(n + 1))
		lk, _ := math.Lgamma(float64(k + 1))
		lnk, _ := math.Lgamma(float64(n - k + 1))
		pmf[k] = math.Exp(lg - lk - lnk + float64(k)*math.Log(p) + float64(n-k)*math.Log(1-p))
	}
	for below := 0.0; lo < n && below+pmf[lo] <= alpha; lo++ {
		below += pmf[lo]
	}
	hi = n
	for above := 0.0; hi > 0 && above+pmf[hi] <= alpha; hi-- {
		above += pmf[hi]
	}
	return lo, hi
}

func TestBinomialBandHoldsTheMean(t *testing.T) {
	t.Parallel()
	lo, hi := binomialBand(40, 0.3, 1e-4)
	assert.Equal(t, []int{2, 23}, []int{lo, hi}, "40 calls at 30 %: 12 expected")
	lo, hi = binomialBand(10, 0.5, 0.01)
	assert.Equal(t, []int{1, 9}, []int{lo, hi}, "P(0) = P(10) = 1/1024 ≤ 0.01 < P(≤1) = 11/1024")
}
