package rehearsal

import (
	"net"
	"net/http"
	"testing"
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
	l := newLoad("http://"+ln.Addr().String(), 1)
	s := l.send(0)
	if s.err == "" {
		t.Fatalf("a 200 whose body was cut off counted as a success: %+v", s)
	}
	if s.status != http.StatusOK {
		t.Errorf("status %d, want the 200 the server sent", s.status)
	}
}
