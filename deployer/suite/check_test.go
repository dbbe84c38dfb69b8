package suite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
			res := p.Send(context.Background(), srv.URL, tc.req)
			assert.Equal(t, tc.wantErr, assessCheck(tc.expect, res, vars))
		})
	}
}
