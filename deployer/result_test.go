package deployer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestACommandThatEndsBeforeADeploymentExistsSaysWhy(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name        string
		ctx         context.Context
		err         error
		wantOutcome Outcome
		wantExit    int
		wantMessage string
		wantCode    string
	}{
		{"bad input is exit 2", context.Background(), inputErrorf("--image", "is required"), OutcomeBadInput, ExitBadInput, "--image: is required", ""},
		{"a busy group names the deployment", context.Background(), &BusyError{DeploymentID: "d-OTHER", Phase: PhaseReady, Image: "repo/m:v3"}, OutcomeBusy, ExitFailed, "deployment d-OTHER (phase ready) deploys repo/m:v3", ""},
		{"alarms that stayed in ALARM", context.Background(), &AlarmActiveError{Group: "web-dg", Alarms: []string{"web-5xx: firing"}, Waited: 5 * time.Minute}, OutcomeAlarmActive, ExitFailed, "alarms still in ALARM after waiting 5m0s", ""},
		{"an interrupt with nothing created", cancelled, errors.New("list deployments: context canceled"), OutcomeInterrupted, ExitInterrupted, "interrupted before a deployment was created; nothing to undo", ""},
		{"an interrupted create that was checked", cancelled, errNoneCreated, OutcomeInterrupted, ExitInterrupted, "checked: no deployment of this release in group web-dg: nothing to undo", ""},
		{"an AWS error keeps its code", context.Background(), awsError("get deployment group web-dg", apiError("DeploymentGroupDoesNotExistException", "no such group")), OutcomeFailed, ExitFailed, "no such group", "DeploymentGroupDoesNotExistException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := New(Clients{}, testTarget(), Options{}).endBeforeDeployment(tc.ctx, &Result{Command: "deploy"}, tc.err)
			assert.Equal(t, tc.wantOutcome, res.Outcome)
			assert.Equal(t, tc.wantExit, res.ExitCode)
			assert.Contains(t, res.Message, tc.wantMessage)
			if tc.wantCode != "" {
				assert.Equal(t, tc.wantCode, res.Error.Code)
			}
		})
	}
}
