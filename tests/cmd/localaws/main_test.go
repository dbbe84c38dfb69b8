package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe to write from run while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// What a user sees: the outputs file appears only once the stack serves (its prod URL answers
// predictions), one ready line that is itself the export line to paste, and on SIGINT (a cancelled
// context) localaws stops: exit 0, its endpoint closed and the outputs of the gone stack removed.
func TestLocalawsWritesItsOutputsOnceServingAndStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("provisions the dev stack")
	}
	outputs := filepath.Join(t.TempDir(), "outputs.json")
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-stack", "../../../Pulumi.dev.yaml", "-outputs", outputs,
			"-faults", "5xx=0.05"}, os.Stdout, &stderr)
	}()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if _, err := os.Stat(outputs); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "no outputs file; stderr:\n%s", stderr.String())
		select {
		case code := <-done:
			t.Fatalf("localaws exited %d before it was ready:\n%s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	data, err := os.ReadFile(outputs)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out), "the outputs file is whole when it appears")
	prod, _ := out["prodUrl"].(string)
	resp, err := http.Post(prod+"/predict", "application/json", strings.NewReader(`{"features":[1,2]}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the stack serves once its outputs are written")

	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	require.Len(t, lines, 1, "one line when ready")
	ready := regexp.MustCompile(`^export AWS_ENDPOINT_URL=http://(127\.0\.0\.1:\d+) AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 ` +
		`AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local # localaws ready: stack .*Pulumi.dev.yaml, timescale 60x, faults 5xx=0.05 \(seed \d+\), prod http://`)
	m := ready.FindStringSubmatch(lines[0])
	require.NotNil(t, m, lines[0])

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(time.Minute):
		t.Fatal("localaws did not stop")
	}
	_, err = net.DialTimeout("tcp", m[1], time.Second)
	assert.Error(t, err, "the endpoint is closed")
	_, err = os.Stat(outputs)
	assert.True(t, os.IsNotExist(err), "the outputs of the stopped stack are removed")
	assert.Contains(t, stderr.String(), "localaws: stopped")
}

func TestLocalawsRefusesBadFlagsWithExitTwo(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-faults", "throttle=2"}, `localaws: -faults: fault "throttle=2": fraction "2" is not a number from 0 to 1`},
		{[]string{"-faults", "ecs:Nope:throttle=0.1"}, `ecs serves no action "Nope"`},
		{[]string{"-timescale", "0"}, "-timescale 0: must be greater than 0"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), c.args, os.Stdout, &stderr), c.args)
		assert.Contains(t, stderr.String(), c.want, c.args)
	}
}
