package emulator

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// timeSeries is a metric's values by timestamp.
type timeSeries map[time.Time]float64

func newTimeSeries(ts []time.Time, vs []float64) timeSeries {
	s := timeSeries{}
	for i, t := range ts {
		s[t] = vs[i]
	}
	return s
}

func (s timeSeries) times() []time.Time {
	out := make([]time.Time, 0, len(s))
	for t := range s {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// evalExpression evaluates CloudWatch metric math limited to arithmetic: + - * /, parentheses,
// numbers and the ids of other queries. As in CloudWatch, an operation between two series keeps
// the timestamps both have; a scalar applies to every point; division by zero drops the point.
func evalExpression(expr string, series map[string]timeSeries) (timeSeries, error) {
	p := &exprParser{src: expr, series: series}
	v, err := p.sum()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("unexpected %q at %d", p.src[p.pos:], p.pos)
	}
	if v.series == nil {
		return nil, fmt.Errorf("the expression must refer to at least one metric")
	}
	return v.series, nil
}

// exprValue is a scalar or a series.
type exprValue struct {
	scalar float64
	series timeSeries
}

type exprParser struct {
	src    string
	pos    int
	series map[string]timeSeries
}

func (p *exprParser) skipSpace() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *exprParser) sum() (exprValue, error) { return p.binary("+-", p.product) }

func (p *exprParser) product() (exprValue, error) { return p.binary("*/", p.operand) }

// binary parses a left-associative chain of operands joined by any of ops.
func (p *exprParser) binary(ops string, operand func() (exprValue, error)) (exprValue, error) {
	left, err := operand()
	for err == nil {
		p.skipSpace()
		if p.pos >= len(p.src) || !strings.ContainsRune(ops, rune(p.src[p.pos])) {
			return left, nil
		}
		op := p.src[p.pos]
		p.pos++
		var right exprValue
		if right, err = operand(); err == nil {
			left = combine(op, left, right)
		}
	}
	return left, err
}

func (p *exprParser) operand() (exprValue, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return exprValue{}, fmt.Errorf("unexpected end of expression")
	}
	c := rune(p.src[p.pos])
	switch {
	case c == '(':
		p.pos++
		v, err := p.sum()
		p.skipSpace()
		if err == nil && (p.pos >= len(p.src) || p.src[p.pos] != ')') {
			err = fmt.Errorf("missing )")
		}
		p.pos++
		return v, err
	case unicode.IsDigit(c) || c == '.':
		start := p.pos
		for p.pos < len(p.src) && (unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '.') {
			p.pos++
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		return exprValue{scalar: f}, err
	case unicode.IsLetter(c):
		start := p.pos
		for p.pos < len(p.src) && (unicode.IsLetter(rune(p.src[p.pos])) || unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '_') {
			p.pos++
		}
		id := p.src[start:p.pos]
		s, ok := p.series[id]
		if !ok {
			if strings.HasPrefix(p.src[p.pos:], "(") {
				return exprValue{}, fmt.Errorf("function %s is not supported by the emulator", id)
			}
			return exprValue{}, fmt.Errorf("unknown metric id %s", id)
		}
		return exprValue{series: s}, nil
	}
	return exprValue{}, fmt.Errorf("unexpected %q", c)
}

func combine(op byte, a, b exprValue) exprValue {
	apply := func(x, y float64) (float64, bool) {
		switch op {
		case '+':
			return x + y, true
		case '-':
			return x - y, true
		case '*':
			return x * y, true
		}
		return x / y, y != 0
	}
	switch {
	case a.series == nil && b.series == nil:
		v, _ := apply(a.scalar, b.scalar)
		return exprValue{scalar: v}
	case a.series == nil:
		out := timeSeries{}
		for t, y := range b.series {
			if v, ok := apply(a.scalar, y); ok {
				out[t] = v
			}
		}
		return exprValue{series: out}
	}
	out := timeSeries{}
	for t, x := range a.series {
		y := b.scalar
		if b.series != nil {
			var ok bool
			if y, ok = b.series[t]; !ok {
				continue
			}
		}
		if v, ok := apply(x, y); ok {
			out[t] = v
		}
	}
	return exprValue{series: out}
}
