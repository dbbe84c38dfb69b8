package dataplane

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
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

func TestModelServerDegradesAfterServingNRequestsOnceReady(t *testing.T) {
	t.Parallel()
	// Fine for a gate's few dozen probes, then slow and failing under its share of production traffic,
	// while its readiness check still passes.
	task := modelTask(t, "v4", map[string]string{"SIM_STARTUP_SECONDS": "50", "SIM_LATENCY_MS": "1",
		"SIM_DEGRADE_AFTER_REQUESTS": "5", "SIM_DEGRADE_LATENCY_MS": "300", "SIM_DEGRADE_ERROR_RATE": "1"})
	addr := taskAddr(task)
	require.Equal(t, http.StatusServiceUnavailable, mustPredict(t, addr, 1).code, "still loading: not counted")
	eventually(t, patience, func() bool { return get(t, taskURL(task, "/health/ready")) == http.StatusOK }, "never ready")
	for i := range 5 {
		require.Equal(t, http.StatusOK, mustPredict(t, addr, 1).code, "request %d", i+1)
	}
	began := time.Now()
	r := mustPredict(t, addr, 1)
	assert.Equal(t, http.StatusInternalServerError, r.code, "the 6th request")
	assert.Equal(t, "v4", r.version, "a bad answer still says who gave it")
	assert.GreaterOrEqual(t, time.Since(began), 300*time.Millisecond, "degraded latency")
	assert.Equal(t, http.StatusOK, get(t, taskURL(task, "/health/ready")), "a slow, failing model can pass its health check")

	hard := modelTask(t, "v5", map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_DEGRADE_AFTER_REQUESTS": "1"})
	require.Equal(t, http.StatusOK, mustPredict(t, taskAddr(hard), 1).code)
	assert.Equal(t, http.StatusInternalServerError, mustPredict(t, taskAddr(hard), 1).code)
	assert.Equal(t, http.StatusServiceUnavailable, get(t, taskURL(hard, "/health/ready")), "without a degraded latency or error rate it breaks")
}

// A test degrades a model at an instant it picks (a deployment step), whatever the gates sent it
// before: the server degrades from the moment the file exists.
func TestModelServerDegradesOnceItsFileExists(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "degrade")
	task := modelTask(t, "v6", map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_DEGRADE_WHEN_FILE": file,
		"SIM_DEGRADE_ERROR_RATE": "1"})
	addr := taskAddr(task)
	for range 20 {
		require.Equal(t, http.StatusOK, mustPredict(t, addr, 1).code, "healthy until the file exists")
	}
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	assert.Equal(t, http.StatusInternalServerError, mustPredict(t, addr, 1).code)
	assert.Equal(t, http.StatusOK, get(t, taskURL(task, "/health/ready")), "softly degraded: still ready")
}

func TestLatencyAppliesToPredictOnly(t *testing.T) {
	t.Parallel()
	task := modelTask(t, "v1", map[string]string{"SIM_STARTUP_SECONDS": "0", "SIM_LATENCY_MS": "2000"})
	began := time.Now()
	require.Equal(t, http.StatusOK, get(t, taskURL(task, "/health/ready")))
	assert.Less(t, time.Since(began), 2*time.Second, "a health check of a slow model does not wait its inference")
	began = time.Now()
	require.Equal(t, http.StatusOK, mustPredict(t, taskAddr(task), 1).code)
	assert.GreaterOrEqual(t, time.Since(began), 2*time.Second)
}

func TestMalformedSimVariablesCrashTheServer(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{{"SIM_LATENCY_MS": "fast"}, {"SIM_KEEPALIVE_SECONDS": "0"},
		{"SIM_DEGRADE_AFTER_REQUESTS": "-1"}, {"SIM_STREAM_SECONDS": "-2"}} {
		_, err := parseSimConfig(TaskSpec{Image: "m:v1", Env: env}, 1)
		assert.Error(t, err, "%v", env)
	}
	cfg, err := parseSimConfig(TaskSpec{Image: "m:v1", Env: map[string]string{"SIM_KEEPALIVE_SECONDS": "5"}}, 60)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, cfg.keepAlive, "real seconds, not scaled")
	cfg, err = parseSimConfig(TaskSpec{Image: "m:v1"}, 60)
	require.NoError(t, err)
	assert.Greater(t, cfg.keepAlive, 4000*time.Second, "by default longer than ALB's longest idle timeout")
}
