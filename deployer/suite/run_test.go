package suite

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func exampleSuite(t *testing.T) *Suite {
	t.Helper()
	s, err := Load(filepath.Join("testdata", "suite-model-server.yaml"))
	require.NoError(t, err)
	return s
}

var quiet = slog.New(slog.DiscardHandler)

func TestRunSendsTheWarmUpTheChecksAndTheComparison(t *testing.T) {
	t.Parallel()
	blue, green := modelServer(t, "v1", 0, true), modelServer(t, "v2", 0, true)
	rep, err := exampleSuite(t).Run(context.Background(), testProber(map[string]string{"IMAGE_TAG": "v2"}), green.URL, blue.URL, quiet)

	require.NoError(t, err)
	assert.Empty(t, rep.Failure)
	assert.Equal(t, []string{"warm-up: 20 requests to green, 0 errors", "checks: 2 defined, 0 problems", "blue-vs-green: 6/6 agree (100.0%, need 100.0%)"}, rep.Evidence)
	assert.Empty(t, rep.Disagreements)
}

func TestRunFailsOnAFailedCheckWithoutComparing(t *testing.T) {
	t.Parallel()
	blue, green := modelServer(t, "v1", 0, true), modelServer(t, "v2", 0, true)
	rep, err := exampleSuite(t).Run(context.Background(), testProber(map[string]string{"IMAGE_TAG": "v3"}), green.URL, blue.URL, quiet)

	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(rep.Failure, "validation suite: check "), rep.Failure)
	assert.Contains(t, rep.Failure, `want "v3"`)
	assert.NotEmpty(t, rep.Disagreements, "the problems are listed")
	assert.NotContains(t, strings.Join(rep.Evidence, "\n"), "blue-vs-green", "no comparison after a failed check")
}

func TestRunFailsAModelThatDisagreesWithBlue(t *testing.T) {
	t.Parallel()
	s := exampleSuite(t)
	s.Checks = nil
	blue, green := modelServer(t, "v1", 0, true), modelServer(t, "v2", 0.25, true)
	rep, err := s.Run(context.Background(), testProber(nil), green.URL, blue.URL, quiet)

	require.NoError(t, err)
	assert.Equal(t, "blue-vs-green comparison: 0/6 agree (0.0%, need 100.0%)", rep.Failure)
	assert.Contains(t, rep.Disagreements, "small input: prediction: blue 1, green 1.25 (tolerance 1e-06) (×3)")
}

func TestRunStopsWhenInterrupted(t *testing.T) {
	t.Parallel()
	blue, green := modelServer(t, "v1", 0, true), modelServer(t, "v2", 0, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := exampleSuite(t).Run(ctx, testProber(nil), green.URL, blue.URL, quiet)

	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, rep.Failure, "an interrupt is no verdict on green")
}
