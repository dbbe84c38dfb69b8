package suitetest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheModelServerPredictsHalfTheSumOfTheFeaturesPlusItsBias(t *testing.T) {
	t.Parallel()
	srv := ModelServer(t, "v2", 0.25, true)
	resp, err := http.Post(srv.URL+"/predict", "application/json", strings.NewReader(`{"features": [1, 2, 3]}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		ModelVersion string  `json:"model_version"`
		Prediction   float64 `json:"prediction"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	assert.Equal(t, "v2", out.ModelVersion)
	assert.Equal(t, 3.25, out.Prediction)
	assert.Equal(t, "v2", resp.Header.Get("X-Model-Version"))
}

func TestTheModelServerIsReadyOnlyWhenToldSo(t *testing.T) {
	t.Parallel()
	for ready, want := range map[bool]int{true: http.StatusOK, false: http.StatusServiceUnavailable} {
		resp, err := http.Get(ModelServer(t, "v1", 0, ready).URL + "/health/ready")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "ready=%t", ready)
	}
}
