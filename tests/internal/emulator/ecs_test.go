package emulator

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDescribeServicesShowsTheCodeDeployTaskSet(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{})
	out, err := w.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("web-cluster"),
		Services: []string{"web", "missing"}})
	require.NoError(t, err)
	require.Len(t, out.Services, 1)
	s := out.Services[0]
	assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:service/web-cluster/web", aws.ToString(s.ServiceArn))
	assert.Equal(t, ecstypes.DeploymentControllerTypeCodeDeploy, s.DeploymentController.Type)
	assert.Equal(t, w.td.ARN, aws.ToString(s.TaskDefinition))
	assert.Equal(t, int32(2), s.RunningCount)
	require.Len(t, s.LoadBalancers, 1)
	assert.Equal(t, w.blue.ARN, aws.ToString(s.LoadBalancers[0].TargetGroupArn))
	require.Len(t, s.TaskSets, 1)
	assert.Equal(t, "PRIMARY", aws.ToString(s.TaskSets[0].Status))
	assert.NotEmpty(t, s.Events)
	require.Len(t, out.Failures, 1)
	assert.Equal(t, "MISSING", aws.ToString(out.Failures[0].Reason))

	_, err = w.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"web"}})
	var noCluster *ecstypes.ClusterNotFoundException
	require.ErrorAs(t, err, &noCluster)
}

func TestTasksCarryTheirENIAddressAndStopReasons(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	running, err := w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), ServiceName: aws.String("web")})
	require.NoError(t, err)
	require.Len(t, running.TaskArns, 1)
	tasks, err := w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("web-cluster"), Tasks: running.TaskArns})
	require.NoError(t, err)
	task := tasks.Tasks[0]
	assert.Equal(t, "RUNNING", aws.ToString(task.LastStatus))
	assert.Equal(t, "service:web", aws.ToString(task.Group))
	var ip string
	for _, d := range task.Attachments[0].Details {
		if aws.ToString(d.Name) == "privateIPv4Address" {
			ip = aws.ToString(d.Value)
		}
	}
	assert.Equal(t, aws.ToString(task.Containers[0].NetworkInterfaces[0].PrivateIpv4Address), ip)
	resp, err := http.Get("http://" + ip + ":8080/health/live")
	require.NoError(t, err, "the ENI address is where the task really listens")
	resp.Body.Close()

	byStartedBy, err := w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), StartedBy: task.StartedBy})
	require.NoError(t, err)
	assert.Equal(t, running.TaskArns, byStartedBy.TaskArns)

	// A crashing release leaves stopped tasks with the reason and exit code.
	w.deploy("v2", map[string]string{"SIM_CRASH_ON_START": "true", "SIM_CRASH_EXIT_CODE": "139"})
	var stopped []string
	w.eventually(func() bool {
		out, err := w.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), ServiceName: aws.String("web"),
			DesiredStatus: ecstypes.DesiredStatusStopped})
		require.NoError(t, err)
		stopped = out.TaskArns
		return len(stopped) > 0
	}, "a stopped task")
	w.eventually(func() bool {
		tasks, err = w.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("web-cluster"), Tasks: stopped[:1]})
		require.NoError(t, err)
		return aws.ToString(tasks.Tasks[0].LastStatus) == "STOPPED"
	}, "STOPPED")
	st := tasks.Tasks[0]
	assert.Equal(t, ecstypes.TaskStopCodeEssentialContainerExited, st.StopCode)
	assert.Equal(t, "Essential container in task exited", aws.ToString(st.StoppedReason))
	assert.Equal(t, int32(139), aws.ToInt32(st.Containers[0].ExitCode))
	assert.Equal(t, "DETACHED", aws.ToString(st.Attachments[0].Status))
}

func TestTaskDefinitionsRoundTripWithTags(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	described, err := w.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")})
	require.NoError(t, err)
	td := described.TaskDefinition
	assert.Equal(t, int32(1), td.Revision)
	assert.True(t, aws.ToBool(td.ContainerDefinitions[0].Essential), "AWS fills essential=true")
	assert.Equal(t, int32(8080), aws.ToInt32(td.ContainerDefinitions[0].PortMappings[0].HostPort))

	td.ContainerDefinitions[0].Image = aws.String("repo/model-server:v9")
	reg, err := w.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: td.Family,
		ContainerDefinitions: td.ContainerDefinitions, Cpu: td.Cpu, Memory: td.Memory, NetworkMode: td.NetworkMode,
		RequiresCompatibilities: td.RequiresCompatibilities, ExecutionRoleArn: td.ExecutionRoleArn,
		Tags: []ecstypes.Tag{{Key: aws.String("release"), Value: aws.String("v9")}}})
	require.NoError(t, err)
	assert.Equal(t, int32(2), reg.TaskDefinition.Revision)
	arn := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2", arn)

	_, err = w.ecs.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []ecstypes.Tag{{Key: aws.String("by"), Value: aws.String("ci")}}})
	require.NoError(t, err)
	withTags, err := w.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:2"),
		Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	require.NoError(t, err)
	assert.Len(t, withTags.Tags, 2)
	assert.Equal(t, "repo/model-server:v9", aws.ToString(withTags.TaskDefinition.ContainerDefinitions[0].Image))

	_, err = w.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:7")})
	var client *ecstypes.ClientException
	require.ErrorAs(t, err, &client)
}

func TestJSONErrorsCarryTypeAndStatus(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	status, body := w.postJSON("CodeDeploy_20141006.GetDeployment", "1.1", `{"deploymentId":"d-AAAAAAAAA"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"__type":"DeploymentDoesNotExistException","message":"The deployment d-AAAAAAAAA could not be found."}`, body)

	_, err := w.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), ServiceName: aws.String("nope")})
	var notFound *ecstypes.ServiceNotFoundException
	require.ErrorAs(t, err, &notFound)
	var re interface{ HTTPStatusCode() int }
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusBadRequest, re.HTTPStatusCode())
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, smithy.FaultClient, apiErr.ErrorFault())
}
