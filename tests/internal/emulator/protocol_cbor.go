package emulator

import (
	"net/http"

	"github.com/fxamacker/cbor/v2"
)

// cborEnc encodes outputs: struct fields by their json tag names and omitempty (fxamacker honours
// both; a nil member without omitempty is written as null), timestamps through awsTime (tag 1).
var cborEnc = func() cbor.EncMode {
	m, err := cbor.EncOptions{Sort: cbor.SortNone}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// serveCBOR serves a Smithy rpcv2-CBOR request (POST /service/<svc>/operation/<op>,
// smithy-protocol: rpc-v2-cbor). Errors are CBOR maps with __type and message; services that are
// awsQueryCompatible (CloudWatch) also get the X-Amzn-Query-Error header with the Query code.
func (e *Emulator) serveCBOR(w http.ResponseWriter, r *http.Request, svc *service, action string) {
	w.Header().Set("x-amzn-RequestId", randomUUID())
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	body, err := readBody(r)
	if err != nil {
		e.writeCBORError(w, svc, clientErr("SerializationException", "%v", err))
		return
	}
	operation, ok := svc.ops[action]
	if !ok {
		e.writeCBORError(w, svc, clientErr("UnknownOperationException", "Unknown operation %s", action))
		return
	}
	at := e.now()
	if ae := e.admit(svc, action); ae != nil {
		e.record(r, svc, action, at, body, nil, ae)
		e.writeCBORError(w, svc, ae)
		return
	}
	decode := func(v any) error {
		if len(body) == 0 {
			return nil
		}
		if err := cbor.Unmarshal(body, v); err != nil {
			return clientErr("SerializationException", "malformed CBOR request: %v", err)
		}
		return nil
	}
	out, err := operation(r.Context(), decode)
	e.logCall(svc, action, err)
	e.record(r, svc, action, at, body, out, err)
	if err != nil {
		e.writeCBORError(w, svc, asAWSError(err, svc.internalShape))
		return
	}
	payload, err := cborEnc.Marshal(out)
	if err != nil {
		e.writeCBORError(w, svc, internalErr(svc.internalShape, err))
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(payload)
}

func (e *Emulator) writeCBORError(w http.ResponseWriter, svc *service, ae *awsError) {
	payload, _ := cborEnc.Marshal(map[string]string{
		"__type":  svc.shapeNamespace() + "#" + ae.Shape,
		"message": ae.Message,
	})
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-Query-Error", ae.code()+";"+ae.fault())
	w.WriteHeader(ae.Status)
	_, _ = w.Write(payload)
}

// shapeNamespace is the Smithy namespace of the service's shapes (com.amazonaws.<signing name>
// for CloudWatch's "monitoring" is com.amazonaws.cloudwatch).
func (s *service) shapeNamespace() string {
	if s.signingName == "monitoring" {
		return "com.amazonaws.cloudwatch"
	}
	return "com.amazonaws." + s.signingName
}
