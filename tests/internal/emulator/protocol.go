package emulator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// operation serves one AWS API action: decode fills the action's input struct from the request in
// whatever protocol it arrived, and the result is the output struct to encode in that protocol.
type operation func(ctx context.Context, decode func(any) error) (any, error)

// op adapts a typed handler to an operation.
func op[I, O any](f func(context.Context, *I) (*O, error)) operation {
	return func(ctx context.Context, decode func(any) error) (any, error) {
		in := new(I)
		if err := decode(in); err != nil {
			return nil, err
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// empty is the output of actions that return no members.
type empty struct{}

// service describes one AWS service the emulator serves: its operations and the names by which
// requests identify it.
type service struct {
	name          string // for logs
	signingName   string // SigV4 credential scope service
	targetPrefix  string // X-Amz-Target prefix (JSON) or rpcv2 service name (CBOR)
	queryVersion  string // Query API version; "" when the service has no Query protocol
	queryNS       string // Query XML namespace
	internalShape string // error shape for unexpected failures
	ops           map[string]operation
}

// credentialScopeService returns the service of a SigV4 Authorization header's credential scope
// (Credential=AKID/date/region/service/aws4_request), or "".
func credentialScopeService(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// readBody reads a request body with a generous limit.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return b, nil
}
