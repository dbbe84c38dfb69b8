package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"
)

const testAccount = "123456789012"

// declared is one resource the program registered, as the mock saw it.
type declared struct {
	Type, Name string
	Parent     string // parent URN
	Custom     bool
	Inputs     map[string]any
	Ignore     []string
	DependsOn  []string
	ID         string         // the id the mock answered with
	State      map[string]any // the state it answered with
	URN        string
}

// recorder is a pulumi mock that records every registration and answers with plausible AWS state.
type recorder struct {
	region string
	// listenerPorts overrides the port a listener reports (the emulator binds real loopback ports).
	listenerPorts map[string]int

	mu        sync.Mutex
	resources []declared
	invokes   []string
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	d := declared{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs.Mappable()}
	if rpc := args.RegisterRPC; rpc != nil {
		d.Parent = rpc.GetParent()
		d.Ignore = rpc.GetIgnoreChanges()
		d.DependsOn = rpc.GetDependencies()
	}
	state := resource.PropertyMap{}
	if args.Custom {
		state = args.Inputs.Copy()
		d.ID = r.fillState(args.TypeToken, args.Name, state)
		d.State = state.Mappable()
	}
	if rpc := args.RegisterRPC; rpc != nil {
		d.URN = string(resource.NewURN("dev", Project, parentType(d.Parent), tokens.Type(d.Type), d.Name))
	}
	r.mu.Lock()
	r.resources = append(r.resources, d)
	r.mu.Unlock()
	return d.ID, state, nil
}

// fillState adds the outputs AWS computes (names, ARNs, DNS names) and returns the resource id.
func (r *recorder) fillState(typ, name string, s resource.PropertyMap) string {
	str := func(k string) string {
		if v, ok := s[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	set := func(k, v string) { s[resource.PropertyKey(k)] = resource.NewStringProperty(v) }
	if str("name") == "" {
		set("name", name)
	}
	h := shortHash(typ + name)
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, r.region, testAccount, rest)
	}
	switch typ {
	case "aws:lb/loadBalancer:LoadBalancer":
		suffix := "app/" + name + "/" + h
		set("arn", arn("elasticloadbalancing", "loadbalancer/"+suffix))
		set("arnSuffix", suffix)
		set("dnsName", fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", name, h[:8], r.region))
		return str("arn")
	case "aws:lb/targetGroup:TargetGroup":
		suffix := "targetgroup/" + name + "/" + h
		set("arn", arn("elasticloadbalancing", suffix))
		set("arnSuffix", suffix)
		return str("arn")
	case "aws:lb/listener:Listener":
		set("arn", arn("elasticloadbalancing", "listener/app/"+name+"/"+h))
		if p, ok := r.listenerPorts[name]; ok {
			s["port"] = resource.NewNumberProperty(float64(p))
		}
		return str("arn")
	case "aws:ecs/cluster:Cluster":
		set("arn", arn("ecs", "cluster/"+str("name")))
		return str("arn")
	case "aws:ecs/service:Service":
		return arn("ecs", "service/"+str("name"))
	case "aws:ecs/taskDefinition:TaskDefinition":
		set("arn", arn("ecs", "task-definition/"+str("family")+":1"))
		return str("family")
	case "aws:iam/role:Role":
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", testAccount, name))
		return name
	case "aws:cloudwatch/logGroup:LogGroup":
		set("arn", arn("logs", "log-group:"+str("name")))
		return str("name")
	case "aws:codedeploy/application:Application":
		set("arn", arn("codedeploy", "application:"+str("name")))
		return str("name")
	case "aws:codedeploy/deploymentGroup:DeploymentGroup":
		set("arn", arn("codedeploy", "deploymentgroup:"+str("appName")+"/"+str("deploymentGroupName")))
		return str("deploymentGroupName")
	case "aws:codedeploy/deploymentConfig:DeploymentConfig":
		set("deploymentConfigName", name)
		return name
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set("arn", arn("cloudwatch", "alarm:"+name))
		return name
	case "aws:ec2/eip:Eip":
		n, _ := strconv.ParseUint(h[:4], 16, 32)
		set("publicIp", fmt.Sprintf("198.51.100.%d", 1+n%250))
	}
	if str("arn") == "" {
		set("arn", arn(strings.SplitN(strings.TrimPrefix(typ, "aws:"), "/", 2)[0], name))
	}
	return name + "-" + h[:8]
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.invokes = append(r.invokes, args.Token)
	r.mu.Unlock()
	switch args.Token {
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": r.region, "id": r.region}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return resource.NewPropertyMapFromMap(map[string]any{
			"names": []any{r.region + "a", r.region + "b", r.region + "c"}, "id": r.region,
		}), nil
	case "aws:ec2/getVpc:getVpc":
		return resource.NewPropertyMapFromMap(map[string]any{"id": args.Args["id"].StringValue(), "cidrBlock": "10.20.0.0/16"}), nil
	case "aws:ssm/getParameter:getParameter":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": args.Args["name"].StringValue(), "value": "ami-0123456789abcdef0", "insecureValue": "ami-0123456789abcdef0", "type": "String",
		}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

