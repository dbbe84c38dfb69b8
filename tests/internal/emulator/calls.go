package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Call is one AWS API call the emulator answered, as Options.OnCall receives it: when it arrived
// on the AWS clock, who made it, what it asked and what it got. A benchmark counts a tool's calls
// from it, per phase of a release, and finds reads that learned nothing new.
type Call struct {
	// At is the AWS time the call arrived.
	At time.Time
	// Service is ecs, codedeploy, elbv2 or cloudwatch; Action the API operation.
	Service, Action string
	// Caller is the request's User-Agent. The Go SDK adds an application id to it
	// (AWS_SDK_UA_APP_ID, config.WithAppID) and botocore the AWS_EXECUTION_ENV, which tells
	// callers on one endpoint apart.
	Caller string
	// Error is the error code answered (ThrottlingException, InternalFailure, …), "" on success:
	// a throttled or faulted call is a call too.
	Error string
	// Input and Output are digests of the call's input (the request body, or the Query form) and
	// of its answer's members (empty for an error). Two reads with the same Input and Output asked
	// the same thing and learned nothing new.
	Input, Output string
}

// record hands an answered call to Options.OnCall, if any. out is the operation's output (nil
// for an error), err the error answered.
func (e *Emulator) record(r *http.Request, svc *service, action string, at time.Time, input []byte, out any, err error) {
	if e.onCall == nil {
		return
	}
	c := Call{At: at, Service: svc.name, Action: action, Caller: r.Header.Get("User-Agent"), Input: digest(input)}
	if err != nil {
		var ae *awsError
		if !errors.As(err, &ae) {
			ae = internalErr(svc.internalShape, err)
		}
		c.Error = ae.code()
	} else if b, merr := json.Marshal(out); merr == nil {
		// The members, not the payload: a Query answer carries a fresh RequestId every time.
		c.Output = digest(b)
	}
	e.onCall(c)
}

// digest is a short hex digest of b: enough to tell two calls' inputs or answers apart.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
