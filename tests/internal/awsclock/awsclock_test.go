package awsclock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// The deployer runs on this clock in-process: it must be a deployer clock that says how long its
// durations last in real time.
var _ deployer.ScaledClock = (*Clock)(nil)

func TestAWSTimeIsLinearInRealTime(t *testing.T) {
	t.Parallel()
	real0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	aws0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := NewAt(60, real0, aws0)

	assert.Equal(t, aws0, c.AWSTime(real0))
	assert.Equal(t, aws0.Add(time.Hour), c.AWSTime(real0.Add(time.Minute)), "a real minute is an AWS hour at 60x")
	assert.Equal(t, aws0.Add(-time.Minute), c.AWSTime(real0.Add(-time.Second)), "instants before the start convert too")
	assert.Equal(t, real0.Add(5*time.Second), c.RealTime(aws0.Add(5*time.Minute)))
	assert.Equal(t, 250*time.Millisecond, c.RealDuration(15*time.Second))
	assert.Equal(t, 15*time.Second, c.AWS(250*time.Millisecond))
	assert.Equal(t, 60.0, c.Scale())
}

func TestRealAndAWSInstantsRoundTrip(t *testing.T) {
	t.Parallel()
	c := New(37)
	at := time.Now().Add(123456789 * time.Nanosecond)
	assert.WithinDuration(t, at, c.RealTime(c.AWSTime(at)), time.Microsecond)
}

func TestAtScaleOneAWSTimeIsTheWallClock(t *testing.T) {
	t.Parallel()
	c := New(1)
	assert.WithinDuration(t, time.Now(), c.Now(), 10*time.Millisecond,
		"a deployer on the wall clock must see the emulator's time at -timescale 1")
}

func TestANonPositiveScaleMeansRealTime(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 1.0, New(0).Scale())
	assert.Equal(t, 1.0, New(-3).Scale())
}

func TestSleepWaitsTheAWSDurationDividedByTheScale(t *testing.T) {
	t.Parallel()
	c := New(600)
	began := time.Now()
	awsBegan := c.Now()
	require.NoError(t, c.Sleep(context.Background(), time.Minute)) // 100 ms of real time
	assert.GreaterOrEqual(t, time.Since(began), 100*time.Millisecond)
	assert.GreaterOrEqual(t, c.Now().Sub(awsBegan), time.Minute)
}

func TestSleepEndsWithTheContext(t *testing.T) {
	t.Parallel()
	c := New(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, c.Sleep(ctx, time.Hour), context.Canceled)
	assert.ErrorIs(t, c.Sleep(ctx, 0), context.Canceled, "a zero sleep still reports a done context")
	assert.NoError(t, c.Sleep(context.Background(), -time.Second))
}

func TestSleepUntilWaitsForTheAWSInstant(t *testing.T) {
	t.Parallel()
	c := New(600)
	at := c.Now().Add(30 * time.Second)
	require.NoError(t, c.SleepUntil(context.Background(), at))
	assert.False(t, c.Now().Before(at))
}

func TestAClockRebuiltFromItsAnchorReadsTheSameTime(t *testing.T) {
	t.Parallel()
	c := New(60)
	a, err := ParseAnchor(c.Anchor().String())
	require.NoError(t, err)
	other := FromAnchor(a)
	assert.Equal(t, 60.0, other.Scale())
	// Another process reads the wall clock where this one reads the monotonic one: the two agree
	// within the wall clock's drift over the test, a few microseconds of real time.
	at := time.Now()
	assert.WithinDuration(t, c.AWSTime(at), other.AWSTime(at), c.AWS(time.Millisecond))
}

func TestAMalformedAnchorIsRefused(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "60", "60,1,x", "0,1,2", "-1,1,2", "sixty,1,2"} {
		_, err := ParseAnchor(s)
		assert.Error(t, err, s)
	}
}
