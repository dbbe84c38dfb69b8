package suite

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
)

// assessAgreement compares blue's and green's answers to the same request and
// lists the disagreements (empty means they agree).
func assessAgreement(cmp *Compare, blue, green Response) []string {
	if blue.Err != nil || green.Err != nil {
		return []string{fmt.Sprintf("blue: %s; green: %s", blue.Summary(), green.Summary())}
	}
	var diffs []string
	if blue.Status != green.Status {
		diffs = append(diffs, fmt.Sprintf("status: blue %d, green %d", blue.Status, green.Status))
	}
	if len(cmp.Fields) == 0 {
		b, g := stripFields(blue.JSON, cmp.Ignore), stripFields(green.JSON, cmp.Ignore)
		if blue.JSONErr != nil || green.JSONErr != nil {
			if !bytes.Equal(bytes.TrimSpace(blue.Body), bytes.TrimSpace(green.Body)) {
				diffs = append(diffs, "body differs")
			}
		} else if !reflect.DeepEqual(b, g) {
			diffs = append(diffs, fmt.Sprintf("body: blue %s, green %s", jsonText(b), jsonText(g)))
		}
		return diffs
	}
	for _, path := range slices.Sorted(maps.Keys(cmp.Fields)) {
		bv, bok := lookupJSON(blue.JSON, path)
		gv, gok := lookupJSON(green.JSON, path)
		switch {
		case !bok && !gok:
		case bok != gok:
			diffs = append(diffs, fmt.Sprintf("%s: blue %s, green %s", path, jsonTextOK(bv, bok), jsonTextOK(gv, gok)))
		default:
			bf, bnum := bv.(float64)
			gf, gnum := gv.(float64)
			if bnum && gnum {
				if math.Abs(bf-gf) > cmp.Fields[path].Tolerance {
					diffs = append(diffs, fmt.Sprintf("%s: blue %g, green %g (tolerance %g)", path, bf, gf, cmp.Fields[path].Tolerance))
				}
			} else if !reflect.DeepEqual(bv, gv) {
				diffs = append(diffs, fmt.Sprintf("%s: blue %s, green %s", path, jsonText(bv), jsonText(gv)))
			}
		}
	}
	return diffs
}

// stripFields returns doc without the top-level or dotted fields in ignore.
func stripFields(doc any, ignore []string) any {
	if len(ignore) == 0 {
		return doc
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, path := range ignore {
		head, rest, nested := strings.Cut(path, ".")
		if !nested {
			delete(out, head)
		} else if sub, ok := out[head]; ok {
			out[head] = stripFields(sub, []string{rest})
		}
	}
	return out
}

// run sends each request to blue and green and records the disagreements and
// the agreement rate in rep; below minAgreement (default 1) is rep's failure.
func (c *Compare) run(ctx context.Context, p *Prober, green, blue string, rep *Report, log *slog.Logger) error {
	agreed, total := 0, 0
	seen := map[string]int{}
	var order []string
	for i := 0; i < max(c.Repeat, 1); i++ {
		for _, req := range c.Requests {
			b := p.Send(ctx, blue, req)
			g := p.Send(ctx, green, req)
			total++
			if diffs := assessAgreement(c, b, g); len(diffs) > 0 {
				line := p.Redact(req.label() + ": " + strings.Join(diffs, "; "))
				if seen[line]++; seen[line] == 1 {
					order = append(order, line)
				}
				continue
			}
			agreed++
		}
	}
	for _, line := range order {
		if n := seen[line]; n > 1 {
			line += fmt.Sprintf(" (×%d)", n)
		}
		rep.Disagreements = append(rep.Disagreements, line)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	minAgree := 1.0
	if c.MinAgreement != nil {
		minAgree = *c.MinAgreement
	}
	ok, line := assessAgreementRate(agreed, total, minAgree)
	rep.Evidence = append(rep.Evidence, "blue-vs-green: "+line)
	log.Info("blue-vs-green comparison", "agreed", agreed, "total", total, "minAgreement", minAgree)
	for _, dis := range rep.Disagreements {
		log.Warn("disagreement", "detail", dis)
	}
	if !ok {
		rep.Failure = "blue-vs-green comparison: " + line
	}
	return nil
}

// assessAgreementRate decides the comparison verdict.
func assessAgreementRate(agreed, total int, minAgreement float64) (bool, string) {
	if total == 0 {
		return false, "no requests compared"
	}
	rate := float64(agreed) / float64(total)
	line := fmt.Sprintf("%d/%d agree (%.1f%%, need %.1f%%)", agreed, total, rate*100, minAgreement*100)
	return rate >= minAgreement, line
}
