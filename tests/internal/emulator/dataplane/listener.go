package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// albIdleTimeoutSeconds is the ALB's default idle timeout (load balancer attribute
// idle_timeout.timeout_seconds, 1-4000): when no data has been sent or received on a request for this
// long, ALB closes it; a target that has not started answering by then gets the client a 504. It
// also bounds how long ALB keeps an idle connection to a target open for reuse ("the period of time
// an existing client or target connection can remain inactive").
//
// It is real time, never scaled: it bounds the real latency of real requests (an inference that takes
// 1.5 s must not be cut at 1 s because one AWS minute lasts one second at 60x).
const albIdleTimeoutSeconds = 60

// errIdleTimeout and errDrained say why the load balancer gave up on a request.
var (
	errIdleTimeout = errors.New("ALB idle timeout: no data sent or received")
	errDrained     = errors.New("deregistration delay expired while the request was in flight")
)

// statusClientClosed is the code ALB logs when the client closed the connection before the load
// balancer could answer; nothing is sent.
const statusClientClosed = 460

// WeightedTargetGroup is one entry of a listener's weighted forward action.
type WeightedTargetGroup struct {
	Group  *TargetGroup
	Weight int
}

// Listener is an ALB listener: a real HTTP listener on loopback whose forward action sends each
// request to a target group chosen by weight, then to a target of that group, proxying the request
// over keep-alive connections.
type Listener struct {
	rec   *Recorder
	ln    net.Listener
	srv   *http.Server
	proxy *httputil.ReverseProxy
	port  string
	// transport holds the connections to targets; it is replaced when the idle timeout changes,
	// since an http.Transport's settings are fixed once in use.
	transport atomic.Pointer[http.Transport]

	forward atomic.Pointer[[]WeightedTargetGroup]
	idle    atomic.Int64 // the idle timeout in nanoseconds
	mu      sync.Mutex   // serialises SetForward and Close, which attach and detach groups
	closed  bool
}

// NewListener listens on addr ("127.0.0.1:0") and records every request into rec (which may be nil).
// It forwards nowhere (every request gets a 503) until SetForward. Its idle timeout is ALB's default,
// 60 s, until SetIdleTimeout.
func NewListener(addr string, rec *Recorder) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	l := &Listener{rec: rec, ln: ln, port: strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
	l.proxy = &httputil.ReverseProxy{
		Rewrite:        l.rewrite,
		Transport:      roundTripper(func(r *http.Request) (*http.Response, error) { return l.transport.Load().RoundTrip(r) }),
		ModifyResponse: l.fromTarget,
		ErrorHandler:   l.proxyError,
		ErrorLog:       log.New(io.Discard, "", 0), // a body cut short is recorded, not logged
	}
	l.forward.Store(&[]WeightedTargetGroup{})
	l.SetIdleTimeout(albIdleTimeoutSeconds)
	l.srv = &http.Server{Handler: http.HandlerFunc(l.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

// Addr returns the host:port actually bound.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Port is the TCP port the listener is bound on.
func (l *Listener) Port() int { return l.ln.Addr().(*net.TCPAddr).Port }

// SetForward atomically replaces the forward action; requests already routed finish where they are.
// Groups it newly forwards to become in use (health-checked); groups it no longer forwards to become
// unused when no other listener uses them.
func (l *Listener) SetForward(f []WeightedTargetGroup) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	next := slices.Clone(f)
	prev := *l.forward.Load()
	for _, g := range groupsOf(next) {
		if !slices.Contains(groupsOf(prev), g) {
			g.attach(l)
		}
	}
	l.forward.Store(&next)
	for _, g := range groupsOf(prev) {
		if !slices.Contains(groupsOf(next), g) {
			g.detach(l)
		}
	}
}

// SetIdleTimeout sets the load balancer's idle timeout in (real) seconds for requests that start
// from now on, and for how long idle connections to targets are kept for reuse; values below 1
// take ALB's default of 60.
func (l *Listener) SetIdleTimeout(seconds int) {
	if seconds < 1 {
		seconds = albIdleTimeoutSeconds
	}
	d := time.Duration(seconds) * time.Second
	l.idle.Store(int64(d))
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.transport.Load(); old == nil || old.IdleConnTimeout != d {
		if old = l.transport.Swap(targetTransport(d)); old != nil {
			old.CloseIdleConnections()
		}
	}
}

// targetTransport is how the load balancer connects to targets: it keeps connections alive for
// reuse until they have been idle for the idle timeout.
func targetTransport(idle time.Duration) *http.Transport {
	return &http.Transport{
		// ALB gives up connecting to a target after 10 s.
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     idle,
		DisableCompression:  true,
	}
}

// roundTripper adapts a function to http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// IdleTimeout returns the load balancer's idle timeout.
func (l *Listener) IdleTimeout() time.Duration { return time.Duration(l.idle.Load()) }

// Forward returns a copy of the current forward action.
func (l *Listener) Forward() []WeightedTargetGroup { return slices.Clone(*l.forward.Load()) }

// Close stops listening, drops open connections and detaches from every target group.
func (l *Listener) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	prev := *l.forward.Load()
	l.forward.Store(&[]WeightedTargetGroup{})
	l.mu.Unlock()
	for _, g := range groupsOf(prev) {
		g.detach(l)
	}
	_ = l.srv.Close()
	l.transport.Load().CloseIdleConnections()
}

// groupsOf lists the distinct groups of a forward action.
func groupsOf(f []WeightedTargetGroup) []*TargetGroup {
	var gs []*TargetGroup
	for _, w := range f {
		if w.Group != nil && !slices.Contains(gs, w.Group) {
			gs = append(gs, w.Group)
		}
	}
	return gs
}

// attemptKey carries a request's routing decision from serve to the proxy hooks.
type attemptKey struct{}

type attempt struct {
	target  *target
	client  context.Context // the client's request context, to tell a hang-up from a timeout
	idle    *idleTimer
	sent    time.Time
	code    int
	elb     bool
	connErr bool // the connection to the target could not be established
	elapsed time.Duration
}

// serve routes one request: group by weight, then a target, then proxy with the ALB idle timeout.
func (l *Listener) serve(w http.ResponseWriter, r *http.Request) {
	g := pickGroup(*l.forward.Load())
	if g == nil {
		// No forward with a positive weight: nothing can answer.
		writeELBError(w, http.StatusServiceUnavailable)
		l.rec.recordRequest(requestSample{listener: l, code: http.StatusServiceUnavailable, elb: true, rt: -1})
		return
	}
	t, ok := g.acquire(time.Now())
	if !ok {
		// No registered target, or none healthy while some are still initial: ALB answers 503.
		writeELBError(w, http.StatusServiceUnavailable)
		l.rec.recordRequest(requestSample{listener: l, group: g, code: http.StatusServiceUnavailable, elb: true, rt: -1})
		return
	}
	defer g.release(t)
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	idle := newIdleTimer(time.Duration(l.idle.Load()), cancel)
	defer idle.stop()
	stop := context.AfterFunc(t.gone, func() { cancel(errDrained) }) // ALB drops the connection
	defer stop()
	a := &attempt{target: t, client: r.Context(), idle: idle}
	defer func() {
		// Deferred so that a response body cut short (the proxy then panics with ErrAbortHandler) is
		// still recorded.
		rt := -1.0
		if !a.elb && a.code != 0 {
			rt = a.elapsed.Seconds()
		}
		l.rec.recordRequest(requestSample{listener: l, group: g, target: true, code: a.code, elb: a.elb, connErr: a.connErr, rt: rt})
	}()
	l.proxy.ServeHTTP(w, r.WithContext(context.WithValue(ctx, attemptKey{}, a)))
}

// idleTimer cancels a request once no data has moved either way for the idle timeout: every read of
// the client's request body or of the target's response pushes the deadline back.
type idleTimer struct {
	d     time.Duration
	timer *time.Timer
}

func newIdleTimer(d time.Duration, cancel context.CancelCauseFunc) *idleTimer {
	return &idleTimer{d: d, timer: time.AfterFunc(d, func() { cancel(errIdleTimeout) })}
}

func (i *idleTimer) touch() { i.timer.Reset(i.d) }
func (i *idleTimer) stop()  { i.timer.Stop() }

// activityBody is a request or response body whose reads count as activity on the request.
type activityBody struct {
	io.ReadCloser
	idle *idleTimer
}

func (b activityBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.idle.touch()
	}
	return n, err
}

