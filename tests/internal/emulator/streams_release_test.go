package emulator

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator/dataplane"
)

// TestAStreamOnBlueSurvivesAReleaseOnlyIfTheDeregistrationDelayCoversIt holds a stream on blue through
// the prod listener while CodeDeploy shifts all traffic to green and removes blue's task set at once
// (no termination wait): ECS deregisters blue's target, waits the group's deregistration delay, then
// stops the task. At 600x a 4 s stream lasts 2,400 AWS seconds, within a 3,600 s delay (6 s here);
// a 30 s delay (50 ms here) cuts a 20 s one, however slowly the release runs.
func TestAStreamOnBlueSurvivesAReleaseOnlyIfTheDeregistrationDelayCoversIt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		delay     int // AWS seconds
		stream    int // real seconds
		completed bool
	}{{3600, 4, true}, {30, 20, false}} {
		t.Run(fmt.Sprintf("delay %d s", c.delay), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{desired: 1})
			w.emu.mu.Lock()
			g := w.emu.targetGroupByARN(w.blue.ARN).dp
			cfg := g.Config()
			cfg.DeregistrationDelaySeconds = c.delay
			g.Update(cfg)
			w.emu.mu.Unlock()

			body := fmt.Sprintf(`{"features":[1],"stream_seconds":%d}`, c.stream)
			resp, err := http.Post(w.prod.URL+"/predict", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, "v1", resp.Header.Get("X-Model-Version"))
			done := make(chan bool, 1)
			go func() {
				sc := bufio.NewScanner(resp.Body)
				completed := false
				for sc.Scan() {
					completed = completed || sc.Text() == "event: "+dataplane.StreamDoneEvent
				}
				done <- completed
			}()
			w.waitStatus(w.deploy("v2", nil), cdtypes.DeploymentStatusSucceeded)
			assert.Equal(t, "v2", w.version(w.prod))
			assert.Equal(t, c.completed, <-done)
		})
	}
}
