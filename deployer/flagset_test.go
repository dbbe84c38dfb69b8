package deployer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagSetKeepsTheOrderAndKindOfItsFlags(t *testing.T) {
	t.Parallel()
	fs := newFlagSetNamed("t")
	var s string
	var b bool
	var d time.Duration
	fs.StringVar(&s, "zeta", "", "")
	fs.BoolVar(&b, "alpha", false, "")
	fs.DurationVar(&d, "mid", time.Minute, "")
	assert.Equal(t, []string{"zeta", "alpha", "mid"}, fs.order)
	assert.True(t, fs.isBool("alpha"))
	assert.False(t, fs.isBool("zeta"))
	assert.False(t, fs.isBool("nope"))
	assert.Equal(t, "DURATION", fs.kinds["mid"])
	assert.Equal(t, time.Minute, d, "the default is set")
	require.NoError(t, fs.Parse([]string{"--mid", "1h30m"}))
	assert.Equal(t, 90*time.Minute, d)
	assert.ErrorIs(t, fs.Set("mid", "90"), errNotDuration)
}

func TestFormatDurationDropsZeroUnits(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m", 10 * time.Second: "10s",
		90 * time.Second: "1m30s", 0: "0s", 50 * time.Millisecond: "50ms", time.Hour + time.Second: "1h0m1s",
	} {
		assert.Equal(t, want, formatDuration(d), "%v", d)
	}
}
