package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/smithy-go"
)

// operatorAPI is what the operator calls.
type operatorAPI interface {
	ListDeployments(context.Context, *codedeploy.ListDeploymentsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentsOutput, error)
	GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	ContinueDeployment(context.Context, *codedeploy.ContinueDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.ContinueDeploymentOutput, error)
}

var _ operatorAPI = (*codedeploy.Client)(nil)

// sleeper sleeps AWS durations (awsclock.Clock).
type sleeper interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// operator is the person beside a release made with the aws CLI, whose group waits in Ready for
// someone to continue it: they look at the group every look (a console page refreshing), and once
// they see the deployment in Ready they take delay (to notice, open the console, glance at the
// test listener) before they continue it. They run no checks a tool could not: what the aws CLI
// user gets is CodeDeploy's alarms.
type operator struct {
	cd          operatorAPI
	clock       sleeper
	app, group  string
	look, delay time.Duration
}

// activeStatuses are the deployment statuses that have not ended.
var activeStatuses = []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusQueued,
	cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusBaking, cdtypes.DeploymentStatusReady}

// run watches the group until its deployment reaches Ready, continues it, and returns the AWS time
// it did (zero when the deployment ended without reaching Ready, or ctx ended first).
func (o *operator) run(ctx context.Context) (time.Time, error) {
	var id string
	for {
		if id == "" {
			out, err := o.cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(o.app),
				DeploymentGroupName: aws.String(o.group), IncludeOnlyStatuses: activeStatuses})
			if err == nil && len(out.Deployments) > 0 {
				id = out.Deployments[0]
			}
		}
		if id != "" {
			out, err := o.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
			switch {
			case err != nil:
			case out.DeploymentInfo.Status == cdtypes.DeploymentStatusReady:
				return o.continueAfterDelay(ctx, id)
			case ended(out.DeploymentInfo.Status):
				return time.Time{}, nil
			}
		}
		if err := o.clock.Sleep(ctx, o.look); err != nil {
			return time.Time{}, nil
		}
	}
}

// continueAfterDelay continues the deployment past Ready once the person's delay has passed. A
// deployment that left Ready meanwhile (an alarm stopped it) is no error: there is nothing left
// to continue.
func (o *operator) continueAfterDelay(ctx context.Context, id string) (time.Time, error) {
	if err := o.clock.Sleep(ctx, o.delay); err != nil {
		return time.Time{}, nil
	}
	at := o.clock.Now()
	_, err := o.cd.ContinueDeployment(ctx, &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String(id),
		DeploymentWaitType: cdtypes.DeploymentWaitTypeReadyWait})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "DeploymentIsNotInReadyStateException" {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("continue deployment %s: %w", id, err)
	}
	return at, nil
}

// newOperatorClient is the operator's CodeDeploy client, named CallerOperator in its User-Agent.
func newOperatorClient(refs stackRefs) *codedeploy.Client {
	return codedeploy.NewFromConfig(awsConfig(refs, CallerOperator))
}
