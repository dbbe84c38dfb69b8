package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// span is a stretch of AWS time; a zero Start means it did not happen.
type span struct{ Start, End time.Time }

// deploymentFacts is what CodeDeploy says happened to one deployment, on the AWS clock.
type deploymentFacts struct {
	ID, Status              string
	Created, Completed      time.Time
	ErrorCode, ErrorMessage string
	// Events are the ECS target's lifecycle events that started, by name.
	Events   map[string]span
	Rollback *rollbackFacts
}

// rollbackFacts is the rollback deployment CodeDeploy created, if any.
type rollbackFacts struct {
	ID, Status         string
	Created, Completed time.Time
}

// installStart is when CodeDeploy began creating green's task set.
func (f deploymentFacts) installStart() time.Time { return f.Events["Install"].Start }

// readyAt is when the deployment began waiting in Ready (test traffic on green, production on blue).
func (f deploymentFacts) readyAt() time.Time { return f.Events["AfterAllowTestTraffic"].End }

// shift is the production traffic shift: from AllowTraffic's start to the termination wait's
// start (AfterAllowTraffic's end).
func (f deploymentFacts) shift() span {
	return span{f.Events["AllowTraffic"].Start, f.Events["AfterAllowTraffic"].End}
}

// blueRemoved is when CodeDeploy removed blue's task set: a successful deployment's end.
func (f deploymentFacts) blueRemoved() time.Time {
	if f.Status != string(cdtypes.DeploymentStatusSucceeded) {
		return time.Time{}
	}
	return f.Completed
}

// rolledBack is when the rollback deployment ended: production on blue and green's task set gone.
func (f deploymentFacts) rolledBack() time.Time {
	if f.Rollback == nil {
		return time.Time{}
	}
	return f.Rollback.Completed
}

// facts reads a deployment, its ECS target's lifecycle events and its rollback deployment.
func (o *observer) facts(ctx context.Context, id string) (deploymentFacts, error) {
	dep, err := o.getDeployment(ctx, id)
	if err != nil {
		return deploymentFacts{}, err
	}
	f := deploymentFacts{ID: id, Status: string(dep.Status), Created: aws.ToTime(dep.CreateTime),
		Completed: aws.ToTime(dep.CompleteTime), Events: map[string]span{}}
	if ei := dep.ErrorInformation; ei != nil {
		f.ErrorCode, f.ErrorMessage = string(ei.Code), aws.ToString(ei.Message)
	}
	target, err := o.cd.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String(id),
		TargetId: aws.String(o.refs.cluster + ":" + o.refs.service)})
	if err != nil {
		return f, fmt.Errorf("get deployment target of %s: %w", id, err)
	}
	if t := target.DeploymentTarget; t != nil && t.EcsTarget != nil {
		for _, ev := range t.EcsTarget.LifecycleEvents {
			if ev.StartTime != nil {
				f.Events[aws.ToString(ev.LifecycleEventName)] = span{*ev.StartTime, aws.ToTime(ev.EndTime)}
			}
		}
	}
	if rb := rollbackOf(dep); rb != "" {
		r, err := o.getDeployment(ctx, rb)
		if err != nil {
			return f, err
		}
		f.Rollback = &rollbackFacts{ID: rb, Status: string(r.Status), Created: aws.ToTime(r.CreateTime), Completed: aws.ToTime(r.CompleteTime)}
	}
	return f, nil
}
