package bench

import (
	"fmt"
	"strings"
	"time"
)

// minutes converts a count of minutes to a duration.
func minutes(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

// exposureFor returns the exposure of a kind with a tool, if measured.
func (r *Results) exposureFor(kind, tool string) (exposure, bool) {
	for _, e := range r.Exposures {
		if e.Kind == kind && e.Tool == tool {
			return e, true
		}
	}
	return exposure{}, false
}

// exposureCell says, for one kind and tool: how it ended, the answers users got wrong (of those
// the bad green gave), and the time from the first of them to production back on blue.
func exposureCell(e exposure, ok bool) string {
	if !ok {
		return "not measured"
	}
	s := fmt.Sprintf("%s (exit %d); %d bad of %d answers", e.Outcome, e.ExitCode, e.Bad, e.Served)
	switch t, back := e.badToBlue(); {
	case e.Stayed && e.Served > 0:
		s += "; **production stays on it** (blue removed)"
	case back:
		s += "; first bad → back on blue " + d(t)
	}
	if e.FirstBadWhen != "" {
		s += " (first bad: " + e.FirstBadWhen + ")"
	}
	return s
}

func (r *Results) writeExposure(b *strings.Builder) {
	b.WriteString("## Exposure to a bad green\n\nEach kind of bad green released under load, by the deployer (its production " +
		"defaults, the validation suite of `tests/internal/rehearsal/suite.yaml`) and by `aws deploy create-deployment` + " +
		"`aws deploy wait` with the operator continuing at Ready: what a CodeDeploy user gets from the group's alarms " +
		"alone (the stack's alarms, auto-rollback on failure and on alarm). A bad answer is one users got wrong: every " +
		"answer of a green whose predictions are wrong or slow, the failed ones of a green that fails some. \"Back on " +
		"blue\" is the bad green's last production answer.\n\n")
	tools := []string{ToolDeployer, ToolAWSDeploy}
	b.WriteString("| bad green | deployer | aws deploy + alarms |\n|---|---|---|\n")
	for _, k := range badGreens {
		cells := make([]string, len(tools))
		for i, t := range tools {
			cells[i] = exposureCell(r.exposureFor(k.Name, t))
		}
		fmt.Fprintf(b, "| %s | %s |\n", k.Name, strings.Join(cells, " | "))
	}
	b.WriteString("\nHow each bad green behaves (the emulator's simulated model server, README's table), and why each release ended:\n\n")
	for _, k := range badGreens {
		fmt.Fprintf(b, "- **%s**: %s.", k.Name, k.What)
		for _, t := range tools {
			if e, ok := r.exposureFor(k.Name, t); ok && e.Reason != "" {
				fmt.Fprintf(b, " %s: %s.", t, strings.TrimSuffix(oneLine(e.Reason), "."))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// oneLine keeps a reason on one Markdown line and a table cell's width.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 300 {
		s = s[:297] + "…"
	}
	return s
}

func (r *Results) writeRollback(b *strings.Builder) {
	hc, dep, al := r.Stack.HealthCheck, r.Stack.Deployment, r.Stack.Alarms
	b.WriteString("## Rollback of a green that never serves\n\nFrom Install's start (CodeDeploy starting green's task set) " +
		"to the end of the rollback deployment (production on blue, green's task set gone), and when the tool exited.\n\n")
	b.WriteString("| bad green | tool | green start → rolled back | green start → tool exit | why |\n|---|---|---|---|---|\n")
	for _, kind := range []string{"never ready", "crash-looping"} {
		for _, tool := range []string{ToolDeployer, ToolAWSDeploy} {
			e, ok := r.exposureFor(kind, tool)
			if !ok {
				continue
			}
			rb, _ := e.rollbackTime()
			exit := time.Duration(0)
			if !e.GreenStart.IsZero() {
				exit = e.Exit.Sub(e.GreenStart)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", kind, tool, d(rb), d(exit), oneLine(e.Reason))
		}
	}
	grace := time.Duration(hc.GracePeriod) * time.Second
	checks := time.Duration(hc.Interval*hc.UnhealthyThreshold) * time.Second
	window := time.Duration(al.PeriodSeconds*al.EvaluationPeriods) * time.Second
	fmt.Fprintf(b, "\nThe arithmetic, from `Pulumi.dev.yaml`: the service's health check grace period is %s; a target is "+
		"unhealthy after %d failed checks %d s apart (%s); the unhealthy-hosts alarm needs %d of %d periods of %d s "+
		"(%s) after the grace period, and CloudWatch publishes ALB metrics a minute or more late; CodeDeploy gives Install "+
		"60 minutes before it fails the deployment; a green with no healthy target runs out the deployer's "+
		"`--green-start-timeout`, by default the larger of 10m and the grace period + 5m (%s). The ready wait is %d "+
		"minutes and the termination wait %d.\n\n", d(grace), hc.UnhealthyThreshold, hc.Interval, d(checks),
		al.DatapointsToAlarm, al.EvaluationPeriods, al.PeriodSeconds, d(window), d(max(10*time.Minute, grace+5*time.Minute)),
		dep.ReadyWaitMinutes, dep.TerminationWaitMinutes)
}
