package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// MaxBody caps how much of an answer the deployer reads.
const MaxBody = 1 << 20

// Response is one answer to a request (or its transport error).
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	JSON    any
	JSONErr error
	Err     error
	// Took is how long the request took, in real time (request latencies stay
	// real on any clock), until the body was read or the request failed.
	Took time.Duration
}

// Failed says the request failed as a request: no answer (a transport error or
// the timeout) or a 5xx. A 4xx is an answer, for the checks to judge.
func (r Response) Failed() bool { return r.Err != nil || r.Status >= 500 }

// Summary renders the answer for evidence lines.
func (r Response) Summary() string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	body := strings.TrimSpace(string(r.Body))
	if len(body) > 120 {
		body = body[:120] + "…"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", r.Status, body))
}

// Prober sends a suite's requests (and gate 1's readiness probe) through the
// listeners, with the suite's headers and variables.
type Prober struct {
	client  *http.Client
	timeout time.Duration
	headers map[string]string
	vars    map[string]string
	secrets map[string]string // ${env:NAME} values, only ever expanded in headers
}

// Redact replaces every secret value in s with [redacted env:NAME]: a server may
// echo a header back, and answers end up in logs, results and summaries.
func (p *Prober) Redact(s string) string {
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
func (p *Prober) headerVars() map[string]string {
	out := make(map[string]string, len(p.vars)+len(p.secrets))
	for k, v := range p.vars {
		out[k] = v
	}
	for k, v := range p.secrets {
		out["env:"+k] = v
	}
	return out
}

// NewProber sends requests with client, each within timeout (the suite's own
// timeout, when it sets one, wins), expanding vars (${IMAGE}, ${IMAGE_TAG}) in
// them; with a suite (s may be nil) it sends the suite's headers and its
// ${env:NAME} secrets, which it redacts from everything it reports.
func NewProber(client *http.Client, timeout time.Duration, vars map[string]string, s *Suite) *Prober {
	p := &Prober{client: client, timeout: timeout, vars: vars}
	if s != nil {
		p.headers, p.secrets = s.Headers, s.secrets
		if s.Timeout > 0 {
			p.timeout = time.Duration(s.Timeout)
		}
	}
	return p
}

// Timeout is how long one request may take.
func (p *Prober) Timeout() time.Duration { return p.timeout }

// Send issues req against base (scheme://host:port).
func (p *Prober) Send(ctx context.Context, base string, req Request) Response {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var body io.Reader
	var contentType string
	switch {
	case req.JSON != nil:
		b, err := json.Marshal(expandValue(req.JSON, p.vars))
		if err != nil {
			return Response{Err: err}
		}
		body, contentType = bytes.NewReader(b), "application/json"
	case req.Body != "":
		body = strings.NewReader(expandVars(req.Body, p.vars))
	}
	url := strings.TrimRight(base, "/") + expandVars(req.Path, p.vars)
	hr, err := http.NewRequestWithContext(ctx, req.method(), url, body)
	if err != nil {
		return Response{Err: err}
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
	start := time.Now()
	resp, err := p.client.Do(hr)
	if err != nil {
		return Response{Err: err, Took: time.Since(start)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	res := Response{Status: resp.StatusCode, Header: resp.Header, Body: data, Err: err, Took: time.Since(start)}
	if len(bytes.TrimSpace(data)) > 0 {
		res.JSONErr = json.Unmarshal(data, &res.JSON)
	}
	return res
}
