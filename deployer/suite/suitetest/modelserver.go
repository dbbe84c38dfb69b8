// Package suitetest serves what validation suites are tested against: a model
// server that answers like the contract's simulated one. It is for tests only.
package suitetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// ModelServer mimics the contract's simulated model server: /health/live,
// /health/ready (200 when ready, else 503), and POST /predict with
// {"features": [...]} answering {"model_version", "prediction"} (half the sum of
// the features, plus bias) with an X-Model-Version header. It stops when the
// test ends.
func ModelServer(t testing.TB, version string, bias float64, ready bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Model-Version", version)
		switch {
		case r.URL.Path == "/health/live":
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/health/ready" && ready:
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/health/ready":
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/predict" && r.Method == http.MethodPost:
			var in struct{ Features []float64 }
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			sum := bias
			for _, f := range in.Features {
				sum += f * 0.5
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"model_version": version, "prediction": sum})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
