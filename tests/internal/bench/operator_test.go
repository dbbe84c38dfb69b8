package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// fakeGroup is a deployment group whose one deployment goes through scripted statuses, one per
// GetDeployment.
type fakeGroup struct {
	operatorAPI
	mu        sync.Mutex
	statuses  []cdtypes.DeploymentStatus
	reads     int
	continued []cdtypes.DeploymentWaitType
	notReady  bool // ContinueDeployment answers DeploymentIsNotInReadyStateException
}

func (f *fakeGroup) ListDeployments(context.Context, *codedeploy.ListDeploymentsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error) {
	return &codedeploy.ListDeploymentsOutput{Deployments: []string{"d-1"}}, nil
}

func (f *fakeGroup) GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.statuses[min(f.reads, len(f.statuses)-1)]
	f.reads++
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: &cdtypes.DeploymentInfo{DeploymentId: aws.String("d-1"), Status: s}}, nil
}

func (f *fakeGroup) ContinueDeployment(_ context.Context, in *codedeploy.ContinueDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.notReady {
		return nil, &smithy.GenericAPIError{Code: "DeploymentIsNotInReadyStateException"}
	}
	f.continued = append(f.continued, in.DeploymentWaitType)
	return &codedeploy.ContinueDeploymentOutput{}, nil
}

func newTestOperator(g *fakeGroup) (*operator, *awsclock.Clock) {
	clock := awsclock.New(6000) // a 30 s look lasts 5 ms
	return &operator{cd: g, clock: clock, app: "a", group: "g", look: 30 * time.Second, delay: 5 * time.Minute}, clock
}

// The operator continues past Ready once, with READY_WAIT, no sooner than their delay after they
// saw Ready.
func TestTheOperatorContinuesAtReadyAfterTheirDelay(t *testing.T) {
	t.Parallel()
	g := &fakeGroup{statuses: []cdtypes.DeploymentStatus{"InProgress", "InProgress", "Ready"}}
	o, clock := newTestOperator(g)
	start := clock.Now()
	at, err := o.run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []cdtypes.DeploymentWaitType{cdtypes.DeploymentWaitTypeReadyWait}, g.continued)
	assert.GreaterOrEqual(t, at.Sub(start), 2*30*time.Second+5*time.Minute, "two looks, then the delay")
}

// A deployment that ends without waiting in Ready, or leaves Ready during the person's delay, is
// left alone.
func TestTheOperatorLeavesADeploymentThatNeverWaitsInReady(t *testing.T) {
	t.Parallel()
	g := &fakeGroup{statuses: []cdtypes.DeploymentStatus{"InProgress", "Failed"}}
	o, _ := newTestOperator(g)
	at, err := o.run(context.Background())
	require.NoError(t, err)
	assert.True(t, at.IsZero())
	assert.Empty(t, g.continued)

	stopped := &fakeGroup{statuses: []cdtypes.DeploymentStatus{"Ready"}, notReady: true}
	o, _ = newTestOperator(stopped)
	at, err = o.run(context.Background())
	require.NoError(t, err)
	assert.True(t, at.IsZero(), "stopped by an alarm while the person was on their way")
}
