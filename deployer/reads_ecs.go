package deployer

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// serviceState is what a release starts from.
type serviceState struct {
	Service     *ecstypes.Service
	TaskDef     *ecstypes.TaskDefinition
	TaskDefTags []ecstypes.Tag
	Group       GroupSettings
}

// readService reads the live service, its task definition and the deployment
// group, and checks the service can take a blue/green deployment.
func (d *Deployer) readService(ctx context.Context) (*serviceState, error) {
	svc, err := d.describeService(ctx)
	if err != nil {
		return nil, err
	}
	if svc.DeploymentController == nil || svc.DeploymentController.Type != ecstypes.DeploymentControllerTypeCodeDeploy {
		return nil, fmt.Errorf("service %s does not use the CODE_DEPLOY deployment controller", d.t.Service)
	}
	if len(svc.LoadBalancers) != 1 {
		return nil, fmt.Errorf("service %s has %d load balancer entries; blue/green needs exactly one (the initial target group), else Install hangs", d.t.Service, len(svc.LoadBalancers))
	}
	if lb := svc.LoadBalancers[0]; aws.ToString(lb.ContainerName) != d.t.ContainerName || aws.ToInt32(lb.ContainerPort) != d.t.ContainerPort {
		return nil, fmt.Errorf("service %s routes to container %s:%d, not %s:%d (check containerName/containerPort)",
			d.t.Service, aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort), d.t.ContainerName, d.t.ContainerPort)
	}
	td, tags, err := d.describeTaskDefinition(ctx, aws.ToString(svc.TaskDefinition))
	if err != nil {
		return nil, err
	}
	g, _, err := d.readGroup(ctx)
	if err != nil {
		return nil, err
	}
	return &serviceState{Service: svc, TaskDef: td, TaskDefTags: tags, Group: g}, nil
}

func (d *Deployer) describeService(ctx context.Context) (*ecstypes.Service, error) {
	out, err := d.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &d.t.Cluster, Services: []string{d.t.Service}})
	op := fmt.Sprintf("describe service %s in cluster %s", d.t.Service, d.t.Cluster)
	if err != nil {
		return nil, readError(op, err)
	}
	if len(out.Services) == 0 {
		reason := "not found"
		if len(out.Failures) > 0 {
			reason = aws.ToString(out.Failures[0].Reason)
		}
		return nil, fmt.Errorf("%s: %s", op, reason)
	}
	return &out.Services[0], nil
}

func (d *Deployer) describeTaskDefinition(ctx context.Context, arn string) (*ecstypes.TaskDefinition, []ecstypes.Tag, error) {
	out, err := d.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: &arn, Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags},
	})
	if err != nil {
		return nil, nil, awsError("describe task definition "+arn, err)
	}
	return out.TaskDefinition, out.Tags, nil
}

// listTasks lists the ARNs of the service's tasks of a desired status, every
// page. ECS keeps stopped tasks listed for about an hour, 100 per page, and
// blue's scale-in and earlier releases can push green's crashes past the first
// page; running tasks are both task sets'.
func (d *Deployer) listTasks(ctx context.Context, status ecstypes.DesiredStatus) ([]string, error) {
	var arns []string
	pages := ecs.NewListTasksPaginator(d.c.ECS, &ecs.ListTasksInput{Cluster: &d.t.Cluster, ServiceName: &d.t.Service, DesiredStatus: status})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, readError(fmt.Sprintf("list %s tasks of service %s", strings.ToLower(string(status)), d.t.Service), err)
		}
		arns = append(arns, out.TaskArns...)
	}
	return arns, nil
}

// describeTasks describes at most 100 tasks, DescribeTasks' limit.
func (d *Deployer) describeTasks(ctx context.Context, arns []string) ([]ecstypes.Task, error) {
	out, err := d.c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: &d.t.Cluster, Tasks: arns})
	if err != nil {
		return nil, readError(fmt.Sprintf("describe %d tasks of service %s", len(arns), d.t.Service), err)
	}
	return out.Tasks, nil
}

// describeAllTasks describes the tasks, 100 per call.
func (d *Deployer) describeAllTasks(ctx context.Context, arns []string) ([]ecstypes.Task, error) {
	var tasks []ecstypes.Task
	for i := 0; i < len(arns); i += 100 {
		described, err := d.describeTasks(ctx, arns[i:min(i+100, len(arns))])
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, described...)
	}
	return tasks, nil
}
