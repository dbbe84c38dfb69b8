package deployer

import (
	"context"
	"testing"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContinuePromotesPastTheWaitTheDeploymentIsIn(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		step step
		want string
	}{
		{"a deployment in Ready is continued with READY_WAIT", stepReady, "READY_WAIT"},
		{"a deployment in the termination wait is continued with TERMINATION_WAIT", stepTermWait, "TERMINATION_WAIT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.active = []string{"d-NEW"}
			w.addScript("d-NEW", tc.step)
			res := w.deployer(t, true).Continue(context.Background(), "", "")
			require.Equal(t, ExitReleased, res.ExitCode, res.Message)
			assert.Equal(t, []string{tc.want}, w.continues)
		})
	}
}

func TestContinueRefusesADeploymentThatIsNotWaiting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepInstalling)
	res := w.deployer(t, true).Continue(context.Background(), "d-NEW", "")
	assert.Equal(t, ExitFailed, res.ExitCode)
	assert.Contains(t, res.Message, "deployment d-NEW is in phase installing")
	assert.Empty(t, w.continues)
}

func TestAssessContinue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		phase   Phase
		want    string
		wait    cdtypes.DeploymentWaitType
		wantErr string
	}{
		{"without --wait a deployment in Ready is continued past Ready", PhaseReady, "", cdtypes.DeploymentWaitTypeReadyWait, ""},
		{"without --wait a deployment in the termination wait ends that wait", PhaseTerminationWait, "", cdtypes.DeploymentWaitTypeTerminationWait, ""},
		{"--wait ready continues a deployment in Ready", PhaseReady, WaitReady, cdtypes.DeploymentWaitTypeReadyWait, ""},
		{"--wait termination ends the termination wait", PhaseTerminationWait, WaitTermination, cdtypes.DeploymentWaitTypeTerminationWait, ""},
		{"--wait ready never ends the termination wait", PhaseTerminationWait, WaitReady, "", "deployment d-1 is in phase termination-wait, not in the ready wait: nothing continued"},
		{"--wait termination never promotes past Ready", PhaseReady, WaitTermination, "", "deployment d-1 is in phase ready, not in the termination wait"},
		{"--wait ready refuses a deployment still installing", PhaseInstalling, WaitReady, "", "is in phase installing, not in the ready wait"},
		{"--wait ready refuses a deployment shifting traffic", PhaseShifting, WaitReady, "", "is in phase shifting-traffic, not in the ready wait"},
		{"without --wait a finished deployment is refused", PhaseSucceeded, "", "", "is in phase succeeded; continue applies in ready or termination-wait"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := assessContinue("d-1", tc.phase, tc.want)
			assertDecision(t, got, err, tc.wait, tc.wantErr)
		})
	}
}

func TestContinueWaitReadyRefusesADeploymentAlreadyInTheTerminationWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepTermWait)
	code, _, stderr := cliRun(t, w, nil, "", "continue", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--wait", "ready")

	assert.Equal(t, ExitFailed, code)
	assert.Contains(t, stderr, "deployer continue: failed: deployment d-NEW is in phase termination-wait, not in the ready wait")
	assert.Empty(t, w.continues, "blue is not terminated by an operator who meant past Ready")
}
