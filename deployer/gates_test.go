package deployer

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAGateThatDidNotPassSaysHowItEnded(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name        string
		ctx         context.Context
		err         error
		wantVerdict string
		wantReason  string
	}{
		{"an interrupt", cancelled, context.Canceled, "interrupted", "context canceled"},
		{"reads that kept failing", context.Background(), &BlindError{Err: errors.New("get deployment d-1: Throttling")}, "incomplete", "could not read the release's state"},
		{"a failed check", context.Background(), &GateError{Gate: GateReady, Reason: "green is not ready"}, "fail", "green is not ready"},
		{"any other error", context.Background(), errors.New("continue deployment d-1: boom"), "fail", "continue deployment d-1: boom"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := &GateResult{Name: GateReady}
			New(Clients{}, testTarget(), Options{}).gateFailed(tc.ctx, g, tc.err)
			assert.Equal(t, tc.wantVerdict, g.Verdict)
			assert.Contains(t, g.Reason, tc.wantReason)
		})
	}
}

func TestContinuingADeploymentThatNoLongerWaitsIsNoError(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepInstalling)
	d := New(w.clients(), testTarget(), w.options(nil))
	require.NoError(t, d.continueDeployment(context.Background(), "d-NEW", cdtypes.DeploymentWaitTypeReadyWait), "the next poll shows where it went")
	assert.Equal(t, []string{"READY_WAIT"}, w.continues)

	d.c.CodeDeploy = continueFails{CodeDeployAPI: d.c.CodeDeploy, err: apiError("AccessDeniedException", "not authorized")}
	err := d.continueDeployment(context.Background(), "d-NEW", cdtypes.DeploymentWaitTypeReadyWait)
	var ae *AWSError
	require.ErrorAs(t, err, &ae, "any other refusal is an error")
	assert.Equal(t, "continue deployment d-NEW (READY_WAIT)", ae.Op)
}

// continueFails answers every ContinueDeployment with err.
type continueFails struct {
	CodeDeployAPI
	err error
}

func (c continueFails) ContinueDeployment(context.Context, *codedeploy.ContinueDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error) {
	return nil, c.err
}

// A gate's look within a poll interval of the last read judges on that read; a later one reads the
// deployment again.
func TestAGateLooksAtTheDeploymentNoFasterThanThePollInterval(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	d := w.deployer(t, true)
	r := &release{ID: "d-NEW"}
	res := &Result{}
	p := newPoller(d.o.PollInterval, d.o.PollMaxInterval)
	first, err := d.poll(context.Background(), r.ID)
	require.NoError(t, err)
	lk := d.newLooker(first)

	reads := func() int { return w.called("codedeploy:GetDeployment d-NEW") }
	before := reads()
	require.NoError(t, w.clock.Sleep(context.Background(), d.o.PollInterval/2))
	_, err = d.look(context.Background(), res, r, p, lk)
	require.NoError(t, err)
	assert.Equal(t, before, reads(), "half a poll interval after the last read: no new read")
	require.NoError(t, w.clock.Sleep(context.Background(), d.o.PollInterval))
	_, err = d.look(context.Background(), res, r, p, lk)
	require.NoError(t, err)
	assert.Equal(t, before+1, reads(), "a poll interval later: read again")
}
