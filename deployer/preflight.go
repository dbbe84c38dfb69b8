package deployer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// checkBeforeWriting refuses, before anything is written, a group that cannot gate
// the release (assessGroup), a URL on the other listener's port
// (checkListenerPorts) and a testUrl this runner cannot reach (reachTestURL); it
// logs the warnings.
func (d *Deployer) checkBeforeWriting(ctx context.Context, g GroupSettings, ls listeners) error {
	warnings, err := assessGroup(d.o, d.t.DeploymentGroup, g)
	if err != nil {
		return err
	}
	portWarnings, err := d.checkListenerPorts(ls)
	if err != nil {
		return err
	}
	for _, w := range append(warnings, portWarnings...) {
		d.log.Warn(w)
	}
	if g.gatesBeforeTraffic() {
		reached, err := d.reachTestURL(ctx)
		if err != nil {
			return err
		}
		d.log.Info("test listener reachable", "detail", reached)
	}
	return nil
}

// assessGroup decides, before anything is written, whether the deployment group
// can gate a release with these options (as given: a 0 limit is derived). The
// refusal is an *InputError (exit 2):
// the stack's deployment settings and the flags disagree. The warnings say what
// the release will do differently from what the flags ask.
func assessGroup(o Options, group string, g GroupSettings) ([]string, error) {
	var warnings []string
	field := "deployment group " + group
	if !g.gatesBeforeTraffic() {
		if o.HoldAtReady {
			return nil, inputErrorf("--hold-at-ready", "%s does not wait in Ready (deploymentReadyOption %s): --hold-at-ready cannot hold production traffic; set deployment.readyWaitMinutes in the stack (STOP_DEPLOYMENT with a wait time) and run pulumi up",
				field, g.ReadyAction)
		}
		if !o.AllowUngatedTraffic {
			return nil, inputErrorf(field, "deploymentReadyOption %s (ready wait 0): production traffic would move to green without gate 1; "+
				"set deployment.readyWaitMinutes in the stack (> 0: CodeDeploy then waits in Ready for the deployer) and run pulumi up, "+
				"or pass --allow-ungated-traffic to release without gate 1", g.ReadyAction)
		}
		warnings = append(warnings, fmt.Sprintf("--allow-ungated-traffic: production traffic moves to green without gate 1 (%s does not wait in Ready); only fail-fast and gate 2 apply", field))
	} else if o.GateTimeout > 0 && g.ReadyWait > 0 && o.GateTimeout > g.ReadyWait-readyMargin(g.ReadyWait) { // an explicit --gate-timeout only: the derived one ends there
		warnings = append(warnings, fmt.Sprintf("--gate-timeout %s reaches the group's ready wait (deployment.readyWaitMinutes, %s): gate 1 is cut at %s, so that it fails with its own reason and rolls back before CodeDeploy stops the deployment",
			o.GateTimeout, g.ReadyWait, g.ReadyWait-readyMargin(g.ReadyWait)))
	}
	if o.Soak > 0 && !o.HoldAtReady && g.TerminationWait <= o.Soak+soakMargin {
		return nil, inputErrorf("--soak", "--soak %s needs the group's termination wait (deployment.terminationWaitMinutes, %s) to exceed the soak by more than %s, "+
			"else CodeDeploy terminates blue before gate 2 can judge green; raise deployment.terminationWaitMinutes in the stack to at least %d, shorten --soak, or pass --soak 0 to skip gate 2",
			o.Soak, g.TerminationWait, soakMargin, int((o.Soak+soakMargin)/time.Minute)+1)
	}
	return warnings, nil
}

// checkListenerPorts checks the URLs reach the listeners (assessListenerPorts),
// returning the warnings for the caller to log or report.
func (d *Deployer) checkListenerPorts(ls listeners) ([]string, error) {
	return assessListenerPorts(d.t.ProdURL, d.t.TestURL, aws.ToInt32(ls.prod.Port), aws.ToInt32(ls.test.Port))
}

