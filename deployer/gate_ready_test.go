package deployer

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployRollsBackWhenGreenNeverBecomesReady(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	res := w.deployer(t, false).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Empty(t, w.continues, "production traffic never moves to a green that is not ready")
	assert.Equal(t, []string{"d-NEW"}, w.stops)
	assert.Equal(t, 1, w.called("codedeploy:StopDeployment rollback=true"))
	assert.Equal(t, &RollbackInfo{DeploymentID: "d-RB", Status: S}, res.Rollback)
	assert.Contains(t, res.Message, "readiness probe GET /health/ready via the test listener: not 3 in a row within gate 1's time (until the group's ready wait 1h0m0s less 1m0s); last: 503")
	assert.Equal(t, "fail", res.Gates[0].Verdict)
}

func TestGateOneNoticesWhenTheReadyWaitRunsOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ready := stepReady
	ready.waitFor = ""
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, ready, ready, ready,
		step{status: "Stopped", errInfo: &cdtypes.ErrorInformation{Code: "TIMEOUT", Message: aws.String("ready wait timed out")},
			rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}})
	w.addScript("d-RB", step{status: S})
	res := w.deployer(t, false).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, "incomplete", res.Gates[0].Verdict)
	assert.Empty(t, w.stops, "CodeDeploy already stopped it")
	assert.Contains(t, res.Message, "TIMEOUT: ready wait timed out")
}

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

func TestAssessGateDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name        string
		timeout     time.Duration
		readyEnd    time.Time
		readyWait   time.Duration
		want        time.Time
		wantClamped bool
	}{
		{"a gate timeout well inside the ready wait is kept", 10 * time.Minute, now.Add(time.Hour), time.Hour, now.Add(10 * time.Minute), false},
		{"a gate timeout past the ready wait ends a minute before it", 10 * time.Minute, now.Add(5 * time.Minute), 5 * time.Minute, now.Add(4 * time.Minute), true},
		{"an attached run counts from the ready wait's end, not its length", 10 * time.Minute, now.Add(3 * time.Minute), time.Hour, now.Add(2 * time.Minute), true},
		{"a short ready wait keeps a fifth of it as the margin", 10 * time.Minute, now.Add(2 * time.Minute), 2 * time.Minute, now.Add(96 * time.Second), true},
		{"without a ready wait end the gate timeout is kept", 10 * time.Minute, time.Time{}, 0, now.Add(10 * time.Minute), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, clamped := assessGateDeadline(now, tc.timeout, tc.readyEnd, tc.readyWait)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.wantClamped, clamped)
		})
	}
}

func TestGateOneEndsWithItsOwnReasonBeforeTheReadyWaitRunsOut(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption.WaitTimeInMinutes = 5
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, readySince(w.clock.Now()), stepShifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	res := w.deployer(t, false, func(o *Options) { o.GateTimeout = 10 * time.Minute }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, []string{"d-NEW"}, w.stops, "the deployer stops it, not CodeDeploy's ready wait")
	assert.Contains(t, res.Message, "not 3 in a row within gate 1's time (--gate-timeout 10m0s, cut at the group's ready wait less 1m0s)")
	assert.Less(t, res.Gates[0].End.Sub(res.StartedAt), 5*time.Minute)
}

func TestTheDefaultGateTimeoutRunsGateOneUntilShortlyBeforeTheReadyWaitEndsWithoutAWarning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.group.BlueGreenDeploymentConfiguration.DeploymentReadyOption.WaitTimeInMinutes = 10 // the dev stack
	w.addScript("d-NEW", stepCreated, stepInstalling, stepTestTraffic, readySince(w.clock.Now()), stepShifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	log, logs := newLog(t)
	res := w.deployer(t, false, func(o *Options) { o.Logger = log }).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "not 3 in a row within gate 1's time (until the group's ready wait 10m0s less 1m0s)")
	assert.Equal(t, 9*time.Minute, res.Budget.Gate1)
	assert.NotContains(t, logs.String(), "is cut", "nothing was cut that anyone asked for")
	assert.GreaterOrEqual(t, res.Gates[0].End.Sub(res.StartedAt), 8*time.Minute)
	assert.Less(t, res.Gates[0].End.Sub(res.StartedAt), 10*time.Minute)
}

