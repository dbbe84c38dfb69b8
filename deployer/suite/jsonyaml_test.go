package suite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestYAMLReadableJSONRewritesOnlyWhatYAMLRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want string }{
		{"an escaped slash is a slash", `{"path": "\/predict"}`, `{"path": "/predict"}`},
		{"a surrogate pair is one escape", `{"a": "\ud83d\ude00"}`, `{"a": "\U0001F600"}`},
		{"a lone surrogate is the replacement character", `{"a": "\ud83dx"}`, `{"a": "\uFFFDx"}`},
		{"a raw DEL is escaped", "{\"a\": \"x\x7fy\"}", `{"a": "x\u007Fy"}`},
		{"a raw line separator is escaped", "{\"a\": \"x\u2028y\"}", `{"a": "x\u2028y"}`},
		{"other escapes stay", `{"a": "\"\\\n\u00e9\t"}`, `{"a": "\"\\\n\u00e9\t"}`},
		{"text outside strings stays, lines too", "{\n\t\"a\\/\": [1, 2.5e3, true, null]\n}", "{\n\t\"a/\": [1, 2.5e3, true, null]\n}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, string(yamlReadableJSON([]byte(tc.in))))
		})
	}
}

func TestASuiteWrittenByPythonsJSONEncoderParses(t *testing.T) {
	t.Parallel()
	// json.dumps(suite) with its defaults: ensure_ascii escapes every non-ASCII character.
	s, err := Parse([]byte(`{"version": 1, "checks": [{"name": "emoji \ud83d\ude00", "request": {"path": "\/predict", "body": "caf\u00e9"}}]}`))
	require.NoError(t, err)
	assert.Equal(t, "emoji 😀", s.Checks[0].Name)
	assert.Equal(t, "/predict", s.Checks[0].Request.Path)
	assert.Equal(t, "café", s.Checks[0].Request.Body)
}
