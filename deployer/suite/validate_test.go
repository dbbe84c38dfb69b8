package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSuiteRejectsMalformedFiles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"an empty file is refused", "", "empty"},
		{"a missing version is refused", "checks: [{request: {path: /}}]", "version"},
		{"an unknown key is refused", "version: 1\nchecks: [{request: {path: /}, expct: {}}]", "expct"},
		{"a path without a slash is refused", "version: 1\nchecks: [{request: {path: predict}}]", "starting with /"},
		{"an unknown variable is refused", "version: 1\nchecks: [{request: {path: /}, expect: {json: {v: \"${NOPE}\"}}}]", "${NOPE}"},
		{"a tolerance on a string is refused", "version: 1\nchecks: [{request: {path: /}, expect: {json: {v: {equals: abc, tolerance: 1}}}}]", "tolerance"},
		{"an agreement above 1 is refused", "version: 1\ncompare: {minAgreement: 2, requests: [{path: /}]}", "minAgreement"},
		{"a suite with nothing to do is refused", "version: 1", "at least one"},
		{"a bad status is refused", "version: 1\nchecks: [{request: {path: /}, expect: {status: 999}}]", "status"},
		{"json and body together are refused", "version: 1\nchecks: [{request: {path: /, body: x, json: {a: 1}}}]", "not both"},
		{"an unknown field option is refused", "version: 1\nchecks: [{request: {path: /}, expect: {json: {v: {approx: 1}}}}]", "approx"},
		{"an unknown latency key is refused", "version: 1\nchecks: [{request: {path: /}}]\nlatency: {samplez: 3}", "samplez"},
		{"an empty latency limit is refused", "version: 1\nchecks: [{request: {path: /}}]\nlatency: {p95: {}}", "latency.p95: give maxRatio, minIncrease or both"},
		{"a negative latency increase is refused", "version: 1\nchecks: [{request: {path: /}}]\nlatency: {p50: {minIncrease: -1s}}", "latency.p50.minIncrease"},
		{"a latency request without a path is refused", "version: 1\nchecks: [{request: {path: /}}]\nlatency: {requests: [{name: x}]}", "latency.requests[0].path"},
		{"a secret outside a latency request's header is refused", "version: 1\nchecks: [{request: {path: /}}]\nlatency: {requests: [{path: '/${env:TOKEN}'}]}", "may appear only in headers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}
