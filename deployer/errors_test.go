package deployer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAssessReadError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want readClass
	}{
		{"throttling is transient", apiError("ThrottlingException", "Rate exceeded"), readTransient},
		{"ELB's throttling is transient", apiError("Throttling", "Rate exceeded"), readTransient},
		{"a server error is transient", apiError("InternalFailure", ""), readTransient},
		{"an HTTP 503 is transient", serverError(503), readTransient},
		{"a reset connection is transient", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, readTransient},
		{"a cut-off answer is transient", fmt.Errorf("deserialize: %w", io.ErrUnexpectedEOF), readTransient},
		{"a timeout is transient", context.DeadlineExceeded, readTransient},
		{"access denied is fatal", apiError("AccessDeniedException", "not authorized"), readFatal},
		{"expired credentials are fatal", apiError("ExpiredToken", ""), readFatal},
		{"unknown credentials are fatal", apiError("UnrecognizedClientException", ""), readFatal},
		{"an HTTP 403 is fatal", serverError(403), readFatal},
		{"a missing target group is fatal", apiError("TargetGroupNotFound", ""), readFatal},
		{"a missing deployment is fatal", apiError("DeploymentDoesNotExistException", ""), readFatal},
		{"a missing service is fatal", apiError("ServiceNotFoundException", ""), readFatal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, assessReadError(tc.err))
		})
	}
}
