package emulator

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// deployerGoldenAppSpec is the AppSpec the deployer's golden test renders.
var deployerGoldenAppSpec = filepath.Join("..", "..", "..", "deployer", "testdata", "appspec.golden.json")

// FuzzParseAppSpec feeds CreateDeployment AppSpec content to the emulator's parser:
// a refusal is the message of a failed deployment (INVALID_REVISION), and an
// accepted AppSpec holds a task definition ARN, a container and an integer port
// exactly as written, and only ECS lifecycle hooks.
func FuzzParseAppSpec(f *testing.F) {
	golden, err := os.ReadFile(deployerGoldenAppSpec)
	require.NoError(f, err)
	f.Add(string(golden))
	td := "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
	for _, s := range []string{
		appSpecFor(td), appSpecWith(td, "model", 8080, "Hooks:\n  - BeforeInstall: \"LambdaFunctionToValidateBeforeInstall\"\n  - AfterAllowTraffic: \"LambdaAfter\"\n"),
		appSpecWith(td, "model", 0, ""), appSpecWith(td, "", 8080, ""), appSpecWith("web:1", "model", 8080, ""), appSpecWith(td, "model", 8080, "Hooks:\n  - Install: x\n"),
		strings.Replace(appSpecFor(td), "ContainerPort: 8080", `ContainerPort: "8080"`, 1),
		`{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {"TaskDefinition": "` + td + `", "LoadBalancerInfo": {"ContainerName": "model", "ContainerPort": 8080}}}}]}`,
		"version: 0.0\nResources: []", "Resources: [{a: {Type: AWS::Lambda::Function}}]", "", "{", "- x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		spec, err := parseAppSpec(content)
		if err != nil {
			assert.True(t, strings.HasPrefix(err.Error(), appSpecInvalid), "a refusal is the failed deployment's message: %v", err)
			return
		}
		assert.Regexp(t, taskDefinitionARN, spec.TaskDefinition)
		assert.NotEmpty(t, spec.ContainerName)
		assert.True(t, spec.ContainerPort >= 1 && spec.ContainerPort <= 65535, "port %d", spec.ContainerPort)
		assert.Equal(t, []int{spec.ContainerPort}, writtenPorts(t, content), "the port is the integer written:\n%s", content)
		for event := range spec.Hooks {
			assert.Contains(t, hookEvents, event)
		}
	})
}

// writtenPorts are the ContainerPort values of the resources as written: a YAML
// integer, or a string of one; -1 for anything else.
func writtenPorts(t *testing.T, content string) []int {
	t.Helper()
	var doc struct {
		Resources []map[string]struct {
			Properties struct {
				LoadBalancerInfo struct {
					ContainerPort yaml.Node `yaml:"ContainerPort"`
				} `yaml:"LoadBalancerInfo"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(content), &doc))
	var out []int
	for _, res := range doc.Resources {
		for _, r := range res {
			node, port := r.Properties.LoadBalancerInfo.ContainerPort, -1
			switch node.ShortTag() {
			case "!!int":
				if node.Decode(&port) != nil {
					port = -1
				}
			case "!!str":
				if n, err := strconv.Atoi(node.Value); err == nil {
					port = n
				}
			}
			out = append(out, port)
		}
	}
	return out
}

// deployerContainerName is what the deployer accepts as the container name (its
// checkName): the AppSpec carries it as given.
var deployerContainerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/+=@,-]{0,254}$`)

// taskDefinitionFamily is what ECS accepts as a task definition family.
var taskDefinitionFamily = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// FuzzParseAppSpecAcceptsTheDeployers: whatever AppSpec the deployer renders for a
// registered task definition, a container name and port it accepts, and the live
// service's platform version, the emulator's CodeDeploy reads it back to the same
// values.
func FuzzParseAppSpecAcceptsTheDeployers(f *testing.F) {
	f.Add("web", uint32(8), "model", uint16(8080), "1.4.0")
	f.Add("ai-bluegreen-dev", uint32(1), "model-server", uint16(8080), "LATEST")
	f.Add("ai-bluegreen-gpu", uint32(4294967295), "llm-server", uint16(65535), "")
	f.Add("a", uint32(0), "c:d/e+f=g@h,i.j", uint16(1), "'\"\n#: - ${x}")
	f.Fuzz(func(t *testing.T, family string, revision uint32, container string, port uint16, platform string) {
		if !taskDefinitionFamily.MatchString(family) || !deployerContainerName.MatchString(container) || port == 0 {
			t.Skip("ECS registers no such task definition, or the deployer refuses the container or port")
		}
		if !utf8.ValidString(platform) || strings.IndexFunc(platform, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			// ECS reports LATEST or a version number. The emulator reads JSON with a YAML parser,
			// which refuses raw DEL and C1 characters (valid in JSON); no ECS value holds them.
			t.Skip("ECS reports a printable platform version")
		}
		arn := "arn:aws:ecs:us-east-1:123456789012:task-definition/" + family + ":" + strconv.FormatUint(uint64(revision), 10)
		spec := deployer.AppSpec{Version: "0.0", Resources: []map[string]deployer.AppSpecResource{{"TargetService": {Type: "AWS::ECS::Service",
			Properties: deployer.AppSpecProperties{TaskDefinition: arn, PlatformVersion: platform,
				LoadBalancerInfo: deployer.AppSpecLoadBalancerInfo{ContainerName: container, ContainerPort: int32(port)},
				NetworkConfiguration: &deployer.AppSpecNetwork{AwsvpcConfiguration: deployer.AppSpecAwsvpc{
					Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}, AssignPublicIp: "DISABLED"}}}}}}}
		content, _, err := spec.Render()
		require.NoError(t, err)
		got, err := parseAppSpec(content)
		require.NoError(t, err, "the emulator refuses the deployer's AppSpec:\n%s", content)
		assert.Equal(t, &appSpec{TaskDefinition: arn, ContainerName: container, ContainerPort: int(port), PlatformVersion: platform, Hooks: map[string]string{}}, got)
	})
}
