package bench

import (
	"fmt"
	"strings"
)

func (r *Results) writeTools(b *strings.Builder) {
	b.WriteString("## Against the aws CLI\n\nThe same canary release of the good model, on the same stack and clock, with the tools " +
		"users would pick instead: `aws ecs register-task-definition` + `aws deploy create-deployment` + " +
		"`aws deploy wait deployment-successful` (\"aws deploy\"), and `aws ecs deploy`. The group waits in Ready " +
		"(`deployment.readyWaitMinutes`), so beside each aws CLI release an operator continues it as a person " +
		"would (see the table above); the deployer continues on its own once gate `ready` has passed.\n\n")
	if len(r.Tools) == 0 {
		b.WriteString("Not measured in this run.\n\n")
		return
	}
	b.WriteString("| tool | outcome (exit) | CreateDeployment → exit | Ready → ContinueDeployment | blue kept running after the shift | Succeeded → last API call (→ exit) | tool's API calls (operator's) |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, t := range r.Tools {
		if !t.ok {
			fmt.Fprintf(b, "| %s | %s (%d) | no deployment created | | | | |\n", t.Tool, t.Outcome, t.ExitCode)
			continue
		}
		fmt.Fprintf(b, "| %s | %s (%d) | %s | %s | %s | %s (%s) | %d (%d) |\n", t.Tool, t.Outcome, t.ExitCode, d(t.Wall),
			d(t.ReadyToContinue), d(t.BlueAfterShift), d(t.SucceededToLastCall), d(t.SucceededToExit), t.Calls, t.OperatorCalls)
	}
	b.WriteString("\nAPI calls per AWS minute by phase, the tool's own (the operator's are apart: one read every look):\n\n")
	phases := []string{"install and test traffic", "waiting in Ready", "production traffic shift", "termination wait", "after the deployment ended"}
	fmt.Fprintf(b, "| tool | %s |\n|---|%s\n", strings.Join(phases, " | "), strings.Repeat("---|", len(phases)))
	for _, t := range r.Tools {
		cells := make([]string, len(phases))
		for i, p := range phases {
			cells[i] = "—"
			for _, pr := range t.Rates {
				if pr.Name == p {
					cells[i] = rateCell(pr)
				}
			}
		}
		fmt.Fprintf(b, "| %s | %s |\n", t.Tool, strings.Join(cells, " | "))
	}
	b.WriteString("\n")
	r.writeCLINotes(b)
}

func (r *Results) writeCLINotes(b *strings.Builder) {
	for _, t := range r.Tools {
		if t.Startup > 0 {
			fmt.Fprintf(b, "- %s: each aws CLI process took %.1f real seconds on average from its start to its first API call "+
				"(Python and botocore loading on this machine). The clock multiplies that by %g, so the figures start at "+
				"the tool's CreateDeployment, and \"Succeeded → last API call\" is the read that saw Succeeded: the process's own "+
				"exit after it (in brackets) is real time multiplied the same way.\n", t.Tool, t.Startup.Seconds(), r.Config.TimeScale)
		}
	}
	b.WriteString("- `aws deploy wait deployment-successful` polls GetDeployment every 15 s and gives up after 120 polls " +
		"(30 minutes); `aws ecs deploy` uses the same waiter for the group's ready wait + termination wait + 10 minutes " +
		"(at least 30). Both wait out the whole termination wait: blue runs for all of it, and nothing judges green " +
		"meanwhile but the group's alarms.\n\n")
}

// rateCell is a phase's calls per minute, or only its count when it lasted less than a minute.
func rateCell(p phaseRate) string {
	if p.Minutes < 1 {
		return fmt.Sprintf("%d calls in %s", p.Calls, d(minutes(p.Minutes)))
	}
	return fmt.Sprintf("%.1f (%d in %s)", p.perMinute(), p.Calls, d(minutes(p.Minutes)))
}
