package deployer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

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
		if !strings.HasPrefix(aws.ToString(t.Key), "deployer:") && !strings.HasPrefix(aws.ToString(t.Key), "aws:") {
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
		return fmt.Errorf("task definition %s has no container %q (containers: %s)", aws.ToString(in.Family), container, containerNames(in.ContainerDefinitions))
	}
	cd := in.ContainerDefinitions[i]
	if image != "" {
		cd.Image = aws.String(image)
	}
	envs := append([]ecstypes.KeyValuePair(nil), cd.Environment...)
	for _, e := range env {
		j := -1
		for k := range envs {
			if aws.ToString(envs[k].Name) == e.Name {
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
		if !strings.HasPrefix(aws.ToString(t.Key), "deployer:") {
			tags = append(tags, t)
		}
	}
	in.Tags = append(tags, prov.tags()...)
	return nil
}

func containerIndex(cds []ecstypes.ContainerDefinition, name string) int {
	for i := range cds {
		if aws.ToString(cds[i].Name) == name {
			return i
		}
	}
	return -1
}

func containerNames(cds []ecstypes.ContainerDefinition) string {
	names := make([]string, len(cds))
	for i := range cds {
		names[i] = aws.ToString(cds[i].Name)
	}
	return strings.Join(names, ", ")
}

// containerImage returns the image of the named container, or "".
func containerImage(cds []ecstypes.ContainerDefinition, name string) string {
	if i := containerIndex(cds, name); i >= 0 {
		return aws.ToString(cds[i].Image)
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
		if err := json.Unmarshal(inner, &raw); err != nil || raw == nil {
			return nil, fmt.Errorf("taskDefinition: want an object, the task definition of `aws ecs describe-task-definition` output")
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
	if aws.ToString(in.Family) == "" || len(in.ContainerDefinitions) == 0 {
		return nil, fmt.Errorf("needs family and containerDefinitions")
	}
	return &in, nil
}
