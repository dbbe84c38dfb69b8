package deployer

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseImage: an accepted reference reads back exactly as written and parses
// again to the same value; a refused one is named in the error with what a
// reference may look like; a registered revision's image is always kept as written.
func FuzzParseImage(f *testing.F) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	for _, s := range []string{
		// The README, docs and stack files.
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v1",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v2",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:3f2c1ab",
		"123456789012.dkr.ecr.us-west-2.amazonaws.com/llm-server:v1",
		newImage, "repo/model-server:v3",
		// What docker and ECR allow at the edges.
		"localhost:5000/model:1.0", "localhost/model:1", "[::1]:5000/model:1", "registry.example.com:443/team/model__v2/x-y.z:tag_1.2-3",
		"model@" + digest, "model:v3@" + digest, "model:" + strings.Repeat("t", 128), strings.Repeat("a/", 127) + "a:1",
		// Refused.
		"", "repo/model-server", "repo/Model:v1", "model: v1", "model@sha256:abc", "model:", ":v1", "/model:v1", "model//x:v1",
		"UPPER.example.com/Model:v1", "Repo/model:v1", strings.Repeat("a", 456) + ":1", "model:v1@", "model:-v1", "model:" + strings.Repeat("t", 129), "a:1 ", "\x00:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		assert.Equal(t, s, revisionImage(s).String(), "a registered revision's image is kept as written")
		ref, err := parseImage(s)
		if err != nil {
			msg := err.Error()
			if s == "" {
				assert.Contains(t, msg, "is required")
			} else {
				assert.Contains(t, msg, strconv.Quote(s), "the error names the reference")
			}
			assertSaysWhatIsAllowed(t, msg)
			return
		}
		require.Equal(t, s, ref.String(), "an accepted reference reads back exactly as written")
		again, err := parseImage(ref.String())
		require.NoError(t, err)
		assert.Equal(t, ref, again)
		assert.NotEmpty(t, ref.Path)
		assert.NotEmpty(t, ref.Version(), "a release names an exact image")
		assert.LessOrEqual(t, len(ref.Registry)+len(ref.Path), 255)
		assert.LessOrEqual(t, len(ref.Tag), 128)
		assert.True(t, utf8.ValidString(s) && !strings.ContainsAny(s, " \t\r\n"), "an accepted reference is printable text: %q", s)
		assert.Equal(t, strings.ToLower(ref.Path), ref.Path, "repository paths are lowercase")
	})
}

// assertSaysWhatIsAllowed checks that an input error's message says what a valid
// value looks like, not only that this one is wrong.
func assertSaysWhatIsAllowed(t *testing.T, msg string) {
	t.Helper()
	for _, hint := range []string{"want", "at most", "is required", "needs", "must", "such as"} {
		if strings.Contains(msg, hint) {
			return
		}
	}
	t.Errorf("the error does not say what is allowed: %s", msg)
}
