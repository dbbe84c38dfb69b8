package bench

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// Callers, told apart by the application id each puts in its User-Agent (AWS_SDK_UA_APP_ID, which
// the Go SDK and botocore both honour).
const (
	CallerDeployer  = "bench-deployer"   // the deployer, in-process
	CallerAWSDeploy = "bench-aws-deploy" // aws ecs register-task-definition, aws deploy create-deployment, aws deploy wait
	CallerECSDeploy = "bench-ecs-deploy" // aws ecs deploy
	CallerOperator  = "bench-operator"   // the person who continues at Ready
	CallerObserver  = "bench-observer"   // the benchmark's own reads
)

// CallLog collects the emulator's API calls (emulator.Options.OnCall); safe for concurrent use.
type CallLog struct {
	mu    sync.Mutex
	calls []emulator.Call
}

// Add records a call.
func (l *CallLog) Add(c emulator.Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// Calls returns the calls so far in AWS-time order.
func (l *CallLog) Calls() []emulator.Call {
	l.mu.Lock()
	out := append([]emulator.Call(nil), l.calls...)
	l.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// callerOf returns the application id of a User-Agent ("… app/<id> …"), or "" when it has none.
func callerOf(userAgent string) string {
	for _, f := range strings.Fields(userAgent) {
		if id, ok := strings.CutPrefix(f, "app/"); ok {
			return id
		}
	}
	return ""
}

// callsBy returns the calls of one caller made in [from, to] (a zero to: no end).
func callsBy(calls []emulator.Call, caller string, from, to time.Time) []emulator.Call {
	var out []emulator.Call
	for _, c := range calls {
		if callerOf(c.Caller) == caller && !c.At.Before(from) && (to.IsZero() || !c.At.After(to)) {
			out = append(out, c)
		}
	}
	return out
}

// sortCalls orders calls by AWS time.
func sortCalls(calls []emulator.Call) []emulator.Call {
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].At.Before(calls[j].At) })
	return calls
}
