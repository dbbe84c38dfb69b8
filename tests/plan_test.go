package tests

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/infra"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
)

// update rewrites the plan snapshots: go test ./tests/ -run Plan -update
var update = flag.Bool("update", false, "rewrite tests/testdata/plan-*.json from the program")

// The plan snapshots are an offline preview for review: every resource the program declares with a
// stack file's values (type, name, parent, inputs, ignoreChanges, dependsOn) and the stack outputs,
// sorted and pretty-printed, so a pull request's diff of tests/testdata/plan-*.json shows what
// `pulumi up` would change. Mocks answer with deterministic ids and ARNs (account 123456789012).
// JSON-string values (containerDefinitions, IAM policies) are shown decoded so they diff line by line.

func TestPlanDevMatchesSnapshot(t *testing.T) {
	t.Parallel()
	checkPlan(t, "dev")
}

func TestPlanGPUMatchesSnapshot(t *testing.T) {
	t.Parallel()
	checkPlan(t, "gpu")
}

func TestPlanDevHasTheBlueGreenShapeReviewersRelyOn(t *testing.T) {
	t.Parallel()
	p := planFor(t, "dev")
	svc := p.only(t, "aws:ecs/service:Service")
	assert.Equal(t, "CODE_DEPLOY", svc.Inputs["deploymentController"].(map[string]any)["type"])
	assert.Subset(t, svc.IgnoreChanges, []string{"taskDefinition", "loadBalancers"})
	assert.Len(t, p.all("aws:lb/targetGroup:TargetGroup"), 2)
	listeners := p.all("aws:lb/listener:Listener")
	require.Len(t, listeners, 2)
	for _, l := range listeners {
		assert.Equal(t, []string{"defaultActions"}, l.IgnoreChanges, l.Name)
	}
	style := p.only(t, "aws:codedeploy/deploymentGroup:DeploymentGroup").Inputs["deploymentStyle"]
	assert.Equal(t, map[string]any{"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}, style)
}

// plannedResource is one declared resource in a plan snapshot.
type plannedResource struct {
	Type          string         `json:"type"`
	Name          string         `json:"name"`
	Parent        string         `json:"parent,omitempty"`
	Inputs        map[string]any `json:"inputs,omitempty"`
	IgnoreChanges []string       `json:"ignoreChanges,omitempty"`
	DependsOn     []string       `json:"dependsOn,omitempty"` // explicit DependsOn only
}

// plan is a snapshot file.
type plan struct {
	Stack     string            `json:"stack"`
	Config    string            `json:"config"`
	Invokes   []string          `json:"invokes"`
	Resources []plannedResource `json:"resources"`
	Outputs   map[string]any    `json:"outputs"`
}

func (p *plan) all(typ string) []plannedResource {
	var out []plannedResource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func (p *plan) only(t *testing.T, typ string) plannedResource {
	t.Helper()
	all := p.all(typ)
	require.Len(t, all, 1, typ)
	return all[0]
}

func checkPlan(t *testing.T, stack string) {
	t.Helper()
	got, err := json.MarshalIndent(planFor(t, stack), "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", "plan-"+stack+".json")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no snapshot yet: go test ./tests/ -run Plan -update")
	assert.Equal(t, string(want), string(got), "the program's plan changed: review, then go test ./tests/ -run Plan -update")
}

// planFor runs the program with Pulumi.<stack>.yaml's values under the recording mock.
func planFor(t *testing.T, stack string) *plan {
	t.Helper()
	file := "Pulumi." + stack + ".yaml"
	cfg, err := infra.ReadStackConfig(filepath.Join("..", file))
	require.NoError(t, err)
	mock := &planMock{aws: provision.Answers{Stack: stack, Region: cfg["aws:region"]}}
	var outputs map[string]any
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		declared, err := infra.Build(ctx)
		if err != nil {
			return err
		}
		resolved, err := internals.UnsafeAwaitOutput(ctx.Context(), declared.ToMapOutput())
		if err != nil {
			return err
		}
		outputs, _ = resolved.Value.(map[string]any)
		return nil
	}, pulumi.WithMocks(infra.Project, stack, mock), infra.WithConfig(cfg))
	require.NoError(t, err)

	p := &plan{Stack: stack, Config: file, Resources: mock.resources, Outputs: readable(outputs).(map[string]any)}
	sort.Slice(p.Resources, func(i, j int) bool {
		a, b := p.Resources[i], p.Resources[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
	seen := map[string]bool{}
	for _, tok := range mock.invokes {
		if !seen[tok] {
			seen[tok] = true
			p.Invokes = append(p.Invokes, tok)
		}
	}
	sort.Strings(p.Invokes)
	return p
}

// planMock records registrations and answers like AWS would, deterministically.
type planMock struct {
	aws provision.Answers

	mu        sync.Mutex
	resources []plannedResource
	invokes   []string
}

func (m *planMock) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := plannedResource{Type: args.TypeToken, Name: args.Name}
	if args.Custom {
		r.Inputs = readable(args.Inputs.Mappable()).(map[string]any)
	}
	if rpc := args.RegisterRPC; rpc != nil {
		if p := resource.URN(rpc.GetParent()); p != "" && p.QualifiedType() != resource.RootStackType {
			r.Parent = shortURN(p)
		}
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		// Only explicit DependsOn: dependencies through inputs are visible in the inputs already.
		viaInputs := map[string]bool{}
		for _, deps := range rpc.GetPropertyDependencies() {
			for _, u := range deps.GetUrns() {
				viaInputs[u] = true
			}
		}
		for _, d := range rpc.GetDependencies() {
			if !viaInputs[d] {
				r.DependsOn = append(r.DependsOn, shortURN(resource.URN(d)))
			}
		}
		sort.Strings(r.DependsOn)
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	if !args.Custom {
		return "", resource.PropertyMap{}, nil
	}
	state := args.Inputs.Copy()
	return m.aws.Fill(args.TypeToken, args.Name, state), state, nil
}

func (m *planMock) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, args.Token)
	m.mu.Unlock()
	return m.aws.Call(args)
}

// shortURN is "type::name" of a URN (the stack and project are the same for every resource).
func shortURN(u resource.URN) string {
	return string(u.Type()) + "::" + u.Name()
}

// readable decodes JSON-string values (container definitions, policies) so the snapshot diffs line by line.
func readable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = readable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = readable(e)
		}
		return out
	case string:
		if t := strings.TrimSpace(x); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			var decoded any
			if json.Unmarshal([]byte(t), &decoded) == nil {
				return readable(decoded)
			}
		}
	}
	return v
}
