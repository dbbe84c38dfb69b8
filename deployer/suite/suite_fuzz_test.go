package suite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fuzzVars are the variables a release expands in a suite.
var fuzzVars = map[string]string{"IMAGE": "repo/model-server:v2", "IMAGE_TAG": "v2"}

// FuzzParseSuite: an accepted suite can be run as written (every request can be
// sent, every expectation evaluated, no secret outside headers); a refused one says
// where; and a JSON suite means what a JSON reader reads in it.
func FuzzParseSuite(f *testing.F) {
	for _, path := range []string{filepath.Join("testdata", "suite-model-server.yaml"), filepath.Join("..", "..", "tests", "internal", "rehearsal", "suite.yaml")} {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{
		`{"version": 1, "checks": [{"request": {"path": "/predict", "json": {"features": [1, 2]}}, "expect": {"status": 200, "json": {"prediction": {"equals": 3, "tolerance": 0.01}}}}]}`,
		"version: 1\nheaders: {Authorization: Bearer ${env:MODEL_API_TOKEN}}\nchecks: [{request: {path: /}}]",
		"version: 1\ncompare: {requests: [{path: /p, json: {a: [1, {b: null}]}}], ignore: [id], fields: {score: {tolerance: 0.5}}}",
		"version: 1\nwarmup: {repeat: 3, requests: [{method: put, path: /w, body: \"x ${IMAGE}\"}]}",
		"", "version: 2", "version: 1", "checks: [{request: {path: /}}]", "version: 1\nchecks: [{request: {path: /}, expct: {}}]",
		"version: 1\nchecks: [{request: {path: /}, expect: {json: {v: {equals: abc, tolerance: 1}}}}]",
		"version: 1\ntimeout: 5x\nchecks: [{request: {path: /}}]", "version: 1\nchecks: [{request: {path: /, body: \"${env:TOKEN}\"}}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if json.Valid(data) && utf8.Valid(data) && !jsonHasDuplicateKeys(data) {
			assertJSONReadAsJSON(t, data, s, err)
		}
		if err != nil {
			assertSaysWhere(t, err.Error())
			return
		}
		assertRunnable(t, s)
	})
}

// assertJSONReadAsJSON checks that JSON suites are read as JSON: the same document
// written by encoding/json (no \/ escapes, no surrogate pairs, keys reordered) is
// accepted or refused alike and gives the same suite. Control characters it
// writes raw are escaped, as JSON allows.
func assertJSONReadAsJSON(t *testing.T, data []byte, s *Suite, err error) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	require.NoError(t, dec.Decode(&doc))
	written, merr := json.Marshal(doc)
	require.NoError(t, merr)
	canonical := escapeControls(written)
	want, wantErr := Parse(canonical)
	if wantErr != nil {
		assert.Error(t, err, "JSON refused once encoding/json writes it (%v), accepted as written", wantErr)
		return
	}
	require.NoError(t, err, "valid JSON refused; written by encoding/json it is accepted:\n%s", canonical)
	assert.Equal(t, want, s)
}

// escapeControls escapes the DEL and C1 control characters encoding/json writes
// raw (it escapes the others): JSON with only escaped controls is what YAML reads.
func escapeControls(data []byte) []byte {
	var out strings.Builder
	for _, r := range string(data) {
		if r == 0x7f || (r >= 0x80 && r < 0xa0) {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return []byte(out.String())
}

// jsonHasDuplicateKeys reports an object with a key twice: encoding/json keeps the
// last, YAML refuses the document.
func jsonHasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.object && top.key
		if top != nil && top.object {
			top.key = !top.key
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].key = true
				}
			}
		case string:
			if isKey {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
			}
		}
	}
}

// sectionPrefixes are where a refusal may point: a line, a field path of the suite,
// a variable.
var sectionPrefixes = []string{"version", "timeout", "headers", "unknown variable", "warmup", "checks[", "compare", "${", "file is empty", "needs at least one", "yaml:"}

// assertSaysWhere checks that a refusal says where the problem is.
func assertSaysWhere(t *testing.T, msg string) {
	t.Helper()
	if strings.Contains(msg, "line ") {
		return
	}
	for _, p := range sectionPrefixes {
		if strings.HasPrefix(msg, p) {
			return
		}
	}
	t.Errorf("the refusal does not say where: %s", msg)
}

