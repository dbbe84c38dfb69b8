package deployer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxBody caps how much of a response the deployer reads.
const maxBody = 1 << 20

// httpResult is one response (or transport error).
type httpResult struct {
	Status  int
	Header  http.Header
	Body    []byte
	JSON    any
	JSONErr error
	Err     error
}

// summary renders the result for evidence lines.
func (r httpResult) summary() string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	body := strings.TrimSpace(string(r.Body))
	if len(body) > 120 {
		body = body[:120] + "…"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", r.Status, body))
}

// prober sends HTTP requests through the listeners.
type prober struct {
	client  *http.Client
	timeout time.Duration
	headers map[string]string
	vars    map[string]string
	secrets map[string]string // ${env:NAME} values, only ever expanded in headers
}

// redact replaces every secret value in s with [redacted env:NAME]: a server may
// echo a header back, and answers end up in logs, results and summaries.
func (p *prober) redact(s string) string {
	names := slices.Sorted(maps.Keys(p.secrets))
	sort.SliceStable(names, func(i, j int) bool { return len(p.secrets[names[i]]) > len(p.secrets[names[j]]) })
	for _, name := range names {
		if v := p.secrets[name]; v != "" {
			s = strings.ReplaceAll(s, v, "[redacted env:"+name+"]")
		}
	}
	return s
}

// headerVars are the variables a header value may use: the suite's and its secrets.
func (p *prober) headerVars() map[string]string {
	out := make(map[string]string, len(p.vars)+len(p.secrets))
	for k, v := range p.vars {
		out[k] = v
	}
	for k, v := range p.secrets {
		out["env:"+k] = v
	}
	return out
}

