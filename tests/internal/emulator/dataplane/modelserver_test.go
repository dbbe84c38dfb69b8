package dataplane

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScaleDividesAWSSecondsByTheFactor(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 5*time.Second, Scale(60).D(300), "a 300 s deregistration delay at 60x")
	assert.Equal(t, 500*time.Millisecond, Scale(60).D(30), "a 30 s interval at 60x")
	assert.Equal(t, 30*time.Second, Scale(1).D(30))
	assert.Equal(t, 30*time.Second, Scale(0).D(30), "an unset scale is real time")
}

func TestModelVersionComesFromTheImageTagUnlessMODEL_VERSIONIsSet(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		image string
		env   map[string]string
		want  string
	}{
		"tag":                         {"repo/model-server:v2", nil, "v2"},
		"registry with port":          {"localhost:5000/model-server:v3", nil, "v3"},
		"ecr uri":                     {"1234.dkr.ecr.eu-west-1.amazonaws.com/model:2024-06-01", nil, "2024-06-01"},
		"no tag is latest":            {"repo/model-server", nil, "latest"},
		"registry port but no tag":    {"localhost:5000/model-server", nil, "latest"},
		"digest only":                 {"repo/model@sha256:abc", nil, "latest"},
		"MODEL_VERSION overrides tag": {"repo/model-server:v2", map[string]string{"MODEL_VERSION": "v9"}, "v9"},
	}
	for name, c := range cases {
		assert.Equal(t, c.want, modelVersion(c.image, c.env), name)
	}
}

func TestModelServerAnswersReadinessSeparatelyFromLiveness(t *testing.T) {
	t.Parallel()
	task := startTask(t, TaskSpec{Image: "m:v1", ContainerPort: 8080,
		Env: map[string]string{"SIM_STARTUP_SECONDS": "150"}}, 100) // ready after 1.5 s
	assert.Equal(t, http.StatusOK, get(t, taskURL(task, "/health/live")), "live while loading")
	assert.Equal(t, http.StatusServiceUnavailable, get(t, taskURL(task, "/health/ready")), "not ready while loading")
	assert.Equal(t, http.StatusServiceUnavailable, mustPredict(t, taskAddr(task), 1).code)
	eventually(t, patience, func() bool { return get(t, taskURL(task, "/health/ready")) == http.StatusOK },
		"model never became ready")
	assert.Equal(t, http.StatusNotFound, get(t, taskURL(task, "/nope")))
}

func TestModelServerPredictsDeterministicallyWithBiasAndVersion(t *testing.T) {
	t.Parallel()
	good := modelTask(t, "v2", map[string]string{"SIM_STARTUP_SECONDS": "0"})
	biased := modelTask(t, "v3", map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_PREDICTION_BIAS": "0.5"})
	for _, c := range []struct {
		task    *Task
		version string
		bias    float64
	}{{good, "v2", 0}, {biased, "v3", 0.5}} {
		r := mustPredict(t, taskAddr(c.task), 1, 2, 3)
		require.Equal(t, http.StatusOK, r.code)
		var out struct {
			ModelVersion string  `json:"model_version"`
			Prediction   float64 `json:"prediction"`
		}
		require.NoError(t, json.Unmarshal(r.body, &out))
		assert.Equal(t, c.version, out.ModelVersion)
		assert.Equal(t, c.version, r.version, "X-Model-Version header")
		assert.InDelta(t, 1+1+1+c.bias, out.Prediction, 1e-9)
	}
}

func TestModelServerErrorRateAndDegradation(t *testing.T) {
	t.Parallel()
	failing := modelTask(t, "v1", map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_ERROR_RATE": "1"})
	assert.Equal(t, http.StatusInternalServerError, mustPredict(t, taskAddr(failing), 1).code)

	degrading := modelTask(t, "v1", map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_DEGRADE_AFTER_SECONDS": "100"})
	addr := taskAddr(degrading)
	require.Equal(t, http.StatusOK, mustPredict(t, addr, 1).code, "healthy before the degradation (1 s)")
	eventually(t, patience, func() bool { return mustPredict(t, addr, 1).code == http.StatusInternalServerError },
		"predict never started failing")
	assert.Equal(t, http.StatusServiceUnavailable, get(t, taskURL(degrading, "/health/ready")), "degraded is not ready")
	assert.Equal(t, http.StatusOK, get(t, taskURL(degrading, "/health/live")), "degraded is still alive")
}
