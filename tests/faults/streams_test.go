package faults

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/infra"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// Streams as long as the stack says the model serves (service.maxRequestSeconds, AWS seconds)
// are held open through production for the whole release: with the stack's defaults (the
// deregistration delay covers them, blue stays through the termination wait) none is cut.
func TestStreamsHeldAcrossAReleaseAreNotCut(t *testing.T) {
	matrix(t)
	raw, err := infra.ReadStackConfig(stackFile)
	require.NoError(t, err)
	cfg, err := infra.ParseConfig("dev", func(k string) (string, bool) { v, ok := raw[k]; return v, ok })
	require.NoError(t, err)
	longest := float64(cfg.Service.MaxRequestSeconds)

	w := newWorld(t, worldOptions{streams: rehearsal.Streams{Count: 8, Seconds: longest / timeScale}})
	rel := release("v2", "a good model while streams are held open")
	run := w.record(rel, w.start("deploy", rel).wait())
	assert.Equal(t, 0, run.ExitCode, run.Result.Message)
	rep := w.finish(outcome{version: "v2", deployments: 1})
	assert.Positive(t, rep.Streams.Started)
	assert.Zero(t, rep.Streams.Cut, "streams cut")
	t.Logf("streams of %g AWS seconds: %d started, %d completed, %d cut", longest, rep.Streams.Started, rep.Streams.Completed, rep.Streams.Cut)
}
