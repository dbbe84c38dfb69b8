package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/ai-bluegreen/ai-bluegreen/infra"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// Options configure a rehearsal stack.
type Options struct {
	// StackFile is a Pulumi stack file (Pulumi.<stack>.yaml); the stack name comes from its name.
	StackFile string
	// Addr is where the emulator's AWS endpoint listens ("127.0.0.1:4566"; "127.0.0.1:0" for any port).
	Addr string
	// TimeScale is how many AWS seconds pass per real second (60: one CodeDeploy minute per second)
	// on the emulator's one AWS clock.
	TimeScale float64
	// Logger receives the emulator's log; nil discards it.
	Logger *slog.Logger
	// Emulator holds the emulator's other options (faults, latencies, behaviours, its own Logger);
	// its TimeScale, Region and AccountID are those above.
	Emulator emulator.Options
}

// Stack is the emulator serving a stack the real program declared.
type Stack struct {
	// Server is the emulator; Server.URL is the AWS endpoint (AWS_ENDPOINT_URL).
	Server *emulator.Server
	// Region is the stack's aws:region.
	Region string
	// Outputs are the stack outputs, as `pulumi stack output --json` prints them.
	Outputs map[string]any
}

// StackError is a stack file the program cannot be run with as it is: unreadable, not a stack
// file, or a configuration the program refuses. Commands exit 2 (bad input) on it.
type StackError struct{ Err error }

func (e *StackError) Error() string { return e.Err.Error() }
func (e *StackError) Unwrap() error { return e.Err }

// CheckStack reads a stack file and checks its configuration as the program will (infra.ParseConfig),
// before anything starts: a refused stack file starts no emulator and declares no resource. It returns
// the configuration and the stack's name (Pulumi.<stack>.yaml).
func CheckStack(path string) (cfg map[string]string, stackName string, err error) {
	if cfg, err = infra.ReadStackConfig(path); err != nil {
		return nil, "", &StackError{err}
	}
	stackName = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "Pulumi."), filepath.Ext(path))
	if cfg["aws:region"] == "" {
		return nil, "", &StackError{fmt.Errorf("read %s: aws:region is not set", path)}
	}
	if _, err := infra.ParseConfig(stackName, func(k string) (string, bool) { v, ok := cfg[k]; return v, ok }); err != nil {
		return nil, "", &StackError{fmt.Errorf("%s: %w", path, err)}
	}
	return cfg, stackName, nil
}

// Start starts the emulator and runs the program of main.go (infra.Build) with the stack file's
// configuration under Pulumi mocks whose resource callbacks create the matching emulator resources:
// cluster, task definition, service with real tasks, load balancer, target groups, listeners,
// CodeDeploy application, deployment config and group, and alarms. Everything else (VPC, IAM, ...)
// gets Answers' deterministic ids.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	cfg, stackName, err := CheckStack(opts.StackFile)
	if err != nil {
		return nil, err
	}
	region := cfg["aws:region"]
	eo := opts.Emulator
	eo.TimeScale, eo.Region, eo.AccountID = opts.TimeScale, region, AccountID
	if opts.Logger != nil {
		eo.Logger = opts.Logger
	}
	em := emulator.New(eo)
	srv, err := em.Start(opts.Addr)
	if err != nil {
		em.Close()
		return nil, fmt.Errorf("start emulator on %s: %w", opts.Addr, err)
	}
	mock := &emulatorMock{em: em, aws: Answers{Stack: stackName, Region: region}}
	var outputs map[string]any
	err = pulumi.RunErr(func(pctx *pulumi.Context) error {
		declared, err := infra.Build(pctx)
		if err != nil {
			return err
		}
		resolved, err := internals.UnsafeAwaitOutput(pctx.Context(), declared.ToMapOutput())
		if err != nil {
			return err
		}
		outputs, _ = resolved.Value.(map[string]any)
		return nil
	}, pulumi.WithMocks(infra.Project, stackName, mock), infra.WithConfig(cfg))
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("provision %s on the emulator: %w", opts.StackFile, err)
	}
	return &Stack{Server: srv, Region: region, Outputs: outputs}, nil
}

// WriteOutputs writes the outputs as `pulumi stack output --json` does: one JSON object, keys sorted.
func (s *Stack) WriteOutputs(w io.Writer) error {
	data, err := json.MarshalIndent(s.Outputs, "", "  ")
	if err != nil {
		return fmt.Errorf("encode stack outputs: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// Close stops the emulator and every task, listener and target group it runs.
func (s *Stack) Close() { s.Server.Close() }

// emulatorMock creates emulator resources for the resources that carry traffic or drive releases.
// Pulumi registers a resource only once the resources it depends on are registered, so a listener
// finds its target groups, and the service its listeners, already in the emulator.
type emulatorMock struct {
	em  *emulator.Emulator
	aws Answers
}

func (m *emulatorMock) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return m.aws.Call(args)
}

func (m *emulatorMock) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if !args.Custom {
		return "", resource.PropertyMap{}, nil
	}
	state := args.Inputs.Copy()
	id := m.aws.Fill(args.TypeToken, args.Name, state)
	create, ok := creators[args.TypeToken]
	if !ok {
		return id, state, nil
	}
	var in props
	if err := decode(state, &in); err != nil {
		return "", nil, err
	}
	newID, err := create(m.em, in, state)
	if err != nil {
		return "", nil, fmt.Errorf("create %s %s in the emulator: %w", args.TypeToken, args.Name, err)
	}
	if newID != "" {
		id = newID
	}
	return id, state, nil
}

// creator makes the emulator resource for a Pulumi resource's inputs, writes what AWS computes into
// state and returns the id ("" keeps Answers' id).
type creator func(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error)

// creators are the resources the emulator backs; the rest (network, IAM, logs, autoscaling, EC2
// capacity) have no emulator counterpart and keep Answers' ids.
var creators = map[string]creator{
	"aws:lb/loadBalancer:LoadBalancer":                 createLoadBalancer,
	"aws:lb/targetGroup:TargetGroup":                   createTargetGroup,
	"aws:lb/listener:Listener":                         createListener,
	"aws:ecs/cluster:Cluster":                          createCluster,
	"aws:ecs/taskDefinition:TaskDefinition":            registerTaskDefinition,
	"aws:ecs/service:Service":                          createService,
	"aws:codedeploy/application:Application":           createApplication,
	"aws:codedeploy/deploymentConfig:DeploymentConfig": createDeploymentConfig,
	"aws:codedeploy/deploymentGroup:DeploymentGroup":   createDeploymentGroup,
	"aws:cloudwatch/metricAlarm:MetricAlarm":           putMetricAlarm,
}

// decode turns resolved Pulumi inputs into plain Go values (numbers as float64).
func decode(state resource.PropertyMap, into any) error {
	data, err := json.Marshal(state.Mappable())
	if err != nil {
		return fmt.Errorf("encode inputs: %w", err)
	}
	return json.Unmarshal(data, into)
}
