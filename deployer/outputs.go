package deployer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
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

// requiredOutputs are the stack outputs (by flag) each command needs.
var requiredOutputs = map[string][]string{
	"deploy":   {"cluster", "service", "container-name", "container-port", "application", "deployment-group", "prod-listener-arn", "test-listener-arn", "prod-url", "test-url"},
	"plan":     {"cluster", "service", "container-name", "container-port", "application", "deployment-group", "prod-listener-arn", "test-listener-arn"},
	"rollback": {"cluster", "service", "container-name", "container-port", "application", "deployment-group", "prod-listener-arn", "test-listener-arn", "prod-url", "test-url"},
	"status":   {"cluster", "service", "container-name", "application", "deployment-group", "prod-listener-arn", "test-listener-arn"},
	"continue": {"cluster", "service", "application", "deployment-group"},
	"abort":    {"cluster", "service", "application", "deployment-group"},
}

// resolveTarget merges flags (already filled from the environment) over the
// stack outputs and checks each value.
func (c *cliConfig) resolveTarget(inv *invocation, stdin io.Reader) error {
	outputs := StackOutputs{}
	if c.stackOutputs != "" {
		var err error
		if outputs, err = readStackOutputs(c.stackOutputs, stdin); err != nil {
			return inputErrorf("--stack-outputs", "%v", err)
		}
	}
	val := map[string]string{}
	source := map[string]string{}
	for _, of := range outputFlags {
		if v := strings.TrimSpace(*c.target[of.flag]); v != "" {
			val[of.flag], source[of.flag] = v, "--"+of.flag
		} else if v := strings.TrimSpace(outputs[of.output]); v != "" {
			val[of.flag], source[of.flag] = v, "stack output "+of.output
		}
	}
	for _, name := range requiredOutputs[inv.cmd] {
		if val[name] == "" {
			of := outputFlagByName(name)
			return inputErrorf("--"+name, "is required: pass --%s, set %s, or give --stack-outputs with key %q", name, envName(name), of.output)
		}
	}
	for flagName, v := range val {
		if err := checkTargetValue(flagName, v); err != nil {
			return inputErrorf(source[flagName], "%v", err)
		}
	}
	t := &inv.target
	t.Region, t.Cluster, t.Service, t.ContainerName = val["region"], val["cluster"], val["service"], val["container-name"]
	t.Application, t.DeploymentGroup = val["application"], val["deployment-group"]
	t.ProdListenerArn, t.TestListenerArn, t.LoadBalancerArn = val["prod-listener-arn"], val["test-listener-arn"], val["load-balancer-arn"]
	t.ProdURL, t.TestURL = strings.TrimRight(val["prod-url"], "/"), strings.TrimRight(val["test-url"], "/")
	if p := val["container-port"]; p != "" {
		n, _ := strconv.Atoi(p)
		t.ContainerPort = int32(n)
	}
	return nil
}

func outputFlagByName(name string) outputFlag {
	for _, of := range outputFlags {
		if of.flag == name {
			return of
		}
	}
	return outputFlag{}
}

// checkTargetValue checks the syntax of one target value.
func checkTargetValue(flagName, v string) error {
	switch flagName {
	case "region":
		if !regionRegexp.MatchString(v) {
			return fmt.Errorf("%q is not an AWS region such as us-east-1", v)
		}
	case "container-port":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: want a port 1-65535", v)
		}
	case "prod-listener-arn", "test-listener-arn":
		if !strings.HasPrefix(v, "arn:") || !strings.Contains(v, ":listener/") {
			return fmt.Errorf("%q: want a listener ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/…)", v)
		}
	case "load-balancer-arn":
		if !strings.HasPrefix(v, "arn:") || !strings.Contains(v, ":loadbalancer/") {
			return fmt.Errorf("%q: want a load balancer ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/…)", v)
		}
	case "prod-url", "test-url":
		return checkURL("", v, false)
	default:
		if !nameRegexp.MatchString(v) {
			return fmt.Errorf("%q: want a name of letters, digits and -_.:/ (at most 255)", v)
		}
	}
	return nil
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
