package suite

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Report is what a suite run found, for gate 1's result: the evidence lines, the
// checks' problems and the disagreements between blue and green, and, when the
// suite failed, why.
type Report struct {
	Evidence      []string
	Disagreements []string
	Failure       string // "" when the suite passed
}

// Run sends the suite through p: the warm-up and the checks to green (base URL
// green), then each comparison request to blue and green. It returns ctx's
// error when interrupted; the report holds what was found until then.
func (s *Suite) Run(ctx context.Context, p *Prober, green, blue string, log *slog.Logger) (Report, error) {
	var rep Report
	if w := s.Warmup; w != nil {
		sent, failed := w.run(ctx, p, green)
		rep.Evidence = append(rep.Evidence, fmt.Sprintf("warm-up: %d requests to green, %d errors", sent, failed))
		log.Info("warm-up sent", "requests", sent, "errors", failed)
	}
	var problems []string
	for _, c := range s.Checks {
		problems = append(problems, c.run(ctx, p, green, log)...)
	}
	if len(s.Checks) > 0 {
		rep.Evidence = append(rep.Evidence, fmt.Sprintf("checks: %d defined, %d problems", len(s.Checks), len(problems)))
	}
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if len(problems) > 0 {
		rep.Disagreements = append(rep.Disagreements, problems...)
		rep.Failure = "validation suite: " + strings.Join(problems, "; ")
		return rep, nil
	}
	if s.Compare != nil {
		return rep, s.Compare.run(ctx, p, green, blue, &rep, log)
	}
	return rep, nil
}

// run sends the warm-up requests to green; only transport errors and 5xx count,
// as errors.
func (w *Warmup) run(ctx context.Context, p *Prober, green string) (sent, failed int) {
	for i := 0; i < max(w.Repeat, 1); i++ {
		for _, req := range w.Requests {
			if res := p.Send(ctx, green, req); res.Err != nil || res.Status >= 500 {
				failed++
			}
			sent++
		}
	}
	return sent, failed
}

// run sends the check to green, every repetition, and lists its problems (none:
// it passed); it stops at the first repetition that fails.
func (c Check) run(ctx context.Context, p *Prober, green string, log *slog.Logger) []string {
	name := c.Name
	if name == "" {
		name = c.Request.label()
	}
	var out []string
	for i := 0; i < max(c.Repeat, 1); i++ {
		res := p.Send(ctx, green, c.Request)
		for _, prob := range assessCheck(c.Expect, res, p.vars) {
			out = append(out, p.Redact(fmt.Sprintf("check %q: %s", name, prob)))
		}
		if len(out) > 0 {
			log.Warn("check failed", "check", name, "problems", strings.Join(out, "; "))
			return out
		}
	}
	log.Info("check passed", "check", name)
	return nil
}
