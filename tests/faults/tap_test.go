package faults

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
)

// call is one AWS API call a deployer made through the tap.
type call struct {
	client          string // the tap endpoint it came through: one per deployer process
	service, action string
	status          int
	target          *ecsTarget // what GetDeploymentTarget answered, when it did
}

// write says whether the call changes anything: every action but the reads.
func (c call) write() bool {
	for _, p := range []string{"Describe", "Get", "List", "BatchGet"} {
		if strings.HasPrefix(c.action, p) {
			return false
		}
	}
	return true
}

// ecsTarget is the part of GetDeploymentTarget's answer a phase is read from.
type ecsTarget struct {
	Status          string `json:"status"`
	LifecycleEvents []struct {
		Name   string `json:"lifecycleEventName"`
		Status string `json:"status"`
	} `json:"lifecycleEvents"`
	TaskSetsInfo []struct {
		Label  string  `json:"taskSetLabel"`
		Weight float64 `json:"trafficWeight"`
	} `json:"taskSetsInfo"`
}

func (t *ecsTarget) event(name string) string {
	for _, ev := range t.LifecycleEvents {
		if ev.Name == name {
			return ev.Status
		}
	}
	return ""
}

func (t *ecsTarget) greenWeight() float64 {
	for _, ts := range t.TaskSetsInfo {
		if strings.EqualFold(ts.Label, "Green") {
			return ts.Weight
		}
	}
	return 0
}

// tap is an http.Handler in front of the emulator that records every API call the deployers make,
// tells observers of each, and holds calls: once a client has been answered what a trap waits for
// (trap.seen), its next call waits until the test lets it go. A deployer is then provably inside
// that phase, doing what it does there, when the test signals it.
type tap struct {
	emu http.Handler

	mu        sync.Mutex
	calls     []call
	traps     []*trap
	observers []func(call)
	servers   []*httptest.Server
	held      []*heldCall // calls held, so that close can let them go
}

// trap holds the first call a client makes after seen matched one of its calls.
type trap struct {
	client string
	seen   func(call) bool
	armed  bool
	held   chan *heldCall
}

// heldCall is a request the tap holds: the test sends true to forward it to the emulator, false to
// drop it as a request that never reached AWS.
type heldCall struct {
	call
	release chan bool
}

func newTap(emu http.Handler) *tap { return &tap{emu: emu} }

// endpoint returns a new AWS endpoint URL through the tap, for one client.
func (t *tap) endpoint(client string) string {
	srv := httptest.NewServer(t.handler(client))
	t.mu.Lock()
	t.servers = append(t.servers, srv)
	t.mu.Unlock()
	return srv.URL
}

// close lets every held call go (dropped, if the test did not release it) and closes the endpoints.
func (t *tap) close() {
	t.mu.Lock()
	servers, held := t.servers, t.held
	t.mu.Unlock()
	for _, h := range held {
		select {
		case h.release <- false:
		default:
		}
	}
	for _, s := range servers {
		s.CloseClientConnections()
		s.Close()
	}
}

// hold arms a trap on client's calls and returns the channel the held call arrives on.
func (t *tap) hold(client string, seen func(call) bool) <-chan *heldCall {
	held := make(chan *heldCall, 1)
	t.mu.Lock()
	t.traps = append(t.traps, &trap{client: client, seen: seen, held: held})
	t.mu.Unlock()
	return held
}

// when returns a channel closed once client has been answered a call that matches seen.
func (t *tap) when(client string, seen func(call) bool) <-chan struct{} {
	done := make(chan struct{})
	var once sync.Once
	t.observe(func(c call) {
		if c.client == client && seen(c) {
			once.Do(func() { close(done) })
		}
	})
	return done
}

// observe calls f with every call once it is answered.
func (t *tap) observe(f func(call)) {
	t.mu.Lock()
	t.observers = append(t.observers, f)
	t.mu.Unlock()
}

// writes counts the calls that change anything.
func (t *tap) writes() (n int, actions []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.calls {
		if c.write() {
			n++
			actions = append(actions, c.action)
		}
	}
	return n, actions
}

func (t *tap) handler(client string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c := call{client: client}
		c.service, c.action = identify(r, body)
		if h := t.trapped(c); h != nil {
			if !<-h.release {
				panic(http.ErrAbortHandler) // never reached AWS: the connection just drops
			}
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		t.emu.ServeHTTP(rec, r)
		c.status = rec.status
		if c.action == "GetDeploymentTarget" && c.status == http.StatusOK {
			var out struct {
				DeploymentTarget struct {
					EcsTarget *ecsTarget `json:"ecsTarget"`
				} `json:"deploymentTarget"`
			}
			if json.Unmarshal(rec.body.Bytes(), &out) == nil {
				c.target = out.DeploymentTarget.EcsTarget
			}
		}
		t.answered(c)
	})
}

// trapped holds c when a trap is armed for its client, handing it to the test.
func (t *tap) trapped(c call) *heldCall {
	t.mu.Lock()
	var tr *trap
	for i, x := range t.traps {
		if x.armed && x.client == c.client {
			tr = x
			t.traps = append(t.traps[:i:i], t.traps[i+1:]...)
			break
		}
	}
	if tr == nil {
		t.mu.Unlock()
		return nil
	}
	h := &heldCall{call: c, release: make(chan bool, 1)}
	t.held = append(t.held, h)
	t.mu.Unlock()
	tr.held <- h
	return h
}

// answered records c, arms the traps waiting to see it, and tells the observers.
func (t *tap) answered(c call) {
	t.mu.Lock()
	t.calls = append(t.calls, c)
	for _, tr := range t.traps {
		if tr.client == c.client && !tr.armed && tr.seen(c) {
			tr.armed = true
		}
	}
	observers := append([]func(call){}, t.observers...)
	t.mu.Unlock()
	for _, f := range observers {
		f(c)
	}
}

// identify names an AWS request's service and action in any of the protocols the deployer speaks:
// X-Amz-Target (JSON), the rpcv2-CBOR path, or the Query form's Action.
func identify(r *http.Request, body []byte) (service, action string) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		service, action, _ = strings.Cut(target, ".")
		return service, action
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/service/"); ok {
		service, action, _ = strings.Cut(rest, "/operation/")
		return service, action
	}
	form, _ := url.ParseQuery(string(body))
	return form.Get("Version"), form.Get("Action")
}

// recorder keeps the status and a copy of the body the emulator answered.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}
