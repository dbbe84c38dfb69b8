package dataplane

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// minProbeTimeout is the shortest real timeout any health probe gets. A scaled timeout (2 s at scale
// 60 is 33 ms) is shorter than a scheduling hiccup on a loaded 2-core CI machine (seen: a green target
// flapping while `go test ./...` ran every package at once with a 100 ms floor); timing out there
// would be emulator noise, not model behaviour. Half a second is still far below any real health
// check timeout (2 s minimum), so a model that is genuinely slow to answer still times out.
const minProbeTimeout = 500 * time.Millisecond

// healthURL finds the URL a container health command fetches (curl, wget, python urllib ...).
var healthURL = regexp.MustCompile(`(?i)\bhttps?://(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(/[^\s'"|;&)]*)?`)

// containerProbe is what the emulator does instead of running a health command in the container.
type containerProbe struct {
	url       string // empty when the command fetches nothing
	requireOK bool   // HTTP >= 400 fails (curl -f, wget, urllib); plain curl succeeds on any response
	constant  string // HEALTHY or UNHEALTHY for commands that fetch nothing ("exit 0"), else UNKNOWN
}

// parseHealthCommand turns an ECS health check command into a probe against the task itself. The URL's
// host is the container's own loopback, so it is rewritten to the task's address, and the container
// port to the port the task really listens on. Commands the emulator cannot interpret leave the
// health status UNKNOWN, which is what ECS reports while it has no verdict.
func parseHealthCommand(cmd []string, ip string, containerPort, actualPort int) containerProbe {
	text := strings.TrimSpace(strings.Join(cmd, " "))
	for _, prefix := range []string{"CMD-SHELL", "CMD"} {
		if strings.HasPrefix(text, prefix) {
			text = strings.TrimLeft(strings.TrimPrefix(text, prefix), " ,")
			break
		}
	}
	m := healthURL.FindStringSubmatch(text)
	if m == nil {
		switch text {
		case "exit 0", "true", "/bin/true":
			return containerProbe{constant: HealthStatusHealthy}
		case "exit 1", "false", "/bin/false":
			return containerProbe{constant: HealthStatusUnhealthy}
		}
		return containerProbe{constant: HealthStatusUnknown}
	}
	port := 80
	if strings.HasPrefix(strings.ToLower(m[0]), "https") {
		port = 443
	}
	if m[2] != "" {
		port, _ = strconv.Atoi(m[2])
	}
	if port == containerPort {
		port = actualPort
	}
	path := m[3]
	if path == "" {
		path = "/"
	}
	requireOK := true
	if strings.Contains(text, "curl") && !curlFails(text) {
		requireOK = false // without -f, curl exits 0 on any HTTP response, 500 included
	}
	return containerProbe{url: "http://" + net.JoinHostPort(ip, strconv.Itoa(port)) + path, requireOK: requireOK}
}

// curlFails reports whether a curl command line has -f/--fail (alone or in combined short flags).
func curlFails(text string) bool {
	for _, f := range strings.Fields(text) {
		if strings.HasPrefix(f, "--fail") {
			return true
		}
		if strings.HasPrefix(f, "-") && !strings.HasPrefix(f, "--") && strings.ContainsRune(f, 'f') {
			return true
		}
	}
	return false
}

// runContainerHealthCheck follows Docker/ECS semantics: the first check runs one interval after start;
// a success makes the container HEALTHY; Retries consecutive failures make it UNHEALTHY; failures in
// the start period do not count until the first success.
func (t *Task) runContainerHealthCheck(hc ContainerHealthCheck) {
	interval, timeout := seconds(hc.IntervalSeconds, 30), seconds(hc.TimeoutSeconds, 5)
	retries := hc.Retries
	if retries <= 0 {
		retries = 3
	}
	probe := parseHealthCommand(hc.Command, t.ip, t.spec.ContainerPort, t.port)
	startPeriodEnd := t.State().StartedAt.Add(t.scale.D(float64(hc.StartPeriodSeconds)))
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		Timeout:       max(t.scale.D(timeout), minProbeTimeout),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var failures int
	var started bool
	ticker := time.NewTicker(t.scale.D(interval))
	defer ticker.Stop()
	for {
		select {
		case <-t.ctx.Done():
			return
		case <-ticker.C:
		}
		ok := probe.constant == HealthStatusHealthy
		if probe.url != "" {
			ok = fetchOK(t.ctx, client, probe)
		} else if probe.constant == HealthStatusUnknown {
			continue
		}
		switch {
		case ok:
			failures, started = 0, true
			t.setHealth(HealthStatusHealthy)
		case !started && time.Now().Before(startPeriodEnd):
			// Docker ignores failures during the start period so slow starters are not killed.
		default:
			failures++
			if failures >= retries {
				t.setHealth(HealthStatusUnhealthy)
			}
		}
	}
}

func fetchOK(ctx context.Context, client *http.Client, p containerProbe) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return !p.requireOK || resp.StatusCode < 400
}

// seconds returns v, or def when v is unset (zero or negative).
func seconds(v, def int) float64 {
	if v <= 0 {
		return float64(def)
	}
	return float64(v)
}
