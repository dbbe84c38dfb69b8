package suite

import (
	"fmt"
	"net/http"
	"strings"
)

// validate checks what a suite asks for, before any request is sent.
func (s *Suite) validate() error {
	if s.Version != 1 {
		return fmt.Errorf("version: want 1, got %d", s.Version)
	}
	if s.Warmup == nil && len(s.Checks) == 0 && s.Compare == nil {
		return fmt.Errorf("needs at least one of warmup, checks, compare")
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
		where := fmt.Sprintf("checks[%d]", i)
		if err := validateRequest(where+".request", c.Request); err != nil {
			return err
		}
		if c.Repeat < 0 || c.Repeat > 1000 {
			return fmt.Errorf("%s.repeat: want 0..1000, got %d", where, c.Repeat)
		}
		if c.Expect.Status != 0 && (c.Expect.Status < 100 || c.Expect.Status > 599) {
			return fmt.Errorf("%s.expect.status: want an HTTP status 100..599, got %d", where, c.Expect.Status)
		}
		for p, f := range c.Expect.JSON {
			if f.Tolerance != nil {
				if _, ok := f.Equals.(string); ok || f.Equals == nil || *f.Tolerance < 0 {
					return fmt.Errorf("%s.expect.json.%s: tolerance needs a numeric equals and a tolerance >= 0", where, p)
				}
			}
		}
	}
	if c := s.Compare; c != nil {
		if err := validateRequests("compare.requests", c.Requests); err != nil {
			return err
		}
		if c.MinAgreement != nil && (*c.MinAgreement < 0 || *c.MinAgreement > 1) {
			return fmt.Errorf("compare.minAgreement: want a fraction 0..1, got %g", *c.MinAgreement)
		}
		if c.Repeat < 0 || c.Repeat > 1000 {
			return fmt.Errorf("compare.repeat: want 0..1000, got %d", c.Repeat)
		}
	}
	if s.Timeout < 0 {
		return fmt.Errorf("timeout: must be positive")
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
	switch strings.ToUpper(r.Method) {
	case "", http.MethodGet, http.MethodPost, http.MethodPut, http.MethodHead, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		return fmt.Errorf("%s.method: %q is not an HTTP method", where, r.Method)
	}
	if r.JSON != nil && r.Body != "" {
		return fmt.Errorf("%s: give json or body, not both", where)
	}
	return nil
}
