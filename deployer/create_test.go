package deployer

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeployRegistersACloneWithTheImageEnvAndProvenance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Len(t, w.registers, 1)
	in := w.registers[0]
	assert.Equal(t, newImage, containerImage(in.ContainerDefinitions, "model"))
	assert.Equal(t, "repo/sidecar:3", containerImage(in.ContainerDefinitions, "sidecar"))
	tags := map[string]string{}
	for _, tg := range in.Tags {
		tags[*tg.Key] = *tg.Value
	}
	assert.Equal(t, liveTD, tags[TagPreviousTaskDefinition], "the rollback target is recorded on the new revision")
	assert.Equal(t, "abc123", tags[TagGitSHA])
	require.Len(t, w.creates, 1)
	c := w.creates[0]
	assert.Equal(t, "web-dg", *c.DeploymentGroupName)
	assert.Contains(t, *c.Revision.AppSpecContent.Content, newTD)
	assert.Contains(t, *c.Description, "deployer: image repo/model-server:v2 | git abc123")
}

func TestACancelDuringCreateDeploymentStopsTheDeploymentItCreated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	res := interruptedDeploy(t, w, true, cancelDuring{call: "CreateDeployment"})

	assert.Equal(t, OutcomeInterrupted, res.Outcome, res.Message)
	assert.Equal(t, ExitInterrupted, res.ExitCode)
	assert.Equal(t, "d-NEW", res.DeploymentID)
	assert.Equal(t, []string{"d-NEW"}, w.stops, "the deployment created as the signal landed is stopped, not left running ungated")
}

func TestACreateDeploymentWhoseAnswerWasLostFindsTheDeploymentByItsProvenanceAndStopsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.expectRollback("d-NEW")
	res := interruptedDeploy(t, w, true, cancelDuring{call: "CreateDeployment", lost: true})

	assert.Equal(t, OutcomeInterrupted, res.Outcome, res.Message)
	assert.Equal(t, "d-NEW", res.DeploymentID)
	assert.Equal(t, []string{"d-NEW"}, w.stops)
}

func TestAnInterruptedCreateThatCreatedNothingSaysSoAfterLooking(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	res := interruptedDeploy(t, w, true, cancelDuring{call: "CreateDeployment", noop: true})

	assert.Equal(t, OutcomeInterrupted, res.Outcome)
	assert.Empty(t, w.stops)
	assert.Contains(t, res.Message, "no deployment of this release in group web-dg: nothing to undo")
	assert.Equal(t, 2, w.called("codedeploy:ListDeployments"), "looked before creating, and again after the interrupt")
}

// listFailsFrom wraps CodeDeploy so that ListDeployments fails from its nth call on.
type listFailsFrom struct {
	CodeDeployAPI
	n     int
	calls *int
}

func (l listFailsFrom) ListDeployments(ctx context.Context, in *codedeploy.ListDeploymentsInput, o ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error) {
	if *l.calls++; *l.calls >= l.n {
		return nil, serverError(503)
	}
	return l.CodeDeployAPI.ListDeployments(ctx, in, o...)
}

func TestAnInterruptedCreateThatCouldNotBeCheckedSaysSo(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := w.deployer(t, true)
	calls := 0 // the first ListDeployments looks for an in-flight deployment; the second, after the interrupt, fails
	d.c.CodeDeploy = cancelDuring{CodeDeployAPI: listFailsFrom{CodeDeployAPI: d.c.CodeDeploy, n: 2, calls: &calls}, cancel: cancel, call: "CreateDeployment", noop: true}
	res := d.Deploy(ctx, deployV2())

	assert.Equal(t, OutcomeInterrupted, res.Outcome)
	assert.Contains(t, res.Message, "interrupted while creating the deployment: create deployment in group web-dg: context deadline exceeded; could not check whether it was created: ")
	assert.Contains(t, res.Message, "see `deployer status`")
}

func TestDeployThatLosesTheRaceToCreateAttachesToTheWinnersDeploymentOfTheSameImage(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	winner := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9" // the other run registered its own revision
	w.registerTaskDefinition(winner, newImage)
	w.deploymentOf("d-WIN", winner, stepInstalling, stepTestTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.onCreate = func(w *world) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.active = []string{"d-WIN"}
		return apiError("DeploymentLimitExceededException", "The Deployment Group 'web-dg' already has an active Deployment 'd-WIN'")
	}
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.True(t, res.Attached)
	assert.Equal(t, "d-WIN", res.DeploymentID)
	assert.Equal(t, winner, res.TaskDefinitionArn)
	assert.Equal(t, []string{"READY_WAIT", "TERMINATION_WAIT"}, w.continues, "the attached run still gates")
}

func TestDeployThatLosesTheRaceToAnotherImageIsBusyNotFailed(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"DeploymentLimitExceededException", "DeploymentAlreadyStartedException"} {
		w := newWorld(t)
		other := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:9"
		w.registerTaskDefinition(other, "repo/model-server:v3")
		w.deploymentOf("d-OTHER", other, stepInstalling)
		w.onCreate = func(w *world) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.active = []string{"d-OTHER"}
			return apiError(code, "the group already has an active deployment")
		}
		res := w.deployer(t, true).Deploy(context.Background(), deployV2())

		assert.Equal(t, OutcomeBusy, res.Outcome, code)
		assert.Equal(t, ExitFailed, res.ExitCode)
		assert.Equal(t, "d-OTHER", res.DeploymentID)
		assert.Contains(t, res.Message, "deployment d-OTHER (phase installing) deploys repo/model-server:v3")
		assert.Empty(t, w.stops)
	}
}
