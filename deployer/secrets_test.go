package deployer

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const token = "s3cret-T0KEN-value"

func TestPlanShowsWhichEnvironmentVariablesChangeButNotTheirValues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	req := deployV2()
	req.Env = []EnvVar{{"API_KEY", token}, {"LOG_LEVEL", "debug-" + token}}
	res := w.deployer(t, true).Plan(context.Background(), req)
	require.Equal(t, OutcomeOK, res.Outcome, res.Message)

	diff := strings.Join(res.Plan.TaskDefinitionDiff, "\n")
	assert.Contains(t, diff, "+ containerDefinitions[model].environment[API_KEY].value: (set, value redacted)")
	assert.Contains(t, diff, "~ containerDefinitions[model].environment[LOG_LEVEL].value: (changed, values redacted)")
	assert.Contains(t, diff, `~ containerDefinitions[model].image: "repo/model-server:v1" → "repo/model-server:v2"`, "the rest of the diff is shown")
	var out bytes.Buffer
	require.NoError(t, res.writeJSON(&out))
	res.writeText(&out)
	assert.NotContains(t, out.String(), token)
	assert.NotContains(t, out.String(), `"info"`, "the live value is not shown either")
}

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
	suite, err := parseSuite([]byte(`version: 1
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
	require.NoError(t, suite.resolveEnv(func(k string) (string, bool) { return map[string]string{"API_TOKEN": token}[k], k == "API_TOKEN" }))

	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	log, logs := newLog(t)
	o := w.options(log)
	o.Suite = suite
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

func TestSuiteEnvReferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"an env reference in a header is allowed", "version: 1\nheaders: {Authorization: 'Bearer ${env:API_TOKEN}'}\nchecks: [{request: {path: /}}]", ""},
		{"an env reference in a request header is allowed", "version: 1\nchecks: [{request: {path: /, headers: {X-Key: '${env:API_TOKEN}'}}}]", ""},
		{"an env reference in a path is refused", "version: 1\nchecks: [{request: {path: '/${env:API_TOKEN}'}}]", "${env:API_TOKEN} may appear only in headers"},
		{"an env reference in an expectation is refused", "version: 1\nchecks: [{request: {path: /}, expect: {json: {v: '${env:API_TOKEN}'}}}]", "only in headers"},
		{"a malformed env name is refused", "version: 1\nheaders: {A: '${env:1X}'}\nchecks: [{request: {path: /}}]", "${env:1X}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseSuite([]byte(tc.yaml))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestASuiteNamingAnUnsetVariableIsBadInput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte("version: 1\nheaders: {Authorization: 'Bearer ${env:API_TOKEN}'}\nchecks: [{request: {path: /}}]\n"), 0o644))
	code, _, stderr := cliRun(t, nil, nil, "", "deploy", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--image", newImage, "--validation-suite", path)

	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "--validation-suite: "+path+": ${env:API_TOKEN}: API_TOKEN is not set")
}
