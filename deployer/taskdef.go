package deployer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Tag keys the deployer writes on the task definitions it registers. The previous
// task definition is the rollback target once blue is gone.
const (
	TagImage                  = "deployer:image"
	TagImageDigest            = "deployer:image-digest"
	TagGitSHA                 = "deployer:git-sha"
	TagCIRun                  = "deployer:ci-run"
	TagPreviousTaskDefinition = "deployer:previous-task-definition"
)

// previousTaskDefinition is the rollback target a task definition records in its
// deployer:previous-task-definition tag, or "".
func previousTaskDefinition(tags []ecstypes.Tag) string {
	for _, t := range tags {
		if str(t.Key) == TagPreviousTaskDefinition {
			return str(t.Value)
		}
	}
	return ""
}

// EnvVar is an environment override for the released container.
type EnvVar struct {
	Name, Value string
}

var envNameRegexp = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseEnvVar parses K=V.
func parseEnvVar(s string) (EnvVar, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || !envNameRegexp.MatchString(name) {
		return EnvVar{}, fmt.Errorf("%q: want NAME=value with NAME matching [A-Za-z_][A-Za-z0-9_]*", s)
	}
	return EnvVar{Name: name, Value: value}, nil
}

// Provenance records where a release came from; it becomes tags and the
// deployment description.
type Provenance struct {
	Image                  string `json:"image"`
	Digest                 string `json:"digest,omitempty"`
	GitSHA                 string `json:"gitSha,omitempty"`
	CIRun                  string `json:"ciRun,omitempty"`
	PreviousTaskDefinition string `json:"previousTaskDefinition,omitempty"`
}

// forRelease fills the fields the release decides: the image, its digest and the
// task definition it replaces.
func (p Provenance) forRelease(image, previous string) Provenance {
	ref, _ := parseImage(image)
	p.Image, p.Digest, p.PreviousTaskDefinition = image, ref.Digest, previous
	return p
}

// tags renders the provenance as ECS tags (values are capped at 256 characters).
func (p Provenance) tags() []ecstypes.Tag {
	var out []ecstypes.Tag
	add := func(k, v string) {
		if v == "" {
			return
		}
		if len(v) > 256 {
			v = v[:256]
		}
		out = append(out, ecstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	add(TagImage, p.Image)
	add(TagImageDigest, p.Digest)
	add(TagGitSHA, p.GitSHA)
	add(TagCIRun, p.CIRun)
	add(TagPreviousTaskDefinition, p.PreviousTaskDefinition)
	return out
}

// description renders the CodeDeploy deployment description (at most 512
// characters, CodeDeploy's limit).
func (p Provenance) description(user string) string {
	parts := []string{}
	if user != "" {
		parts = append(parts, user)
	}
	parts = append(parts, "deployer: image "+p.Image)
	if p.GitSHA != "" {
		parts = append(parts, "git "+p.GitSHA)
	}
	if p.CIRun != "" {
		parts = append(parts, "run "+p.CIRun)
	}
	d := strings.Join(parts, " | ")
	if len(d) > 512 {
		d = d[:512]
	}
	return d
}

// cloneTaskDefinition copies the registrable fields of td.
func cloneTaskDefinition(td *ecstypes.TaskDefinition, tags []ecstypes.Tag) *ecs.RegisterTaskDefinitionInput {
	in := &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: append([]ecstypes.ContainerDefinition(nil), td.ContainerDefinitions...),
		Cpu: td.Cpu, Memory: td.Memory, EnableFaultInjection: td.EnableFaultInjection, EphemeralStorage: td.EphemeralStorage,
		ExecutionRoleArn: td.ExecutionRoleArn, TaskRoleArn: td.TaskRoleArn, InferenceAccelerators: td.InferenceAccelerators,
		IpcMode: td.IpcMode, PidMode: td.PidMode, NetworkMode: td.NetworkMode, PlacementConstraints: td.PlacementConstraints,
		ProxyConfiguration: td.ProxyConfiguration, RequiresCompatibilities: td.RequiresCompatibilities,
		RuntimePlatform: td.RuntimePlatform, Volumes: td.Volumes,
	}
	for _, t := range tags {
		if !strings.HasPrefix(str(t.Key), "deployer:") && !strings.HasPrefix(str(t.Key), "aws:") {
			in.Tags = append(in.Tags, t)
		}
	}
	return in
}

// applyRelease sets the image (when given) and environment overrides of the named
// container, and adds the provenance tags.
func applyRelease(in *ecs.RegisterTaskDefinitionInput, container, image string, env []EnvVar, prov Provenance) error {
	i := containerIndex(in.ContainerDefinitions, container)
	if i < 0 {
		return fmt.Errorf("task definition %s has no container %q (containers: %s)", str(in.Family), container, containerNames(in.ContainerDefinitions))
	}
	cd := in.ContainerDefinitions[i]
	if image != "" {
		cd.Image = aws.String(image)
	}
	envs := append([]ecstypes.KeyValuePair(nil), cd.Environment...)
	for _, e := range env {
		j := -1
		for k := range envs {
			if str(envs[k].Name) == e.Name {
				j = k
			}
		}
		kv := ecstypes.KeyValuePair{Name: aws.String(e.Name), Value: aws.String(e.Value)}
		if j >= 0 {
			envs[j] = kv
		} else {
			envs = append(envs, kv)
		}
	}
	cd.Environment = envs
	in.ContainerDefinitions[i] = cd
	var tags []ecstypes.Tag
	for _, t := range in.Tags {
		if !strings.HasPrefix(str(t.Key), "deployer:") {
			tags = append(tags, t)
		}
	}
	in.Tags = append(tags, prov.tags()...)
	return nil
}

func containerIndex(cds []ecstypes.ContainerDefinition, name string) int {
	for i := range cds {
		if str(cds[i].Name) == name {
			return i
		}
	}
	return -1
}

func containerNames(cds []ecstypes.ContainerDefinition) string {
	names := make([]string, len(cds))
	for i := range cds {
		names[i] = str(cds[i].Name)
	}
	return strings.Join(names, ", ")
}

// containerImage returns the image of the named container, or "".
func containerImage(cds []ecstypes.ContainerDefinition, name string) string {
	if i := containerIndex(cds, name); i >= 0 {
		return str(cds[i].Image)
	}
	return ""
}

// readOnlyTaskDefinitionKeys are DescribeTaskDefinition fields that
// RegisterTaskDefinition does not take; a file copied from describe output may
// carry them.
var readOnlyTaskDefinitionKeys = []string{"taskDefinitionArn", "revision", "status", "requiresAttributes",
	"compatibilities", "registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt"}

// loadTaskDefinitionFile reads a task definition JSON file: RegisterTaskDefinition
// input, or `aws ecs describe-task-definition` output ({"taskDefinition": …, "tags": …}).
func loadTaskDefinitionFile(path string) (*ecs.RegisterTaskDefinitionInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseTaskDefinition(data)
}

func parseTaskDefinition(data []byte) (*ecs.RegisterTaskDefinitionInput, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if inner, ok := raw["taskDefinition"]; ok {
		tags := raw["tags"]
		raw = nil
		if err := json.Unmarshal(inner, &raw); err != nil {
			return nil, fmt.Errorf("taskDefinition: %w", err)
		}
		if tags != nil {
			raw["tags"] = tags
		}
	}
	for _, k := range readOnlyTaskDefinitionKeys {
		delete(raw, k)
	}
	clean, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	var in ecs.RegisterTaskDefinitionInput
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("not a task definition: %w", err)
	}
	if str(in.Family) == "" || len(in.ContainerDefinitions) == 0 {
		return nil, fmt.Errorf("needs family and containerDefinitions")
	}
	return &in, nil
}

