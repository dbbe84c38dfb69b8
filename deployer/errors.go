package deployer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// AWSError is a failed AWS call: what we were doing, AWS's error code and message,
// and a hint saying what it means for a release.
type AWSError struct {
	Op      string
	Code    string
	Message string
	Hint    string
	Err     error
}

// Error renders "op: Code: message (hint)".
func (e *AWSError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the SDK error.
func (e *AWSError) Unwrap() error { return e.Err }

// errorHints maps AWS error codes to what they mean for a release.
var errorHints = map[string]string{
	"DeploymentLimitExceededException":        "the group already has an active deployment; see it with `deployer status`, stop it with `deployer abort`",
	"DeploymentAlreadyStartedException":       "the group already has an active deployment; see it with `deployer status`, stop it with `deployer abort`",
	"DeploymentIsNotInReadyStateException":    "the deployment is not waiting in Ready: it was continued already, or its ready wait timed out",
	"DeploymentAlreadyCompletedException":     "the deployment has already finished; there is nothing to stop or continue",
	"InvalidDeploymentWaitTypeException":      "the deployment is not in that wait (READY_WAIT before traffic, TERMINATION_WAIT after)",
	"DeploymentDoesNotExistException":         "no deployment with that id in this account and region",
	"DeploymentGroupDoesNotExistException":    "check --deployment-group / stack output codeDeployDeploymentGroup and the region",
	"ApplicationDoesNotExistException":        "check --application / stack output codeDeployApplication and the region",
	"InvalidRevisionException":                "CodeDeploy rejected the AppSpec (see `deployer plan`)",
	"DescriptionTooLongException":             "the deployment description is limited to 512 characters",
	"DeploymentTargetDoesNotExistException":   "the deployment has no ECS target yet",
	"ThrottlingException":                     "AWS kept throttling after the SDK's retries; retry later",
	"ThrottledException":                      "AWS kept throttling after the SDK's retries; retry later",
	"Throttling":                              "AWS kept throttling after the SDK's retries; retry later",
	"AccessDeniedException":                   "the caller's policy must allow this call (stack output deployerPolicyJson lists what the deployer needs)",
	"AccessDenied":                            "the caller's policy must allow this call (stack output deployerPolicyJson lists what the deployer needs)",
	"ClusterNotFoundException":                "check --cluster / stack output clusterName and the region",
	"ServiceNotFoundException":                "check --service / stack output serviceName",
	"ServiceNotActiveException":               "the ECS service is not ACTIVE",
	"TargetGroupNotFound":                     "the target group no longer exists",
	"ListenerNotFound":                        "check --prod-listener-arn / --test-listener-arn",
	"UnrecognizedClientException":             "the credentials are not valid for this endpoint",
	"InvalidClientTokenId":                    "the credentials are not valid for this endpoint",
	"ExpiredTokenException":                   "the credentials have expired",
	"ExpiredToken":                            "the credentials have expired",
	"InvalidParameterException":               "AWS rejected a parameter",
	"ClientException":                         "ECS rejected the request",
	"LifecycleEventAlreadyCompletedException": "the lifecycle event has already completed",
}

// awsError wraps err from operation op. API errors become *AWSError; cancellation
// and transport errors are wrapped as "op: err".
func awsError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return &AWSError{Op: op, Code: apiErr.ErrorCode(), Message: apiErr.ErrorMessage(), Hint: errorHints[apiErr.ErrorCode()], Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// hasCode reports whether err carries AWS error code code.
func hasCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}

// InputError is invalid input, reported before any AWS call (exit code 2).
type InputError struct {
	Field   string // flag ("--image") or stack output key ("stack output containerPort"); "" when the problem names it
	Problem string // what is wrong and what is allowed
	Hint    string // optional: what to do next, printed on a line of its own after the error
}

// Error renders "field: problem" (the hint is not part of it).
func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

// inputErrorf builds an *InputError.
func inputErrorf(field, format string, args ...any) error {
	return &InputError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// BusyError says the group already runs a deployment that is not ours.
type BusyError struct {
	DeploymentID          string
	Phase                 Phase
	Image                 string
	TaskDefinitionArn     string // what it deploys
	WantTaskDefinitionArn string // the revision we release, when we release a registered one
	RollbackOf            string // set when the deployment is CodeDeploy's rollback of that one
}

// Error names the deployment, its phase and what it deploys.
func (e *BusyError) Error() string {
	if e.RollbackOf != "" {
		return fmt.Sprintf("deployment group is busy: deployment %s (phase %s) is CodeDeploy's rollback of %s; wait for it with `deployer status --follow --deployment-id %s`, then release again",
			e.DeploymentID, e.Phase, e.RollbackOf, e.DeploymentID)
	}
	img := e.Image
	if img == "" {
		img = "an unknown image"
	}
	ours := "not our image"
	if e.WantTaskDefinitionArn != "" {
		img += " (" + e.TaskDefinitionArn + ")"
		ours = "not our task definition " + e.WantTaskDefinitionArn
	}
	return fmt.Sprintf("deployment group is busy: deployment %s (phase %s) deploys %s, %s; wait for it, or stop it with `deployer abort --deployment-id %s`",
		e.DeploymentID, e.Phase, img, ours, e.DeploymentID)
}

// RollbackInFlightError says the group's in-flight deployment is CodeDeploy's own
// rollback deployment (creator codeDeployRollback), which abort and rollback must
// not stop: it is already taking production back to the previous version.
type RollbackInFlightError struct {
	DeploymentID string
	RollbackOf   string
}

// Error tells the operator to follow the rollback instead.
func (e *RollbackInFlightError) Error() string {
	return fmt.Sprintf("deployment %s is CodeDeploy's rollback of %s: it is already taking production back to the previous version; nothing stopped: follow it with `deployer status --follow --deployment-id %s`",
		e.DeploymentID, e.RollbackOf, e.DeploymentID)
}

// ReadError is a failed AWS read during a release: the deployer could not see part
// of the release's state. It says nothing about green; assessReadError decides
// whether to retry.
type ReadError struct {
	Err error // from awsError
}

// Error renders the AWS error.
func (e *ReadError) Error() string { return e.Err.Error() }

// Unwrap returns the AWS error.
func (e *ReadError) Unwrap() error { return e.Err }

// readError wraps a failed read of operation op as a *ReadError (cancellation
// stays a plain error: it is an interrupt, not blindness).
func readError(op string, err error) error {
	if err == nil {
		return nil
	}
	e := awsError(op, err)
	if errors.Is(err, context.Canceled) {
		return e
	}
	return &ReadError{Err: e}
}

// retryableRead reports whether err is a read that failed and may be tried again
// (a *ReadError). A *BlindError wraps the read that made it give up, but it is a
// verdict already: the wait that gave up has ended the release as blind, and no
// outer wait may retry it (that doubled its message and re-ran gate 1 past its
// deadline).
func retryableRead(err error) bool {
	var re *ReadError
	var blind *BlindError
	return errors.As(err, &re) && !errors.As(err, &blind)
}

// BlindError ends a release the deployer could no longer see: a read failed for
// good (auth, not found), or kept failing until the deadline. The deployment is
// left as it is: not seeing is no reason to roll back a release that may be
// healthy, nor to promote one that may not be.
type BlindError struct {
	Since time.Time // when the reads began failing
	Err   error     // the last failed read
}

// Error renders "could not read …: <the read's error>".
func (e *BlindError) Error() string { return "could not read the release's state: " + e.Err.Error() }

// Unwrap returns the last failed read.
func (e *BlindError) Unwrap() error { return e.Err }

// readClass is what a failed read means for a release.
type readClass int

const (
	readTransient readClass = iota // throttling, server errors, network, timeouts: retry within the budget
	readFatal                      // auth or not found: retrying cannot help
)

// authCodes are the AWS error codes that mean the caller's credentials or policy
// do not allow the read.
var authCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true, "AuthFailure": true,
	"UnrecognizedClientException": true, "InvalidClientTokenId": true, "ExpiredToken": true, "ExpiredTokenException": true,
	"SignatureDoesNotMatch": true, "IncompleteSignature": true, "InvalidSignatureException": true, "MissingAuthenticationToken": true,
	"NotAuthorized": true,
}

// isAuthError reports whether err is AWS refusing the caller (authCodes).
func isAuthError(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && authCodes[apiErr.ErrorCode()]
}

// assessReadError classifies a failed read (after the SDK's own retries): auth
// and not-found answers are fatal; everything else (throttling, 5xx, a reset
// connection, a timeout, an answer cut short, an error AWS may not give twice) is
// transient.
func assessReadError(err error) readClass {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if authCodes[code] || strings.Contains(code, "NotFound") || strings.Contains(code, "DoesNotExist") {
			return readFatal
		}
		return readTransient
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return readFatal
		}
	}
	return readTransient
}

// AlarmActiveError says the deployment group's alarms were still in ALARM after
// --alarm-wait: CodeDeploy stops a deployment at once (ALARM_ACTIVE) while one of
// its group's alarms is in ALARM, so none was created.
type AlarmActiveError struct {
	Group  string
	Alarms []string // "name: reason"
	Waited time.Duration
}

func (e *AlarmActiveError) Error() string {
	return fmt.Sprintf("deployment group %s: alarms still in ALARM after waiting %s: %s; CodeDeploy would stop a new deployment at once (ALARM_ACTIVE): find out why they fire (a previous release's errors clear within a few alarm periods), or raise --alarm-wait",
		e.Group, e.Waited, strings.Join(e.Alarms, "; "))
}
