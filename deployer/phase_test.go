package deployer

import (
	"testing"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
)

func TestAssessDeployment(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status cdtypes.DeploymentStatus
		target *cdtypes.ECSTarget
		want   Phase
	}{
		{"a created deployment is queued", "Created", nil, PhaseQueued},
		{"a queued deployment is queued", "Queued", nil, PhaseQueued},
		{"in progress without a target yet is installing", "InProgress", nil, PhaseInstalling},
		{"install in progress is installing", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, "InProgress")}, PhaseInstalling},
		{"test traffic allowed but no prod shift yet is installing", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S)}, PhaseInstalling},
		{"a deployment in Ready waits for gate 1", "Ready", &cdtypes.ECSTarget{Status: "Ready"}, PhaseReady},
		{"a target in Ready waits for gate 1 even if the deployment says InProgress", "InProgress", &cdtypes.ECSTarget{Status: "Ready"}, PhaseReady},
		{"BeforeAllowTraffic running is shifting", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S, "InProgress")}, PhaseShifting},
		{"AllowTraffic running is shifting", "InProgress", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S, S, "InProgress")}, PhaseShifting},
		{"baking is not terminal", "Baking", &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events(S, S, S, S, S, S, "InProgress")}, PhaseShifting},
		{"target succeeded while the deployment runs is the termination wait", "InProgress", &cdtypes.ECSTarget{Status: "Succeeded", LifecycleEvents: events(S, S, S, S, S, S, S, S)}, PhaseTerminationWait},
		{"a succeeded deployment is succeeded", "Succeeded", &cdtypes.ECSTarget{Status: "Succeeded"}, PhaseSucceeded},
		{"a failed deployment is failed", "Failed", nil, PhaseFailed},
		{"a stopped deployment is stopped", "Stopped", &cdtypes.ECSTarget{Status: "InProgress"}, PhaseStopped},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := assessDeployment(&cdtypes.DeploymentInfo{Status: tc.status}, tc.target)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPhaseTerminal(t *testing.T) {
	t.Parallel()
	for _, p := range []Phase{PhaseSucceeded, PhaseFailed, PhaseStopped} {
		assert.True(t, p.Terminal(), p)
	}
	for _, p := range []Phase{PhaseQueued, PhaseInstalling, PhaseReady, PhaseShifting, PhaseTerminationWait} {
		assert.False(t, p.Terminal(), p)
	}
}

func TestSnapshotChangesListOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	before := describeSnapshot(snapshot{Deployment: &cdtypes.DeploymentInfo{Status: "InProgress"}, Target: &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events("Succeeded", "InProgress")}})
	after := describeSnapshot(snapshot{Deployment: &cdtypes.DeploymentInfo{Status: "InProgress"}, Target: &cdtypes.ECSTarget{Status: "InProgress", LifecycleEvents: events("Succeeded", "Succeeded", "InProgress")}})
	assert.Equal(t, []string{"event AfterInstall: InProgress", "event Install: Succeeded"}, snapshotChanges(before, after))
	assert.Empty(t, snapshotChanges(after, after))
}