// assertRunnable checks that gate 1 can run an accepted suite as written: nothing
// in it fails at release time because of the suite itself.
func assertRunnable(t *testing.T, s *Suite) {
	t.Helper()
	require.NoError(t, s.ResolveEnv(func(string) (string, bool) { return "secret", true }))
	for where, r := range suiteRequests(s) {
		assertSendable(t, where, r, s.Headers)
	}
	for i, c := range s.Checks {
		for p, fe := range c.Expect.JSON {
			assertNoSecret(t, "checks.expect.json key", p)
			assertNoSecret(t, "checks.expect.json."+p, fe.Equals)
			want, err := normalizeJSON(expandValue(fe.Equals, fuzzVars))
			require.NoError(t, err, "checks[%d].expect.json.%s: equals can be compared with a JSON answer", i, p)
			if fe.Tolerance != nil {
				_, numeric := want.(float64)
				assert.True(t, numeric, "checks[%d].expect.json.%s: a tolerance compares numbers, equals is %#v", i, p, fe.Equals)
				assertFraction(t, "tolerance", *fe.Tolerance, math.MaxFloat64)
			}
		}
		for k, v := range c.Expect.Headers {
			assertNoSecret(t, "checks.expect.headers", k+": "+v)
		}
	}
	if c := s.Compare; c != nil {
		if c.MinAgreement != nil {
			assertFraction(t, "compare.minAgreement", *c.MinAgreement, 1)
		}
		for p, field := range c.Fields {
			assertFraction(t, "compare.fields."+p+".tolerance", field.Tolerance, math.MaxFloat64)
		}
	}
}

// assertFraction checks a number the gate compares with: finite, 0..hi.
func assertFraction(t *testing.T, what string, v, hi float64) {
	t.Helper()
	assert.False(t, math.IsNaN(v) || v < 0 || v > hi, "%s = %g: want 0..%g (NaN compares false with everything)", what, v, hi)
}

// suiteRequests lists every request of the suite by where it is.
func suiteRequests(s *Suite) map[string]Request {
	out := map[string]Request{}
	if s.Warmup != nil {
		for i, r := range s.Warmup.Requests {
			out["warmup.requests["+strconv.Itoa(i)+"]"] = r
		}
	}
	for i, c := range s.Checks {
		out["checks["+strconv.Itoa(i)+"].request"] = c.Request
	}
	if s.Compare != nil {
		for i, r := range s.Compare.Requests {
			out["compare.requests["+strconv.Itoa(i)+"]"] = r
		}
	}
	return out
}

var (
	headerNameRegexp  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	headerValueRegexp = regexp.MustCompile(`^[^\x00-\x08\x0a-\x1f\x7f]*$`)
)

// assertSendable checks that net/http sends the request as the suite writes it.
func assertSendable(t *testing.T, where string, r Request, suiteHeaders map[string]string) {
	t.Helper()
	assertNoSecret(t, where+".path", r.Path)
	assertNoSecret(t, where+".body", r.Body)
	assertNoSecret(t, where+".json", r.JSON)
	assertNoSecret(t, where+".name", r.Name)
	_, err := http.NewRequest(r.method(), "http://green.test:8443"+expandVars(r.Path, fuzzVars), nil)
	require.NoError(t, err, "%s: the request can be built", where)
	if r.JSON != nil {
		_, err := json.Marshal(expandValue(r.JSON, fuzzVars))
		require.NoError(t, err, "%s.json can be sent as JSON", where)
	}
	for _, h := range []map[string]string{suiteHeaders, r.Headers} {
		for k, v := range h {
			assert.Regexp(t, headerNameRegexp, k, "%s: header name", where)
			assert.Regexp(t, headerValueRegexp, expandVars(v, fuzzVars), "%s: header %s value", where, k)
		}
	}
}

// assertNoSecret checks that no ${env:NAME} is outside headers, in any string of v.
func assertNoSecret(t *testing.T, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case string:
		assert.NotRegexp(t, `\$\{env:[^}]*\}`, x, "%s: ${env:NAME} is a secret, sent only as a header", where)
	case []any:
		for _, e := range x {
			assertNoSecret(t, where, e)
		}
	case map[string]any:
		for k, e := range x {
			assertNoSecret(t, where, k)
			assertNoSecret(t, where, e)
		}
	}
}
