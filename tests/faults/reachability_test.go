package faults

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cutter is a TCP proxy in front of the test listener that the test can cut off from the runner: it
// refuses (the port closed) or blackholes (connections accepted, nothing ever answered, as a
// security group that drops the runner's packets looks from the runner).
type cutter struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	mode      string // "", "refuse" or "blackhole"
	runner    []net.Conn
	upstream  []net.Conn
	closeOnce sync.Once
}

func newCutter(t *testing.T, target, mode string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c := &cutter{ln: ln, target: target, mode: mode}
	if mode == "refuse" {
		ln.Close()
	} else {
		go c.serve()
	}
	t.Cleanup(c.close)
	return c
}

// url is the test URL through the proxy.
func (c *cutter) url() string { return "http://" + c.ln.Addr().String() }

func (c *cutter) serve() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		c.runner = append(c.runner, conn)
		forward := c.mode == ""
		c.mu.Unlock()
		if forward {
			go c.forward(conn)
		}
	}
}

// forward copies both ways until either side closes. Once blackholed, the runner's side stays
// open and silent.
func (c *cutter) forward(conn net.Conn) {
	up, err := net.Dial("tcp", c.target)
	if err != nil {
		conn.Close()
		return
	}
	c.mu.Lock()
	c.upstream = append(c.upstream, up)
	c.mu.Unlock()
	go func() { _, _ = io.Copy(up, conn); up.Close() }()
	_, _ = io.Copy(conn, up)
	c.mu.Lock()
	blackholed := c.mode == "blackhole"
	c.mu.Unlock()
	if !blackholed {
		conn.Close()
	}
}

// cut cuts the runner off: "refuse" closes the port and every connection; "blackhole" keeps
// accepting but forwards nothing, and leaves open connections hanging.
func (c *cutter) cut(mode string) {
	c.mu.Lock()
	c.mode = mode
	runner, upstream := c.runner, c.upstream
	c.mu.Unlock()
	for _, conn := range upstream {
		conn.Close()
	}
	if mode == "refuse" {
		c.ln.Close()
		for _, conn := range runner {
			conn.Close()
		}
	}
}

func (c *cutter) close() {
	c.closeOnce.Do(func() {
		c.ln.Close()
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, conn := range append(c.runner, c.upstream...) {
			conn.Close()
		}
	})
}

// withTestURL writes the stack outputs with testUrl replaced and returns args reading them.
func (w *world) withTestURL(args []string, testURL string) []string {
	w.t.Helper()
	data, err := os.ReadFile(w.s.OutputsFile())
	require.NoError(w.t, err)
	var outputs map[string]any
	require.NoError(w.t, json.Unmarshal(data, &outputs))
	outputs["testUrl"] = testURL
	data, err = json.Marshal(outputs)
	require.NoError(w.t, err)
	file := filepath.Join(w.t.TempDir(), "outputs.json")
	require.NoError(w.t, os.WriteFile(file, data, 0o600))
	out := append([]string(nil), args...)
	for i := range out[:len(out)-1] {
		if out[i] == "--stack-outputs" {
			out[i+1] = file
		}
	}
	return out
}

// testListenerAddr is the test listener's host:port from the stack outputs.
func (w *world) testListenerAddr() string {
	u, _ := w.s.Stack.Outputs["testUrl"].(string)
	return strings.TrimPrefix(strings.TrimSuffix(u, "/"), "http://")
}

// The runner cannot reach the test listener: the deployer refuses before it writes anything (exit
// 2, not one mutating API call), or, cut off once the release has begun, gate 1 fails closed and
// the release is rolled back. Gate 1 never passes on a green it could not probe.
func TestATestListenerTheRunnerCannotReach(t *testing.T) {
	matrix(t)
	for _, c := range []struct {
		name, mode string
		midway     bool
	}{
		{"refusing from the start is refused before any write", "refuse", false},
		{"blackholed from the start is refused before any write", "blackhole", false},
		{"refusing once the release has begun fails gate ready closed", "refuse", true},
		{"blackholed once the release has begun fails gate ready closed", "blackhole", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldOptions{})
			mode := c.mode
			if c.midway {
				mode = ""
			}
			proxy := newCutter(t, w.testListenerAddr(), mode)
			rel := release("v2", "a good model the runner cannot probe")
			created := w.tap.when("deploy", answered("CreateDeployment"))
			p := w.startArgs("deploy", w.withTestURL(w.s.Args(w.endpoint("deploy"), rel), proxy.url()))
			if c.midway {
				waitFor(t, created, p, "creating the deployment")
				proxy.cut(c.mode)
			}
			run := w.record(rel, p.wait())
			if !c.midway {
				assert.Equal(t, 2, run.ExitCode, run.Result.Message)
				assert.Equal(t, "bad_input", string(run.Result.Outcome), run.Result.Message)
				assert.Contains(t, run.Result.Message, "testUrl")
				writes, actions := w.tap.writes()
				assert.Zero(t, writes, "mutating API calls before the refusal: %v", actions)
				w.finish(outcome{version: "v1"})
				return
			}
			assert.Equal(t, 1, run.ExitCode, run.Result.Message)
			assert.Equal(t, "rolled_back", string(run.Result.Outcome), run.Result.Message)
			require.NotEmpty(t, run.Result.Gates)
			assert.Equal(t, "ready", run.Result.Gates[0].Name)
			assert.Equal(t, "fail", run.Result.Gates[0].Verdict, "gate ready never passes on a green it could not probe")
			w.finish(outcome{version: "v1", deployments: 1, rollbacks: 1})
		})
	}
}
