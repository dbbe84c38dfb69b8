package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// goTestRun is one timed run of the README's test command.
type goTestRun struct {
	Name, Command string
	Wall          time.Duration
	Passed        bool
	// Failure is the end of the output of a run that failed.
	Failure string
}

// goTestTimes are the README's test command's wall times, cold and warm.
type goTestTimes struct {
	// FreshModules says whether the cold run started with an empty module cache (the module proxy
	// answered) or with this machine's (it did not, so no module could have been downloaded).
	FreshModules bool
	Proxy        string
	Runs         []goTestRun
}

// timeGoTest times `go test ./...` in root: cold (empty build cache, and an empty module cache
// when the module proxy is reachable), then warm with the tests run again (-count=1, what a
// developer's next run after a change costs), then warm with nothing changed (results cached).
func timeGoTest(ctx context.Context, root string) (*goTestTimes, error) {
	dir, err := os.MkdirTemp("", "bench-gotest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	t := &goTestTimes{Proxy: firstProxy(strings.TrimSpace(command(ctx, root, "go", "env", "GOPROXY")))}
	env := []string{"GOCACHE=" + dir + "/build"}
	if t.FreshModules = proxyAnswers(ctx, t.Proxy); t.FreshModules {
		// -modcacherw: a module cache of read-only files could not be removed afterwards.
		env = append(env, "GOMODCACHE="+dir+"/mod", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -modcacherw"))
	}
	for _, r := range []struct{ name, args string }{
		{"cold", "test ./..."}, {"warm, tests run again", "test -count=1 ./..."}, {"warm, nothing changed", "test ./..."},
	} {
		run := goTest(ctx, root, env, r.name, strings.Fields(r.args))
		t.Runs = append(t.Runs, run)
		if ctx.Err() != nil {
			return t, ctx.Err()
		}
	}
	return t, nil
}

// goTest runs one `go args…` in root with env added and times it.
func goTest(ctx context.Context, root string, env []string, name string, args []string) goTestRun {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = root, append(os.Environ(), env...)
	began := time.Now()
	out, err := cmd.CombinedOutput()
	r := goTestRun{Name: name, Command: "go " + strings.Join(args, " "), Wall: time.Since(began), Passed: err == nil}
	if err != nil {
		r.Failure = tail(string(out), 15)
	}
	return r
}

// firstProxy is the first entry of a GOPROXY list when it is a URL ("" for direct or off).
func firstProxy(goproxy string) string {
	first, _, _ := strings.Cut(strings.ReplaceAll(goproxy, "|", ","), ",")
	if !strings.HasPrefix(first, "http") {
		return ""
	}
	return first
}

// proxyAnswers says whether the module proxy answers a module list within 15 seconds.
func proxyAnswers(ctx context.Context, proxy string) bool {
	if proxy == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(proxy, "/")+"/github.com/stretchr/testify/@v/list", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (r goTestRun) verdict() string {
	if r.Passed {
		return "passed"
	}
	return fmt.Sprintf("failed: %s", lastLine(r.Failure))
}
