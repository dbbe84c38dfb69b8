package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// KeyDoc documents one configuration key for the configuration reference.
type KeyDoc struct {
	// Key is the dotted path under the project namespace, e.g. "healthCheck.interval".
	Key string
	// Type is string, integer, number, boolean, list of strings or map of strings.
	Type string
	// Default is how the default reads ("" when the key is required).
	Default string
	// Allowed says what a valid value looks like; validation messages read "must be <Allowed>".
	Allowed string
	// Description says what the key does.
	Description string
	// Required is true when the key has no default.
	Required bool
}

// ProjectKey is one key of Pulumi.yaml's `config:` block: a top-level config key.
type ProjectKey struct {
	// Key is the name under the project namespace, e.g. "healthCheck".
	Key string
	// Type is the Pulumi config type: "string" or "object".
	Type string
	// Description is the description Pulumi.yaml must carry (for objects it ends with the list of keys).
	Description string
	// Required is true when the stack must set the key (Pulumi.yaml declares no default); optional
	// objects declare `default: {}` so the CLI doesn't demand them, and the defaults stay in Go.
	Required bool
	// SubKeys are the keys inside an object, in declaration order.
	SubKeys []string
}

// ConfigKeys lists every configuration key (objects flattened to dotted paths) in declaration order.
func ConfigKeys() []KeyDoc {
	defaults := reflect.ValueOf(defaultConfig())
	var docs []KeyDoc
	walkConfig(reflect.TypeOf(Config{}), defaults, "", func(path string, f reflect.StructField, def reflect.Value) {
		d := KeyDoc{
			Key:         path,
			Type:        kindOf(f.Type).name,
			Allowed:     allowedText(f),
			Description: f.Tag.Get("doc"),
			Required:    f.Tag.Get("required") == "true",
		}
		if !d.Required {
			d.Default = defaultText(f, def)
		}
		docs = append(docs, d)
	})
	return docs
}

// ProjectConfigKeys lists the top-level keys Pulumi.yaml declares, in declaration order.
func ProjectConfigKeys() []ProjectKey {
	t := reflect.TypeOf(Config{})
	var keys []ProjectKey
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("key")
		if key == "" {
			continue
		}
		pk := ProjectKey{Key: key, Description: f.Tag.Get("doc"), Required: f.Tag.Get("required") == "true"}
		switch f.Type.Kind() {
		case reflect.Struct:
			pk.Type = "object"
			for j := 0; j < f.Type.NumField(); j++ {
				pk.SubKeys = append(pk.SubKeys, f.Type.Field(j).Tag.Get("key"))
			}
			pk.Description += " Keys: " + strings.Join(pk.SubKeys, ", ") + "."
		case reflect.Map:
			pk.Type = "object"
		default:
			pk.Type = "string"
		}
		keys = append(keys, pk)
	}
	return keys
}

// walkConfig calls leaf for every configuration key below t, with the matching default value.
func walkConfig(t reflect.Type, v reflect.Value, prefix string, leaf func(path string, f reflect.StructField, def reflect.Value)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("key")
		if key == "" {
			continue
		}
		path := prefix + key
		if f.Type.Kind() == reflect.Struct {
			walkConfig(f.Type, v.Field(i), path+".", leaf)
			continue
		}
		leaf(path, f, v.Field(i))
	}
}

// allowedText is the allowed-values text of a key: its `allowed` tag, or one built from min/max/oneof.
func allowedText(f reflect.StructField) string {
	if a := f.Tag.Get("allowed"); a != "" {
		return a
	}
	if one := f.Tag.Get("oneof"); one != "" {
		return "one of " + strings.ReplaceAll(one, ",", ", ")
	}
	lo, hasLo := f.Tag.Lookup("min")
	hi, hasHi := f.Tag.Lookup("max")
	unit := ""
	if u := f.Tag.Get("unit"); u != "" {
		unit = " " + u
	}
	switch {
	case hasLo && hasHi:
		return lo + "–" + hi + unit
	case hasLo:
		return "at least " + lo + unit
	}
	panic("config: key " + f.Name + " says nothing about allowed values")
}

func defaultText(f reflect.StructField, def reflect.Value) string {
	if d := f.Tag.Get("default"); d != "" {
		return d
	}
	switch def.Kind() {
	case reflect.String:
		if def.String() == "" {
			return "empty"
		}
		return def.String()
	case reflect.Float64:
		return strconv.FormatFloat(def.Float(), 'g', -1, 64)
	case reflect.Slice, reflect.Map:
		b, _ := json.Marshal(def.Interface())
		return string(b)
	}
	return fmt.Sprint(def.Interface())
}

// problems collects configuration errors as "ai-bluegreen:<key> = <value>: <what is allowed>" lines.
type problems []string

func (p *problems) add(key string, value any, must string) {
	*p = append(*p, fmt.Sprintf("%s:%s = %s: %s", Project, key, renderValue(value), must))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n"))
}

// rawValue is a value shown exactly as it was given (undecodable JSON, wrong types).
type rawValue string

