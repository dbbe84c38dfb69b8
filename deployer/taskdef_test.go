package deployer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func liveTaskDefinition() *ecstypes.TaskDefinition {
	return &ecstypes.TaskDefinition{
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"), Family: aws.String("web"), Revision: 7,
		Cpu: aws.String("1024"), Memory: aws.String("2048"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"), TaskRoleArn: aws.String("arn:aws:iam::123456789012:role/task"),
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		ContainerDefinitions: []ecstypes.ContainerDefinition{
			{Name: aws.String("model"), Image: aws.String("repo/model-server:v1"), Essential: aws.Bool(true),
				Environment:  []ecstypes.KeyValuePair{{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")}},
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}},
			{Name: aws.String("sidecar"), Image: aws.String("repo/sidecar:3")},
		},
	}
}

func TestApplyReleaseChangesOnlyTheImageAndEnvOfTheTargetContainer(t *testing.T) {
	t.Parallel()
	live := liveTaskDefinition()
	before := cloneTaskDefinition(live, []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("ml")}, {Key: aws.String(TagImage), Value: aws.String("old")}})
	after := cloneTaskDefinition(live, before.Tags)
	prov := Provenance{Image: "repo/model-server:v2", GitSHA: "abc123", PreviousTaskDefinition: aws.ToString(live.TaskDefinitionArn)}
	require.NoError(t, applyRelease(after, "model", "repo/model-server:v2", []EnvVar{{"LOG_LEVEL", "debug"}, {"MODEL_WARM", "1"}}, prov))
	assert.Equal(t, []string{
		"~ containerDefinitions[model].environment[LOG_LEVEL].value: (changed, values redacted)",
		"~ containerDefinitions[model].image: \"repo/model-server:v1\" → \"repo/model-server:v2\"",
		"+ containerDefinitions[model].environment[MODEL_WARM].name: \"MODEL_WARM\"",
		"+ containerDefinitions[model].environment[MODEL_WARM].value: (set, value redacted)",
	}, diffTaskDefinitions(withoutProvenance(before), withoutProvenance(after)))
	assert.Equal(t, "repo/sidecar:3", containerImage(after.ContainerDefinitions, "sidecar"))
	assert.Equal(t, "repo/model-server:v1", containerImage(live.ContainerDefinitions, "model"), "the live task definition is not modified")
	tags := map[string]string{}
	for _, tg := range after.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	assert.Equal(t, map[string]string{"team": "ml", TagImage: "repo/model-server:v2", TagGitSHA: "abc123", TagPreviousTaskDefinition: aws.ToString(live.TaskDefinitionArn)}, tags)
}

func TestApplyReleaseNamesTheContainersWhenTheTargetIsMissing(t *testing.T) {
	t.Parallel()
	in := cloneTaskDefinition(liveTaskDefinition(), nil)
	err := applyRelease(in, "api", "repo/x:1", nil, Provenance{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no container "api" (containers: model, sidecar)`)
}

func TestParseTaskDefinitionAcceptsDescribeOutputAndRegisterInput(t *testing.T) {
	t.Parallel()
	describe := `{"taskDefinition": {"taskDefinitionArn": "arn:x", "revision": 3, "status": "ACTIVE", "family": "web",
		"registeredAt": "2024-01-01T00:00:00Z", "requiresAttributes": [{"name": "x"}], "compatibilities": ["FARGATE"],
		"containerDefinitions": [{"name": "model", "image": "repo/model-server:v1", "essential": true, "portMappings": [{"containerPort": 8080}]}]},
		"tags": [{"key": "team", "value": "ml"}]}`
	in, err := parseTaskDefinition([]byte(describe))
	require.NoError(t, err)
	assert.Equal(t, "web", aws.ToString(in.Family))
	assert.Equal(t, "repo/model-server:v1", containerImage(in.ContainerDefinitions, "model"))
	require.Len(t, in.Tags, 1)
	in, err = parseTaskDefinition([]byte(`{"family": "web", "containerDefinitions": [{"name": "model", "image": "m:1"}], "networkMode": "awsvpc"}`))
	require.NoError(t, err)
	assert.Equal(t, ecstypes.NetworkModeAwsvpc, in.NetworkMode)
}

func TestParseTaskDefinitionRejectsUnknownFields(t *testing.T) {
	t.Parallel()
	_, err := parseTaskDefinition([]byte(`{"family": "web", "containerDefinitions": [{"name": "m", "image": "m:1", "imagee": "x"}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "imagee")
	_, err = parseTaskDefinition([]byte(`{"containerDefinitions": []}`))
	assert.Error(t, err)
}

func TestParseEnvVar(t *testing.T) {
	t.Parallel()
	e, err := parseEnvVar("A_1=x=y")
	require.NoError(t, err)
	assert.Equal(t, EnvVar{"A_1", "x=y"}, e)
	for _, bad := range []string{"noequals", "1A=x", "A-B=x", "=x"} {
		_, err := parseEnvVar(bad)
		assert.Error(t, err, bad)
	}
}
