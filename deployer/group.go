package deployer

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// GroupSettings are the deployment group's settings that shape a release.
type GroupSettings struct {
	DeploymentConfig string        `json:"deploymentConfig"`
	ReadyAction      string        `json:"readyAction"`
	ReadyWait        time.Duration `json:"readyWait"`
	TerminationWait  time.Duration `json:"terminationWait"`
	TrafficRouting   string        `json:"trafficRouting"`
	ShiftDuration    time.Duration `json:"shiftDuration"`
	Alarms           []string      `json:"alarms,omitempty"`
	AlarmsEnabled    bool          `json:"alarmsEnabled"`
	AutoRollback     bool          `json:"autoRollback"`
}

// gatesBeforeTraffic reports whether the group waits in Ready for us.
func (g GroupSettings) gatesBeforeTraffic() bool {
	return g.ReadyAction == string(cdtypes.DeploymentReadyActionStopDeployment)
}

// groupSettings reads the settings that shape a release from the deployment
// group; the traffic routing comes from its deployment config (assessTrafficRouting).
func groupSettings(info *cdtypes.DeploymentGroupInfo) GroupSettings {
	g := GroupSettings{DeploymentConfig: aws.ToString(info.DeploymentConfigName)}
	if g.DeploymentConfig == "" {
		g.DeploymentConfig = "CodeDeployDefault.ECSAllAtOnce"
	}
	if bg := info.BlueGreenDeploymentConfiguration; bg != nil {
		if ro := bg.DeploymentReadyOption; ro != nil {
			g.ReadyAction = string(ro.ActionOnTimeout)
			g.ReadyWait = time.Duration(ro.WaitTimeInMinutes) * time.Minute
		}
		if tw := bg.TerminateBlueInstancesOnDeploymentSuccess; tw != nil {
			g.TerminationWait = time.Duration(tw.TerminationWaitTimeInMinutes) * time.Minute
		}
	}
	if g.ReadyAction == "" {
		g.ReadyAction = string(cdtypes.DeploymentReadyActionContinueDeployment)
	}
	if ac := info.AlarmConfiguration; ac != nil {
		g.AlarmsEnabled = ac.Enabled
		for _, a := range ac.Alarms {
			g.Alarms = append(g.Alarms, aws.ToString(a.Name))
		}
	}
	g.AutoRollback = info.AutoRollbackConfiguration != nil && info.AutoRollbackConfiguration.Enabled
	return g
}

// assessTrafficRouting describes a traffic routing config and how long the shift
// takes: canary = one interval; linear = one interval per step.
func assessTrafficRouting(tr *cdtypes.TrafficRoutingConfig) (string, time.Duration) {
	if tr == nil {
		return "AllAtOnce", 0
	}
	switch tr.Type {
	case cdtypes.TrafficRoutingTypeTimeBasedCanary:
		if c := tr.TimeBasedCanary; c != nil {
			return fmt.Sprintf("canary %d%% then the rest after %d min", c.CanaryPercentage, c.CanaryInterval), time.Duration(c.CanaryInterval) * time.Minute
		}
	case cdtypes.TrafficRoutingTypeTimeBasedLinear:
		if l := tr.TimeBasedLinear; l != nil && l.LinearPercentage > 0 {
			steps := (100 + l.LinearPercentage - 1) / l.LinearPercentage
			return fmt.Sprintf("linear %d%% every %d min", l.LinearPercentage, l.LinearInterval), time.Duration(steps*l.LinearInterval) * time.Minute
		}
	}
	return "AllAtOnce", 0
}

// MarshalJSON renders durations as Go duration strings ("30m0s").
func (g GroupSettings) MarshalJSON() ([]byte, error) {
	type plain GroupSettings
	return json.Marshal(struct {
		plain
		ReadyWait       string `json:"readyWait"`
		TerminationWait string `json:"terminationWait"`
		ShiftDuration   string `json:"shiftDuration"`
	}{plain(g), g.ReadyWait.String(), g.TerminationWait.String(), g.ShiftDuration.String()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (g *GroupSettings) UnmarshalJSON(data []byte) error {
	type plain GroupSettings
	var v struct {
		plain
		ReadyWait       string `json:"readyWait"`
		TerminationWait string `json:"terminationWait"`
		ShiftDuration   string `json:"shiftDuration"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*g = GroupSettings(v.plain)
	return parseDurations(map[string]string{"readyWait": v.ReadyWait, "terminationWait": v.TerminationWait, "shiftDuration": v.ShiftDuration},
		map[string]*time.Duration{"readyWait": &g.ReadyWait, "terminationWait": &g.TerminationWait, "shiftDuration": &g.ShiftDuration})
}
