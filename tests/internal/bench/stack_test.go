package bench

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A variant is the dev stack with only its deployment settings changed, under the same stack name.
func TestAStackVariantChangesOnlyHowTheReleaseShiftsTraffic(t *testing.T) {
	t.Parallel()
	base := filepath.Join("..", "..", "..", "Pulumi.dev.yaml")
	path, err := stackVariant(base, t.TempDir(), map[string]any{"trafficShift": "linear", "shiftMinutes": 1})
	require.NoError(t, err)
	assert.Equal(t, "Pulumi.dev.yaml", filepath.Base(path))
	want, err := stackConfig(base)
	require.NoError(t, err)
	got, err := stackConfig(path)
	require.NoError(t, err)
	assert.Equal(t, "linear", got.Deployment.TrafficShift)
	assert.Equal(t, 1, got.Deployment.ShiftMinutes)
	want.Deployment.TrafficShift, want.Deployment.ShiftMinutes = "linear", 1
	assert.Equal(t, want, got)
}

// Stack outputs give numbers as JSON numbers or strings, and the program's as Go ints.
func TestStackRefsReadThePortInAnyShape(t *testing.T) {
	t.Parallel()
	for _, port := range []any{8080, 8080.0, "8080", int64(8080)} {
		r := refsOf("http://x", map[string]any{"containerPort": port, "clusterName": "c", "serviceName": "s"})
		assert.Equal(t, 8080, r.port, "%T", port)
		assert.Equal(t, "c", r.cluster)
	}
}
