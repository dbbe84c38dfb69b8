package deployer

import (
	"fmt"
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
