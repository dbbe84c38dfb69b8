package rehearsal

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAnAnswerCutOffMidBodyCountsAsFailed(t *testing.T) {
	t.Parallel()
	// A server that promises 100 bytes with a 200 and hangs up after 10: the user got no answer.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = c.Read(buf)
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nX-Model-Version: v2\r\n\r\n0123456789"))
			c.Close()
		}
	}()
	l := newLoad("http://"+ln.Addr().String(), 1, Streams{})
	s := l.send(0)
	if s.err == "" {
		t.Fatalf("a 200 whose body was cut off counted as a success: %+v", s)
	}
	if s.status != http.StatusOK {
		t.Errorf("status %d, want the 200 the server sent", s.status)
	}
}

func TestStreamsCountAsCompletedOnlyWithTheirDoneEvent(t *testing.T) {
	t.Parallel()
	// A server that streams two tokens, then ends with the done event only when asked for 0.2 s.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Model-Version", "v1")
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: token\ndata: {\"index\":0}\n\nevent: token\ndata: {\"index\":1}\n\n")
		if strings.Contains(string(body), `"stream_seconds":0.2`) {
			fmt.Fprint(w, "event: done\ndata: {\"prediction\":1}\n\n")
		}
	}))
	defer srv.Close()
	for seconds, completed := range map[float64]bool{0.2: true, 0.3: false} {
		l := newLoad(srv.URL, 1, Streams{Count: 1, Seconds: seconds})
		s := l.stream()
		assert.True(t, s.stream)
		assert.Equal(t, completed, s.err == "", "%g s: %+v", seconds, s)
		assert.Equal(t, "v1", s.version)
	}
}

func TestRunHoldsTheStreamsOpenAlongsideTheRequests(t *testing.T) {
	t.Parallel()
	var open, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path+readAll(r), "stream_seconds") {
			n := open.Add(1)
			defer open.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(100 * time.Millisecond)
			fmt.Fprint(w, "event: done\ndata: {}\n\n")
			return
		}
		fmt.Fprint(w, `{"prediction":1}`)
	}))
	defer srv.Close()
	l := newLoad(srv.URL, 50, Streams{Count: 3, Seconds: 0.1})
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	l.run(ctx)
	r := &Report{}
	r.addLoad(l.snapshot(), time.Since(l.start))
	assert.Equal(t, int32(3), most.Load(), "three streams open at once")
	assert.Positive(t, r.Requests)
	assert.GreaterOrEqual(t, r.Streams.Started, 6, "each stream is followed by another")
	assert.Equal(t, r.Streams.Started, r.Streams.Completed)
}

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// The load keeps its rate when the machine cannot wake it for every tick: what a dropped tick
// did not send, the next one does.
func TestRequestsDueFollowTheRateNotTheTicks(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 0, requestsDue(0, 150))
	assert.Equal(t, 1, requestsDue(7*time.Millisecond, 150))
	assert.Equal(t, 150, requestsDue(time.Second, 150), "a whole second late: the whole second's requests")
	assert.Equal(t, 375, requestsDue(2500*time.Millisecond, 150))
}
