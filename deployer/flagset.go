package deployer

import (
	"flag"
	"io"
	"time"
)

// flagSet is a standard flag set that remembers the order flags were
// registered in and the kind of value each takes, which help renders
// (flag.VisitAll sorts by name, and a Value's type is not printable).
type flagSet struct {
	*flag.FlagSet
	order []string
	kinds map[string]string
}

// newFlagSetNamed returns an empty flag set that prints nothing: the CLI reports
// parse errors and help itself.
func newFlagSetNamed(name string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), kinds: map[string]string{}}
	fs.SetOutput(io.Discard)
	return fs
}

func (fs *flagSet) record(name, kind string) {
	fs.order = append(fs.order, name)
	fs.kinds[name] = kind
}

// StringVar defines a string flag.
func (fs *flagSet) StringVar(p *string, name, value, usage string) {
	fs.FlagSet.StringVar(p, name, value, usage)
	fs.record(name, "STRING")
}

// IntVar defines an integer flag.
func (fs *flagSet) IntVar(p *int, name string, value int, usage string) {
	fs.FlagSet.IntVar(p, name, value, usage)
	fs.record(name, "N")
}

// Float64Var defines a number flag.
func (fs *flagSet) Float64Var(p *float64, name string, value float64, usage string) {
	fs.FlagSet.Float64Var(p, name, value, usage)
	fs.record(name, "NUMBER")
}

// BoolVar defines a flag that takes no value.
func (fs *flagSet) BoolVar(p *bool, name string, value bool, usage string) {
	fs.FlagSet.BoolVar(p, name, value, usage)
	fs.record(name, "")
}

// DurationVar defines a duration flag whose parse error shows the format
// (the flag package's own says only "parse error").
func (fs *flagSet) DurationVar(p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.FlagSet.Var((*durationValue)(p), name, usage)
	fs.record(name, "DURATION")
}

// Var defines a flag with a custom value.
func (fs *flagSet) Var(v flag.Value, name, usage string) {
	fs.FlagSet.Var(v, name, usage)
	fs.record(name, "VALUE")
}

// isBool says whether a flag takes no value (--follow rather than --follow x).
func (fs *flagSet) isBool(name string) bool {
	kind, ok := fs.kinds[name]
	return ok && kind == ""
}

// durationFormat is what a duration looks like, for error messages.
const durationFormat = "use a number with a unit, e.g. 30s, 5m, 1h30m"

// durationValue is a time.Duration flag with a parse error that says what a
// duration looks like.
type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return errNotDuration
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string { return formatDuration(time.Duration(*d)) }

// errNotDuration is the problem of a value that time.ParseDuration refuses,
// bare numbers ("5") included.
var errNotDuration = errorString("not a duration; " + durationFormat)

type errorString string

func (e errorString) Error() string { return string(e) }

// formatDuration prints a duration as people write it: 5m rather than 5m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if len(s) > 2 && s[len(s)-2:] == "0s" && (len(s) > 3 && (s[len(s)-3] == 'm' || s[len(s)-3] == 'h')) {
		s = s[:len(s)-2]
	}
	if len(s) > 2 && s[len(s)-2:] == "0m" && s[len(s)-3] == 'h' {
		s = s[:len(s)-2]
	}
	return s
}
