package deployer

import (
	"context"
	"fmt"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// failFast checks green while it starts: failed task stops, and no healthy
// target within the green start timeout. While production traffic moves, gate
// shift checks it.
func (d *Deployer) failFast(ctx context.Context, r *release, s snapshot) error {
	green := taskSet(s.Target, cdtypes.TargetLabelGreen)
	if green == nil {
		return d.checkGreenStart(r, nil)
	}
	if err := d.checkStoppedTasks(ctx, r); err != nil {
		return err
	}
	tg, err := d.greenTargetGroup(ctx, r, s)
	if err != nil {
		return err
	}
	v, err := d.targetHealth(ctx, tg.Arn, desiredOf(green, r))
	if err != nil {
		return err
	}
	if v.Healthy > 0 {
		r.greenHealthy = true
	}
	return d.checkGreenStart(r, &v)
}

// checkGreenStart fails when no green target has been healthy within the green
// start timeout (CodeDeploy itself would keep Install busy for about an hour).
func (d *Deployer) checkGreenStart(r *release, v *healthVerdict) error {
	limit := r.limits.GreenStartTimeout
	if r.greenHealthy || r.installStart.IsZero() || d.clock.Now().Sub(r.installStart) < limit {
		return nil
	}
	reason := fmt.Sprintf("no healthy green target within --green-start-timeout %s", limit)
	if r.limits.Derived.GreenStartTimeout {
		reason = fmt.Sprintf("no healthy green target within %s (--green-start-timeout derived: the larger of %s and the service's health check grace period + %s)",
			limit, minGreenStartTimeout, greenStartMargin)
	}
	if v != nil {
		reason += ": " + v.String()
	} else {
		reason += ": the replacement task set was not created"
	}
	return &GateError{Gate: "green-start", Reason: reason}
}