// rewrite points the request at the chosen target and adds the headers ALB adds; the Host header is
// kept, as ALB does.
func (l *Listener) rewrite(pr *httputil.ProxyRequest) {
	a := pr.In.Context().Value(attemptKey{}).(*attempt)
	pr.SetURL(&url.URL{Scheme: "http", Host: a.target.addr})
	pr.Out.Host = pr.In.Host
	if prior := pr.In.Header.Values("X-Forwarded-For"); len(prior) > 0 {
		pr.Out.Header["X-Forwarded-For"] = prior // ALB appends the client to an existing chain
	}
	pr.SetXForwarded()
	pr.Out.Header.Set("X-Forwarded-Port", l.port)
	if pr.Out.Body != nil && pr.Out.Body != http.NoBody {
		pr.Out.Body = activityBody{ReadCloser: pr.Out.Body, idle: a.idle}
	}
	a.sent = time.Now()
}

func (l *Listener) fromTarget(resp *http.Response) error {
	a := resp.Request.Context().Value(attemptKey{}).(*attempt)
	a.code, a.elapsed = resp.StatusCode, time.Since(a.sent)
	a.idle.touch()
	if resp.StatusCode != http.StatusSwitchingProtocols { // an upgraded body must stay a ReadWriteCloser
		resp.Body = activityBody{ReadCloser: resp.Body, idle: a.idle}
	}
	return nil
}

// proxyError answers as ALB does when the target fails: 504 when it sent nothing within the idle
// timeout, 502 when the connection failed or was closed (including at the end of draining), and
// nothing (logged as 460) when the client hung up first. A 502 because the connection to the target
// could not be established at all is also a target connection error (TargetConnectionErrorCount).
func (l *Listener) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	a := r.Context().Value(attemptKey{}).(*attempt)
	a.elb = true
	switch {
	case a.client.Err() != nil:
		a.code = statusClientClosed
		return
	case errors.Is(context.Cause(r.Context()), errIdleTimeout):
		a.code = http.StatusGatewayTimeout
	default:
		a.code, a.connErr = http.StatusBadGateway, dialFailed(err)
	}
	writeELBError(w, a.code)
}

// dialFailed reports whether the proxy failed because it could not connect to the target (refused,
// unreachable, the 10 s connect timeout), rather than on a connection that was open.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// writeELBError writes the bare HTML page ALB itself answers with.
func writeELBError(w http.ResponseWriter, code int) {
	text := http.StatusText(code)
	if code == http.StatusGatewayTimeout {
		text = "Gateway Time-out"
	}
	if code == http.StatusServiceUnavailable {
		text = "Service Temporarily Unavailable"
	}
	h := w.Header()
	h.Set("Server", "awselb/2.0")
	h.Set("Content-Type", "text/html")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n",
		code, text, code, text)
}