// assessListenerPorts checks that the URLs the gates send requests to reach the
// listeners they are meant to: gate 1 probes green through testUrl and compares it
// with blue through prodUrl. A URL whose port is the OTHER listener's port (same
// ALB, same DNS name) almost certainly reaches that listener, which silently turns
// gate 1 into a check of blue, or the comparison into green against itself: that is
// refused (exit 2). Any other mismatch is only a warning: a proxy, a port mapping
// or a local emulator may legitimately sit between the URL and the listener.
func assessListenerPorts(prodURL, testURL string, prodPort, testPort int32) ([]string, error) {
	var warnings []string
	for _, c := range []struct {
		what, field, url  string
		own, other        int32
		ownName, otherWhy string
	}{
		{"test", "--test-url (stack output testUrl)", testURL, testPort, prodPort, "test", "the production listener's: gate 1 would probe blue instead of green"},
		{"production", "--prod-url (stack output prodUrl)", prodURL, prodPort, testPort, "production", "the test listener's: the blue-vs-green comparison would compare green with itself"},
	} {
		port, ok := urlPort(c.url)
		switch {
		case !ok || c.own == 0 || port == int(c.own):
		case port == int(c.other):
			return nil, inputErrorf(c.field, "%s reaches port %d, %s; point it at the %s listener (port %d) or fix the listener ARNs",
				c.url, port, c.otherWhy, c.ownName, c.own)
		default:
			warnings = append(warnings, fmt.Sprintf("%s URL port %d is not the %s listener's port %d: fine behind a proxy or port mapping, else gate 1 is not checking what it should",
				c.what, port, c.ownName, c.own))
		}
	}
	return warnings, nil
}

// urlPort is a URL's port, explicit or the scheme's default.
func urlPort(raw string) (int, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		return n, err == nil
	}
	switch u.Scheme {
	case "http":
		return 80, true
	case "https":
		return 443, true
	}
	return 0, false
}

// reachTimeout bounds the one request that checks testUrl answers before anything
// is written: a security group that drops the runner's packets shows as a
// connection that never opens, and waiting longer would not change that.
const reachTimeout = 5 * time.Second

// reachTestURL sends one GET to testUrl (+ --ready-path) before anything is
// written, while the test listener still forwards to blue: gate 1 probes green
// through it, so a runner that cannot reach it would create a deployment only to
// fail gate 1 and roll back. Any HTTP answer will do (blue may answer 404 on the
// probe path); what it answered is returned for the log and plan. No answer is an
// *InputError (assessTestURLReach).
func (d *Deployer) reachTestURL(ctx context.Context) (string, error) {
	path := d.o.ReadyPath
	if path == "" {
		path = "/"
	}
	rctx, cancel := context.WithTimeout(ctx, min(reachTimeout, d.o.RequestTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, d.t.TestURL+path, nil)
	if err != nil {
		return "", inputErrorf("--test-url (stack output testUrl)", "%s: %v", d.t.TestURL, err)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err() // an interrupt, not the URL's fault
		}
		return "", assessTestURLReach(d.t.TestURL, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, suite.MaxBody))
	_ = resp.Body.Close()
	return fmt.Sprintf("%s answers (HTTP %d on GET %s)", d.t.TestURL, resp.StatusCode, path), nil
}

// assessTestURLReach turns a request to testUrl that got no HTTP answer into the
// refusal (exit 2): a timeout or a refused or reset connection most likely means
// the test listener does not admit the runner's address (its security group allows
// only loadBalancer.testCidrs; GitHub-hosted runners have no fixed egress range);
// an unknown host means a wrong URL.
func assessTestURLReach(testURL string, err error) error {
	const field = "--test-url (stack output testUrl)"
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return inputErrorf(field, "%s: host not found (%v): check the URL and the DNS name of the load balancer", testURL, dnsErr)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return inputErrorf(field, "%s did not answer from this runner (%v): gate 1 probes green through it, so nothing was created. "+
			"The test listener admits only the sources in the stack's loadBalancer.testCidrs (by default the NAT gateways' addresses, stack output natPublicIps); "+
			"GitHub-hosted runners have no fixed egress range: run the deploy step on a runner whose egress address is listed (e.g. self-hosted behind the NAT), "+
			"or add the runner's address to loadBalancer.testCidrs and run pulumi up", testURL, err)
	}
	return inputErrorf(field, "%s gave no HTTP answer (%v): gate 1 probes green through it, so nothing was created", testURL, err)
}
