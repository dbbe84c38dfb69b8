package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// serveJSON serves an awsJson1_0/awsJson1_1 request: the body is the input as JSON, the output is
// JSON, and errors are {"__type": shape, "message": ...} with their HTTP status.
func (e *Emulator) serveJSON(w http.ResponseWriter, r *http.Request, svc *service, action, version string) {
	reqID := randomUUID()
	w.Header().Set("x-amzn-RequestId", reqID)
	contentType := "application/x-amz-json-" + version
	body, err := readBody(r)
	if err != nil {
		e.writeJSONError(w, contentType, clientErr("SerializationException", "%v", err))
		return
	}
	operation, ok := svc.ops[action]
	if !ok {
		e.writeJSONError(w, contentType, clientErr("UnknownOperationException", "Unknown operation %s", action))
		return
	}
	at := e.now()
	if ae := e.admit(svc, action); ae != nil {
		e.record(r, svc, action, at, body, nil, ae)
		e.writeJSONError(w, contentType, ae)
		return
	}
	decode := func(v any) error {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		if err := json.Unmarshal(body, v); err != nil {
			return clientErr("SerializationException", "Start of structure or map found where not expected: %v", err)
		}
		return nil
	}
	out, err := operation(r.Context(), decode)
	e.logCall(svc, action, err)
	e.record(r, svc, action, at, body, out, err)
	if err != nil {
		e.writeJSONError(w, contentType, asAWSError(err, svc.internalShape))
		return
	}
	payload, err := json.Marshal(out)
	if err != nil {
		e.writeJSONError(w, contentType, internalErr(svc.internalShape, err))
		return
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(payload)
}

func (e *Emulator) writeJSONError(w http.ResponseWriter, contentType string, ae *awsError) {
	payload, _ := json.Marshal(map[string]string{"__type": ae.Shape, "message": ae.Message})
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", ae.Shape)
	if ae.QueryCode != "" {
		w.Header().Set("X-Amzn-Query-Error", ae.QueryCode+";"+ae.fault())
	}
	w.WriteHeader(ae.Status)
	_, _ = w.Write(payload)
}
