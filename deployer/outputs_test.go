package deployer

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagsOverrideStackOutputs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.active = []string{"d-NEW"}
	w.addScript("d-NEW", stepReady)
	code, _, stderr := cliRun(t, w, nil, "", "continue", "--stack-outputs", writeJSON(t, stackOutputsJSON(t)), "--cluster", "other")
	require.Equal(t, ExitReleased, code, stderr)
	assert.Equal(t, 1, w.called("codedeploy:GetDeploymentTarget other:web"))
}

func TestReadOutputNamesListsOnlyOutputsThatFillTheTarget(t *testing.T) {
	t.Parallel()
	outputs := map[string]any{ // a distinct value per output, to find it in the target
		OutputRegion: "eu-west-3", OutputClusterName: "cluster-1", OutputServiceName: "service-1", OutputContainerName: "container-1", OutputContainerPort: 9091,
		OutputCodeDeployApplication: "application-1", OutputCodeDeployDeploymentGroup: "group-1",
		OutputProdListenerArn: "arn:aws:elasticloadbalancing:eu-west-3:1:listener/app/x/prod-1", OutputTestListenerArn: "arn:aws:elasticloadbalancing:eu-west-3:1:listener/app/x/test-1",
		OutputLoadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-3:1:loadbalancer/app/x/lb-1", OutputProdURL: "http://prod-1:80", OutputTestURL: "http://test-1:8443",
		OutputMaxRequestSeconds: 59, // the target holds it as 59s
	}
	_, c := findCommand("deploy").newFlagSet()
	c.stackOutputs = writeJSON(t, outputs)
	inv := &invocation{cmd: "deploy"}
	require.NoError(t, c.resolveTarget(inv, nil))
	target := fmt.Sprintf("%+v", inv.target)
	for _, name := range ReadOutputNames() {
		assert.Contains(t, target, fmt.Sprint(outputs[name]), "ReadOutputNames claims the deployer reads stack output %q, but it fills no target field", name)
	}
}

func TestEveryStackOutputHasItsOwnFlagAndEnvironmentVariable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, o := range targetOutputs {
		for _, key := range []string{"output " + o.output, "flag " + o.flag, "env " + o.env()} {
			assert.False(t, seen[key], "%s appears twice in targetOutputs", key)
			seen[key] = true
		}
		assert.Equal(t, "DEPLOYER_"+strings.ToUpper(strings.ReplaceAll(o.flag, "-", "_")), o.env())
	}
}

func TestATargetValueIsCheckedAsItIsSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		flag, value, wantErr string
	}{
		{"region", "nowhere", "is not an AWS region"},
		{"cluster", "has space", "want a name"},
		{"container-port", "0", "want a port 1-65535"},
		{"prod-listener-arn", "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1", "want a listener ARN"},
		{"load-balancer-arn", "lb", "want a load balancer ARN"},
		{"test-url", "http://web:8443/path", "want scheme://host[:port]"},
	}
	for _, tc := range cases {
		t.Run(tc.flag, func(t *testing.T) {
			t.Parallel()
			i := slices.IndexFunc(targetOutputs, func(o targetOutput) bool { return o.flag == tc.flag })
			require.GreaterOrEqual(t, i, 0)
			var target Target
			err := targetOutputs[i].set(&target, tc.value)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Equal(t, Target{}, target, "a refused value sets nothing")
		})
	}
	var target Target
	i := slices.IndexFunc(targetOutputs, func(o targetOutput) bool { return o.flag == "prod-url" })
	require.NoError(t, targetOutputs[i].set(&target, "http://web:80/"))
	assert.Equal(t, "http://web:80", target.ProdURL, "stored without the trailing slash")
}

// The program exports names, ARNs and URLs as strings: another JSON kind there means the file is not
// its outputs, and is refused naming the output. Numbers are fine where a number is read, and
// outputs the deployer does not read may be anything.
func TestAStackOutputOfTheWrongKindIsRefused(t *testing.T) {
	t.Parallel()
	_, err := parseStackOutputs([]byte(`{"clusterName": 42}`))
	require.Error(t, err)
	assert.Equal(t, "stack output clusterName: 42: want a JSON string (ECS cluster name)", err.Error())
	_, err = parseStackOutputs([]byte(`{"testUrl": {"url": "http://x"}}`))
	assert.ErrorContains(t, err, "stack output testUrl")
	out, err := parseStackOutputs([]byte(`{"containerPort": 8080, "maxRequestSeconds": 60, "deployerPolicyJson": {"Version": "2012-10-17"}, "clusterName": "dev"}`))
	require.NoError(t, err)
	assert.Equal(t, "8080", out[OutputContainerPort])
	assert.Equal(t, "dev", out[OutputClusterName])
}
