package deployer

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// HoldInfo says where `deploy --hold-at-ready` left the deployment: waiting in
// Ready after gate 1 passed, production still on blue, until the group's ready
// wait runs out and CodeDeploy stops it.
type HoldInfo struct {
	ReadyWaitEndsAt *time.Time     `json:"readyWaitEndsAt,omitempty"` // nil: the group sets no ready wait time
	ReadyWaitLeft   *time.Duration `json:"-"`
	Promote         string         `json:"promote"`  // how to promote through gate 2: re-run deploy
	Continue        string         `json:"continue"` // the command that promotes without gates
	Abort           string         `json:"abort"`    // the command that abandons the release
}

// MarshalJSON adds the time left as a Go duration string and as whole seconds
// (for CI scripts that size a manual-approval timeout).
func (h HoldInfo) MarshalJSON() ([]byte, error) {
	type plain HoldInfo
	v := struct {
		plain
		ReadyWaitLeft        string `json:"readyWaitLeft,omitempty"`
		ReadyWaitLeftSeconds *int64 `json:"readyWaitLeftSeconds,omitempty"`
	}{plain: plain(h)}
	if h.ReadyWaitLeft != nil {
		secs := int64(h.ReadyWaitLeft.Seconds())
		v.ReadyWaitLeft, v.ReadyWaitLeftSeconds = h.ReadyWaitLeft.String(), &secs
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (h *HoldInfo) UnmarshalJSON(data []byte) error {
	type plain HoldInfo
	var v struct {
		plain
		ReadyWaitLeft string `json:"readyWaitLeft"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*h = HoldInfo(v.plain)
	if v.ReadyWaitLeft != "" {
		d, err := time.ParseDuration(v.ReadyWaitLeft)
		if err != nil {
			return fmt.Errorf("readyWaitLeft: %w", err)
		}
		h.ReadyWaitLeft = &d
	}
	return nil
}

// assessReadyWaitEnd says when the group's ready wait stops a deployment waiting
// in Ready. The wait starts when the last pre-traffic lifecycle event
// (AfterAllowTestTraffic, or AllowTestTraffic/Install when those are skipped)
// ends; without those times it is counted from the deployment's creation, which
// can only make the time left look shorter, never longer. ok is false when the
// group sets no wait time.
func assessReadyWaitEnd(dep *cdtypes.DeploymentInfo, t *cdtypes.ECSTarget, readyWait time.Duration, now time.Time) (end time.Time, ok bool) {
	if readyWait <= 0 {
		return time.Time{}, false
	}
	var start time.Time
	if t != nil {
		for _, ev := range t.LifecycleEvents {
			if slices.Contains(trafficEvents, aws.ToString(ev.LifecycleEventName)) || ev.EndTime == nil {
				continue
			}
			if ev.EndTime.After(start) {
				start = *ev.EndTime
			}
		}
	}
	if start.IsZero() && dep != nil && dep.CreateTime != nil {
		start = *dep.CreateTime
	}
	if start.IsZero() {
		start = now
	}
	return start.Add(readyWait), true
}

// holdAtReady reports a deployment left waiting in Ready after gate 1 passed: exit
// 0, outcome held_at_ready, the time left and how to promote or abandon it.
func (d *Deployer) holdAtReady(res *Result, r *release, s snapshot) {
	now := d.clock.Now()
	h := &HoldInfo{
		Promote:  fmt.Sprintf("re-run the same `deployer deploy` command (same image %s) without --hold-at-ready: it attaches, re-checks gate 1, promotes and runs gate 2", r.Image),
		Continue: "deployer continue --wait ready --deployment-id " + r.ID,
		Abort:    "deployer abort --deployment-id " + r.ID,
	}
	left := "the group sets no ready wait time"
	if end, ok := assessReadyWaitEnd(s.Deployment, s.Target, r.Group.ReadyWait, now); ok {
		l := max(end.Sub(now), 0).Round(time.Second)
		h.ReadyWaitEndsAt, h.ReadyWaitLeft = &end, &l
		left = fmt.Sprintf("%s left (until %s) before the group's ready wait (%s) runs out and CodeDeploy stops it", l, end.UTC().Format(time.RFC3339), r.Group.ReadyWait)
	}
	res.Hold = h
	res.Outcome, res.ExitCode = OutcomeHeldAtReady, ExitReleased
	res.Message = fmt.Sprintf("gate 1 passed; deployment %s is held in Ready: green answers on the test listener, production stays on blue; %s. "+
		"To promote with gate 2: %s. To promote without gates: `%s`. To abandon: `%s`. (Add your --stack-outputs to each.)",
		r.ID, left, h.Promote, h.Continue, h.Abort)
	d.log.Info(res.Message, "deployment", r.ID)
}
