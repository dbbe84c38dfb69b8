package deployer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssessStopTarget(t *testing.T) {
	t.Parallel()
	ours := &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-NEW"), Status: "InProgress", Creator: cdtypes.DeploymentCreatorUser}
	theirs := &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-RB"), Status: "InProgress", Creator: cdtypes.DeploymentCreatorCodeDeployRollback,
		RollbackInfo: &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-NEW")}}
	cases := []struct {
		name     string
		inFlight *cdtypes.DeploymentInfo
		pinned   string
		want     string
		wantErr  string
	}{
		{"the in-flight deployment is stopped", ours, "", "d-NEW", ""},
		{"a pinned id that is the in-flight deployment is stopped", ours, "d-NEW", "d-NEW", ""},
		{"nothing in flight and nothing pinned is nothing to stop", nil, "", "", ""},
		{"a pinned id that is no longer in flight is refused", nil, "d-NEW", "", "deployment d-NEW is not in flight (the group has none): nothing stopped"},
		{"a pinned id that is not the in-flight deployment is refused", ours, "d-OLD", "", "deployment d-OLD is not the group's in-flight deployment (that is d-NEW, InProgress): nothing stopped"},
		{"CodeDeploy's rollback deployment is never stopped", theirs, "", "", "deployment d-RB is CodeDeploy's rollback of d-NEW: it is already taking production back"},
		{"CodeDeploy's rollback deployment is never stopped even when pinned", theirs, "d-RB", "", "follow it with `deployer status --follow --deployment-id d-RB`"},
		{"a rollback deployment is recognised by its creator alone", &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-RB"), Creator: cdtypes.DeploymentCreatorCodeDeployRollback}, "", "", "CodeDeploy's rollback of an earlier deployment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := assessStopTarget(tc.inFlight, tc.pinned)
			assertDecision(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestAbortAndRollbackRefuseToStopCodeDeploysRollback(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"abort", "rollback"} {
		t.Run(cmd, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.active = []string{"d-RB"}
			w.addScript("d-RB", codeDeployRollback)
			code, out, stderr := cliRun(t, w, nil, "", cmd, "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--output", "json")

			assert.Equal(t, ExitFailed, code)
			assert.Contains(t, stderr, "deployment d-RB is CodeDeploy's rollback of d-NEW: it is already taking production back to the previous version; nothing stopped: follow it with `deployer status --follow --deployment-id d-RB`")
			assert.Contains(t, out, `"deploymentId": "d-RB"`)
			assert.Zero(t, w.writes(), "no StopDeployment, and rollback redeploys nothing")
		})
	}
}

func TestACancelLandingDuringTheRollbacksStopDeploymentStillStopsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	res := interruptedDeploy(t, w, false, cancelDuring{call: "StopDeployment"}) // gate 1 fails, then the signal

	assert.Equal(t, []string{"d-NEW"}, w.stops, "StopDeployment is not cut short by the signal")
	require.NotNil(t, res.Rollback)
	assert.NotEqual(t, "not-started", res.Rollback.Status)
}
