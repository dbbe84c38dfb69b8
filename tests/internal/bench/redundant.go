package bench

import (
	"sort"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// sameStep is the longest gap (AWS time) between two reads that can only be one step of a tool:
// the deployer never sleeps less than its --poll-interval (1 s) between polls, so two calls less
// than a second apart have no poll between them.
const sameStep = time.Second

// readStats are one operation's reads by one caller: how many, how many answered what the
// caller's previous identical read had (a poll that found nothing new: the price of polling), and
// how many repeated, within the same step and with no write between, a read whose answer they got
// again (redundant: the caller already knew).
type readStats struct {
	Op                     string
	Calls, Unchanged, Redo int
	// Between is the most frequent sequence of operations between a redundant read and the read
	// it repeats, and Phases the release phases the redundant reads happened in: where to look.
	Between string
	Phases  []string
}

// readAnalysis counts one caller's reads per operation (calls in AWS-time order); phases name
// where each redundant read happened. Operations with no redundant read come last.
func readAnalysis(calls []emulator.Call, phases []phase) []readStats {
	stats := map[string]*readStats{}
	between := map[string]map[string]int{}
	last := map[string]int{} // operation+input → index of the caller's last successful identical read
	for i, c := range calls {
		op := c.Service + ":" + c.Action
		if isWrite(c.Action) {
			last = map[string]int{} // a write may change any answer: what follows is no repeat
			continue
		}
		s := stats[op]
		if s == nil {
			s, between[op] = &readStats{Op: op}, map[string]int{}
			stats[op] = s
		}
		s.Calls++
		if c.Error != "" {
			continue
		}
		key := op + "\x00" + c.Input
		if j, ok := last[key]; ok && calls[j].Output == c.Output {
			s.Unchanged++
			if c.At.Sub(calls[j].At) < sameStep {
				s.Redo++
				between[op][opsBetween(calls[j+1:i])]++
				s.Phases = appendOnce(s.Phases, phaseAt(phases, c.At))
			}
		}
		last[key] = i
	}
	return sortedStats(stats, between)
}

// opsBetween names the operations of calls, in order.
func opsBetween(calls []emulator.Call) string {
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.Action
	}
	if len(names) == 0 {
		return "(nothing)"
	}
	return strings.Join(names, ", ")
}

// phaseAt names the phase t is in ("" when none).
func phaseAt(phases []phase, t time.Time) string {
	for _, p := range phases {
		if !p.From.IsZero() && !t.Before(p.From) && t.Before(p.To) {
			return p.Name
		}
	}
	return ""
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// sortedStats orders operations by redundant reads, then calls, and picks each one's most
// frequent sequence between a redundant read and its original.
func sortedStats(stats map[string]*readStats, between map[string]map[string]int) []readStats {
	out := make([]readStats, 0, len(stats))
	for op, s := range stats {
		best := 0
		for seq, n := range between[op] {
			if n > best || (n == best && seq < s.Between) {
				s.Between, best = seq, n
			}
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Redo != out[j].Redo {
			return out[i].Redo > out[j].Redo
		}
		if out[i].Calls != out[j].Calls {
			return out[i].Calls > out[j].Calls
		}
		return out[i].Op < out[j].Op
	})
	return out
}
