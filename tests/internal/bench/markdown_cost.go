package bench

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

func (r *Results) writeReaction(b *strings.Builder) {
	fmt.Fprintf(b, "## Reaction and cost\n\nHow soon the deployer acts on the two waits it gates, in its %s release: its next "+
		"GetDeployment after the change (the poll that sees it), the gate's own run, and its next write (how long after "+
		"the change, and after the gate's verdict).\n\n", r.CostRelease)
	if len(r.Reactions) == 0 {
		b.WriteString("Not measured in this run.\n\n")
		return
	}
	b.WriteString("| change | next poll | gate | gate ran | next write | after the change | after the verdict |\n|---|---|---|---|---|---|---|\n")
	for _, x := range r.Reactions {
		fmt.Fprintf(b, "| %s | %s | `%s` | %s | %s | %s | %s |\n", x.Change, dOrZero(x.Noticed), x.Gate, d(x.GateRan),
			orNone(x.Write, "none"), d(x.WriteAfter), dOrZero(x.AfterVerdict))
	}
	b.WriteString("\n")
}

// dOrZero formats a duration that may well be zero, to a tenth of a second.
func dOrZero(x time.Duration) string {
	return fmt.Sprintf("%.1fs", x.Seconds())
}

func (r *Results) writeCalls(b *strings.Builder) {
	names := make([]string, 0, len(r.CallsPerRelease))
	for n := range r.CallsPerRelease {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString("API calls per release, the deployer's, from its start to its exit:")
	for _, n := range names {
		fmt.Fprintf(b, " %s %d;", n, r.CallsPerRelease[n])
	}
	b.WriteString(" (the aws CLI's are in the comparison above).\n\n")
	if len(r.Reads) == 0 {
		return
	}
	total, polls := 0, 0
	for _, op := range r.Operations {
		total += op.N
		if op.Op == "codedeploy:GetDeployment" || op.Op == "codedeploy:GetDeploymentTarget" {
			polls += op.N
		}
	}
	fmt.Fprintf(b, "In the %s release, %d calls, %.0f %% of them GetDeployment and GetDeploymentTarget. Per operation: how many "+
		"reads answered what the same read had answered before (a poll that found nothing new: the price of polling), "+
		"and how many repeated, in the same step, a read whose answer the deployer already had: less than %s after it "+
		"(the deployer never polls faster), with no write between, the same input and the same answer. Those are "+
		"redundant.\n\n", r.CostRelease, total, 100*float64(polls)/float64(max(total, 1)), sameStep)
	b.WriteString("| operation | calls | unchanged since the same read | redundant (same step) | calls between the read and its repeat | phase |\n|---|---|---|---|---|---|\n")
	for _, s := range r.Reads {
		fmt.Fprintf(b, "| %s | %d | %d | %d | %s | %s |\n", s.Op, s.Calls, s.Unchanged, s.Redo, orNone(s.Between, ""), strings.Join(s.Phases, ", "))
	}
	for _, op := range r.Operations {
		if isWrite(op.Op[strings.Index(op.Op, ":")+1:]) {
			fmt.Fprintf(b, "| %s (write) | %d | | | | |\n", op.Op, op.N)
		}
	}
	b.WriteString("\n")
}

func (r *Results) writeGoTest(b *strings.Builder) {
	b.WriteString("## The README's test command\n\n")
	t := r.GoTest
	if t == nil {
		b.WriteString("Not measured in this run (the command's `-gotest` flag measures it; cold takes many minutes).\n\n")
		return
	}
	modules := "this machine's module cache (the module proxy did not answer, so no module could be downloaded)"
	if t.FreshModules {
		modules = "an empty module cache, every module downloaded from " + t.Proxy
	}
	fmt.Fprintf(b, "`go test ./...` at the repository root, one run after the other: cold is an empty build cache and %s; "+
		"warm keeps both caches.\n\n| run | command | wall time (real) | result |\n|---|---|---|---|\n", modules)
	for _, run := range t.Runs {
		fmt.Fprintf(b, "| %s | `%s` | %s | %s |\n", run.Name, run.Command, d(run.Wall), oneLine(run.verdict()))
	}
	b.WriteString("\n")
}

func (r *Results) writeDefinitions(b *strings.Builder) {
	b.WriteString("## How the run works\n\n" +
		"- Each scenario provisions its own emulator from the stack file with the real program, runs the load for the steady " +
		"state, makes one release, waits (reading as its own caller) until the deployment and any rollback have ended, and " +
		"lets the load run a little longer. The emulator's call log (`emulator.Options.OnCall`) stamps every API call with " +
		"AWS time and the caller's User-Agent, where each caller names itself (`AWS_SDK_UA_APP_ID`): the deployer, the aws " +
		"CLI as each tool, the operator, the benchmark's own reads (counted nowhere).\n" +
		"- The deployer runs in-process on the emulator's clock with its production defaults (no timing flag). The aws CLI " +
		"runs as separate Python processes; `sitecustomize.py` makes their `time.sleep` sleep d/scale and their " +
		"`time.time` and `time.monotonic` read the AWS clock (botocore's waiters count attempts and sleep; its retries " +
		"sleep).\n" +
		"- The aws CLI's task definition is the live one with the new image and environment, and its AppSpec names the " +
		"task definition, container and port, as AWS's tutorials write them.\n" +
		"- Bad greens that degrade are timed from this run: the termination-wait one degrades two AWS minutes after the " +
		"same tool's good release reached the termination wait; the one under production traffic a quarter of the canary " +
		"step after production traffic first reaches it (the emulator's step hook writes its SIM_DEGRADE_WHEN_FILE on the " +
		"AWS clock), whatever the tool's gates sent it before, so every tool meets the same green.\n\n")
}

func (r *Results) writeErrors(b *strings.Builder) {
	if len(r.Errors) == 0 {
		return
	}
	b.WriteString("## Not measured in this run\n\n")
	for _, e := range r.Errors {
		fmt.Fprintf(b, "- %s\n", oneLine(e))
	}
	b.WriteString("\n")
}
