package deployer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Exit codes of the deployer CLI.
const (
	ExitReleased    = 0 // released (or: the command did what was asked)
	ExitFailed      = 1 // failed or rolled back
	ExitBadInput    = 2 // invalid flags, stack outputs or files, an AWS endpoint that does not answer or no credentials, a group that cannot gate the release, or an unreachable testUrl; nothing was written
	ExitTimedOut    = 3 // the budget ran out; stopped and rolled back
	ExitInterrupted = 4 // SIGINT/SIGTERM; stopped and rolled back, or detached
)

// Outcome says how a command ended.
type Outcome string

// Outcomes.
const (
	OutcomeReleased    Outcome = "released"
	OutcomeHeldAtReady Outcome = "held_at_ready" // deploy --hold-at-ready: gate 1 passed, waiting in Ready
	OutcomeRolledBack  Outcome = "rolled_back"
	OutcomeFailed      Outcome = "failed"
	// OutcomeUnhealthyAfterRelease: CodeDeploy reported success, production is
	// unhealthy and blue is gone; `deployer rollback` redeploys the previous version.
	OutcomeUnhealthyAfterRelease Outcome = "unhealthy_after_release"
	// OutcomeReleasedUnverified: production is on a healthy green, but gate 2 did not
	// verify it held before blue was terminated (the termination wait ended early).
	OutcomeReleasedUnverified Outcome = "released_unverified"
	OutcomeBusy               Outcome = "busy"
	// OutcomeAlarmActive: a group alarm stayed in ALARM through --alarm-wait, so no
	// deployment was created (CodeDeploy would have stopped it at once).
	OutcomeAlarmActive Outcome = "alarm_active"
	OutcomeTimedOut    Outcome = "timed_out"
	OutcomeInterrupted Outcome = "interrupted"
	OutcomeDetached    Outcome = "detached"
	OutcomeBadInput    Outcome = "bad_input"
	OutcomeOK          Outcome = "ok"
)

// Result is what a command reports: on stdout with --output json, and as the
// GITHUB_STEP_SUMMARY markdown.
type Result struct {
	Command                   string         `json:"command"`
	Outcome                   Outcome        `json:"outcome"`
	ExitCode                  int            `json:"exitCode"`
	Message                   string         `json:"message,omitempty"`
	DeploymentID              string         `json:"deploymentId,omitempty"`
	Attached                  bool           `json:"attached,omitempty"`
	Image                     string         `json:"image,omitempty"`
	TaskDefinitionArn         string         `json:"taskDefinitionArn,omitempty"`
	PreviousTaskDefinitionArn string         `json:"previousTaskDefinitionArn,omitempty"`
	Provenance                *Provenance    `json:"provenance,omitempty"`
	Group                     *GroupSettings `json:"group,omitempty"`
	Budget                    *Budget        `json:"budget,omitempty"`
	AlarmsOverridden          bool           `json:"alarmsOverridden,omitempty"` // created with the group's alarms turned off (rollback after blue is gone)
	StartedAt                 time.Time      `json:"startedAt"`
	EndedAt                   time.Time      `json:"endedAt"`
	Phases                    []PhaseRecord  `json:"phases,omitempty"`
	Gates                     []*GateResult  `json:"gates,omitempty"`
	Traffic                   []TrafficStep  `json:"traffic,omitempty"`
	Hold                      *HoldInfo      `json:"hold,omitempty"`
	Rollback                  *RollbackInfo  `json:"rollback,omitempty"`
	Failure                   *Failure       `json:"failure,omitempty"`
	Error                     *ErrorInfo     `json:"error,omitempty"`
	Status                    *StatusReport  `json:"status,omitempty"`
	Plan                      *PlanReport    `json:"plan,omitempty"`
}

// PhaseRecord is one CodeDeploy lifecycle event as last seen.
type PhaseRecord struct {
	Name   string     `json:"name"`
	Status string     `json:"status"`
	Start  *time.Time `json:"start,omitempty"`
	End    *time.Time `json:"end,omitempty"`
}