func renderValue(v any) string {
	switch x := v.(type) {
	case rawValue:
		return string(x)
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []string, map[string]string:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// decodeConfig overwrites defaults in cfg with every key lookup knows and returns the dotted keys set.
func decodeConfig(cfg *Config, lookup func(key string) (string, bool)) (map[string]bool, error) {
	set := map[string]bool{}
	var errs problems
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("key")
		if key == "" {
			continue
		}
		raw, ok := lookup(Project + ":" + key)
		if !ok {
			continue
		}
		switch f.Type.Kind() {
		case reflect.String:
			v.Field(i).SetString(raw)
			set[key] = true
		case reflect.Struct:
			decodeObject(key, raw, v.Field(i), set, &errs)
		default:
			if decodeValue(key, json.RawMessage(raw), v.Field(i), &errs) {
				set[key] = true
			}
		}
	}
	return set, errs.err()
}

// decodeObject decodes one object-valued key, rejecting keys it doesn't know (typos fail loudly).
func decodeObject(key, raw string, group reflect.Value, set map[string]bool, errs *problems) {
	t := group.Type()
	byKey := map[string]int{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		k := t.Field(i).Tag.Get("key")
		byKey[k] = i
		known = append(known, k)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		var shown any = raw
		if json.Valid([]byte(raw)) {
			shown = rawValue(compact([]byte(raw)))
		}
		errs.add(key, shown, "must be an object with keys "+strings.Join(known, ", "))
		return
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		path := key + "." + k
		i, ok := byKey[k]
		if !ok {
			errs.add(path, rawValue(compact(fields[k])), "unknown key; "+key+" has "+strings.Join(known, ", "))
			continue
		}
		if decodeValue(path, fields[k], group.Field(i), errs) {
			set[path] = true
		}
	}
}

// fieldKind is, for one kind of config field, its name in the reference, what a valid value looks like
// and how to read one from decoded JSON (numbers as json.Number).
type fieldKind struct {
	name, want string
	read       func(x any) (any, bool)
}

// fieldKinds are the kinds a config field may have.
var fieldKinds = map[reflect.Kind]fieldKind{
	reflect.String:  {"string", "a string", func(x any) (any, bool) { s, ok := x.(string); return s, ok }},
	reflect.Int:     {"integer", "an integer", func(x any) (any, bool) { return integer(x) }},
	reflect.Float64: {"number", "a number", func(x any) (any, bool) { return number(x) }},
	reflect.Bool:    {"boolean", "true or false", func(x any) (any, bool) { return boolean(x) }},
	reflect.Slice:   {"list of strings", "a list of strings", stringList},
	reflect.Map:     {"map of strings", "an object of name: string value", stringMap},
}

// kindOf is the fieldKind of a config field's type; the struct tags can't declare any other.
func kindOf(t reflect.Type) fieldKind {
	k, ok := fieldKinds[t.Kind()]
	if !ok {
		panic("config: unsupported field type " + t.String())
	}
	return k
}

// decodeValue decodes one JSON value into dst; null leaves the default. It reports whether it set dst.
func decodeValue(path string, raw json.RawMessage, dst reflect.Value, errs *problems) bool {
	kind := kindOf(dst.Type())
	var x any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		// Top-level values arrive as plain text when they aren't JSON (tags: oops).
		errs.add(path, string(raw), "must be "+kind.want)
		return false
	}
	if x == nil {
		return false
	}
	v, ok := kind.read(x)
	if !ok {
		errs.add(path, rawValue(compact(raw)), "must be "+kind.want)
		return false
	}
	dst.Set(reflect.ValueOf(v).Convert(dst.Type()))
	return true
}

// numberText is the text of a JSON number, or of a string holding one (YAML users quote numbers).
func numberText(x any) (string, bool) {
	switch v := x.(type) {
	case json.Number:
		return v.String(), true
	case string:
		return strings.TrimSpace(v), true
	}
	return "", false
}

// integer accepts what numberText does, if it is an int32.
func integer(x any) (int64, bool) {
	text, ok := numberText(x)
	n, err := strconv.ParseInt(text, 10, 64)
	return n, ok && err == nil && n >= math.MinInt32 && n <= math.MaxInt32
}

// number accepts what numberText does, if it is finite.
func number(x any) (float64, bool) {
	text, ok := numberText(x)
	f, err := strconv.ParseFloat(text, 64)
	return f, ok && err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// boolean accepts true and false, also quoted.
func boolean(x any) (bool, bool) {
	switch v := x.(type) {
	case bool:
		return v, true
	case string:
		return v == "true", v == "true" || v == "false"
	}
	return false, false
}

func stringList(x any) (any, bool) {
	list, ok := x.([]any)
	strs := make([]string, 0, len(list))
	for _, e := range list {
		s, isStr := e.(string)
		if !isStr {
			return nil, false
		}
		strs = append(strs, s)
	}
	return strs, ok
}

func stringMap(x any) (any, bool) {
	obj, ok := x.(map[string]any)
	m := make(map[string]string, len(obj))
	for k, e := range obj {
		s, isScalar := scalarText(e)
		if !isScalar {
			return nil, false
		}
		m[k] = s
	}
	return m, ok
}

// scalarText turns a map value into its text; environment values written as YAML numbers are fine.
func scalarText(x any) (string, bool) {
	switch v := x.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

func compact(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return strings.TrimSpace(string(raw))
	}
	return buf.String()
}
