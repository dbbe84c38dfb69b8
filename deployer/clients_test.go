package deployer

import (
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// halfClock runs twice as fast as real time.
type halfClock struct{ realClock }

func (halfClock) RealDuration(d time.Duration) time.Duration { return d / 2 }

func TestTheSDKRetryBackoffRunsOnAScaledClock(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	wall, scaled := newRetryer(nil), newRetryer(halfClock{})
	require.Equal(t, wall.MaxAttempts(), scaled.MaxAttempts())
	// The backoff is random ("full jitter"): compare the bounds over many draws.
	var wallMax, scaledMax time.Duration
	for range 2000 {
		w, err := wall.RetryDelay(5, throttled)
		require.NoError(t, err)
		s, err := scaled.RetryDelay(5, throttled)
		require.NoError(t, err)
		wallMax, scaledMax = max(wallMax, w), max(scaledMax, s)
	}
	assert.LessOrEqual(t, wallMax, 20*time.Second)
	assert.Greater(t, wallMax, 10*time.Second, "at attempt 5 the wall-clock backoff reaches towards its 20 s cap")
	assert.LessOrEqual(t, scaledMax, 10*time.Second, "a clock running twice as fast halves the real backoff")
	assert.Greater(t, scaledMax, 5*time.Second)
}
