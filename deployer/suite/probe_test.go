package suite

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite/suitetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modelServer answers like the contract's simulated model server.
var modelServer = suitetest.ModelServer

func testProber(vars map[string]string) *Prober {
	return NewProber(http.DefaultClient, 5*time.Second, vars, nil)
}

func TestAProberSendsTheSuitesHeadersAndRedactsItsSecrets(t *testing.T) {
	t.Parallel()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Header.Get("Authorization") + " for " + r.URL.Path))
	}))
	t.Cleanup(echo.Close)
	s, err := Parse([]byte("version: 1\nheaders: {Authorization: 'Bearer ${env:API_TOKEN}'}\nchecks: [{request: {path: /}}]\n"))
	require.NoError(t, err)
	require.NoError(t, s.ResolveEnv(func(k string) (string, bool) { return "s3cret", k == "API_TOKEN" }))
	p := NewProber(http.DefaultClient, 5*time.Second, map[string]string{"IMAGE_TAG": "v2"}, s)

	res := p.Send(context.Background(), echo.URL, Request{Path: "/models/${IMAGE_TAG}"})
	require.NoError(t, res.Err)
	assert.Equal(t, "200 Bearer s3cret for /models/v2", res.Summary(), "the secret is sent, variables expanded")
	assert.Equal(t, "200 Bearer [redacted env:API_TOKEN] for /models/v2", p.Redact(res.Summary()))
}

func TestASuitesTimeoutWinsOverTheRequestTimeout(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 5*time.Second, NewProber(http.DefaultClient, 5*time.Second, nil, nil).timeout)
	assert.Equal(t, 2*time.Second, NewProber(http.DefaultClient, 5*time.Second, nil, &Suite{Timeout: Duration(2 * time.Second)}).timeout)
}

func TestAResponseSaysHowLongItTookAndWhetherItFailed(t *testing.T) {
	t.Parallel()
	srv := modelServer(t, "v2", 0, false)
	p := testProber(nil)
	ok := p.Send(context.Background(), srv.URL, Request{Path: "/health/live"})
	notReady := p.Send(context.Background(), srv.URL, Request{Path: "/health/ready"})
	missing := p.Send(context.Background(), srv.URL, Request{Path: "/nope"})
	refused := p.Send(context.Background(), "http://127.0.0.1:1", Request{Path: "/"})

	assert.Positive(t, ok.Took)
	assert.Positive(t, refused.Took, "a failed request took time too")
	assert.False(t, ok.Failed())
	assert.True(t, notReady.Failed(), "503")
	assert.False(t, missing.Failed(), "a 404 is an answer")
	assert.True(t, refused.Failed())
	assert.Equal(t, 5*time.Second, p.Timeout())
}
