package deployer

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// devStackOutputs is `pulumi stack output --json` of a Pulumi.dev.yaml stack, as the CLI prints it.
const devStackOutputs = `{
  "albDnsName": "ai-bluegreen-dev-alb-1234567890.us-east-1.elb.amazonaws.com",
  "blueTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ai-bluegreen-dev-blue/0123456789abcdef",
  "blueTargetGroupName": "ai-bluegreen-dev-blue",
  "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/ai-bluegreen-dev",
  "clusterName": "ai-bluegreen-dev",
  "codeDeployApplication": "ai-bluegreen-dev",
  "codeDeployDeploymentGroup": "ai-bluegreen-dev",
  "containerName": "model-server",
  "containerPort": 8080,
  "deployerPolicyJson": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecs:DescribeServices"], "Resource": "*"}]},
  "greenTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ai-bluegreen-dev-green/fedcba9876543210",
  "greenTargetGroupName": "ai-bluegreen-dev-green",
  "loadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/ai-bluegreen-dev-alb/0123456789abcdef",
  "maxRequestSeconds": 60,
  "natPublicIps": ["198.51.100.7"],
  "prodListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/ai-bluegreen-dev-alb/0123456789abcdef/1111111111111111",
  "prodUrl": "http://ai-bluegreen-dev-alb-1234567890.us-east-1.elb.amazonaws.com:80",
  "region": "us-east-1",
  "serviceName": "ai-bluegreen-dev",
  "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/ai-bluegreen-dev:1",
  "taskDefinitionFamily": "ai-bluegreen-dev",
  "testListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/ai-bluegreen-dev-alb/0123456789abcdef/2222222222222222",
  "testUrl": "http://ai-bluegreen-dev-alb-1234567890.us-east-1.elb.amazonaws.com:8443"
}
`

// targetValues reads each Target field the stack outputs fill, by output name.
var targetValues = map[string]func(Target) string{
	OutputRegion: func(t Target) string { return t.Region }, OutputClusterName: func(t Target) string { return t.Cluster },
	OutputServiceName: func(t Target) string { return t.Service }, OutputContainerName: func(t Target) string { return t.ContainerName },
	OutputContainerPort: func(t Target) string {
		if t.ContainerPort == 0 {
			return ""
		}
		return strconv.Itoa(int(t.ContainerPort))
	},
	OutputCodeDeployApplication: func(t Target) string { return t.Application }, OutputCodeDeployDeploymentGroup: func(t Target) string { return t.DeploymentGroup },
	OutputProdListenerArn: func(t Target) string { return t.ProdListenerArn }, OutputTestListenerArn: func(t Target) string { return t.TestListenerArn },
	OutputLoadBalancerArn: func(t Target) string { return t.LoadBalancerArn }, OutputProdURL: func(t Target) string { return t.ProdURL },
	OutputTestURL: func(t Target) string { return t.TestURL },
	OutputMaxRequestSeconds: func(t Target) string {
		if t.MaxRequest == 0 {
			return ""
		}
		return strconv.Itoa(int(t.MaxRequest / time.Second))
	},
}

// FuzzStackOutputs feeds a `pulumi stack output --json` file to a command: an
// accepted file is one JSON object and yields a Target whose every field is valid
// and every field the command needs is set; a refused one is named (--stack-outputs,
// or the output key with its value) with what is allowed.
func FuzzStackOutputs(f *testing.F) {
	commands := everyCommand
	for i := range commands {
		f.Add([]byte(devStackOutputs), uint8(i))
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `"x"`, ``, `Current stack is dev:`, devStackOutputs[:200], devStackOutputs + `{}`,
		strings.Replace(devStackOutputs, `8080`, `"8080"`, 1), strings.Replace(devStackOutputs, `8080`, `8080.5`, 1),
		strings.Replace(devStackOutputs, `:8443"`, `:8443/"`, 1), strings.Replace(devStackOutputs, `:8443"`, `:8443?"`, 1),
		strings.Replace(devStackOutputs, `"us-east-1"`, `"us-east-1 "`, 1), strings.Replace(devStackOutputs, `"us-east-1"`, `null`, 1),
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, cmd uint8) {
		command := commands[int(cmd)%len(commands)]
		_, c := findCommand(command).newFlagSet()
		c.stackOutputs = "-"
		inv := &invocation{cmd: command}
		err := c.resolveTarget(inv, bytes.NewReader(data))
		if err != nil {
			assertStackOutputsRefusal(t, data, err)
			return
		}
		var object map[string]any
		require.NoError(t, json.Unmarshal(data, &object), "an accepted file is JSON")
		require.NotNil(t, object, "an accepted file is a JSON object")
		assertTargetValid(t, command, inv.target)
	})
}

