package deployer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// modelServer mimics the contract's simulated model server: /health/ready,
// POST /predict → {"model_version","prediction"} with X-Model-Version.
func modelServer(t *testing.T, version string, bias float64, ready bool) *httptest.Server {
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

func testProber(vars map[string]string) *prober {
	return &prober{client: http.DefaultClient, timeout: 5 * time.Second, vars: vars}
}

func TestAssessCheckAgainstTheModelServer(t *testing.T) {
	t.Parallel()
	srv := modelServer(t, "v2", 0, true)
	vars := map[string]string{"IMAGE_TAG": "v2"}
	p := testProber(vars)
	predict := Request{Path: "/predict", JSON: map[string]any{"features": []any{1.0, 2.0, 3.0}}}
	tol := 0.001
	cases := []struct {
		name    string
		req     Request
		expect  Expect
		wantErr []string
	}{
		{"a matching version and prediction pass", predict, Expect{Headers: map[string]string{"X-Model-Version": "${IMAGE_TAG}"},
			JSON: map[string]FieldExpect{"model_version": {Equals: "${IMAGE_TAG}"}, "prediction": {Equals: 3, Tolerance: &tol}}}, nil},
		{"a prediction outside the tolerance fails", predict, Expect{JSON: map[string]FieldExpect{"prediction": {Equals: 3.1, Tolerance: &tol}}}, []string{"prediction = 3, want 3.1 ± 0.001"}},
		{"the wrong model version fails", predict, Expect{JSON: map[string]FieldExpect{"model_version": {Equals: "v1"}}}, []string{`model_version = "v2", want "v1"`}},
		{"a missing field fails", predict, Expect{JSON: map[string]FieldExpect{"score": {Equals: 1}}}, []string{"score is missing"}},
		{"an unexpected status fails", Request{Path: "/nope"}, Expect{}, []string{"status 404, want 200"}},
		{"an expected 404 passes", Request{Path: "/nope"}, Expect{Status: 404}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := p.send(context.Background(), srv.URL, tc.req)
			assert.Equal(t, tc.wantErr, assessCheck(tc.expect, res, vars))
		})
	}
}

func TestAssessAgreementBetweenBlueAndGreen(t *testing.T) {
	t.Parallel()
	blue := modelServer(t, "v1", 0, true)
	same := modelServer(t, "v2", 0, true)
	biased := modelServer(t, "v2", 0.5, true)
	req := Request{Path: "/predict", JSON: map[string]any{"features": []any{1.0, 2.0}}}
	p := testProber(nil)
	byField := &Compare{Fields: map[string]CompareField{"prediction": {Tolerance: 1e-6}}}
	wholeBody := &Compare{Ignore: []string{"model_version"}}
	cases := []struct {
		name  string
		cmp   *Compare
		green string
		agree bool
	}{
		{"the same predictions from a new version agree", byField, same.URL, true},
		{"a biased model disagrees on prediction", byField, biased.URL, false},
		{"whole bodies agree when the version field is ignored", wholeBody, same.URL, true},
		{"whole bodies differ when the version is compared", &Compare{}, same.URL, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diffs := assessAgreement(tc.cmp, p.send(context.Background(), blue.URL, req), p.send(context.Background(), tc.green, req))
			assert.Equal(t, tc.agree, len(diffs) == 0, diffs)
		})
	}
}
