package deployer

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fargateService() *ecstypes.Service {
	return &ecstypes.Service{
		ServiceName: aws.String("web"), LaunchType: ecstypes.LaunchTypeFargate, PlatformVersion: aws.String("1.4.0"),
		TaskDefinition: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"), DesiredCount: 2,
		DeploymentController: &ecstypes.DeploymentController{Type: ecstypes.DeploymentControllerTypeCodeDeploy},
		LoadBalancers:        []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(tgBlue), ContainerName: aws.String("model"), ContainerPort: aws.Int32(8080)}},
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: ecstypes.AssignPublicIpDisabled,
		}},
	}
}

func TestAppSpecGolden(t *testing.T) {
	t.Parallel()
	content, sum, err := buildAppSpec(fargateService(), "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8", "model", 8080).Render()
	require.NoError(t, err)
	golden := filepath.Join("testdata", "appspec.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(content), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), content, "run go test ./deployer -run TestAppSpecGolden -update to accept")
	h := sha256.Sum256([]byte(content))
	assert.Equal(t, hex.EncodeToString(h[:]), sum)
}

func TestAppSpecOmitsPlatformVersionOutsideFargate(t *testing.T) {
	t.Parallel()
	svc := fargateService()
	svc.LaunchType = ecstypes.LaunchTypeEc2
	spec := buildAppSpec(svc, "arn:td", "model", 8080)
	assert.Empty(t, spec.Resources[0]["TargetService"].Properties.PlatformVersion)
}

func TestAppSpecKeepsTheCapacityProviderStrategy(t *testing.T) {
	t.Parallel()
	svc := fargateService()
	svc.LaunchType = ""
	svc.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("gpu"), Base: 1, Weight: 1}}
	props := buildAppSpec(svc, "arn:td", "model", 8080).Resources[0]["TargetService"].Properties
	assert.Equal(t, []AppSpecCapacityProvider{{CapacityProvider: "gpu", Base: 1, Weight: 1}}, props.CapacityProviderStrategy)
}

func TestAppSpecTaskDefinitionReadsJSONAndYAML(t *testing.T) {
	t.Parallel()
	content, _, err := buildAppSpec(fargateService(), "arn:td:8", "model", 8080).Render()
	require.NoError(t, err)
	got, err := appSpecTaskDefinition(content)
	require.NoError(t, err)
	assert.Equal(t, "arn:td:8", got)
	yamlSpec := "version: 0.0\nresources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"arn:td:9\"\n"
	got, err = appSpecTaskDefinition(yamlSpec)
	require.NoError(t, err)
	assert.Equal(t, "arn:td:9", got)
	_, err = appSpecTaskDefinition("version: 0.0")
	assert.Error(t, err)
}
