package deployer

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lookupEnv is the process environment, which the SDK reads too.
var lookupEnv = os.LookupEnv

// countingClient counts the HTTP attempts the SDK makes.
type countingClient struct {
	attempts atomic.Int32
	client   *http.Client
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.attempts.Add(1)
	return c.client.Do(r)
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// realAWSRun runs the CLI with the real SDK clients, their HTTP attempts
// counted, and the process environment.
func realAWSRun(t *testing.T, args ...string) (code int, stderr string, attempts int) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	counter := &countingClient{client: &http.Client{}}
	var out, errOut bytes.Buffer
	r := runner{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: lookupEnv, newClients: func(ctx context.Context, s awsSettings) (Clients, error) {
		s.httpClient = counter
		return newAWSClients(ctx, s)
	}}
	code = r.run(context.Background(), args)
	return code, errOut.String(), int(counter.attempts.Load())
}

func TestAClosedEndpointIsReportedOnTheFirstAttemptNamingItAndWhereItCameFrom(t *testing.T) {
	endpoint := closedPort(t)
	outputs := writeJSON(t, stackOutputsJSON(t))
	for _, tc := range []struct {
		name, env, flag, source string
	}{
		{"--endpoint-url", "", endpoint, "(from --endpoint-url)"},
		{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL", "", "(from AWS_ENDPOINT_URL)"},
		{"AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_ECS", "", "(from AWS_ENDPOINT_URL_ECS)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"deploy", "--stack-outputs", outputs, "--image", newImage}
			if tc.flag != "" {
				args = append(args, "--endpoint-url", tc.flag)
			} else {
				t.Setenv("AWS_ENDPOINT_URL", endpoint) // every service to the closed port, none to AWS
				t.Setenv(tc.env, endpoint)
			}
			code, stderr, attempts := realAWSRun(t, args...)
			assert.Equal(t, ExitBadInput, code, stderr)
			assert.Contains(t, stderr, "deployer deploy: cannot reach the AWS ECS endpoint "+endpoint+" "+tc.source+": ")
			assert.Contains(t, stderr, "connection refused; nothing was written\n")
			assert.LessOrEqual(t, attempts, 4, "one attempt per service, not the retryer's %d", newRetryer(nil).MaxAttempts())
			assert.Positive(t, attempts)
		})
	}
}

func TestMissingCredentialsAreReportedBeforeAnyCall(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	counter := &countingClient{client: &http.Client{}}
	_, err := newAWSClients(context.Background(), awsSettings{region: "us-east-1", endpointURL: closedPort(t), getenv: lookupEnv, httpClient: counter})
	var ie *InputError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, err.Error(), "no AWS credentials: ")
	assert.Contains(t, ie.Hint, "AWS_ACCESS_KEY_ID")
	assert.Zero(t, counter.attempts.Load())
}

func TestAnEndpointThatAnswersWithAnErrorIsReachable(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable) // retryable: the probe still makes one attempt
	}))
	t.Cleanup(srv.Close)
	_, err := newAWSClients(context.Background(), awsSettings{region: "us-east-1", endpointURL: srv.URL, getenv: lookupEnv, target: testTarget()})
	require.NoError(t, err, "an AWS error is an answer: later calls retry it")
	assert.Equal(t, int32(4), calls.Load(), "one attempt per service")
}

func TestUnreachableIsOnlyNoAnswerAtAll(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	assert.True(t, unreachable(refused))
	assert.True(t, unreachable(&net.DNSError{Err: "no such host", Name: "x.invalid"}))
	assert.False(t, unreachable(&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset")}))
	assert.False(t, unreachable(errors.New("ThrottlingException")))
	assert.False(t, unreachable(nil))
}

func TestEndpointSourceFollowsTheSDKsPrecedence(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	p := endpointProbe{service: "CloudWatch", envSuffix: "CLOUDWATCH"}
	both := env(map[string]string{"AWS_ENDPOINT_URL": "a", "AWS_ENDPOINT_URL_CLOUDWATCH": "b"})
	for _, tc := range []struct {
		s    awsSettings
		cfg  aws.Config
		want string
	}{
		{awsSettings{endpointURL: "x", getenv: both}, aws.Config{}, "--endpoint-url"},
		{awsSettings{getenv: both}, aws.Config{}, "AWS_ENDPOINT_URL_CLOUDWATCH"},
		{awsSettings{getenv: env(map[string]string{"AWS_ENDPOINT_URL": "a"})}, aws.Config{}, "AWS_ENDPOINT_URL"},
		{awsSettings{getenv: env(nil)}, aws.Config{BaseEndpoint: aws.String("c")}, "endpoint_url in the AWS shared config profile"},
		{awsSettings{getenv: env(nil)}, aws.Config{Region: "eu-west-1"}, "the default regional endpoint for eu-west-1"},
	} {
		got, hint := endpointSource(p, tc.cfg, tc.s)
		assert.Equal(t, tc.want, got)
		assert.NotEmpty(t, hint)
	}
}
