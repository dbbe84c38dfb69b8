package suite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheDocumentedExampleSuiteParses(t *testing.T) {
	t.Parallel()
	s, err := Load(filepath.Join("testdata", "suite-model-server.yaml"))
	require.NoError(t, err)
	assert.Equal(t, 1, s.Version)
	require.NotNil(t, s.Warmup)
	assert.Len(t, s.Checks, 2)
	require.NotNil(t, s.Compare)
	assert.Equal(t, "${IMAGE_TAG}", s.Checks[0].Expect.JSON["model_version"].Equals)
	require.NotNil(t, s.Checks[0].Expect.JSON["prediction"].Present)
	assert.Equal(t, 0.000001, s.Compare.Fields["prediction"].Tolerance)
}

func TestParseSuiteAcceptsJSON(t *testing.T) {
	t.Parallel()
	s, err := Parse([]byte(`{"version": 1, "checks": [{"request": {"path": "/predict", "json": {"features": [1, 2]}}, "expect": {"status": 200, "json": {"prediction": {"equals": 3, "tolerance": 0.01}}}}]}`))
	require.NoError(t, err)
	assert.Equal(t, "POST", s.Checks[0].Request.method())
}

func TestDocsExampleMatchesTestdata(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "validation-suite.md"))
	if os.IsNotExist(err) {
		t.Skip("docs/validation-suite.md not present")
	}
	require.NoError(t, err)
	example, err := os.ReadFile(filepath.Join("testdata", "suite-model-server.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(doc), string(example), "the documented example must be testdata/suite-model-server.yaml verbatim")
}

func TestSuiteEnvReferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"an env reference in a header is allowed", "version: 1\nheaders: {Authorization: 'Bearer ${env:API_TOKEN}'}\nchecks: [{request: {path: /}}]", ""},
		{"an env reference in a request header is allowed", "version: 1\nchecks: [{request: {path: /, headers: {X-Key: '${env:API_TOKEN}'}}}]", ""},
		{"an env reference in a path is refused", "version: 1\nchecks: [{request: {path: '/${env:API_TOKEN}'}}]", "${env:API_TOKEN} may appear only in headers"},
		{"an env reference in an expectation is refused", "version: 1\nchecks: [{request: {path: /}, expect: {json: {v: '${env:API_TOKEN}'}}}]", "only in headers"},
		{"an env reference reaching a body through a YAML alias is refused",
			"version: 1\nheaders: {Authorization: &token 'Bearer ${env:API_TOKEN}'}\nchecks: [{request: {path: /, body: *token}}]", "only in headers"},
		{"an env reference reaching a header through a YAML alias is allowed",
			"version: 1\nchecks: [{request: {path: /, headers: {X-Key: &token '${env:API_TOKEN}'}}}]\nheaders: {Authorization: *token}", ""},
		{"a malformed env name is refused", "version: 1\nheaders: {A: '${env:1X}'}\nchecks: [{request: {path: /}}]", "${env:1X}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.yaml))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// yaml.v3 names a Go type and a line, never the key: the message quotes the line and says what it
// wants in the format's words.
func TestAValueOfTheWrongKindIsNamedByItsLine(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("version: 1\ncompare: {requests: [{path: /}]}\nlatency: {samples: many}\n"))
	require.Error(t, err)
	assert.Equal(t, `line 3 (latency: {samples: many}): "many" is not a whole number`, err.Error())
	_, err = Parse(nil)
	assert.EqualError(t, err, "file is empty; want a validation suite, starting with version: 1")
}
