package deployer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzAppSpecRoundTrip renders the AppSpec of a service and reads it back: the
// content parses to the same AppSpec, its sha256 is the one sent, and the deployer's
// own reader of a revision's AppSpec finds the task definition in it.
func FuzzAppSpecRoundTrip(f *testing.F) {
	arn := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:8"
	f.Add(arn, "model", int32(8080), "1.4.0", true, "subnet-a", "sg-1", "DISABLED", "", int32(0), int32(0))
	f.Add(arn, "llm-server", int32(8000), "", false, "subnet-0f99e88d77c66b551", "", "", "ai-bluegreen-gpu-cp", int32(1), int32(100))
	f.Add("arn:aws:ecs:us-west-2:123456789012:task-definition/ai-bluegreen-dev:12", "model-server", int32(65535), "LATEST", true, "", "", "", "FARGATE_SPOT", int32(0), int32(1))
	f.Add("", "", int32(0), "", false, "", "", "", "", int32(0), int32(0))
	f.Add("td \"quoted\": yes\n- not a list", "名前", int32(-1), "\u2028", true, "<&>", "#", "'", "${x}", int32(-5), int32(2147483647))
	f.Fuzz(func(t *testing.T, taskDef, container string, port int32, platform string, fargate bool, subnet, sg, assign, provider string, base, weight int32) {
		for _, s := range []string{taskDef, container, platform, subnet, sg, assign, provider} {
			if !utf8.ValidString(s) {
				t.Skip("names from ECS and the stack are UTF-8; encoding/json would replace the bytes")
			}
		}
		spec := buildAppSpec(fuzzService(platform, fargate, subnet, sg, assign, provider, base, weight), taskDef, container, port)
		content, sum, err := spec.Render()
		require.NoError(t, err)
		h := sha256.Sum256([]byte(content))
		assert.Equal(t, hex.EncodeToString(h[:]), sum)
		var back AppSpec
		require.NoError(t, json.Unmarshal([]byte(content), &back))
		assert.Equal(t, spec, back, "the rendered AppSpec reads back the same")
		td, err := appSpecTaskDefinition(content)
		if taskDef == "" {
			assert.Error(t, err)
			return
		}
		require.NoError(t, err, "the deployer reads the task definition of its own AppSpec:\n%s", content)
		assert.Equal(t, taskDef, td)
	})
}

// fuzzService is a live service as DescribeServices returns it, from fuzzed values.
func fuzzService(platform string, fargate bool, subnet, sg, assign, provider string, base, weight int32) *ecstypes.Service {
	svc := &ecstypes.Service{PlatformVersion: aws.String(platform)}
	if fargate {
		svc.LaunchType = ecstypes.LaunchTypeFargate
	}
	if subnet != "" {
		vpc := &ecstypes.AwsVpcConfiguration{Subnets: []string{subnet}, AssignPublicIp: ecstypes.AssignPublicIp(assign)}
		if sg != "" {
			vpc.SecurityGroups = []string{sg}
		}
		svc.NetworkConfiguration = &ecstypes.NetworkConfiguration{AwsvpcConfiguration: vpc}
	}
	if provider != "" {
		svc.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(provider), Base: base, Weight: weight}}
	}
	return svc
}

// FuzzAppSpecTaskDefinition reads the task definition of a revision's AppSpec, which
// any tool may have written, in YAML or JSON: it never panics, and JSON content gives
// what a JSON reader finds in it.
func FuzzAppSpecTaskDefinition(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "appspec.golden.json"))
	require.NoError(f, err)
	f.Add(string(golden))
	for _, s := range []string{
		"version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:3\n" +
			"        LoadBalancerInfo:\n          ContainerName: model\n          ContainerPort: 8080\nHooks:\n  - BeforeInstall: \"LambdaFunctionToValidateBeforeInstall\"\n",
		`{"version":0.0,"resources":[{"myService":{"type":"AWS::ECS::Service","properties":{"taskDefinition":"arn:aws:ecs:us-east-1:1:task-definition\/web:3"}}}]}`,
		"version: 0.0", "Resources: []", "Resources: [x]", "Resources: [{a: 1}]", "- a", "", "{", "Resources: &a [*a]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		td, err := appSpecTaskDefinition(content)
		if err == nil {
			assert.NotEmpty(t, td)
		}
		var doc map[string]any
		if json.Unmarshal([]byte(content), &doc) != nil {
			return
		}
		candidates, ambiguous := jsonAppSpecTaskDefinitions(doc)
		if ambiguous {
			return
		}
		if len(candidates) == 0 {
			assert.Error(t, err, "JSON content without a task definition")
			return
		}
		require.NoError(t, err, "JSON content with a task definition:\n%s", content)
		assert.Contains(t, candidates, td)
	})
}

// jsonAppSpecTaskDefinitions are the task definitions appSpecTaskDefinition may
// find in a document decoded by encoding/json (Resources[0].<any>.Properties.
// TaskDefinition, keys matched case-insensitively); ambiguous is true when a key
// matches twice ("Resources" and "resources"), which leaves the choice to map order.
func jsonAppSpecTaskDefinitions(doc map[string]any) (found []string, ambiguous bool) {
	res, ambiguous := foldValue(doc, "Resources")
	list, _ := res.([]any)
	if ambiguous || len(list) == 0 {
		return nil, ambiguous
	}
	first, _ := list[0].(map[string]any)
	for _, r := range first {
		r, _ := r.(map[string]any)
		props, twice := foldValue(r, "Properties")
		p, _ := props.(map[string]any)
		td, twiceTD := foldValue(p, "TaskDefinition")
		if twice || twiceTD {
			return nil, true
		}
		if td, ok := td.(string); ok && td != "" {
			found = append(found, td)
		}
	}
	return found, false
}

// foldValue is the value of m's key that equals key case-insensitively; ambiguous
// says more than one does.
func foldValue(m map[string]any, key string) (v any, ambiguous bool) {
	n := 0
	for k, x := range m {
		if strings.EqualFold(k, key) {
			v, n = x, n+1
		}
	}
	return v, n > 1
}
