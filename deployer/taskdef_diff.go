package deployer

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// diffTaskDefinitions lists field-level differences between two task
// definitions: "~ path: old → new", "+ path: new", "- path: old". Containers,
// environment variables and other named lists are keyed by name.
//
// Environment values are never shown (`--env` carries secrets such as API keys,
// and plan's output lands in CI logs): the line names the variable and says it was
// set, changed or removed.
func diffTaskDefinitions(before, after *ecs.RegisterTaskDefinitionInput) []string {
	a, b := flattenValue(before), flattenValue(after)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		switch v, ok := b[k]; {
		case !ok && secretPath(k):
			out = append(out, fmt.Sprintf("- %s: (removed, value redacted)", k))
		case !ok:
			out = append(out, fmt.Sprintf("- %s: %s", k, a[k]))
		case v != a[k] && secretPath(k):
			out = append(out, fmt.Sprintf("~ %s: (changed, values redacted)", k))
		case v != a[k]:
			out = append(out, fmt.Sprintf("~ %s: %s → %s", k, a[k], v))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			if secretPath(k) {
				out = append(out, fmt.Sprintf("+ %s: (set, value redacted)", k))
			} else {
				out = append(out, fmt.Sprintf("+ %s: %s", k, b[k]))
			}
		}
	}
	return out
}

// secretPathRegexp matches flattened paths whose values may be secrets: container
// environment values.
var secretPathRegexp = regexp.MustCompile(`(^|\.)environment\[[^\]]*\]\.value$`)

func secretPath(path string) bool { return secretPathRegexp.MatchString(path) }

func flattenValue(v any) map[string]string {
	data, err := json.Marshal(v)
	if err != nil {
		return map[string]string{"": err.Error()}
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return map[string]string{"": err.Error()}
	}
	out := map[string]string{}
	flatten("", doc, out)
	return out
}

func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for k, e := range x {
			flatten(joinPath(prefix, lowerFirst(k)), e, out)
		}
	case []any:
		for i, e := range x {
			key := strconv.Itoa(i)
			if m, ok := e.(map[string]any); ok {
				if n, ok := m["Name"].(string); ok {
					key = n
				} else if n, ok := m["Key"].(string); ok {
					key = n
				}
			}
			flatten(prefix+"["+key+"]", e, out)
		}
	case bool:
		if x || prefix == "" {
			out[prefix] = jsonText(x)
		}
	default:
		out[prefix] = jsonText(x)
	}
}

func joinPath(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// jsonText renders a flattened value as JSON: strings quoted, numbers and
// booleans as they are.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
