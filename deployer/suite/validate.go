package suite

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// validate checks what a suite asks for, before any request is sent: everything
// gate 1 would otherwise find only at release time, with green already running.
func (s *Suite) validate() error {
	if s.Version != 1 {
		return fmt.Errorf("version: want 1, got %d", s.Version)
	}
	if s.Warmup == nil && len(s.Checks) == 0 && s.Compare == nil {
		return fmt.Errorf("needs at least one of warmup, checks, compare")
	}
	if err := validateHeaders("headers", s.Headers); err != nil {
		return err
	}
	if s.Warmup != nil {
		if s.Warmup.Repeat < 0 || s.Warmup.Repeat > 10000 {
			return fmt.Errorf("warmup.repeat: want 0..10000, got %d", s.Warmup.Repeat)
		}
		if err := validateRequests("warmup.requests", s.Warmup.Requests); err != nil {
			return err
		}
	}
	for i, c := range s.Checks {
		if err := validateCheck(fmt.Sprintf("checks[%d]", i), c); err != nil {
			return err
		}
	}
	if c := s.Compare; c != nil {
		if err := validateCompare(c); err != nil {
			return err
		}
	}
	if s.Timeout < 0 {
		return fmt.Errorf("timeout: must be positive")
	}
	return s.Latency.validate()
}

func validateCheck(where string, c Check) error {
	if err := validateRequest(where+".request", c.Request); err != nil {
		return err
	}
	if c.Repeat < 0 || c.Repeat > 1000 {
		return fmt.Errorf("%s.repeat: want 0..1000, got %d", where, c.Repeat)
	}
	if c.Expect.Status != 0 && (c.Expect.Status < 100 || c.Expect.Status > 599) {
		return fmt.Errorf("%s.expect.status: want an HTTP status 100..599, got %d", where, c.Expect.Status)
	}
	for _, p := range slices.Sorted(maps.Keys(c.Expect.JSON)) {
		if err := validateFieldExpect(where+".expect.json."+p, c.Expect.JSON[p]); err != nil {
			return err
		}
	}
	return nil
}

// validateFieldExpect checks that an expectation can be compared with a JSON
// answer: equals is a JSON value (YAML also writes .nan, .inf and non-string keys),
// and a tolerance is a number >= 0 around a numeric equals. A NaN tolerance would
// pass every answer: NaN compares false with everything.
func validateFieldExpect(where string, f FieldExpect) error {
	want, err := normalizeJSON(f.Equals)
	if err != nil {
		return fmt.Errorf("%s: equals must be a JSON value: %v", where, err)
	}
	if f.Tolerance == nil {
		return nil
	}
	if _, numeric := want.(float64); !numeric || !(*f.Tolerance >= 0) || math.IsInf(*f.Tolerance, 0) {
		return fmt.Errorf("%s: tolerance needs a numeric equals and a tolerance >= 0", where)
	}
	return nil
}

func validateCompare(c *Compare) error {
	if err := validateRequests("compare.requests", c.Requests); err != nil {
		return err
	}
	if c.MinAgreement != nil && !(*c.MinAgreement >= 0 && *c.MinAgreement <= 1) {
		return fmt.Errorf("compare.minAgreement: want a fraction 0..1, got %g", *c.MinAgreement)
	}
	if c.Repeat < 0 || c.Repeat > 1000 {
		return fmt.Errorf("compare.repeat: want 0..1000, got %d", c.Repeat)
	}
	for _, p := range slices.Sorted(maps.Keys(c.Fields)) {
		if tol := c.Fields[p].Tolerance; !(tol >= 0) || math.IsInf(tol, 0) {
			return fmt.Errorf("compare.fields.%s.tolerance: want a number >= 0, got %g", p, tol)
		}
	}
	return nil
}

func validateRequests(where string, rs []Request) error {
	if len(rs) == 0 {
		return fmt.Errorf("%s: needs at least one request", where)
	}
	for i, r := range rs {
		if err := validateRequest(fmt.Sprintf("%s[%d]", where, i), r); err != nil {
			return err
		}
	}
	return nil
}

func validateRequest(where string, r Request) error {
	if !strings.HasPrefix(r.Path, "/") {
		return fmt.Errorf("%s.path: want a path starting with /, got %q", where, r.Path)
	}
	if _, err := url.Parse("http://green" + r.Path); err != nil {
		return fmt.Errorf("%s.path: %q is not a URL path (escape %% as %%25): %v", where, r.Path, err)
	}
	switch strings.ToUpper(r.Method) {
	case "", http.MethodGet, http.MethodPost, http.MethodPut, http.MethodHead, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		return fmt.Errorf("%s.method: %q is not an HTTP method", where, r.Method)
	}
	if r.JSON != nil && r.Body != "" {
		return fmt.Errorf("%s: give json or body, not both", where)
	}
	if _, err := json.Marshal(r.JSON); err != nil {
		return fmt.Errorf("%s.json: cannot be sent as JSON (object keys are strings; no .nan or .inf): %v", where, err)
	}
	return validateHeaders(where+".headers", r.Headers)
}

// headerName is a header field name net/http sends: an RFC 9110 token.
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// validateHeaders checks that net/http sends the headers: a request with any other
// name, or a value with a control character, fails before it leaves the runner.
func validateHeaders(where string, h map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if !headerName.MatchString(name) {
			return fmt.Errorf("%s: %q is not a header name: want letters, digits and !#$%%&'*+-.^_`|~", where, name)
		}
		if strings.ContainsFunc(h[name], isControl) {
			return fmt.Errorf("%s.%s: %q has a control character (only tab is allowed)", where, name, h[name])
		}
	}
	return nil
}

func isControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }
