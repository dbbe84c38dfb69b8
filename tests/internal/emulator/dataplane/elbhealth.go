package dataplane

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// withDefaults fills unset health check fields with ALB's defaults.
func (hc HealthCheck) withDefaults() HealthCheck {
	if hc.Path == "" {
		hc.Path = "/"
	}
	if hc.IntervalSeconds <= 0 {
		hc.IntervalSeconds = 30
	}
	if hc.TimeoutSeconds <= 0 {
		hc.TimeoutSeconds = 5
	}
	if hc.HealthyThreshold <= 0 {
		hc.HealthyThreshold = 5
	}
	if hc.UnhealthyThreshold <= 0 {
		hc.UnhealthyThreshold = 2
	}
	if strings.TrimSpace(hc.Matcher) == "" {
		hc.Matcher = "200"
	}
	return hc
}

// matchCode reports whether code satisfies an ALB success-code matcher: "200", "200,202" or
// "200-299" (lists and ranges may be combined).
func matchCode(matcher string, code int) bool {
	for part := range strings.SplitSeq(matcher, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		l, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			continue
		}
		h := l
		if isRange {
			if h, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				continue
			}
		}
		if code >= l && code <= h {
			return true
		}
	}
	return false
}

// probeResult is the outcome of one ALB health check.
type probeResult struct {
	ok           bool
	reason, desc string
}

// checkOnce sends one health check the way ALB does (GET path, "ELB-HealthChecker/2.0", no redirects)
// and classifies a failure with ALB's reason codes.
//
// Unlike the limits on requests (idle timeout, deregistration cut-off, stop timeout), the probe
// timeout stays scaled: ALB requires it to be shorter than the interval, which is scaled, and an
// unscaled 5 s timeout would stretch a 250 ms interval (15 s at 60x) twenty-fold. The probe only
// fetches a health endpoint; minProbeTimeout keeps it from timing out on scheduling noise.
func (g *TargetGroup) checkOnce(ctx context.Context, addr string, hc HealthCheck) probeResult {
	ctx, cancel := context.WithTimeout(ctx, max(g.scale.D(float64(hc.TimeoutSeconds)), minProbeTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+hc.Path, nil)
	if err != nil {
		return probeResult{reason: ReasonFailedHealthChecks}
	}
	req.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	resp, err := g.probe.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return probeResult{reason: ReasonTimeout}
		}
		return probeResult{reason: ReasonFailedHealthChecks}
	}
	resp.Body.Close()
	if !matchCode(hc.Matcher, resp.StatusCode) {
		return probeResult{reason: ReasonResponseCodeMismatch,
			desc: fmt.Sprintf("Health checks failed with these codes: [%d]", resp.StatusCode)}
	}
	return probeResult{ok: true}
}

// runHealthChecks checks one target every interval (start to start) until ctx ends. The target stays
// initial/Elb.RegistrationInProgress for the group's registration time; then the first check goes out
// and while it is outstanding the target is initial/Elb.InitialHealthChecking.
func (g *TargetGroup) runHealthChecks(ctx context.Context, t *target, gen int) {
	g.mu.Lock()
	registering := g.scale.D(float64(g.cfg.RegistrationSeconds))
	g.mu.Unlock()
	if registering > 0 {
		timer := time.NewTimer(registering)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
	for {
		g.mu.Lock()
		hc := g.cfg.HealthCheck
		if t.gen == gen && t.reason == ReasonRegistrationInProgress {
			g.setState(t, TargetStateInitial, ReasonInitialHealthChecking, "")
		}
		g.mu.Unlock()
		began := time.Now()
		res := g.checkOnce(ctx, t.addr, hc)
		if ctx.Err() != nil {
			return
		}
		g.applyCheck(t, gen, hc, res)
		timer := time.NewTimer(g.scale.D(float64(hc.IntervalSeconds)) - time.Since(began))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// applyCheck moves a target between states by ALB's rules: HealthyThreshold consecutive successes make
// an initial or unhealthy target healthy; UnhealthyThreshold consecutive failures make an initial or
// healthy target unhealthy. An unhealthy target's reason follows its latest failure.
func (g *TargetGroup) applyCheck(t *target, gen int, hc HealthCheck, res probeResult) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.gen != gen {
		return // deregistered, unused or restarted while this check was out
	}
	now := time.Now()
	if res.ok {
		t.failStreak = 0
		t.okStreak++
		if t.state != TargetStateHealthy && t.okStreak >= hc.HealthyThreshold {
			g.enterSlowStart(t, now)
			g.setState(t, TargetStateHealthy, "", "")
		}
	} else {
		t.okStreak = 0
		t.failStreak++
		if t.state == TargetStateUnhealthy || t.failStreak >= hc.UnhealthyThreshold {
			g.setState(t, TargetStateUnhealthy, res.reason, res.desc)
		}
	}
	g.recordHostsLocked()
}
