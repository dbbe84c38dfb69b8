package deployer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"gopkg.in/yaml.v3"
)

// AppSpec is the ECS AppSpec (version 0.0) CodeDeploy takes as AppSpecContent.
// https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-resources.html#reference-appspec-file-structure-resources-ecs
type AppSpec struct {
	Version   json.Number                  `json:"version"`
	Resources []map[string]AppSpecResource `json:"Resources"`
}

// AppSpecResource is the TargetService resource.
type AppSpecResource struct {
	Type       string            `json:"Type"`
	Properties AppSpecProperties `json:"Properties"`
}

// AppSpecProperties are the TargetService properties.
type AppSpecProperties struct {
	TaskDefinition           string                    `json:"TaskDefinition"`
	LoadBalancerInfo         AppSpecLoadBalancerInfo   `json:"LoadBalancerInfo"`
	PlatformVersion          string                    `json:"PlatformVersion,omitempty"`
	NetworkConfiguration     *AppSpecNetwork           `json:"NetworkConfiguration,omitempty"`
	CapacityProviderStrategy []AppSpecCapacityProvider `json:"CapacityProviderStrategy,omitempty"`
}

// AppSpecLoadBalancerInfo names the container the target groups point at.
type AppSpecLoadBalancerInfo struct {
	ContainerName string `json:"ContainerName"`
	ContainerPort int32  `json:"ContainerPort"`
}

// AppSpecNetwork is the awsvpc configuration of the replacement task set.
type AppSpecNetwork struct {
	AwsvpcConfiguration AppSpecAwsvpc `json:"AwsvpcConfiguration"`
}

// AppSpecAwsvpc carries subnets, security groups and public IP assignment.
type AppSpecAwsvpc struct {
	Subnets        []string `json:"Subnets"`
	SecurityGroups []string `json:"SecurityGroups,omitempty"`
	AssignPublicIp string   `json:"AssignPublicIp,omitempty"`
}

// AppSpecCapacityProvider is one capacity provider strategy item.
type AppSpecCapacityProvider struct {
	CapacityProvider string `json:"CapacityProvider"`
	Base             int32  `json:"Base"`
	Weight           int32  `json:"Weight"`
}

// buildAppSpec builds the AppSpec from the live service so the replacement task
// set keeps its network and capacity settings, with the new task definition. The
// platform version is only sent for Fargate (ECS rejects it otherwise); "LATEST"
// is sent as is.
func buildAppSpec(svc *ecstypes.Service, taskDefArn, container string, port int32) AppSpec {
	props := AppSpecProperties{
		TaskDefinition:   taskDefArn,
		LoadBalancerInfo: AppSpecLoadBalancerInfo{ContainerName: container, ContainerPort: port},
	}
	if svc.LaunchType == ecstypes.LaunchTypeFargate || len(svc.CapacityProviderStrategy) > 0 {
		props.PlatformVersion = aws.ToString(svc.PlatformVersion)
	}
	if nc := svc.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		props.NetworkConfiguration = &AppSpecNetwork{AwsvpcConfiguration: AppSpecAwsvpc{
			Subnets:        nc.AwsvpcConfiguration.Subnets,
			SecurityGroups: nc.AwsvpcConfiguration.SecurityGroups,
			AssignPublicIp: string(nc.AwsvpcConfiguration.AssignPublicIp),
		}}
	}
	for _, cp := range svc.CapacityProviderStrategy {
		props.CapacityProviderStrategy = append(props.CapacityProviderStrategy, AppSpecCapacityProvider{
			CapacityProvider: aws.ToString(cp.CapacityProvider), Base: cp.Base, Weight: cp.Weight,
		})
	}
	return AppSpec{
		Version:   "0.0",
		Resources: []map[string]AppSpecResource{{"TargetService": {Type: "AWS::ECS::Service", Properties: props}}},
	}
}

// Render returns the AppSpec content and its SHA-256 (hex), as CreateDeployment
// takes them. The emulator's tests parse what it renders.
func (a AppSpec) Render() (content, sum string, err error) {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("render appspec: %w", err)
	}
	h := sha256.Sum256(b)
	return string(b), hex.EncodeToString(h[:]), nil
}

// appSpecTaskDefinition extracts Resources[0].<name>.Properties.TaskDefinition from
// AppSpec content in YAML or JSON (keys matched case-insensitively, as other tools
// write them either way). JSON is read as JSON: YAML parsers refuse some valid JSON
// (the escapes \/ and surrogate pairs such as \ud83d\ude00, which JSON encoders write).
func appSpecTaskDefinition(content string) (string, error) {
	var doc map[string]any
	unmarshal := yaml.Unmarshal
	if json.Valid([]byte(content)) {
		unmarshal = json.Unmarshal
	}
	if err := unmarshal([]byte(content), &doc); err != nil {
		return "", fmt.Errorf("parse appspec: %w", err)
	}
	res, ok := lookupFold(doc, "Resources").([]any)
	if !ok || len(res) == 0 {
		return "", fmt.Errorf("appspec has no Resources")
	}
	first, ok := res[0].(map[string]any)
	if !ok {
		return "", fmt.Errorf("appspec Resources[0] is not a mapping")
	}
	for _, v := range first {
		r, _ := v.(map[string]any)
		props, _ := lookupFold(r, "Properties").(map[string]any)
		if td, ok := lookupFold(props, "TaskDefinition").(string); ok && td != "" {
			return td, nil
		}
	}
	return "", fmt.Errorf("appspec has no TaskDefinition")
}

func lookupFold(m map[string]any, key string) any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}
