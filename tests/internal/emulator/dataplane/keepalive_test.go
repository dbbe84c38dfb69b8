package dataplane

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// burstyLoad sends rounds of 16 predicts through l, each a little after the round starts, then
// waits about keepAlive for the next round: every connection the load balancer keeps to the target
// sits idle for about the target's keep-alive, some of them just long enough for the target to close
// it as the load balancer reuses it. It returns how many requests got each status code.
func burstyLoad(t *testing.T, l *Listener, keepAlive time.Duration, rounds int) map[int]int {
	t.Helper()
	var mu sync.Mutex
	codes := map[int]int{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	for range rounds {
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				time.Sleep(rand.N(20 * time.Millisecond)) // spread, so rounds are not one draw of the race
				r, err := predict(client, l.Addr(), 1)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					codes[-1]++
					return
				}
				codes[r.code]++
			})
		}
		wg.Wait()
		time.Sleep(keepAlive - 10*time.Millisecond + rand.N(20*time.Millisecond))
	}
	return codes
}

// TestATargetKeepAliveShorterThanTheIdleTimeoutGivesELB502s: the most common real ALB 502. ALB keeps
// idle connections to a target for its idle timeout (60 s here, as the stack sets it); a server
// closing them sooner (uvicorn's 5 s keep-alive, 0.15 s here) now and then closes one just as ALB
// sends a request on it. The default keep-alive outlasts any idle timeout: the same load then fails
// nothing.
func TestATargetKeepAliveShorterThanTheIdleTimeoutGivesELB502s(t *testing.T) {
	t.Parallel()
	const keepAlive = 150 * time.Millisecond
	for _, short := range []bool{true, false} {
		t.Run(fmt.Sprintf("short keep-alive %v", short), func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_LATENCY_MS": "25"}
			if short {
				env["SIM_KEEPALIVE_SECONDS"] = fmt.Sprint(keepAlive.Seconds())
			}
			rec := NewRecorder()
			task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080, Env: env}, fastScale)
			g := newGroup(t, TargetGroupConfig{HealthCheck: fastCheck}, fastScale, rec)
			g.Register(task.IP(), task.Port())
			l := newListener(t, rec, WeightedTargetGroup{Group: g, Weight: 1})
			l.SetIdleTimeout(60)
			waitHealthy(t, g, task)
			start := time.Now()
			codes := burstyLoad(t, l, keepAlive, 40)
			t.Logf("answers by status: %v", codes)
			require.Zero(t, codes[-1], "the client always gets an answer: %v", codes)
			sum := func(metric string, q MetricQuery) float64 {
				q.Metric = metric
				v := sumSince(rec, q, start)
				if len(v) == 0 {
					return 0
				}
				return v[0]
			}
			lb := MetricQuery{Listeners: []*Listener{l}}
			assert.Equal(t, float64(codes[http.StatusBadGateway]), sum(MetricELB502, lb), "codes %v", codes)
			assert.Equal(t, float64(codes[http.StatusBadGateway]), sum(MetricELB5XX, lb))
			assert.Zero(t, sum(MetricTargetConnectionErrorCount, MetricQuery{Group: g}), "the connections were established")
			assert.Equal(t, float64(16*40), sum(MetricRequestCount, lb), "a target was chosen for every request")
			if short {
				assert.Positive(t, codes[http.StatusBadGateway], "codes %v", codes)
			} else {
				assert.Equal(t, map[int]int{http.StatusOK: 16 * 40}, codes)
			}
		})
	}
}