// diffTaskDefinitions lists field-level differences between two task
// definitions: "~ path: old → new", "+ path: new", "- path: old". Containers,
// environment variables and other named lists are keyed by name.
//
// Environment values are never shown (`--env` carries secrets such as API keys,
// and plan's output lands in CI logs): the line names the variable and says it was
// set, changed or removed.
func diffTaskDefinitions(before, after *ecs.RegisterTaskDefinitionInput) []string {
	a, b := flattenValue(before), flattenValue(after)
	var out []string
	for _, k := range sortedKeys(a) {
		switch v, ok := b[k]; {
		case !ok && secretPath(k):
			out = append(out, fmt.Sprintf("- %s: (removed, value redacted)", k))
		case !ok:
			out = append(out, fmt.Sprintf("- %s: %s", k, a[k]))
		case v != a[k] && secretPath(k):
			out = append(out, fmt.Sprintf("~ %s: (changed, values redacted)", k))
		case v != a[k]:
			out = append(out, fmt.Sprintf("~ %s: %s → %s", k, a[k], v))
		}
	}
	for _, k := range sortedKeys(b) {
		if _, ok := a[k]; !ok {
			if secretPath(k) {
				out = append(out, fmt.Sprintf("+ %s: (set, value redacted)", k))
			} else {
				out = append(out, fmt.Sprintf("+ %s: %s", k, b[k]))
			}
		}
	}
	return out
}

// secretPathRegexp matches flattened paths whose values may be secrets: container
// environment values.
var secretPathRegexp = regexp.MustCompile(`(^|\.)environment\[[^\]]*\]\.value$`)

func secretPath(path string) bool { return secretPathRegexp.MatchString(path) }

func flattenValue(v any) map[string]string {
	data, err := json.Marshal(v)
	if err != nil {
		return map[string]string{"": err.Error()}
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return map[string]string{"": err.Error()}
	}
	out := map[string]string{}
	flatten("", doc, out)
	return out
}

func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for k, e := range x {
			flatten(joinPath(prefix, lowerFirst(k)), e, out)
		}
	case []any:
		for i, e := range x {
			key := strconv.Itoa(i)
			if m, ok := e.(map[string]any); ok {
				if n, ok := m["Name"].(string); ok {
					key = n
				} else if n, ok := m["Key"].(string); ok {
					key = n
				}
			}
			flatten(prefix+"["+key+"]", e, out)
		}
	case bool:
		if x || prefix == "" {
			out[prefix] = jsonText(x)
		}
	default:
		out[prefix] = jsonText(x)
	}
}

func joinPath(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}
