package dataplane

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// streamInterval is how often a streaming answer sends a token, like a model generating text.
const streamInterval = 100 * time.Millisecond

// StreamDoneEvent is the server-sent event that ends a complete stream; a stream without it was cut.
const StreamDoneEvent = "done"

// streamLength is how long a predict streams: the request's stream_seconds, else its ?stream=
// parameter, else SIM_STREAM_SECONDS (real seconds; 0 answers at once).
func (m *modelServer) streamLength(r *http.Request, in predictRequest) time.Duration {
	secs := m.cfg.stream.Seconds()
	if q := r.URL.Query().Get("stream"); q != "" {
		if f, err := strconv.ParseFloat(q, 64); err == nil {
			secs = f
		}
	}
	if in.StreamSeconds != nil {
		secs = *in.StreamSeconds
	}
	return time.Duration(max(secs, 0) * float64(time.Second))
}

// streamAnswer answers as server-sent events for length: a token event every streamInterval, then a
// done event carrying the answer. It stops early when the connection goes: the client hung up, the
// load balancer cut it (end of the deregistration delay) or the process was killed.
func streamAnswer(w http.ResponseWriter, r *http.Request, length time.Duration, answer map[string]any) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flush := func() bool { return http.NewResponseController(w).Flush() == nil }
	if !flush() {
		return
	}
	tick := time.NewTicker(streamInterval)
	defer tick.Stop()
	end := time.NewTimer(length)
	defer end.Stop()
	for i := 0; ; i++ {
		select {
		case <-r.Context().Done():
			return
		case <-end.C:
			data, _ := json.Marshal(answer)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", StreamDoneEvent, data)
			flush()
			return
		case <-tick.C:
			if _, err := fmt.Fprintf(w, "event: token\ndata: {\"index\":%d}\n\n", i); err != nil || !flush() {
				return
			}
		}
	}
}
