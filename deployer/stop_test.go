package deployer

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codeDeployRollback is the step of CodeDeploy's rollback deployment of d-NEW.
var codeDeployRollback = step{status: "InProgress", creator: cdtypes.DeploymentCreatorCodeDeployRollback,
	target:   ecsTarget("InProgress", events(S, "InProgress"), 0, 100),
	rollback: &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-NEW")}}

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

func TestAbortPinnedToADeploymentThatIsNotInFlightStopsNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEXT"}
	w.addScript("d-NEXT", stepInstalling)
	res := w.deployer(t, true).Abort(context.Background(), "d-NEW")

	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "deployment d-NEW is not the group's in-flight deployment (that is d-NEXT, InProgress)")
	assert.Empty(t, w.stops, "the next release is not stopped by an abort meant for an earlier one")
}

func TestAbortPinnedToTheInFlightDeploymentStopsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepReady)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Abort(context.Background(), "d-NEW")

	assert.Equal(t, OutcomeRolledBack, res.Outcome, res.Message)
	assert.Equal(t, []string{"d-NEW"}, w.stops)
}

func TestRollbackPinnedToADeploymentThatEndedRedeploysNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[prevTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(prevTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String("repo/model-server:v0")}}}
	res := w.deployer(t, true).Rollback(context.Background(), "d-NEW", "", DeployRequest{})

	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "deployment d-NEW is not in flight (the group has none): nothing stopped")
	assert.Empty(t, w.creates, "a pinned rollback never turns into a redeploy")
}

func TestDeployNeverAttachesToCodeDeploysRollback(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[newTD] = &ecstypes.TaskDefinition{TaskDefinitionArn: aws.String(newTD), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String(newImage)}}}
	w.active = []string{"d-RB"}
	w.addScript("d-RB", codeDeployRollback)
	w.scripts["d-RB"].appSpec = mustAppSpec(t, newTD)
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeBusy, res.Outcome)
	assert.Contains(t, res.Message, "deployment d-RB (phase installing) is CodeDeploy's rollback of d-NEW; wait for it with `deployer status --follow --deployment-id d-RB`")
	assert.Zero(t, w.writes())
}

func TestStatusNamesCodeDeploysRollback(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[liveTD].ContainerDefinitions[0].Image = aws.String("repo/model-server:v1")
	w.active = []string{"d-RB"}
	w.addScript("d-RB", codeDeployRollback)
	w.scripts["d-RB"].appSpec = mustAppSpec(t, liveTD)
	res := w.deployer(t, true).Status(context.Background())

	require.Equal(t, ExitReleased, res.ExitCode, res.Message)
	require.NotNil(t, res.Status.InFlight)
	assert.Equal(t, "d-NEW", res.Status.InFlight.RollbackOf)
	assert.Equal(t, "codeDeployRollback", res.Status.InFlight.Creator)
	var out bytes.Buffer
	res.writeText(&out)
	assert.Contains(t, out.String(), "CodeDeploy's rollback of d-NEW: follow it with `deployer status --follow --deployment-id d-RB`")
}
