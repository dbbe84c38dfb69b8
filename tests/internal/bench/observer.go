package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// stackRefs are the stack outputs the benchmark's tools and observer use.
type stackRefs struct {
	endpoint, region          string
	cluster, service          string
	app, group                string
	container                 string
	port                      int
	taskDefinitionArn, family string
}

// refsOf reads the stack outputs (`pulumi stack output --json` values: a number may be a string).
func refsOf(endpoint string, outputs map[string]any) stackRefs {
	s := func(k string) string { v, _ := outputs[k].(string); return v }
	r := stackRefs{endpoint: endpoint, region: s("region"), cluster: s("clusterName"), service: s("serviceName"),
		app: s("codeDeployApplication"), group: s("codeDeployDeploymentGroup"), container: s("containerName"),
		taskDefinitionArn: s("taskDefinitionArn"), family: s("taskDefinitionFamily")}
	fmt.Sscan(fmt.Sprint(outputs["containerPort"]), &r.port)
	return r
}

// awsConfig is an SDK configuration for the emulator that names its caller in the User-Agent.
func awsConfig(refs stackRefs, caller string) aws.Config {
	return aws.Config{Region: refs.region, AppID: caller, BaseEndpoint: aws.String(refs.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", "")}
}

// observer is the benchmark's own reader of what happened (caller CallerObserver): it never
// writes, and reads slowly enough not to crowd the tools it watches.
type observer struct {
	cd    *codedeploy.Client
	refs  stackRefs
	clock *awsclock.Clock
	http  *http.Client
}

func newObserver(refs stackRefs, clock *awsclock.Clock) *observer {
	return &observer{cd: codedeploy.NewFromConfig(awsConfig(refs, CallerObserver)), refs: refs, clock: clock,
		http: &http.Client{Timeout: 30 * time.Second}}
}

// observeEvery is how often the observer reads a deployment it waits for, in AWS time.
const observeEvery = 30 * time.Second

// waitEnded waits until the deployment, and the rollback deployment it may have started, have
// ended, or limit (AWS time) has passed.
func (o *observer) waitEnded(ctx context.Context, id string, limit time.Duration) error {
	deadline := o.clock.Now().Add(limit)
	for id != "" {
		dep, err := o.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		if ended(dep.Status) {
			if dep.RollbackInfo == nil || aws.ToString(dep.RollbackInfo.RollbackDeploymentId) == "" {
				// rollbackInfo shows a few seconds after a deployment stops: look once more.
				if err := o.clock.Sleep(ctx, observeEvery); err != nil {
					return err
				}
				if dep, err = o.getDeployment(ctx, id); err != nil {
					return err
				}
			}
			id = rollbackOf(dep)
			continue
		}
		if o.clock.Now().After(deadline) {
			return fmt.Errorf("deployment %s still %s after %v", id, dep.Status, limit)
		}
		if err := o.clock.Sleep(ctx, observeEvery); err != nil {
			return err
		}
	}
	return nil
}

func ended(s cdtypes.DeploymentStatus) bool {
	return s == cdtypes.DeploymentStatusSucceeded || s == cdtypes.DeploymentStatusFailed || s == cdtypes.DeploymentStatusStopped
}

func rollbackOf(dep *cdtypes.DeploymentInfo) string {
	if dep.RollbackInfo == nil {
		return ""
	}
	return aws.ToString(dep.RollbackInfo.RollbackDeploymentId)
}

func (o *observer) getDeployment(ctx context.Context, id string) (*cdtypes.DeploymentInfo, error) {
	out, err := o.cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("get deployment %s: %w", id, err)
	}
	return out.DeploymentInfo, nil
}

// lastDeployment returns the id of the group's newest deployment created by a user (not a
// rollback): the one a tool made.
func (o *observer) lastDeployment(ctx context.Context) (string, error) {
	out, err := o.cd.ListDeployments(ctx, &codedeploy.ListDeploymentsInput{ApplicationName: aws.String(o.refs.app),
		DeploymentGroupName: aws.String(o.refs.group)})
	if err != nil {
		return "", fmt.Errorf("list deployments of %s: %w", o.refs.group, err)
	}
	var newest string
	var at time.Time
	for _, id := range out.Deployments {
		dep, err := o.getDeployment(ctx, id)
		if err != nil {
			return "", err
		}
		if dep.Creator == cdtypes.DeploymentCreatorUser && dep.CreateTime != nil && dep.CreateTime.After(at) {
			newest, at = id, *dep.CreateTime
		}
	}
	if newest == "" {
		return "", errors.New("the group has no deployment a user created")
	}
	return newest, nil
}

// describeTaskDefinition returns the live task definition as the ECS API spells it (camelCase
// JSON), which is what `aws ecs register-task-definition --cli-input-json` takes back.
func (o *observer) describeTaskDefinition(ctx context.Context, arn string) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"taskDefinition": arn})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.refs.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("User-Agent", "bench app/"+CallerObserver)
	resp, err := o.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", arn, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("describe task definition %s: HTTP %d %s %v", arn, resp.StatusCode, data, err)
	}
	var out struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", arn, err)
	}
	return out.TaskDefinition, nil
}
