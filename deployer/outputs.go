package deployer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
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
	OutputMaxRequestSeconds         = "maxRequestSeconds"
)

// ReadOutputNames lists the stack outputs the deployer reads (each one fills the
// flag that overrides it), for the contract test in tests/.
func ReadOutputNames() []string {
	names := make([]string, 0, len(targetOutputs))
	for _, o := range targetOutputs {
		names = append(names, o.output)
	}
	sort.Strings(names)
	return names
}

// targetOutput is one row of the table from stack outputs to the Target: the
// output, the flag that overrides it (filled from DEPLOYER_<FLAG>, env), the
// commands that need it, and how its value is checked and set on the Target.
type targetOutput struct {
	output, flag, usage string
	requiredBy          []string
	set                 func(t *Target, v string) error
}

// env is the environment variable that fills the output's flag.
func (o targetOutput) env() string { return envName(o.flag) }

// Commands that need a target field.
var (
	everyCommand     = []string{"deploy", "plan", "rollback", "status", "continue", "abort"}
	listenerCommands = []string{"deploy", "plan", "rollback", "status"}
	releaseCommands  = []string{"deploy", "plan", "rollback"}
	probeCommands    = []string{"deploy", "rollback"}
)

// targetOutputs is the one table from stack outputs to the Target: everything
// the deployer reads from `pulumi stack output --json` is a row here.
var targetOutputs = []targetOutput{
	{OutputRegion, "region", "AWS region", nil, textField(func(t *Target) *string { return &t.Region }, checkRegion)},
	{OutputClusterName, "cluster", "ECS cluster name", everyCommand, textField(func(t *Target) *string { return &t.Cluster }, checkName)},
	{OutputServiceName, "service", "ECS service name (deployment controller CODE_DEPLOY)", everyCommand, textField(func(t *Target) *string { return &t.Service }, checkName)},
	{OutputContainerName, "container-name", "container the load balancer targets", listenerCommands, textField(func(t *Target) *string { return &t.ContainerName }, checkName)},
	{OutputContainerPort, "container-port", "its port", releaseCommands, setContainerPort},
	{OutputCodeDeployApplication, "application", "CodeDeploy application name", everyCommand, textField(func(t *Target) *string { return &t.Application }, checkName)},
	{OutputCodeDeployDeploymentGroup, "deployment-group", "CodeDeploy deployment group name", everyCommand, textField(func(t *Target) *string { return &t.DeploymentGroup }, checkName)},
	{OutputProdListenerArn, "prod-listener-arn", "production listener ARN", listenerCommands, textField(func(t *Target) *string { return &t.ProdListenerArn }, checkListenerArn)},
	{OutputTestListenerArn, "test-listener-arn", "test listener ARN", listenerCommands, textField(func(t *Target) *string { return &t.TestListenerArn }, checkListenerArn)},
	{OutputLoadBalancerArn, "load-balancer-arn", "ALB ARN (CloudWatch dimensions)", nil, textField(func(t *Target) *string { return &t.LoadBalancerArn }, checkLoadBalancerArn)},
	{OutputProdURL, "prod-url", "production URL, scheme://host:port", probeCommands, urlField(func(t *Target) *string { return &t.ProdURL })},
	{OutputTestURL, "test-url", "test listener URL, scheme://host:port", probeCommands, urlField(func(t *Target) *string { return &t.TestURL })},
	{OutputMaxRequestSeconds, "max-request-seconds", "the longest request or stream the model serves, in seconds; deploy and plan warn when a timeout would cut one (optional)",
		nil, setMaxRequest},
}

