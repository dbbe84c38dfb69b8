// Package suite is the deployer's validation suite: the file format
// (docs/validation-suite.md) and its loading, the prober that sends its requests
// through the load balancer's listeners, the checks of green's answers, and the
// comparison of blue's and green's answers to the same requests. Gate 1 runs it
// against green before production traffic moves (Run).
package suite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Suite is a validation suite: requests sent through the test listener (green)
// before production traffic moves, with expectations, plus an optional comparison
// of the same requests through the production listener (blue), whose latencies
// gate 1 also compares (Latency tunes that). The format is
// documented in docs/validation-suite.md. YAML or JSON; unknown keys are errors.
type Suite struct {
	Version int               `yaml:"version"`
	Timeout Duration          `yaml:"timeout"`
	Headers map[string]string `yaml:"headers"`
	Warmup  *Warmup           `yaml:"warmup"`
	Checks  []Check           `yaml:"checks"`
	Compare *Compare          `yaml:"compare"`
	Latency *Latency          `yaml:"latency"`

	secrets map[string]string // ${env:NAME} values by NAME (resolveEnv): sent in headers, redacted everywhere else
}

// Request is one HTTP request, relative to the listener URL.
type Request struct {
	Name    string            `yaml:"name"`
	Method  string            `yaml:"method"`
	Path    string            `yaml:"path"`
	Headers map[string]string `yaml:"headers"`
	JSON    any               `yaml:"json"`
	Body    string            `yaml:"body"`
}

// Warmup sends requests to green; the answers decide nothing (transport errors
// and 5xx are only counted in the gate's evidence).
type Warmup struct {
	Repeat   int       `yaml:"repeat"`
	Requests []Request `yaml:"requests"`
}

// Check is a request to green with expectations; with repeat > 1 every repetition
// must pass.
type Check struct {
	Name    string  `yaml:"name"`
	Request Request `yaml:"request"`
	Repeat  int     `yaml:"repeat"`
	Expect  Expect  `yaml:"expect"`
}

// Expect is what a response must satisfy.
type Expect struct {
	Status  int                    `yaml:"status"`
	Headers map[string]string      `yaml:"headers"`
	JSON    map[string]FieldExpect `yaml:"json"`
}

// FieldExpect is the expectation on one JSON field (a dotted path such as
// "prediction" or "items.0.score"). A bare value means {equals: value}.
type FieldExpect struct {
	Equals    any      `yaml:"equals"`
	Tolerance *float64 `yaml:"tolerance"`
	Present   *bool    `yaml:"present"`
}

// Compare sends each request to blue (prod URL) and green (test URL); a pair agrees
// when the statuses match and the compared JSON fields match.
type Compare struct {
	Requests     []Request               `yaml:"requests"`
	Repeat       int                     `yaml:"repeat"`
	MinAgreement *float64                `yaml:"minAgreement"`
	Fields       map[string]CompareField `yaml:"fields"`
	Ignore       []string                `yaml:"ignore"`
}

// CompareField is a field compared between blue and green; numbers agree within
// tolerance.
type CompareField struct {
	Tolerance float64 `yaml:"tolerance"`
}

// Duration is a time.Duration written as "5s" in a suite file.
type Duration time.Duration

// UnmarshalYAML parses Go duration syntax.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 5s", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML accepts a bare value as {equals: value}.
func (f *FieldExpect) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		type plain FieldExpect
		var p plain
		dec := yaml.NewDecoder(bytes.NewReader(mustYAML(n)))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("line %d: field expectation takes equals, tolerance, present (wrap an object value in equals:): %w", n.Line, err)
		}
		*f = FieldExpect(p)
		return nil
	}
	return n.Decode(&f.Equals)
}

func mustYAML(n *yaml.Node) []byte {
	b, err := yaml.Marshal(n)
	if err != nil {
		panic(err)
	}
	return b
}

// suiteVars are the variables a suite may use as ${NAME} in strings.
var suiteVars = []string{"IMAGE", "IMAGE_TAG"}

var suiteVarRegexp = regexp.MustCompile(`\$\{([^}]*)\}`)