func TestTheExampleSuitePassesAgainstTheModelServer(t *testing.T) {
	t.Parallel()
	s, err := suite.Load(filepath.Join("suite", "testdata", "suite-model-server.yaml"))
	require.NoError(t, err)
	blue, green := modelServer(t, "v1", 0, true), modelServer(t, "v2", 0, true)
	d := New(Clients{}, Target{ProdURL: blue.URL, TestURL: green.URL}, withSuite(DefaultOptions(), s))
	g := &GateResult{}
	require.NoError(t, d.runSuite(context.Background(), g, d.prober(&release{vars: map[string]string{"IMAGE_TAG": "v2"}})))
	assert.Contains(t, g.Evidence, "warm-up: 20 requests to green, 0 errors")
	assert.Contains(t, g.Evidence, "blue-vs-green: 6/6 agree (100.0%, need 100.0%)")
}

func TestTheExampleSuiteFailsAWrongModel(t *testing.T) {
	t.Parallel()
	s, err := suite.Load(filepath.Join("suite", "testdata", "suite-model-server.yaml"))
	require.NoError(t, err)
	s.Checks = nil
	blue, green := modelServer(t, "v1", 0, true), modelServer(t, "v2", 0.25, true)
	d := New(Clients{}, Target{ProdURL: blue.URL, TestURL: green.URL}, withSuite(DefaultOptions(), s))
	g := &GateResult{}
	err = d.runSuite(context.Background(), g, d.prober(&release{vars: map[string]string{"IMAGE_TAG": "v2"}}))
	var ge *GateError
	require.ErrorAs(t, err, &ge)
	assert.Contains(t, ge.Reason, "0/6 agree")
	require.NotEmpty(t, g.Disagreements)
	assert.Equal(t, "small input: prediction: blue 1, green 1.25 (tolerance 1e-06) (×3)", g.Disagreements[0], "repeated disagreements are counted, not repeated")
}

func withSuite(o Options, s *suite.Suite) Options {
	o.Suite = s
	return o
}

const token = "s3cret-T0KEN-value"

// echoServer is green answering with the Authorization header it got, and 401
// without it.
func echoServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"auth": r.Header.Get("Authorization")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestASuiteSendsEnvSecretsInHeadersAndRedactsThemEverywhere(t *testing.T) {
	t.Parallel()
	s, err := suite.Parse([]byte(`version: 1
headers:
  Authorization: Bearer ${env:API_TOKEN}
checks:
  - name: authorized
    request: {path: /ready}
    expect: {status: 200}
  - name: echoes the caller
    request: {path: /who}
    expect: {json: {auth: nobody}}
`))
	require.NoError(t, err)
	require.NoError(t, s.ResolveEnv(func(k string) (string, bool) { return map[string]string{"API_TOKEN": token}[k], k == "API_TOKEN" }))

	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	log, logs := newLog(t)
	o := w.options(log)
	o.Suite = s
	tgt := testTarget()
	tgt.ProdURL, tgt.TestURL = modelServer(t, "v1", 0, true).URL, echoServer(t).URL
	o.ReadyPath = "/ready"
	res := New(w.clients(), tgt, o).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome, "the authorized check passed, the echo check failed: %s", res.Message)
	assert.Contains(t, res.Message, `check "echoes the caller": auth = "Bearer [redacted env:API_TOKEN]", want "nobody"`)
	var out bytes.Buffer
	require.NoError(t, res.writeJSON(&out))
	res.writeMarkdown(&out)
	res.writeText(&out)
	assert.NotContains(t, out.String(), token, "result and summary")
	assert.NotContains(t, logs.String(), token, "log")
}

func TestAssessStreak(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 1, assessStreak(0, true), "a pass starts a streak")
	assert.Equal(t, 3, assessStreak(2, true), "a pass extends it")
	assert.Equal(t, 0, assessStreak(2, false), "a failure ends it")
}
