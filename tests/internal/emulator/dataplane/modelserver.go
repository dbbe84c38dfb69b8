package dataplane

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// simConfig is the simulated model server's behaviour, read from the task definition's image and
// environment (see "The emulator" in the README). Latencies, the keep-alive and streams are real
// time: they model the server, not AWS configuration.
type simConfig struct {
	version      string
	startup      time.Duration // until /health/ready answers 200 (model loaded)
	neverReady   bool
	crashOnStart bool
	crashExit    int
	latency      time.Duration // per predict
	errorRate    float64
	bias         float64
	keepAlive    time.Duration // idle keep-alive connections are closed after this long
	stream       time.Duration // a predict answers as an event stream this long; 0 answers at once
	degrade      degradeConfig
}

// degradeConfig is how and when a server that starts well gets worse. Once degraded it answers
// with latency and errorRate when either is set (readiness still passes: the failure a health check
// does not see); otherwise it fails outright (readiness 503, every predict 500).
type degradeConfig struct {
	afterTime     time.Duration // since the container started; <0 never
	afterRequests int64         // predictions served once ready; 0 never
	whenFile      string        // from the moment this file exists; "" never
	latency       time.Duration
	errorRate     float64
	soft          bool // latency or errorRate was set
}

// defaultCrashExitCode is what ECS reports for a container killed by SIGKILL (128+9), the usual
// exit code of an OOM-killed model server.
const defaultCrashExitCode = 137

// defaultKeepAliveSeconds outlasts ALB's longest idle timeout (4000 s): like a well-configured
// server, the simulated one leaves closing idle connections to the load balancer.
const defaultKeepAliveSeconds = 4001

// simKnob is one numeric SIM_* variable: set receives its value, and says what is wrong with it.
type simKnob struct {
	name string
	set  func(float64) string
}

// parseSimConfig reads the SIM_* knobs. A malformed value is returned as an error: the caller
// treats it like a real server failing to parse its configuration, i.e. a crash on start.
func parseSimConfig(spec TaskSpec, scale Scale) (simConfig, error) {
	cfg := simConfig{
		version:   modelVersion(spec.Image, spec.Env),
		startup:   scale.D(5),
		crashExit: defaultCrashExitCode,
		latency:   5 * time.Millisecond,
		keepAlive: defaultKeepAliveSeconds * time.Second,
		degrade:   degradeConfig{afterTime: -1},
	}
	var errs []string
	for _, k := range simKnobs(&cfg, scale) {
		v := strings.TrimSpace(spec.Env[k.name])
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		problem := "is not a number"
		if err == nil {
			problem = k.set(f)
		}
		if problem != "" {
			errs = append(errs, fmt.Sprintf("%s=%q %s", k.name, v, problem))
		}
	}
	flag := func(k string) bool {
		b, _ := strconv.ParseBool(strings.TrimSpace(spec.Env[k]))
		return b
	}
	cfg.neverReady, cfg.crashOnStart = flag("SIM_NEVER_READY"), flag("SIM_CRASH_ON_START")
	cfg.degrade.whenFile = strings.TrimSpace(spec.Env["SIM_DEGRADE_WHEN_FILE"])
	if len(errs) > 0 {
		return cfg, fmt.Errorf("parse model server environment: %s", strings.Join(errs, "; "))
	}
	return cfg, nil
}

// simKnobs lists the numeric SIM_* variables and where each goes in cfg.
func simKnobs(cfg *simConfig, scale Scale) []simKnob {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	secs := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	d := &cfg.degrade
	return []simKnob{
		{"SIM_STARTUP_SECONDS", func(f float64) string { cfg.startup = scale.D(f); return "" }},
		{"SIM_CRASH_EXIT_CODE", func(f float64) string { cfg.crashExit = int(f); return "" }},
		{"SIM_LATENCY_MS", func(f float64) string { cfg.latency = ms(f); return "" }},
		{"SIM_ERROR_RATE", func(f float64) string { cfg.errorRate = f; return "" }},
		{"SIM_PREDICTION_BIAS", func(f float64) string { cfg.bias = f; return "" }},
		{"SIM_KEEPALIVE_SECONDS", func(f float64) string { cfg.keepAlive = secs(f); return positive(f) }},
		{"SIM_STREAM_SECONDS", func(f float64) string { cfg.stream = secs(f); return notNegative(f) }},
		{"SIM_DEGRADE_AFTER_SECONDS", func(f float64) string { d.afterTime = scale.D(f); return notNegative(f) }},
		{"SIM_DEGRADE_AFTER_REQUESTS", func(f float64) string { d.afterRequests = int64(f); return positive(f) }},
		{"SIM_DEGRADE_LATENCY_MS", func(f float64) string { d.latency, d.soft = ms(f), true; return notNegative(f) }},
		{"SIM_DEGRADE_ERROR_RATE", func(f float64) string { d.errorRate, d.soft = f, true; return notNegative(f) }},
	}
}

func positive(f float64) string {
	if f <= 0 {
		return "must be more than 0"
	}
	return ""
}

func notNegative(f float64) string {
	if f < 0 {
		return "must not be negative"
	}
	return ""
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
	served  atomic.Int64 // predictions taken once loaded (SIM_DEGRADE_AFTER_REQUESTS counts them)
}

func (m *modelServer) loaded(now time.Time) bool {
	return !m.cfg.neverReady && !m.cfg.crashOnStart && now.Sub(m.started) >= m.cfg.startup
}

// degradedAt reports whether the server has degraded by now for its nth prediction.
func (m *modelServer) degradedAt(now time.Time, n int64) bool {
	d := m.cfg.degrade
	return (d.afterTime >= 0 && now.Sub(m.started) >= d.afterTime) || (d.afterRequests > 0 && n > d.afterRequests) ||
		(d.whenFile != "" && fileExists(d.whenFile))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
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
		// A softly degraded server (slow, or failing some answers) still says it is ready.
		broken := m.degradedAt(now, m.served.Load()+1) && !m.cfg.degrade.soft
		if m.loaded(now) && !broken {
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

// predictRequest is /predict's body; stream_seconds asks for an event stream that long.
type predictRequest struct {
	Features      []float64 `json:"features"`
	StreamSeconds *float64  `json:"stream_seconds,omitempty"`
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
	var in predictRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body must be {\"features\":[numbers...]}"})
		return
	}
	n := m.served.Add(1)
	d := m.cfg.degrade
	latency, errorRate := m.cfg.latency, m.cfg.errorRate
	if d.soft && m.degradedAt(now, n) {
		latency, errorRate = d.latency, d.errorRate
	}
	select {
	case <-time.After(latency): // for a stream, the time to its first token
	case <-r.Context().Done(): // the connection died (crash or the client went away)
		return
	}
	if (!d.soft && m.degradedAt(time.Now(), n)) || (errorRate > 0 && rand.Float64() < errorRate) {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "inference failed"})
		return
	}
	answer := map[string]any{"model_version": m.cfg.version, "prediction": Prediction(in.Features) + m.cfg.bias}
	if length := m.streamLength(r, in); length > 0 {
		streamAnswer(w, r, length, answer)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