// envNameRegexp is what an environment variable's name may be.
var envNameRegexp = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Load reads and validates a suite file.
func Load(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse decodes and validates a suite: YAML, or JSON (as JSON readers read it).
func Parse(data []byte) (*Suite, error) {
	if json.Valid(data) {
		data = yamlReadableJSON(data)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Suite
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("file is empty; want a validation suite, starting with version: 1")
		}
		return nil, explainYAML(err, data)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	if err := s.checkVariables(data); err != nil {
		return nil, err
	}
	return &s, nil
}

// yamlTypeErr is one of yaml.v3's type errors: "line 3: cannot unmarshal !!str `many` into int".
var yamlTypeErr = regexp.MustCompile("^line ([0-9]+): cannot unmarshal !!([a-z]+) `(.*)` into (.+)$")

// explainYAML rewrites yaml.v3's type errors, which name a Go type and no key, as the line of the
// file that holds the value and the kind of value that line wants.
func explainYAML(err error, data []byte) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	lines := strings.Split(string(data), "\n")
	msgs := make([]string, 0, len(te.Errors))
	for _, e := range te.Errors {
		m := yamlTypeErr.FindStringSubmatch(e)
		if m == nil {
			msgs = append(msgs, e)
			continue
		}
		n, _ := strconv.Atoi(m[1]) // the pattern's digits
		if n < 1 || n > len(lines) {
			msgs = append(msgs, e)
			continue
		}
		msgs = append(msgs, fmt.Sprintf("line %d (%s): %q is not %s", n, strings.TrimSpace(lines[n-1]), m[3], goTypeWord(m[4])))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// goTypeWord says what a Go type yaml.v3 names holds, in the words of the suite's format.
func goTypeWord(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "text"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.Contains(goType, "."):
		return "a mapping of keys"
	}
	return "a " + goType
}

// checkVariables checks every ${...} in the suite's strings, keys included: a known
// variable, or ${env:NAME} used only in headers. It reads the strings as decoded, with
// YAML aliases expanded: an anchor set in a header and used in a body (or the other
// way round) puts the secret in the body.
func (s *Suite) checkVariables(data []byte) error {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	inFile := map[string]int{}
	for _, str := range documentStrings(doc, nil) {
		for _, v := range suiteVarRegexp.FindAllStringSubmatch(str, -1) {
			if name, ok := strings.CutPrefix(v[1], "env:"); ok {
				if !envNameRegexp.MatchString(name) {
					return fmt.Errorf("${%s}: want ${env:NAME} with NAME matching [A-Za-z_][A-Za-z0-9_]*", v[1])
				}
				inFile[name]++
				continue
			}
			if !slices.Contains(suiteVars, v[1]) {
				return fmt.Errorf("unknown variable ${%s}; allowed: ${%s}, and ${env:NAME} in headers", v[1], strings.Join(suiteVars, "}, ${"))
			}
		}
	}
	inHeaders := s.headerEnvRefs()
	for _, name := range slices.Sorted(maps.Keys(inFile)) {
		if inFile[name] > inHeaders[name] {
			return fmt.Errorf("${env:%s} may appear only in headers (the suite's or a request's): its value is a secret, sent to green and blue and redacted from every report", name)
		}
	}
	return nil
}

// documentStrings appends every string of a decoded YAML document, map keys
// included, to out.
func documentStrings(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = documentStrings(e, out)
		}
	case map[string]any:
		for k, e := range x {
			out = documentStrings(e, append(out, k))
		}
	case map[any]any:
		for k, e := range x {
			out = documentStrings(e, documentStrings(k, out))
		}
	}
	return out
}

// headerEnvRefs counts the ${env:NAME} references in every header value.
func (s *Suite) headerEnvRefs() map[string]int {
	out := map[string]int{}
	count := func(h map[string]string) {
		for _, v := range h {
			for _, m := range suiteVarRegexp.FindAllStringSubmatch(v, -1) {
				if name, ok := strings.CutPrefix(m[1], "env:"); ok {
					out[name]++
				}
			}
		}
	}
	count(s.Headers)
	if s.Warmup != nil {
		for _, r := range s.Warmup.Requests {
			count(r.Headers)
		}
	}
	for _, c := range s.Checks {
		count(c.Request.Headers)
	}
	if s.Compare != nil {
		for _, r := range s.Compare.Requests {
			count(r.Headers)
		}
	}
	if s.Latency != nil {
		for _, r := range s.Latency.Requests {
			count(r.Headers)
		}
	}
	return out
}

// ResolveEnv reads the values of the suite's ${env:NAME} references from the
// deployer's environment (CI secrets): every one must be set and non-empty.
func (s *Suite) ResolveEnv(getenv func(string) (string, bool)) error {
	s.secrets = map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(s.headerEnvRefs())) {
		v, ok := getenv(name)
		if !ok || v == "" {
			return fmt.Errorf("${env:%s}: %s is not set (or empty) in the deployer's environment", name, name)
		}
		s.secrets[name] = v
	}
	return nil
}

// method is the request's method: GET, or POST when it has a body.
func (r Request) method() string {
	if r.Method != "" {
		return strings.ToUpper(r.Method)
	}
	if r.JSON != nil || r.Body != "" {
		return http.MethodPost
	}
	return http.MethodGet
}

// label names the request in reports.
func (r Request) label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.method() + " " + r.Path
}

// expandVars replaces ${NAME} in s.
func expandVars(s string, vars map[string]string) string {
	return suiteVarRegexp.ReplaceAllStringFunc(s, func(m string) string {
		return vars[m[2:len(m)-1]]
	})
}

// expandValue expands variables in every string of a decoded YAML/JSON value.
func expandValue(v any, vars map[string]string) any {
	switch x := v.(type) {
	case string:
		return expandVars(x, vars)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expandValue(e, vars)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expandValue(e, vars)
		}
		return out
	}
	return v
}

// normalizeJSON converts a YAML-decoded value to what encoding/json would decode
// from the same JSON, so values compare with reflect.DeepEqual.
func normalizeJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
