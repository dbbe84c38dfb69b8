package dataplane

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// simConfig is the simulated model server's behaviour, read from the task definition's image and
// environment (see "The simulated model server" in the team contract).
type simConfig struct {
	version      string
	startup      time.Duration // until /health/ready answers 200 (model loaded)
	neverReady   bool
	crashOnStart bool
	crashExit    int
	latency      time.Duration // per predict, real time: it models inference cost, not AWS config
	errorRate    float64
	degrades     bool
	degradeAfter time.Duration
	bias         float64
}

// defaultCrashExitCode is what ECS reports for a container killed by SIGKILL (128+9), the usual
// exit code of an OOM-killed model server.
const defaultCrashExitCode = 137

// parseSimConfig reads the SIM_* knobs. A malformed value is returned as an error: the caller
// treats it like a real server failing to parse its configuration, i.e. a crash on start.
func parseSimConfig(spec TaskSpec, scale Scale) (simConfig, error) {
	env := func(k string) (string, bool) {
		v, ok := spec.Env[k]
		return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
	}
	cfg := simConfig{
		version:   modelVersion(spec.Image, spec.Env),
		startup:   scale.D(5),
		crashExit: defaultCrashExitCode,
		latency:   5 * time.Millisecond,
	}
	var errs []string
	num := func(k string, set func(float64)) {
		if v, ok := env(k); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q is not a number", k, v))
				return
			}
			set(f)
		}
	}
	flag := func(k string) bool {
		v, _ := env(k)
		b, _ := strconv.ParseBool(v)
		return b
	}
	num("SIM_STARTUP_SECONDS", func(f float64) { cfg.startup = scale.D(f) })
	num("SIM_CRASH_EXIT_CODE", func(f float64) { cfg.crashExit = int(f) })
	num("SIM_LATENCY_MS", func(f float64) { cfg.latency = time.Duration(f * float64(time.Millisecond)) })
	num("SIM_ERROR_RATE", func(f float64) { cfg.errorRate = f })
	num("SIM_DEGRADE_AFTER_SECONDS", func(f float64) { cfg.degrades, cfg.degradeAfter = true, scale.D(f) })
	num("SIM_PREDICTION_BIAS", func(f float64) { cfg.bias = f })
	cfg.neverReady = flag("SIM_NEVER_READY")
	cfg.crashOnStart = flag("SIM_CRASH_ON_START")
	if len(errs) > 0 {
		return cfg, fmt.Errorf("parse model server environment: %s", strings.Join(errs, "; "))
	}
	return cfg, nil
}

// modelVersion is the image tag (repo/model-server:v2 -> v2), overridden by MODEL_VERSION. An image
// without a tag is "latest", as for docker pull; a digest-only reference has no tag either.
func modelVersion(image string, env map[string]string) string {
	if v := strings.TrimSpace(env["MODEL_VERSION"]); v != "" {
		return v
	}
	ref, _, _ := strings.Cut(image, "@")
	name := ref[strings.LastIndex(ref, "/")+1:] // a registry host:port is before the last slash
	if _, tag, ok := strings.Cut(name, ":"); ok && tag != "" {
		return tag
	}
	return "latest"
}

// Prediction is what every healthy model version answers for features (before SIM_PREDICTION_BIAS):
// a fixed weighted sum, so validation suites can compute the expected answer themselves.
func Prediction(features []float64) float64 {
	var p float64
	for i, f := range features {
		p += f / float64(i+1)
	}
	return p
}

// modelServer is the HTTP handler of one simulated model server process.
type modelServer struct {
	cfg     simConfig
	started time.Time
}

func (m *modelServer) loaded(now time.Time) bool {
	return !m.cfg.neverReady && !m.cfg.crashOnStart && now.Sub(m.started) >= m.cfg.startup
}

func (m *modelServer) degraded(now time.Time) bool {
	return m.cfg.degrades && now.Sub(m.started) >= m.cfg.degradeAfter
}

// ServeHTTP answers the model server's endpoints; every response carries X-Model-Version.
func (m *modelServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Model-Version", m.cfg.version)
	now := time.Now()
	switch r.URL.Path {
	case "/health/live":
		// Liveness only says the process is up; a degraded or still-loading model is alive.
		writeJSON(w, http.StatusOK, map[string]any{"status": "live"})
	case "/health/ready":
		if m.loaded(now) && !m.degraded(now) {
			writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "model_version": m.cfg.version})
			return
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready"})
	case "/predict":
		m.predict(w, r, now)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found"})
	}
}

func (m *modelServer) predict(w http.ResponseWriter, r *http.Request, now time.Time) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "use POST"})
		return
	}
	if !m.loaded(now) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "model not loaded"})
		return
	}
	var in struct {
		Features []float64 `json:"features"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body must be {\"features\":[numbers...]}"})
		return
	}
	select {
	case <-time.After(m.cfg.latency):
	case <-r.Context().Done(): // the connection died (crash or the client went away)
		return
	}
	if m.degraded(time.Now()) || (m.cfg.errorRate > 0 && rand.Float64() < m.cfg.errorRate) {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "inference failed"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model_version": m.cfg.version,
		"prediction":    Prediction(in.Features) + m.cfg.bias,
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
