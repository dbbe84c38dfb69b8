package deployer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
)

// Stack output names the deployer reads from `pulumi stack output --json`. They
// are the deployer's own copy of infra's OutputX constants (the two packages never
// import each other); a test in tests/ checks that they agree. Other outputs in the
// file (clusterArn, the target group names, albDnsName, deployerPolicyJson …) are
// accepted and ignored: the target groups are found from the deployment and the
// listeners each release, never from the stack.
const (
	OutputRegion                    = "region"
	OutputClusterName               = "clusterName"
	OutputServiceName               = "serviceName"
	OutputContainerName             = "containerName"
	OutputContainerPort             = "containerPort"
	OutputCodeDeployApplication     = "codeDeployApplication"
	OutputCodeDeployDeploymentGroup = "codeDeployDeploymentGroup"
	OutputProdListenerArn           = "prodListenerArn"
	OutputTestListenerArn           = "testListenerArn"
	OutputLoadBalancerArn           = "loadBalancerArn"
	OutputProdURL                   = "prodUrl"
	OutputTestURL                   = "testUrl"
)

// ReadOutputNames lists the stack outputs the deployer reads (each one fills the
// flag that overrides it), for the contract test in tests/.
func ReadOutputNames() []string {
	names := make([]string, 0, len(outputFlags))
	for _, of := range outputFlags {
		names = append(names, of.output)
	}
	sort.Strings(names)
	return names
}

// outputFlag ties a stack output to the flag that overrides it.
type outputFlag struct {
	output, flag, usage string
}

// outputFlags are the stack outputs that have a flag of their own.
var outputFlags = []outputFlag{
	{OutputRegion, "region", "AWS region"},
	{OutputClusterName, "cluster", "ECS cluster name"},
	{OutputServiceName, "service", "ECS service name (deployment controller CODE_DEPLOY)"},
	{OutputContainerName, "container-name", "container the load balancer targets"},
	{OutputContainerPort, "container-port", "its port"},
	{OutputCodeDeployApplication, "application", "CodeDeploy application name"},
	{OutputCodeDeployDeploymentGroup, "deployment-group", "CodeDeploy deployment group name"},
	{OutputProdListenerArn, "prod-listener-arn", "production listener ARN"},
	{OutputTestListenerArn, "test-listener-arn", "test listener ARN"},
	{OutputLoadBalancerArn, "load-balancer-arn", "ALB ARN (CloudWatch dimensions)"},
	{OutputProdURL, "prod-url", "production URL, scheme://host:port"},
	{OutputTestURL, "test-url", "test listener URL, scheme://host:port"},
}

// StackOutputs holds `pulumi stack output --json` values as strings; numbers are
// accepted either as JSON numbers or as strings.
type StackOutputs map[string]string

// readStackOutputs reads the outputs from a file, or from stdin when path is "-".
func readStackOutputs(path string, stdin io.Reader) (StackOutputs, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read stack outputs %s: %w", path, err)
	}
	return parseStackOutputs(data)
}

// parseStackOutputs decodes a JSON object of outputs. Non-scalar values (the policy
// document may arrive as an object) are kept as compact JSON.
func parseStackOutputs(data []byte) (StackOutputs, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("stack outputs must be the JSON object printed by `pulumi stack output --json`: %w", err)
	}
	out := make(StackOutputs, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		case nil:
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, fmt.Errorf("stack output %q: %w", k, err)
			}
			out[k] = string(b)
		}
	}
	return out, nil
}
