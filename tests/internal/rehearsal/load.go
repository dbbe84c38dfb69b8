package rehearsal

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator/dataplane"
)

// sample is one production request as a user would see it.
type sample struct {
	at      time.Duration // since the load started, when the answer came back
	latency time.Duration
	status  int    // 0 when the request failed before an HTTP answer
	version string // X-Model-Version of the answer
	err     string // transport error or unexpected status
	stream  bool   // a streamed answer (see Streams); err is set when it did not complete
}

// Streams are long streamed answers the load holds open alongside its requests: Count of them at all
// times, each asking the model server for an event stream of Seconds (real seconds), a new one
// starting as soon as one ends.
type Streams struct {
	Count   int
	Seconds float64
}

// load sends requests to url at a fixed rate (open loop: a slow answer does not slow the sender, as
// real users don't wait for each other), holds its streams open, and records every answer.
type load struct {
	url     string
	rate    int
	streams Streams
	client  *http.Client
	start   time.Time

	mu      sync.Mutex
	samples []sample
	wg      sync.WaitGroup
}

// newLoad returns a load that starts counting time now: the offsets of its samples and of the
// releases (since) share that origin, set before any goroutine reads it.
func newLoad(url string, rate int, streams Streams) *load {
	return &load{url: url, rate: rate, streams: streams, start: time.Now(), client: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
	}}
}

// run sends until ctx ends, then waits for the requests and streams still in flight.
func (l *load) run(ctx context.Context) {
	for range l.streams.Count {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				l.record(l.stream())
			}
		})
	}
	tick := time.NewTicker(time.Second / time.Duration(l.rate))
	defer tick.Stop()
	began, sent := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			l.wg.Wait()
			l.client.CloseIdleConnections()
			return
		case now := <-tick.C:
			// A ticker drops the ticks a busy machine could not take in time: send every request due
			// since the load began, so that the rate holds on average (users do not wait for the
			// machine either).
			for due := requestsDue(now.Sub(began), l.rate); sent < due; sent++ {
				l.wg.Add(1)
				go func(i int) {
					defer l.wg.Done()
					l.record(l.send(i))
				}(sent)
			}
		}
	}
}

// requestsDue is how many requests an open loop at rate per second has sent after elapsed.
func requestsDue(elapsed time.Duration, rate int) int {
	return int(elapsed.Seconds() * float64(rate))
}

// send posts one prediction request; requests are not tied to ctx, so that stopping the load lets
// the last ones finish instead of counting them as failures.
func (l *load) send(i int) sample {
	body := fmt.Sprintf(`{"features":[%d,%d,%d]}`, i%7, i%11, i%13)
	return l.post(l.client, body, func(r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
}

// stream asks for one streamed answer and follows it to its end: it completed only if the model
// server's done event arrived.
func (l *load) stream() sample {
	body := fmt.Sprintf(`{"features":[1,2,3],"stream_seconds":%g}`, l.streams.Seconds)
	client := &http.Client{Transport: l.client.Transport,
		Timeout: time.Duration(l.streams.Seconds*float64(time.Second)) + l.client.Timeout}
	s := l.post(client, body, readStream)
	s.stream = true
	return s
}

// readStream reads a server-sent event stream and fails unless it ends with the done event.
func readStream(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == "event: "+dataplane.StreamDoneEvent {
			_, err := io.Copy(io.Discard, r)
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// post sends one request and reads its answer with read; the sample says what the user got.
func (l *load) post(client *http.Client, body string, read func(io.Reader) error) sample {
	began := time.Now()
	s := sample{}
	resp, err := client.Post(l.url+"/predict", "application/json", bytes.NewBufferString(body))
	if err != nil {
		s.err = err.Error()
	} else {
		readErr := read(resp.Body)
		resp.Body.Close()
		s.status = resp.StatusCode
		s.version = resp.Header.Get("X-Model-Version")
		switch {
		case resp.StatusCode != http.StatusOK:
			s.err = fmt.Sprintf("HTTP %d", resp.StatusCode)
		case readErr != nil:
			// A 200 whose body was cut off (target killed, connection dropped) gave the user no answer.
			s.err = fmt.Sprintf("HTTP 200, body cut off: %v", readErr)
		}
	}
	s.latency = time.Since(began)
	s.at = time.Since(l.start)
	return s
}

func (l *load) record(s sample) {
	l.mu.Lock()
	l.samples = append(l.samples, s)
	l.mu.Unlock()
}

// snapshot returns the samples so far, in answer order.
func (l *load) snapshot() []sample {
	l.mu.Lock()
	out := append([]sample(nil), l.samples...)
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// since converts a wall-clock time to an offset from the start of the load.
func (l *load) since(t time.Time) time.Duration { return t.Sub(l.start) }

// percentile is the nearest-rank percentile of the latencies, in milliseconds.
func percentile(samples []sample, p float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	lat := make([]time.Duration, len(samples))
	for i, s := range samples {
		lat[i] = s.latency
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rank := int(math.Ceil(p/100*float64(len(lat)))) - 1
	rank = max(0, min(rank, len(lat)-1))
	return float64(lat[rank].Microseconds()) / 1000
}
