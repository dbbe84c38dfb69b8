package suite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
			diffs := assessAgreement(tc.cmp, p.Send(context.Background(), blue.URL, req), p.Send(context.Background(), tc.green, req))
			assert.Equal(t, tc.agree, len(diffs) == 0, diffs)
		})
	}
}

func TestAssessAgreementRate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		agreed, total int
		min           float64
		want          bool
	}{
		{"full agreement passes a full threshold", 10, 10, 1, true},
		{"one disagreement fails a full threshold", 9, 10, 1, false},
		{"agreement at the threshold passes", 9, 10, 0.9, true},
		{"nothing compared fails", 0, 0, 0.5, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, _ := assessAgreementRate(tc.agreed, tc.total, tc.min)
			assert.Equal(t, tc.want, ok)
		})
	}
}
