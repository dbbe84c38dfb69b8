package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// Gate names, as they appear in results.
const (
	GateReady = "ready" // gate 1: before production traffic
	GateShift = "shift" // while production traffic moves: green against blue, minute by minute
	GateSoak  = "soak"  // gate 2: before blue is terminated
)

// GateError is a failed gate or fail-fast check: the release must be rolled back.
type GateError struct {
	Gate   string
	Reason string
}

// Error renders "gate <name> failed: <reason>".
func (e *GateError) Error() string { return "gate " + e.Gate + " failed: " + e.Reason }

// gateFailed records a gate that did not pass: interrupted, or failed.
func (d *Deployer) gateFailed(ctx context.Context, g *GateResult, err error) {
	var blind *BlindError
	switch {
	case ctx.Err() != nil:
		g.Verdict, g.Reason = "interrupted", ctx.Err().Error()
		return
	case errors.As(err, &blind):
		g.Verdict, g.Reason = "incomplete", err.Error()
		d.log.Error("gate "+g.Name+" could not see green", "reason", g.Reason)
		return
	}
	g.Verdict, g.Reason = "fail", gateReason(err)
	d.log.Error("gate "+g.Name+" failed", "reason", g.Reason)
}

func gateReason(err error) string {
	var ge *GateError
	if errors.As(err, &ge) {
		return ge.Reason
	}
	return err.Error()
}

// continueDeployment calls ContinueDeployment. "Not in Ready" is not an error
// here: the deployment moved on (or timed out) and the next poll shows how.
func (d *Deployer) continueDeployment(ctx context.Context, id string, wait cdtypes.DeploymentWaitType) error {
	_, err := d.c.CodeDeploy.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: &id, DeploymentWaitType: wait})
	if hasCode(err, "DeploymentIsNotInReadyStateException", "InvalidDeploymentWaitTypeException", "DeploymentAlreadyCompletedException") {
		d.log.Warn("continue deployment: the deployment is no longer waiting", "deployment", id, "wait", string(wait), "error", awsError("continue", err).Error())
		return nil
	}
	if err != nil {
		return awsError(fmt.Sprintf("continue deployment %s (%s)", id, wait), err)
	}
	return nil
}

// looker reads the deployment for a gate's looks. A look less than a poll
// interval after the last read (a check of green fell due before the next poll,
// or the gate starts on the poll that saw its phase) judges on that read: the
// deployer never polls faster than --poll-interval, and reading again would
// learn nothing.
type looker struct {
	last snapshot
	at   time.Time
}

// newLooker starts a gate's looks from first, the poll that saw its phase begin.
func (d *Deployer) newLooker(first snapshot) *looker {
	return &looker{last: first, at: d.clock.Now()}
}

// look returns the deployment for this look: the last read while it is fresh,
// else a new poll, observed (p learns whether anything changed).
func (d *Deployer) look(ctx context.Context, res *Result, r *release, p *poller, l *looker) (snapshot, error) {
	if d.clock.Now().Sub(l.at) < d.o.PollInterval {
		return l.last, nil
	}
	snap, err := d.poll(ctx, r.ID)
	if err != nil {
		return snap, err
	}
	if d.observe(res, r, snap) {
		p.changed()
	}
	l.last, l.at = snap, d.clock.Now()
	return snap, nil
}