// assertStackOutputsRefusal checks that a refused file's error names where the
// problem is and what is allowed.
func assertStackOutputsRefusal(t *testing.T, data []byte, err error) {
	t.Helper()
	var in *InputError
	require.True(t, errors.As(err, &in), "a refused file is bad input (exit 2): %v", err)
	assertSaysWhatIsAllowed(t, in.Problem)
	var object map[string]any
	if json.Unmarshal(data, &object) != nil || object == nil {
		assert.Equal(t, "--stack-outputs", in.Field, "a file that is no JSON object is refused as a whole: %v", err)
		return
	}
	if in.Field == "--stack-outputs" && strings.HasPrefix(in.Problem, "stack output ") {
		// A name, ARN or URL of another JSON kind: the file is not the program's outputs.
		key, _, _ := strings.Cut(strings.TrimPrefix(in.Problem, "stack output "), ":")
		require.Contains(t, ReadOutputNames(), key)
		_, isText := object[key].(string)
		assert.False(t, isText, "only a value that is not a JSON string is refused this way: %v", err)
		assert.Contains(t, in.Problem, "want a JSON string")
		return
	}
	if key, ok := strings.CutPrefix(in.Field, "stack output "); ok {
		require.Contains(t, ReadOutputNames(), key)
		outputs, perr := parseStackOutputs(data)
		require.NoError(t, perr)
		assert.Contains(t, in.Problem, strconv.Quote(strings.TrimSpace(outputs[key])), "the error shows the value")
		return
	}
	i := slices.IndexFunc(targetOutputs, func(o targetOutput) bool { return "--"+o.flag == in.Field })
	require.GreaterOrEqual(t, i, 0, "the error names a stack output or its flag: %v", err)
	assert.Contains(t, in.Problem, strconv.Quote(targetOutputs[i].output), "a missing value names its output key")
}

// assertTargetValid re-checks every Target field from first principles.
func assertTargetValid(t *testing.T, command string, tgt Target) {
	t.Helper()
	for _, o := range targetOutputs {
		v := targetValues[o.output](tgt)
		if v == "" {
			assert.NotContains(t, o.requiredBy, command, "%s needs stack output %s", command, o.output)
			continue
		}
		assert.Equal(t, strings.TrimSpace(v), v, "%s is trimmed", o.output)
		switch o.output {
		case OutputRegion:
			assert.Regexp(t, `^[a-z]{2}(-[a-z]+)+-[0-9]+$`, v)
		case OutputContainerPort:
			assert.True(t, tgt.ContainerPort >= 1 && tgt.ContainerPort <= 65535, "port %d", tgt.ContainerPort)
		case OutputProdListenerArn, OutputTestListenerArn:
			assert.True(t, strings.HasPrefix(v, "arn:") && strings.Contains(v, ":listener/"), "%s %q", o.output, v)
		case OutputLoadBalancerArn:
			assert.True(t, strings.HasPrefix(v, "arn:") && strings.Contains(v, ":loadbalancer/"), "%s %q", o.output, v)
		case OutputProdURL, OutputTestURL:
			assertBaseURL(t, o.output, v)
		case OutputMaxRequestSeconds:
			assert.True(t, tgt.MaxRequest >= time.Second && tgt.MaxRequest <= 24*time.Hour && tgt.MaxRequest%time.Second == 0, "%s %s", o.output, tgt.MaxRequest)
		default:
			assert.Regexp(t, `^[A-Za-z0-9][!-~]{0,254}$`, v, "%s is a printable name", o.output)
		}
	}
}

// assertBaseURL checks a listener URL the way the gates use it: a path appended to
// it is the path of the request, on the URL's host.
func assertBaseURL(t *testing.T, name, base string) {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err, "%s %q", name, base)
	assert.Contains(t, []string{"http", "https"}, u.Scheme, "%s %q", name, base)
	assert.NotEmpty(t, u.Hostname(), "%s %q names a host", name, base)
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		assert.True(t, err == nil && n >= 1 && n <= 65535, "%s %q has a port 1-65535", name, base)
	}
	req, err := url.Parse(base + "/health/ready")
	require.NoError(t, err, "%s %q", name, base)
	assert.Equal(t, "/health/ready", req.EscapedPath(), "%s %q: a path appended to it is the request's path", name, base)
	assert.Equal(t, u.Host, req.Host, "%s %q", name, base)
	assert.False(t, req.ForceQuery || req.RawQuery != "" || req.Fragment != "", "%s %q: an appended path is no query or fragment", name, base)
}