var (
	regionRegexp = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	nameRegexp   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/+=@,-]{0,254}$`)
)

// textField sets a string field once check accepts the value.
func textField(field func(*Target) *string, check func(string) error) func(*Target, string) error {
	return func(t *Target, v string) error {
		if err := check(v); err != nil {
			return err
		}
		*field(t) = v
		return nil
	}
}

// urlField sets a URL field: scheme://host[:port], stored without a trailing slash.
func urlField(field func(*Target) *string) func(*Target, string) error {
	return func(t *Target, v string) error {
		if err := checkURL("", v, false); err != nil {
			return err
		}
		*field(t) = strings.TrimRight(v, "/")
		return nil
	}
}

func setContainerPort(t *Target, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: want a port 1-65535", v)
	}
	t.ContainerPort = int32(n)
	return nil
}

func setMaxRequest(t *Target, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 86400 {
		return fmt.Errorf("%q: want whole seconds 1-86400", v)
	}
	t.MaxRequest = time.Duration(n) * time.Second
	return nil
}

func checkRegion(v string) error {
	if !regionRegexp.MatchString(v) {
		return fmt.Errorf("%q is not an AWS region such as us-east-1", v)
	}
	return nil
}

func checkName(v string) error {
	if !nameRegexp.MatchString(v) {
		return fmt.Errorf("%q: want a name of letters, digits and -_.:/ (at most 255)", v)
	}
	return nil
}

func checkListenerArn(v string) error {
	if !strings.HasPrefix(v, "arn:") || !strings.Contains(v, ":listener/") {
		return fmt.Errorf("%q: want a listener ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/…)", v)
	}
	return nil
}

func checkLoadBalancerArn(v string) error {
	if !strings.HasPrefix(v, "arn:") || !strings.Contains(v, ":loadbalancer/") {
		return fmt.Errorf("%q: want a load balancer ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/…)", v)
	}
	return nil
}

// resolveTarget fills the Target from the table: each flag (already filled from
// the environment) wins over its stack output; a command's required outputs must
// be there; each value is checked as it is set.
func (c *cliConfig) resolveTarget(inv *invocation, stdin io.Reader) error {
	outputs := StackOutputs{}
	if c.stackOutputs != "" {
		var err error
		if outputs, err = readStackOutputs(c.stackOutputs, stdin); err != nil {
			return inputErrorf("--stack-outputs", "%v", err)
		}
	}
	values, sources := make([]string, len(targetOutputs)), make([]string, len(targetOutputs))
	for i, o := range targetOutputs {
		if v := strings.TrimSpace(c.targetFlags[i]); v != "" {
			values[i], sources[i] = v, "--"+o.flag
		} else if v := strings.TrimSpace(outputs[o.output]); v != "" {
			values[i], sources[i] = v, "stack output "+o.output
		}
	}
	for i, o := range targetOutputs {
		if values[i] == "" && slices.Contains(o.requiredBy, inv.cmd) {
			return inputErrorf("--"+o.flag, "is required: pass --%s, set %s, or give --stack-outputs with key %q", o.flag, o.env(), o.output)
		}
	}
	for i, o := range targetOutputs {
		if values[i] == "" {
			continue
		}
		if err := o.set(&inv.target, values[i]); err != nil {
			return inputErrorf(sources[i], "%v", err)
		}
	}
	return nil
}

// checkOutputKind refuses a number, boolean, list or object where the deployer reads a name, ARN or
// URL: the program exports them as strings, so another kind means the file is not its outputs.
func checkOutputKind(key string, v any) error {
	if _, isText := v.(string); isText || v == nil || key == OutputContainerPort || key == OutputMaxRequestSeconds {
		return nil
	}
	for _, o := range targetOutputs {
		if o.output == key {
			b, _ := json.Marshal(v)
			return fmt.Errorf("stack output %s: %s: want a JSON string (%s)", key, b, o.usage)
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
	if raw == nil {
		return nil, fmt.Errorf("stack outputs must be the JSON object printed by `pulumi stack output --json`, not null")
	}
	// Text after the object means the file is not what the CLI printed (two outputs
	// concatenated, a log line): reading only its first part would hide that.
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("stack outputs must be one JSON object, as `pulumi stack output --json` prints it: more follows the object")
	}
	out := make(StackOutputs, len(raw))
	for k, v := range raw {
		if err := checkOutputKind(k, v); err != nil {
			return nil, err
		}
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
