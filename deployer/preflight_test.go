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

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssessGroup(t *testing.T) {
	t.Parallel()
	waits := GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour, TerminationWait: 30 * time.Minute}
	continues := GroupSettings{ReadyAction: "CONTINUE_DEPLOYMENT", TerminationWait: 30 * time.Minute}
	cases := []struct {
		name     string
		opts     func(*Options)
		group    GroupSettings
		wantErr  string // the refusal, an *InputError
		wantWarn string
	}{
		{"a group that waits in Ready with room for the soak is fine", nil, waits, "", ""},
		{"a group that does not wait in Ready is refused, naming its ready option and the fixes", nil, continues,
			"deploymentReadyOption CONTINUE_DEPLOYMENT (ready wait 0): production traffic would move to green without gate 1; set deployment.readyWaitMinutes in the stack", ""},
		{"the refusal names the explicit way to release without gate 1", nil, continues, "or pass --allow-ungated-traffic", ""},
		{"--allow-ungated-traffic releases without gate 1 and says so", func(o *Options) { o.AllowUngatedTraffic = true }, continues, "",
			"--allow-ungated-traffic: production traffic moves to green without gate 1"},
		{"--hold-at-ready needs a group that waits in Ready, even with --allow-ungated-traffic", func(o *Options) { o.HoldAtReady, o.AllowUngatedTraffic = true, true }, continues,
			"--hold-at-ready cannot hold production traffic", ""},
		{"a termination wait no longer than the soak plus the margin is refused", func(o *Options) { o.Soak = 28 * time.Minute }, waits,
			"--soak 28m0s needs the group's termination wait (deployment.terminationWaitMinutes, 30m0s) to exceed the soak by more than 2m0s", ""},
		{"a zero termination wait is refused when soaking", nil, GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour},
			"deployment.terminationWaitMinutes, 0s", ""},
		{"--soak 0 needs no termination wait", func(o *Options) { o.Soak = 0 }, GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour}, "", ""},
		{"holding at Ready does not soak in this run, so the termination wait is not checked", func(o *Options) { o.HoldAtReady = true },
			GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: time.Hour}, "", ""},
		{"a gate timeout that reaches the ready wait is clamped, with a warning", func(o *Options) { o.GateTimeout = 10 * time.Minute },
			GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 10 * time.Minute, TerminationWait: 30 * time.Minute}, "",
			"--gate-timeout 10m0s reaches the group's ready wait (deployment.readyWaitMinutes, 10m0s): gate 1 is cut at 9m0s"},
		{"the default gate timeout ends before a 10-minute ready wait without a warning", nil,
			GroupSettings{ReadyAction: "STOP_DEPLOYMENT", ReadyWait: 10 * time.Minute, TerminationWait: 30 * time.Minute}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := DefaultOptions() // soak 5m, gate timeout 0 (derived)
			if tc.opts != nil {
				tc.opts(&o)
			}
			warnings, err := assessGroup(o, "web-dg", tc.group)
			if tc.wantErr != "" {
				var in *InputError
				require.ErrorAs(t, err, &in)
				assert.Contains(t, err.Error(), tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			if tc.wantWarn != "" {
				assert.Contains(t, strings.Join(warnings, "\n"), tc.wantWarn)
			} else if tc.wantErr == "" {
				assert.Empty(t, warnings)
			}
		})
	}
}

func TestDeployRefusesAGroupThatDoesNotWaitInReadyBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption = &cdtypes.DeploymentReadyOption{ActionOnTimeout: cdtypes.DeploymentReadyActionContinueDeployment}
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepShifting, stepTermWait, stepSucceeded)
	res := w.deployer(t, false).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeBadInput, res.Outcome)
	assert.Equal(t, ExitBadInput, res.ExitCode)
	assert.Contains(t, res.Message, "deployment group web-dg: deploymentReadyOption CONTINUE_DEPLOYMENT")
	assert.Zero(t, w.writes(), "nothing registered, created or continued")
}

func TestDeployRefusesATerminationWaitTooShortForTheSoakBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	for _, minutes := range []int32{0, 3} {
		w := newWorld(t)
		w.group.BlueGreenDeploymentConfiguration.TerminateBlueInstancesOnDeploymentSuccess.TerminationWaitTimeInMinutes = minutes
		w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, stepReady, stepShifting, stepSucceeded)
		res := w.deployer(t, true).Deploy(context.Background(), deployV2()) // --soak 2m

		assert.Equal(t, ExitBadInput, res.ExitCode, "termination wait %d min", minutes)
		assert.Contains(t, res.Message, "--soak 2m0s needs the group's termination wait (deployment.terminationWaitMinutes")
		assert.Zero(t, w.writes())
	}
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
