package deployer

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGateOneFailsWhenTheTestListenerDoesNotForwardToGreen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	testTraffic := stepTestTraffic
	testTraffic.enter = nil // the test listener stays on blue: the probe would check blue
	w.addScript("d-NEW", stepCreated, stepInstalling, testTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Empty(t, w.continues, "production never moves on a probe of blue")
	assert.Contains(t, res.Message, "gate ready failed: the test listener forwards web-blue=100 web-green=0, not to green web-green, 3 checks in a row")
}

func TestAssessListenerPorts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		prodURL, testURL string
		wantErr, warn    string
	}{
		{"URLs on their listeners' ports are fine", "http://web:80", "http://web:8443", "", ""},
		{"a scheme's default port counts", "http://web", "http://web:8443", "", ""},
		{"a test URL on the production listener's port is refused: gate 1 would probe blue", "http://web:80", "http://web:80", "reaches port 80, the production listener's", ""},
		{"a production URL on the test listener's port is refused: blue-vs-green would compare green with itself", "http://web:8443", "http://web:8443", "reaches port 8443, the test listener's", ""},
		{"another port is only a warning: a proxy or port mapping may sit in front", "http://127.0.0.1:41234", "http://127.0.0.1:41235", "", "test URL port 41235 is not the test listener's port 8443"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			warnings, err := assessListenerPorts(tc.prodURL, tc.testURL, 80, 8443)
			if tc.wantErr != "" {
				var in *InputError
				require.ErrorAs(t, err, &in)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.warn == "" {
				assert.Empty(t, warnings)
			} else {
				assert.Contains(t, strings.Join(warnings, "\n"), tc.warn)
			}
		})
	}
}

func TestDeployRefusesATestURLThatReachesTheProductionListenerBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	d := w.deployer(t, true)
	d.t.TestURL = "http://127.0.0.1:80"
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, ExitBadInput, res.ExitCode)
	assert.Contains(t, res.Message, "--test-url (stack output testUrl): http://127.0.0.1:80 reaches port 80, the production listener's: gate 1 would probe blue")
	assert.Zero(t, w.writes())
}

// closedURL is a loopback URL nothing listens on: connections are refused.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

func TestDeployRefusesATestURLThatDoesNotAnswerFromThisRunnerBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	d := w.deployer(t, true)
	d.t.TestURL = closedURL(t)
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, ExitBadInput, res.ExitCode)
	assert.Equal(t, OutcomeBadInput, res.Outcome)
	assert.Contains(t, res.Message, "--test-url (stack output testUrl): "+d.t.TestURL+" did not answer from this runner")
	assert.Contains(t, res.Message, "loadBalancer.testCidrs")
	assert.Contains(t, res.Message, "natPublicIps")
	assert.Zero(t, w.writes())
}

func TestDeployRefusesATestURLThatNeverAnswersWithinAShortTimeout(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers: like packets a security group drops
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	d := w.deployer(t, true, func(o *Options) { o.RequestTimeout = 200 * time.Millisecond })
	d.t.TestURL = "http://" + l.Addr().String()
	started := time.Now()
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, ExitBadInput, res.ExitCode)
	assert.Contains(t, res.Message, "loadBalancer.testCidrs")
	assert.Less(t, time.Since(started), 5*time.Second, "one quick request")
	assert.Zero(t, w.writes())
}

func TestDeployAcceptsAnHTTPErrorStatusOnTheTestListener(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	log, logs := newLog(t)
	res := w.deployer(t, true, func(o *Options) { o.Logger = log }).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Contains(t, logs.String(), "answers (HTTP 404 on GET /)", "the model server answers 404 on /: an answer is all the check needs")
}

func TestPlanReportsATestURLThatDoesNotAnswerAndExitsTwo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.deployer(t, true)
	d.t.TestURL = closedURL(t)
	res := d.Plan(context.Background(), deployV2())

	assert.Equal(t, ExitBadInput, res.ExitCode)
	require.NotNil(t, res.Plan)
	assert.Contains(t, res.Plan.TestURL, "unreachable: "+d.t.TestURL+" did not answer from this runner")
	assert.Contains(t, res.Plan.Refusal, "loadBalancer.testCidrs")
	assert.Zero(t, w.writes())
}

func TestAssessTestURLReach(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"a refused connection points at the test listener's allowed sources", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "loadBalancer.testCidrs"},
		{"a connection that times out points at the test listener's allowed sources", &url.Error{Op: "Get", URL: "http://x", Err: context.DeadlineExceeded}, "natPublicIps"},
		{"an unknown host points at the URL", &net.DNSError{Err: "no such host", Name: "web"}, "host not found"},
		{"any other transport error is still no answer", errors.New("tls: handshake failure"), "gave no HTTP answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := assessTestURLReach("http://web:8443", tc.err)
			var in *InputError
			require.ErrorAs(t, err, &in)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
