package emulator

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// serveQuery serves an awsQuery request: Action and Version plus the input flattened into form
// fields (Names.member.1, Targets.member.1.Id ...). The output is
// <ActionResponse xmlns=ns><ActionResult>...</ActionResult><ResponseMetadata>..., errors are
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
func (e *Emulator) serveQuery(w http.ResponseWriter, r *http.Request, svc *service, form url.Values) {
	reqID := randomUUID()
	w.Header().Set("x-amzn-RequestId", reqID)
	action := form.Get("Action")
	operation, ok := svc.ops[action]
	if !ok {
		e.writeQueryError(w, svc, reqID, queryErr("InvalidAction", "InvalidAction", http.StatusBadRequest,
			"The action %s is not valid for this web service.", action))
		return
	}
	at := e.now()
	if ae := e.admit(svc, action); ae != nil {
		e.record(r, svc, action, at, []byte(form.Encode()), nil, ae)
		e.writeQueryError(w, svc, reqID, ae)
		return
	}
	decode := func(v any) error {
		if err := decodeForm(form, "", reflect.ValueOf(v).Elem()); err != nil {
			return queryErr("ValidationError", "ValidationError", http.StatusBadRequest, "%v", err)
		}
		return nil
	}
	out, err := operation(r.Context(), decode)
	e.logCall(svc, action, err)
	e.record(r, svc, action, at, []byte(form.Encode()), out, err)
	if err != nil {
		e.writeQueryError(w, svc, reqID, asAWSError(err, svc.internalShape))
		return
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, action, svc.queryNS)
	encodeXML(&buf, action+"Result", reflect.ValueOf(out), false)
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, reqID, action)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(buf.Bytes())
}

// malformedQuery answers a Query request whose form does not parse (a bad %-escape, a ';') with
// AWS's common error MalformedQueryString, HTTP 404 in AWS's list of common errors, in the XML
// error shape SDKs read, when the SigV4 scope names a Query service.
func (e *Emulator) malformedQuery(w http.ResponseWriter, r *http.Request, err error) {
	svc := e.bySigning[credentialScopeService(r)]
	if svc == nil || svc.queryVersion == "" {
		http.Error(w, "malformed query: "+err.Error(), http.StatusBadRequest)
		return
	}
	reqID := randomUUID()
	w.Header().Set("x-amzn-RequestId", reqID)
	e.writeQueryError(w, svc, reqID, queryErr("MalformedQueryString", "MalformedQueryString", http.StatusNotFound,
		"The query string contains a syntax error: %v", err))
}

func (e *Emulator) writeQueryError(w http.ResponseWriter, svc *service, reqID string, ae *awsError) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>`,
		svc.queryNS, ae.fault(), ae.code())
	_ = xml.EscapeText(&buf, []byte(ae.Message))
	fmt.Fprintf(&buf, `</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.Status)
	_, _ = w.Write(buf.Bytes())
}

// memberName returns the wire name of a struct field (its json tag) and whether it is omitempty.
func memberName(f reflect.StructField) (name string, omitEmpty, skip bool) {
	tag := f.Tag.Get("json")
	if tag == "-" || !f.IsExported() {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, strings.Contains(opts, "omitempty"), false
}

var awsTimeType = reflect.TypeOf(awsTime{})

// decodeForm fills v from the Query form fields under prefix.
func decodeForm(form url.Values, prefix string, v reflect.Value) error {
	switch {
	case v.Type() == awsTimeType:
		s, ok := formValue(form, prefix)
		if !ok {
			return nil
		}
		return v.Addr().Interface().(*awsTime).parseText(s)
	case v.Kind() == reflect.Pointer:
		if !formHas(form, prefix) {
			return nil
		}
		elem := reflect.New(v.Type().Elem())
		if err := decodeForm(form, prefix, elem.Elem()); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			name, _, skip := memberName(v.Type().Field(i))
			if skip {
				continue
			}
			if err := decodeForm(form, joinKey(prefix, name), v.Field(i)); err != nil {
				return err
			}
		}
		return nil
	case v.Kind() == reflect.Slice:
		n, ok := listLength(form, prefix+".member.")
		if !ok {
			return fmt.Errorf("%s: list members are numbered %s.member.1 to %s.member.N without gaps", prefix, prefix, prefix)
		}
		if n == 0 {
			if _, ok := form[prefix]; ok { // "Names=" is an explicitly empty list
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return nil
		}
		list := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			if err := decodeForm(form, fmt.Sprintf("%s.member.%d", prefix, i+1), list.Index(i)); err != nil {
				return err
			}
		}
		v.Set(list)
		return nil
	}
	s, ok := formValue(form, prefix)
	if !ok {
		return nil
	}
	return setScalar(v, prefix, s)
}

func setScalar(v reflect.Value, key, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%s: %q is not a boolean", key, s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not an integer", key, s)
		}
		v.SetInt(n)
	case reflect.Float64, reflect.Float32:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a number", key, s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("%s: unsupported member kind %s", key, v.Kind())
	}
	return nil
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func formValue(form url.Values, key string) (string, bool) {
	vs, ok := form[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// formHas reports whether any form field is key or lies under it.
func formHas(form url.Values, key string) bool {
	for k := range form {
		if k == key || strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}

// listLength returns the highest index N of fields "<prefix>N" or "<prefix>N.*". ok is false
// unless every index 1..N is there: the list is made N long, so an index far past the fields
// given (Names.member.99999999999) would allocate without bound.
func listLength(form url.Values, prefix string) (n int, ok bool) {
	seen := map[int]bool{}
	for k := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(idx); err == nil && i > 0 {
			seen[i] = true
			n = max(n, i)
		}
	}
	return n, n == len(seen)
}

// encodeXML writes v as the element name in the Query response style: lists as <member> items,
// maps as <entry><key/><value/></entry>, timestamps in ISO 8601. Nil pointers and nil slices are
// left out; an empty non-nil slice is written as an empty element, as AWS does.
func encodeXML(buf *bytes.Buffer, name string, v reflect.Value, omitEmpty bool) {
	if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		// A set pointer is an explicit value: AWS writes <Weight>0</Weight>, and the SDK tells a
		// weight of 0 from an absent one (which ELBv2 treats as 1).
		encodeXML(buf, name, v.Elem(), false)
		return
	}
	if omitEmpty && v.Kind() != reflect.Struct && v.IsZero() {
		return
	}
	if v.Kind() == reflect.Slice && v.IsNil() {
		return
	}
	buf.WriteString("<" + name + ">")
	switch {
	case v.Type() == awsTimeType:
		text, _ := v.Interface().(awsTime).MarshalText()
		buf.Write(text)
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			fname, omit, skip := memberName(v.Type().Field(i))
			if !skip {
				encodeXML(buf, fname, v.Field(i), omit)
			}
		}
	case v.Kind() == reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			encodeXML(buf, "member", v.Index(i), false)
		}
	case v.Kind() == reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			buf.WriteString("<entry>")
			encodeXML(buf, "key", k, false)
			encodeXML(buf, "value", v.MapIndex(k), false)
			buf.WriteString("</entry>")
		}
	case v.Kind() == reflect.Bool:
		buf.WriteString(strconv.FormatBool(v.Bool()))
	case v.CanInt():
		buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case v.CanFloat():
		buf.WriteString(strconv.FormatFloat(v.Float(), 'f', -1, 64))
	default:
		_ = xml.EscapeText(buf, []byte(v.String()))
	}
	buf.WriteString("</" + name + ">")
}
