package suite

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestALatencySectionParsesWithEveryKeyOptional(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte("version: 1\ncompare: {requests: [{path: /predict}]}\nlatency:\n  samples: 40\n  p50: {maxRatio: 1.2, minIncrease: 20ms}\n  p95: {maxRatio: 3}\n"))
	require.NoError(t, err)
	require.NotNil(t, s.Latency)
	assert.Equal(t, 40, *s.Latency.Samples)
	assert.Equal(t, 1.2, *s.Latency.P50.MaxRatio)
	assert.Equal(t, Duration(20*time.Millisecond), *s.Latency.P50.MinIncrease)
	assert.Nil(t, s.Latency.P95.MinIncrease)
}

func TestLatencyRequestsAreTheSectionsElseTheComparisons(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"the latency section's requests win", "version: 1\ncompare: {requests: [{path: /a}]}\nlatency: {requests: [{name: big, path: /b}]}", []string{"big"}},
		{"else the comparison's, meant for both sides", "version: 1\ncompare: {requests: [{path: /a}]}", []string{"GET /a"}},
		{"checks and warm-up are for green only: none", "version: 1\nwarmup: {requests: [{path: /w}]}\nchecks: [{request: {path: /c}}]", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse([]byte(tc.yaml))
			require.NoError(t, err)
			var got []string
			for _, r := range s.LatencyRequests() {
				got = append(got, r.Label())
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestALatencyRequestsSecretHeaderMustBeSet(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte("version: 1\nchecks: [{request: {path: /}}]\nlatency: {requests: [{path: /, headers: {Authorization: '${env:TOKEN}'}}]}"))
	require.NoError(t, err)
	assert.ErrorContains(t, s.ResolveEnv(func(string) (string, bool) { return "", false }), "${env:TOKEN}")
}
