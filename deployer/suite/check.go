package suite

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// assessCheck lists every way res misses exp (empty means it passed).
func assessCheck(exp Expect, res Response, vars map[string]string) []string {
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