// parentType is the qualified type a child's URN carries for its parent.
func parentType(parentURN string) tokens.Type {
	if parentURN == "" {
		return ""
	}
	u := resource.URN(parentURN)
	if u.QualifiedType() == resource.RootStackType {
		return ""
	}
	return u.QualifiedType()
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:16]
}

// run is the result of running the program under the recorder.
type run struct {
	*recorder
	outputs map[string]any
}

// runProgramE runs Build with the given configuration (full keys) under the recording mock.
func runProgramE(t *testing.T, cfg map[string]string) (*run, error) {
	t.Helper()
	rec := &recorder{region: "us-east-1"}
	if r, ok := cfg["aws:region"]; ok {
		rec.region = r
	}
	return runWithE(t, rec, cfg)
}

// runWith runs the program under a prepared recorder and fails the test on error.
func runWith(t *testing.T, rec *recorder, cfg map[string]string) *run {
	t.Helper()
	r, err := runWithE(t, rec, cfg)
	require.NoError(t, err)
	return r
}

func runWithE(t *testing.T, rec *recorder, cfg map[string]string) (*run, error) {
	t.Helper()
	res := &run{recorder: rec}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outputs, err := Build(ctx)
		if err != nil {
			return err
		}
		resolved, err := internals.UnsafeAwaitOutput(ctx.Context(), outputs.ToMapOutput())
		if err != nil {
			return err
		}
		res.outputs, _ = resolved.Value.(map[string]any)
		return nil
	}, pulumi.WithMocks(Project, "dev", rec), WithConfig(cfg))
	return res, err
}

// runProgram is runProgramE that fails the test on error.
func runProgram(t *testing.T, cfg map[string]string) *run {
	t.Helper()
	r, err := runProgramE(t, cfg)
	require.NoError(t, err)
	return r
}

// ofType returns the declared resources of a type token, sorted by name (registration is concurrent).
func (r *recorder) ofType(typ string) []declared {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []declared
	for _, d := range r.resources {
		if d.Type == typ {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// one returns the single resource of a type, failing the test otherwise.
func (r *recorder) one(t *testing.T, typ string) declared {
	t.Helper()
	all := r.ofType(typ)
	require.Len(t, all, 1, "resources of type %s", typ)
	return all[0]
}

// named returns the resource of a type with a logical name ending in suffix.
func (r *recorder) named(t *testing.T, typ, suffix string) declared {
	t.Helper()
	for _, d := range r.ofType(typ) {
		if strings.HasSuffix(d.Name, suffix) {
			return d
		}
	}
	require.Failf(t, "resource not found", "%s named *%s", typ, suffix)
	return declared{}
}

// field walks a path ("deploymentStyle.deploymentType", "loadBalancers.0.containerName") in inputs.
func field(inputs map[string]any, path string) any {
	var cur any = inputs
	for _, p := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			var i int
			if _, err := fmt.Sscanf(p, "%d", &i); err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}