// send issues req against base (scheme://host:port).
func (p *prober) send(ctx context.Context, base string, req Request) httpResult {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var body io.Reader
	var contentType string
	switch {
	case req.JSON != nil:
		b, err := json.Marshal(expandValue(req.JSON, p.vars))
		if err != nil {
			return httpResult{Err: err}
		}
		body, contentType = bytes.NewReader(b), "application/json"
	case req.Body != "":
		body = strings.NewReader(expandVars(req.Body, p.vars))
	}
	url := strings.TrimRight(base, "/") + expandVars(req.Path, p.vars)
	hr, err := http.NewRequestWithContext(ctx, req.method(), url, body)
	if err != nil {
		return httpResult{Err: err}
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	hv := p.headerVars()
	for _, h := range []map[string]string{p.headers, req.Headers} {
		for k, v := range h {
			hr.Header.Set(k, expandVars(v, hv))
		}
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		return httpResult{Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	res := httpResult{Status: resp.StatusCode, Header: resp.Header, Body: data, Err: err}
	if len(bytes.TrimSpace(data)) > 0 {
		res.JSONErr = json.Unmarshal(data, &res.JSON)
	}
	return res
}

// assessCheck lists every way res misses exp (empty means it passed).
func assessCheck(exp Expect, res httpResult, vars map[string]string) []string {
	if res.Err != nil {
		return []string{"request failed: " + res.Err.Error()}
	}
	var problems []string
	want := exp.Status
	if want == 0 {
		want = http.StatusOK
	}
	if res.Status != want {
		problems = append(problems, fmt.Sprintf("status %d, want %d", res.Status, want))
	}
	for _, name := range slices.Sorted(maps.Keys(exp.Headers)) {
		wantH := expandVars(exp.Headers[name], vars)
		if got := res.Header.Get(name); got != wantH {
			problems = append(problems, fmt.Sprintf("header %s = %q, want %q", name, got, wantH))
		}
	}
	if len(exp.JSON) > 0 && (res.JSONErr != nil || res.JSON == nil) {
		return append(problems, "body is not JSON")
	}
	for _, path := range slices.Sorted(maps.Keys(exp.JSON)) {
		if p := assessField(path, exp.JSON[path], res.JSON, vars); p != "" {
			problems = append(problems, p)
		}
	}
	return problems
}

// assessField checks one JSON field; "" means it passed.
func assessField(path string, f FieldExpect, doc any, vars map[string]string) string {
	got, ok := lookupJSON(doc, path)
	if f.Present != nil && *f.Present != ok {
		if ok {
			return fmt.Sprintf("%s is present, want absent", path)
		}
		return fmt.Sprintf("%s is missing", path)
	}
	if f.Equals == nil {
		return ""
	}
	if !ok {
		return fmt.Sprintf("%s is missing", path)
	}
	want, err := normalizeJSON(expandValue(f.Equals, vars))
	if err != nil {
		return fmt.Sprintf("%s: %v", path, err)
	}
	if f.Tolerance != nil {
		g, gok := got.(float64)
		w, wok := want.(float64)
		if !gok || !wok {
			return fmt.Sprintf("%s = %s, want a number within %g of %s", path, jsonText(got), *f.Tolerance, jsonText(want))
		}
		if math.Abs(g-w) > *f.Tolerance {
			return fmt.Sprintf("%s = %g, want %g ± %g", path, g, w, *f.Tolerance)
		}
		return ""
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("%s = %s, want %s", path, jsonText(got), jsonText(want))
	}
	return ""
}

// assessAgreement compares blue's and green's answers to the same request and
// lists the disagreements (empty means they agree).
func assessAgreement(cmp *Compare, blue, green httpResult) []string {
	if blue.Err != nil || green.Err != nil {
		return []string{fmt.Sprintf("blue: %s; green: %s", blue.summary(), green.summary())}
	}
	var diffs []string
	if blue.Status != green.Status {
		diffs = append(diffs, fmt.Sprintf("status: blue %d, green %d", blue.Status, green.Status))
	}
	if len(cmp.Fields) == 0 {
		b, g := stripFields(blue.JSON, cmp.Ignore), stripFields(green.JSON, cmp.Ignore)
		if blue.JSONErr != nil || green.JSONErr != nil {
			if !bytes.Equal(bytes.TrimSpace(blue.Body), bytes.TrimSpace(green.Body)) {
				diffs = append(diffs, "body differs")
			}
		} else if !reflect.DeepEqual(b, g) {
			diffs = append(diffs, fmt.Sprintf("body: blue %s, green %s", jsonText(b), jsonText(g)))
		}
		return diffs
	}
	for _, path := range slices.Sorted(maps.Keys(cmp.Fields)) {
		bv, bok := lookupJSON(blue.JSON, path)
		gv, gok := lookupJSON(green.JSON, path)
		switch {
		case !bok && !gok:
		case bok != gok:
			diffs = append(diffs, fmt.Sprintf("%s: blue %s, green %s", path, jsonTextOK(bv, bok), jsonTextOK(gv, gok)))
		default:
			bf, bnum := bv.(float64)
			gf, gnum := gv.(float64)
			if bnum && gnum {
				if math.Abs(bf-gf) > cmp.Fields[path].Tolerance {
					diffs = append(diffs, fmt.Sprintf("%s: blue %g, green %g (tolerance %g)", path, bf, gf, cmp.Fields[path].Tolerance))
				}
			} else if !reflect.DeepEqual(bv, gv) {
				diffs = append(diffs, fmt.Sprintf("%s: blue %s, green %s", path, jsonText(bv), jsonText(gv)))
			}
		}
	}
	return diffs
}

// lookupJSON follows a dotted path ("a.b.0.c") through decoded JSON.
func lookupJSON(doc any, path string) (any, bool) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// stripFields returns doc without the top-level or dotted fields in ignore.
func stripFields(doc any, ignore []string) any {
	if len(ignore) == 0 {
		return doc
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, path := range ignore {
		head, rest, nested := strings.Cut(path, ".")
		if !nested {
			delete(out, head)
		} else if sub, ok := out[head]; ok {
			out[head] = stripFields(sub, []string{rest})
		}
	}
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func jsonTextOK(v any, ok bool) string {
	if !ok {
		return "(missing)"
	}
	return jsonText(v)
}