// GateResult is one gate's verdict and the evidence for it.
type GateResult struct {
	Name          string    `json:"name"`
	Verdict       string    `json:"verdict"` // pass, fail, skipped, not_run, incomplete, interrupted
	Reason        string    `json:"reason,omitempty"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Evidence      []string  `json:"evidence,omitempty"`
	Disagreements []string  `json:"disagreements,omitempty"`
	// MinutesJudged is, for gates shift and soak, how many whole CloudWatch minutes
	// the gate judged (minutesJudged); nil for the other gates.
	MinutesJudged *int `json:"minutesJudged,omitempty"`
	// Minutes are, for gates shift and soak, the figures of each minute judged,
	// oldest first (for the step summary's charts).
	Minutes []GateMinute `json:"minutes,omitempty"`
}

// intPtr is &n, for GateResult.MinutesJudged.
func intPtr(n int) *int { return &n }

// TrafficStep is the production weight split at a moment.
type TrafficStep struct {
	At    time.Time `json:"at"`
	Blue  float64   `json:"blue"`
	Green float64   `json:"green"`
}

// RollbackInfo is the rollback deployment CodeDeploy created.
type RollbackInfo struct {
	DeploymentID string `json:"deploymentId,omitempty"`
	Status       string `json:"status"`
	Message      string `json:"message,omitempty"`
}

// Failure collects why a release failed.
type Failure struct {
	Reason       string        `json:"reason"`
	ErrorCode    string        `json:"errorCode,omitempty"`
	ErrorMessage string        `json:"errorMessage,omitempty"`
	Diagnostics  []string      `json:"diagnostics,omitempty"`
	StoppedTasks []StoppedTask `json:"stoppedTasks,omitempty"`
	TargetHealth []string      `json:"targetHealth,omitempty"`
}

// ErrorInfo is the error that ended a command, with AWS's code when there is one.
type ErrorInfo struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func (d *Deployer) newResult(cmd string) *Result {
	return &Result{Command: cmd, StartedAt: d.clock.Now()}
}

// failure returns r.Failure, creating it.
func (r *Result) failure() *Failure {
	if r.Failure == nil {
		r.Failure = &Failure{}
	}
	return r.Failure
}

// recordEvents copies the target's lifecycle events into the phases (a nil target
// leaves them as they were).
func (r *Result) recordEvents(t *cdtypes.ECSTarget) {
	if t != nil {
		r.Phases = phaseRecords(t)
	}
}

// phaseRecords are the target's lifecycle events as last seen.
func phaseRecords(t *cdtypes.ECSTarget) []PhaseRecord {
	if t == nil {
		return nil
	}
	var out []PhaseRecord
	for _, ev := range t.LifecycleEvents {
		out = append(out, PhaseRecord{Name: aws.ToString(ev.LifecycleEventName), Status: string(ev.Status), Start: ev.StartTime, End: ev.EndTime})
	}
	return out
}

// recordDiagnostics copies failed lifecycle events' diagnostics and the
// deployment's error information into the failure report.
func (r *Result) recordDiagnostics(dep *cdtypes.DeploymentInfo, t *cdtypes.ECSTarget) {
	if dep != nil && dep.ErrorInformation != nil {
		f := r.failure()
		f.ErrorCode = string(dep.ErrorInformation.Code)
		f.ErrorMessage = aws.ToString(dep.ErrorInformation.Message)
	}
	if t == nil {
		return
	}
	for _, ev := range t.LifecycleEvents {
		if dg := ev.Diagnostics; dg != nil && ev.Status == cdtypes.LifecycleEventStatusFailed {
			line := fmt.Sprintf("%s: %s %s", aws.ToString(ev.LifecycleEventName), dg.ErrorCode, aws.ToString(dg.Message))
			if tail := strings.TrimSpace(aws.ToString(dg.LogTail)); tail != "" {
				line += " | " + tail
			}
			r.failure().Diagnostics = append(r.failure().Diagnostics, line)
		}
	}
}

// setError records err as the result's error and message.
func (res *Result) setError(err error) {
	res.Error = &ErrorInfo{Message: err.Error()}
	var ae *AWSError
	if errors.As(err, &ae) {
		res.Error.Code = ae.Code
	}
	if res.Message == "" {
		res.Message = err.Error()
	}
}

// endBeforeDeployment reports an error that happened before any deployment was
// created or attached: nothing to roll back.
func (d *Deployer) endBeforeDeployment(ctx context.Context, res *Result, err error) *Result {
	res.EndedAt = d.clock.Now()
	var busy *BusyError
	var bad *InputError
	switch {
	case errors.As(err, &bad):
		res.Outcome, res.ExitCode = OutcomeBadInput, ExitBadInput
	case ctx.Err() != nil:
		res.Outcome, res.ExitCode = OutcomeInterrupted, ExitInterrupted
		res.Message = "interrupted before a deployment was created; nothing to undo"
		if errors.Is(err, errNoneCreated) {
			res.Message = fmt.Sprintf("interrupted while creating the deployment; checked: no deployment of this release in group %s: nothing to undo", d.t.DeploymentGroup)
		} else if errors.Is(err, errCreateUnchecked) {
			res.Message = "interrupted while creating the deployment: " + err.Error()
		}
		return res
	case errors.As(err, &busy):
		res.Outcome, res.ExitCode, res.DeploymentID = OutcomeBusy, ExitFailed, busy.DeploymentID
	case errors.As(err, new(*AlarmActiveError)):
		res.Outcome, res.ExitCode = OutcomeAlarmActive, ExitFailed
	default:
		res.Outcome, res.ExitCode = OutcomeFailed, ExitFailed
	}
	res.setError(err)
	return res
}

// writeJSON prints the result as one JSON document.
func (r *Result) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeText prints a short human summary.
func (r *Result) writeText(w io.Writer) {
	switch {
	case r.Status != nil:
		r.Status.writeText(w)
		if r.Message != "" && r.ExitCode == ExitReleased {
			fmt.Fprintln(w, r.Message) // status --follow: how it ended
		}
		return
	case r.Plan != nil:
		r.Plan.writeText(w)
		return
	}
	line := fmt.Sprintf("%s: %s", r.Command, r.Outcome)
	if r.DeploymentID != "" {
		line += " deployment " + r.DeploymentID
	}
	if r.TaskDefinitionArn != "" {
		line += " task definition " + r.TaskDefinitionArn
	}
	fmt.Fprintln(w, line)
	if r.Message != "" && r.ExitCode == ExitReleased {
		fmt.Fprintln(w, r.Message) // failures are printed once, on stderr
	}
	if r.Rollback != nil {
		fmt.Fprintf(w, "rollback deployment %s: %s %s\n", r.Rollback.DeploymentID, r.Rollback.Status, r.Rollback.Message)
	}
}

// writeMarkdown renders the GITHUB_STEP_SUMMARY section.
func (r *Result) writeMarkdown(w io.Writer) {
	icon := map[Outcome]string{OutcomeReleased: "✅", OutcomeOK: "✅", OutcomeDetached: "⏸️", OutcomeHeldAtReady: "⏸️", OutcomeReleasedUnverified: "⚠️"}[r.Outcome]
	if icon == "" {
		icon = "❌"
	}
	fmt.Fprintf(w, "## %s deployer %s: %s\n\n", icon, r.Command, r.Outcome)
	kv := [][2]string{{"Deployment", r.DeploymentID}, {"Image", r.Image}, {"Task definition", r.TaskDefinitionArn},
		{"Previous task definition", r.PreviousTaskDefinitionArn}, {"Message", r.Message}}
	if r.Budget != nil {
		kv = append(kv, [2]string{"Budget", r.Budget.String()})
	}
	if r.AlarmsOverridden {
		kv = append(kv, [2]string{"Group alarms", "turned off for this rollback redeploy (OverrideAlarmConfiguration)"})
	}
	if r.Rollback != nil {
		kv = append(kv, [2]string{"Rollback", strings.TrimSpace(r.Rollback.DeploymentID + " " + r.Rollback.Status + " " + r.Rollback.Message)})
	}
	for _, e := range kv {
		if e[1] != "" {
			fmt.Fprintf(w, "- **%s**: `%s`\n", e[0], mdEscape(e[1]))
		}
	}
	if len(r.Phases) > 0 {
		fmt.Fprint(w, "\n| Lifecycle event | Status | Start | End |\n|---|---|---|---|\n")
		for _, p := range r.Phases {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", p.Name, p.Status, mdTime(p.Start), mdTime(p.End))
		}
	}
	if len(r.Gates) > 0 {
		fmt.Fprint(w, "\n| Gate | Verdict | Reason | Evidence |\n|---|---|---|---|\n")
		for _, g := range r.Gates {
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", g.Name, g.Verdict, mdEscape(g.Reason), mdEscape(strings.Join(append(g.Evidence, g.Disagreements...), "<br>")))
		}
	}
	if len(r.Traffic) > 0 {
		fmt.Fprint(w, "\n| Time | Blue % | Green % |\n|---|---|---|\n")
		for _, t := range r.Traffic {
			fmt.Fprintf(w, "| %s | %g | %g |\n", t.At.UTC().Format(time.RFC3339), t.Blue, t.Green)
		}
	}
	if charts := ReleaseCharts(*r); charts != "" {
		fmt.Fprint(w, "\n"+charts)
	}
	if f := r.Failure; f != nil {
		fmt.Fprintf(w, "\n### Failure\n\n%s\n", mdEscape(f.Reason))
		for _, l := range append(append(f.Diagnostics, f.TargetHealth...), stoppedStrings(f.StoppedTasks)...) {
			fmt.Fprintf(w, "- %s\n", mdEscape(l))
		}
		if f.ErrorCode != "" {
			fmt.Fprintf(w, "- CodeDeploy %s: %s\n", f.ErrorCode, mdEscape(f.ErrorMessage))
		}
	}
	fmt.Fprintln(w)
}

func stoppedStrings(ts []StoppedTask) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}

func mdTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "`", "'").Replace(s)
}
