package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// bin is this command, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deployerproc-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "deployerproc")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic(fmt.Sprintf("build deployerproc: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestWithoutAClockAnchorItRefusesToRun(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(bin, "status")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 2, exit.ExitCode())
	assert.Contains(t, string(out), awsclock.AnchorEnv)
}

// The signal handling is deployer/cmd/deployer's: a SIGINT cancels the deployer's context (here while
// AWS has not answered its first read, so nothing was created: exit 4), and the process says so on
// the notify descriptor before it exits.
func TestASIGINTCancelsTheDeployerAndIsReported(t *testing.T) {
	t.Parallel()
	reached := make(chan struct{}, 1)
	aws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case reached <- struct{}{}:
		default:
		}
		// AWS never answers. Reading the body first lets the server see the client hang up.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer aws.Close()
	outputs := filepath.Join(t.TempDir(), "outputs.json")
	data, err := json.Marshal(map[string]any{"region": "us-east-1", "clusterName": "ml", "serviceName": "web",
		"containerName": "model", "containerPort": 8080, "codeDeployApplication": "web", "codeDeployDeploymentGroup": "web",
		"prodListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef",
		"testListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/fedcba9876543210",
		"loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef",
		"prodUrl":         "http://127.0.0.1:1", "testUrl": "http://127.0.0.1:2"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(outputs, data, 0o600))

	cmd := exec.Command(bin, "deploy", "--stack-outputs", outputs, "--endpoint-url", aws.URL, "--image", "repo/model:v2", "--output", "json")
	cmd.Env = append(os.Environ(), awsclock.AnchorEnv+"="+awsclock.New(60).Anchor().String(), NotifyFDEnv+"=3",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	notifyR, notifyW, err := os.Pipe()
	require.NoError(t, err)
	cmd.ExtraFiles = []*os.File{notifyW}
	require.NoError(t, cmd.Start())
	notifyW.Close()
	select {
	case <-reached:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the deployer never called AWS:\n%s", stderr.String())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	line, err := bufio.NewReader(notifyR).ReadString('\n')
	require.NoError(t, err)
	assert.Contains(t, line, "interrupt")
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, stderr.String())
	assert.Equal(t, 4, exit.ExitCode(), stderr.String())
	assert.True(t, strings.Contains(stdout.String(), `"outcome": "interrupted"`), stdout.String())
}
