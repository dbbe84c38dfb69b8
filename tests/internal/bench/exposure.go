package bench

import (
	"fmt"
	"strings"
	"time"
)

// exposure is what production got from a bad green released with one tool.
type exposure struct {
	Kind, Tool, Outcome string
	ExitCode            int
	// Served are the production answers the bad green gave, Bad those users got wrong; FirstBad
	// and LastServed when the first of those and the last answer came back.
	Served, Bad          int
	FirstBad, LastServed time.Time
	// FirstBadWhen says in which phase of the release the first bad answer came, and how far into it.
	FirstBadWhen string
	// Stayed says CodeDeploy succeeded: blue is gone and production stays on the bad green.
	Stayed bool
	// GreenStart is when Install began starting green; RolledBack when the rollback deployment
	// ended (production on blue, green's task set gone); Exit when the tool exited.
	GreenStart, RolledBack, Exit time.Time
	Reason                       string
}

// exposureOf measures a bad green's release.
func exposureOf(o *outcome, k badGreen) exposure {
	e := exposure{Kind: k.Name, Tool: o.Tool, Outcome: o.Outcome, ExitCode: o.ExitCode,
		Stayed: !o.Deployment.blueRemoved().IsZero(), GreenStart: o.Deployment.installStart(),
		RolledBack: o.Deployment.rolledBack(), Exit: o.Exit, Reason: reasonOf(o)}
	for _, a := range o.Answers {
		if a.Stream || a.Version != o.Tag {
			continue
		}
		e.Served++
		e.LastServed = a.At
		if k.Bad == nil || k.Bad(a) {
			if e.Bad == 0 {
				e.FirstBad, e.FirstBadWhen = a.At, when(o.Deployment, a.At)
			}
			e.Bad++
		}
	}
	return e
}

// when says which phase of a deployment t falls in, and how far into it ("termination wait +50s";
// "" outside them all).
func when(f deploymentFacts, t time.Time) string {
	for _, p := range releasePhases(f, f.Created, t.Add(time.Second)) {
		if !p.From.IsZero() && !t.Before(p.From) && t.Before(p.To) {
			return fmt.Sprintf("%s +%s", p.Name, d(t.Sub(p.From)))
		}
	}
	return ""
}

// badToBlue is the time from the bad green's first bad answer to its last production answer: when
// production was back on blue. ok is false when it gave no bad answer or production stayed on it.
func (e exposure) badToBlue() (time.Duration, bool) {
	if e.Bad == 0 || e.Stayed {
		return 0, false
	}
	return e.LastServed.Sub(e.FirstBad), true
}

// rollbackTime is the time from green's start to the end of its rollback; ok is false without one.
func (e exposure) rollbackTime() (time.Duration, bool) {
	if e.GreenStart.IsZero() || e.RolledBack.IsZero() {
		return 0, false
	}
	return e.RolledBack.Sub(e.GreenStart), true
}

// reasonOf is why a release ended as it did: the deployer's failure reason, or CodeDeploy's
// error for a release made with the aws CLI (with the CLI's own complaint when it gave up).
func reasonOf(o *outcome) string {
	if o.Result.Failure != nil {
		return o.Result.Failure.Reason
	}
	reason := o.Deployment.ErrorMessage
	if o.CLI != nil && len(o.CLI.Processes) > 0 {
		last := o.CLI.Processes[len(o.CLI.Processes)-1]
		if msg := strings.TrimSpace(last.Stderr); last.ExitCode != 0 && msg != "" {
			reason = strings.TrimSpace(reason + " (" + lastLine(msg) + ")")
		}
	}
	return reason
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
