package emulator

import (
	"fmt"
	"net/http"
)

// awsError is an error in AWS's terms: the modelled error shape name (what JSON and CBOR clients
// read from __type), the awsQueryError code (what Query clients read from <Code>), the HTTP status
// and whether the caller is at fault.
type awsError struct {
	Shape     string // modelled shape name, e.g. DeploymentLimitExceededException
	QueryCode string // awsQueryError code when it differs from Shape (ELBv2, CloudWatch)
	Message   string
	Status    int
	Server    bool // Receiver fault
}

func (e *awsError) Error() string { return e.code() + ": " + e.Message }

// code is the error code a Query client sees.
func (e *awsError) code() string {
	if e.QueryCode != "" {
		return e.QueryCode
	}
	return e.Shape
}

func (e *awsError) fault() string {
	if e.Server {
		return "Receiver"
	}
	return "Sender"
}

// clientErr is a 400 error whose shape name is also its code (ECS, CodeDeploy).
func clientErr(shape, format string, args ...any) *awsError {
	return &awsError{Shape: shape, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// queryErr is an error of a Query-compatible service whose code differs from its shape name.
func queryErr(shape, code string, status int, format string, args ...any) *awsError {
	return &awsError{Shape: shape, QueryCode: code, Message: fmt.Sprintf(format, args...), Status: status}
}

// internalErr wraps an unexpected emulator failure as a 500 the SDKs retry and then report.
func internalErr(shape string, err error) *awsError {
	return &awsError{Shape: shape, Message: err.Error(), Status: http.StatusInternalServerError, Server: true}
}

// asAWSError converts any handler error to an awsError.
func asAWSError(err error, internalShape string) *awsError {
	if ae, ok := err.(*awsError); ok {
		return ae
	}
	return internalErr(internalShape, err)
}
