package deployer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGateMinutesKeepEachSidesFiguresInMilliseconds(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	minutes := []shiftMinute{{Start: at,
		Green:  shiftSide{Requests: 200, Target5xx: 3, ConnErrors: 1, P95: 0.1234, HasP95: true, P99: 0.5, HasP99: true},
		Blue:   shiftSide{Requests: 800, Target5xx: 1},
		ELB5xx: 2,
	}}
	shift := gateMinutes(minutes, true, false)
	require.Len(t, shift, 1)
	assert.Equal(t, 4.0, shift[0].Green.Errors)
	assert.Equal(t, 0.02, shift[0].Green.ErrorRate())
	assert.Equal(t, 123.4, *shift[0].Green.P95Ms)
	assert.Equal(t, 500.0, *shift[0].Green.P99Ms)
	require.NotNil(t, shift[0].Blue)
	assert.Equal(t, 800.0, shift[0].Blue.Requests)
	assert.Nil(t, shift[0].Blue.P95Ms, "no p95 datapoint, no figure")

	soak := gateMinutes(minutes, false, true)
	assert.Nil(t, soak[0].Blue, "blue serves no production traffic in the soak")
	assert.Equal(t, 6.0, soak[0].Green.Errors, "gate soak counts the load balancer's own 5xx against green")
	assert.Zero(t, MinuteFigures{}.ErrorRate())
}

func TestAResultWithoutMinutesReadsAsBefore(t *testing.T) {
	t.Parallel()
	var g GateResult
	require.NoError(t, json.Unmarshal([]byte(`{"name":"soak","verdict":"pass","start":"2026-12-06T10:00:00Z","end":"2026-12-06T10:05:00Z","minutesJudged":5}`), &g))
	assert.Nil(t, g.Minutes)
	out, err := json.Marshal(g)
	require.NoError(t, err)
	assert.NotContains(t, string(out), `"minutes"`, "the field is left out when empty")
}
