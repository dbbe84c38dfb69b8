package deployer

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusShowsLiveImageListenersAndTheInFlightPhase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.registerTaskDefinition(newTD, newImage)
	w.inFlight("d-NEW", newTD, stepReady)
	w.setTest(tgGreen)
	res := w.deployer(t, true).Status(context.Background())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	s := res.Status
	assert.Equal(t, liveTD, s.TaskDefinitionArn)
	assert.Equal(t, "repo/model-server:v1", s.Image)
	assert.Equal(t, prevTD, s.PreviousTaskDefinitionArn)
	assert.Equal(t, tgBlue, s.Prod.LiveTargetGroup)
	assert.Equal(t, tgGreen, s.Test.LiveTargetGroup)
	require.NotNil(t, s.InFlight)
	assert.Equal(t, PhaseReady, s.InFlight.Phase)
	assert.Equal(t, newImage, s.InFlight.Image)
	var out bytes.Buffer
	res.writeText(&out)
	assert.Contains(t, out.String(), "prod serves     web-blue (web-blue=100 web-green=0)")
	assert.Contains(t, out.String(), "in flight       d-NEW Ready (phase ready) image repo/model-server:v2")
	assert.Zero(t, w.writes(), "status writes nothing")
}

func TestStatusNamesCodeDeploysRollback(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.taskDefs[liveTD].ContainerDefinitions[0].Image = aws.String("repo/model-server:v1")
	w.inFlight("d-RB", liveTD, codeDeployRollback)
	res := w.deployer(t, true).Status(context.Background())

	require.Equal(t, ExitReleased, res.ExitCode, res.Message)
	require.NotNil(t, res.Status.InFlight)
	assert.Equal(t, "d-NEW", res.Status.InFlight.RollbackOf)
	assert.Equal(t, "codeDeployRollback", res.Status.InFlight.Creator)
	var out bytes.Buffer
	res.writeText(&out)
	assert.Contains(t, out.String(), "CodeDeploy's rollback of d-NEW: follow it with `deployer status --follow --deployment-id d-RB`")
}

func TestStatusFollowPrintsEachChangeUntilTheDeploymentSucceedsAndWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", unattended(stepInstalling, stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)...)
	code, out, stderr := cliRun(t, w, nil, "", "status", "--follow", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)))

	require.Equal(t, ExitReleased, code, stderr)
	assert.Contains(t, stderr, `msg="following the deployment, read-only: nothing is continued, stopped or gated" deployment=d-NEW`)
	assert.Contains(t, stderr, `msg="event Install: Succeeded"`)
	assert.Contains(t, stderr, `msg="target: Ready"`)
	assert.Contains(t, stderr, `msg="taskset Green: ACTIVE running 2/2 pending 0 weight 100% tg web-green"`)
	assert.Contains(t, out, "prod serves     web-green", "the final status")
	assert.Contains(t, out, "deployment d-NEW ended Succeeded")
	assert.Zero(t, w.writes(), "follow never continues, stops or gates")
}

func TestStatusFollowExitsOneWhenTheDeploymentIsRolledBackAndNamesTheRollback(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepShifting, step{status: "Stopped", errInfo: &cdtypes.ErrorInformation{Code: "ALARM_ACTIVE", Message: aws.String("alarm web-5xx")},
		rollback: &cdtypes.RollbackInfo{RollbackDeploymentId: aws.String("d-RB")}})
	w.addScript("d-RB", step{status: "InProgress", creator: cdtypes.DeploymentCreatorCodeDeployRollback})
	res := w.deployer(t, true).Follow(context.Background(), "")

	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Equal(t, OutcomeFailed, res.Outcome)
	assert.Equal(t, "deployment d-NEW ended Stopped: ALARM_ACTIVE: alarm web-5xx; CodeDeploy rolls it back with deployment d-RB: follow it with `deployer status --follow --deployment-id d-RB`", res.Message)
	assert.Equal(t, &RollbackInfo{DeploymentID: "d-RB", Status: "InProgress"}, res.Rollback)
	assert.Zero(t, w.writes())
}

func TestStatusFollowOfAPinnedRollbackThatAlreadyEndedReportsAtOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-RB", step{status: S, creator: cdtypes.DeploymentCreatorCodeDeployRollback,
		rollback: &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-NEW")}})
	res := w.deployer(t, true).Follow(context.Background(), "d-RB")

	require.Equal(t, ExitReleased, res.ExitCode, res.Message)
	assert.Equal(t, "CodeDeploy's rollback deployment d-RB (of d-NEW) ended Succeeded: production is back on the previous version", res.Message)
	assert.Equal(t, 1, w.called("codedeploy:GetDeployment d-RB"), "an ended deployment is read once, by id, never searched for")
}

func TestStatusFollowWithNothingInFlightReportsTheStatus(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	res := w.deployer(t, true).Follow(context.Background(), "")

	assert.Equal(t, ExitReleased, res.ExitCode)
	assert.Equal(t, "no deployment in flight in group web-dg; nothing to follow", res.Message)
	require.NotNil(t, res.Status)
	assert.Nil(t, res.Status.InFlight)
}

func TestStatusFollowInterruptedChangesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := stepReady
	ready.enter = func(*world) { cancel() }
	w.addScript("d-NEW", stepInstalling, ready)
	res := w.deployer(t, true).Follow(ctx, "d-NEW")

	assert.Equal(t, ExitInterrupted, res.ExitCode)
	assert.Contains(t, res.Message, "stopped following deployment d-NEW; nothing was changed")
	assert.Zero(t, w.writes())
}

func TestStatusFollowRetriesATransientReadError(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", unattended(stepInstalling, stepReady, stepShifting, stepTermWait, stepSucceeded)...)
	d := flakyDeployer(t, w, func(op string, n int) error {
		if op == "GetDeployment" && (n == 3 || n == 4) {
			return apiError("ThrottlingException", "Rate exceeded")
		}
		return nil
	})
	res := d.Follow(context.Background(), "")

	assert.Equal(t, ExitReleased, res.ExitCode, res.Message)
	assert.Contains(t, res.Message, "deployment d-NEW ended Succeeded")
}

func TestAssessFollowEnd(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		dep    cdtypes.DeploymentInfo
		wantOK bool
		want   string
	}{
		{"a succeeded deployment is success", cdtypes.DeploymentInfo{DeploymentId: aws.String("d-1"), Status: S}, true, "deployment d-1 ended Succeeded"},
		{"a succeeded CodeDeploy rollback puts production back", cdtypes.DeploymentInfo{DeploymentId: aws.String("d-2"), Status: S, Creator: cdtypes.DeploymentCreatorCodeDeployRollback,
			RollbackInfo: &cdtypes.RollbackInfo{RollbackTriggeringDeploymentId: aws.String("d-1")}}, true, "CodeDeploy's rollback deployment d-2 (of d-1) ended Succeeded: production is back on the previous version"},
		{"a failed rollback is not success", cdtypes.DeploymentInfo{DeploymentId: aws.String("d-2"), Status: "Failed", Creator: cdtypes.DeploymentCreatorCodeDeployRollback}, false, "CodeDeploy's rollback deployment d-2 (of an earlier deployment) ended Failed"},
		{"a stopped deployment says why", cdtypes.DeploymentInfo{DeploymentId: aws.String("d-1"), Status: "Stopped",
			ErrorInformation: &cdtypes.ErrorInformation{Code: "DEPLOYMENT_STOPPED", Message: aws.String("stopped by user")}}, false, "deployment d-1 ended Stopped: DEPLOYMENT_STOPPED: stopped by user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, msg := assessFollowEnd(&tc.dep)
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.want, msg)
		})
	}
}
