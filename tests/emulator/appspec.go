package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// rawString is CodeDeploy's AppSpecContent / RawString: the AppSpec text and optionally its
// SHA-256 (hex).
type rawString struct {
	Content string `json:"content,omitempty"`
	Sha256  string `json:"sha256,omitempty"`
}

// revisionLocation is CodeDeploy's RevisionLocation as it travels on the wire.
type revisionLocation struct {
	RevisionType   string         `json:"revisionType,omitempty"`
	String         *rawString     `json:"string,omitempty"`
	AppSpecContent *rawString     `json:"appSpecContent,omitempty"`
	S3Location     map[string]any `json:"s3Location,omitempty"`
	GitHubLocation map[string]any `json:"gitHubLocation,omitempty"`
}

// content returns the AppSpec text of an AppSpecContent or String revision.
func (r *revisionLocation) content() *rawString {
	switch r.RevisionType {
	case "AppSpecContent":
		return r.AppSpecContent
	case "String":
		return r.String
	}
	return nil
}

// sameAs reports whether two revisions are the same registered revision (same AppSpec text).
func (r *revisionLocation) sameAs(o *revisionLocation) bool {
	a, b := r.content(), o.content()
	return a != nil && b != nil && appSpecDigest(a.Content) == appSpecDigest(b.Content)
}

func appSpecDigest(content string) string {
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

// appSpec is the part of an ECS AppSpec (version 0.0) the emulator acts on.
type appSpec struct {
	TaskDefinition  string
	ContainerName   string
	ContainerPort   int
	PlatformVersion string
	Hooks           map[string]string // lifecycle event -> Lambda function (not invoked)
}

type appSpecFile struct {
	Version   any `yaml:"version"`
	Resources []map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			TaskDefinition   string `yaml:"TaskDefinition"`
			LoadBalancerInfo struct {
				ContainerName string `yaml:"ContainerName"`
				ContainerPort any    `yaml:"ContainerPort"`
			} `yaml:"LoadBalancerInfo"`
			PlatformVersion string `yaml:"PlatformVersion"`
		} `yaml:"Properties"`
	} `yaml:"Resources"`
	Hooks []map[string]string `yaml:"Hooks"`
}

// invalidRevision is the error CreateDeployment answers for an unusable revision.
func invalidRevision(format string, args ...any) *awsError {
	return clientErr("InvalidRevisionException", format, args...)
}

// parseRevision validates a CreateDeployment revision for an ECS deployment: an AppSpecContent
// (or String) revision whose sha256, when given, matches, holding a version 0.0 AppSpec with one
// AWS::ECS::Service target. YAML and JSON are both accepted (JSON is YAML).
func parseRevision(rev *revisionLocation) (*appSpec, error) {
	if rev == nil || rev.RevisionType == "" {
		return nil, clientErr("RevisionRequiredException", "The revision ID was not specified.")
	}
	raw := rev.content()
	if raw == nil {
		if rev.RevisionType == "S3" || rev.RevisionType == "GitHub" {
			return nil, invalidRevision("The emulator has no %s: use an AppSpecContent revision.", rev.RevisionType)
		}
		return nil, invalidRevision("Revision type %s requires its content.", rev.RevisionType)
	}
	if strings.TrimSpace(raw.Content) == "" {
		return nil, invalidRevision("The AppSpec content is empty.")
	}
	if raw.Sha256 != "" && !strings.EqualFold(raw.Sha256, appSpecDigest(raw.Content)) {
		return nil, invalidRevision("The SHA-256 hash of the AppSpec content does not match the provided sha256 value.")
	}
	var f appSpecFile
	if err := yaml.Unmarshal([]byte(raw.Content), &f); err != nil {
		return nil, invalidRevision("The AppSpec content is not valid YAML or JSON: %v", err)
	}
	if fmt.Sprint(f.Version) != "0" && fmt.Sprint(f.Version) != "0.0" {
		return nil, invalidRevision("The AppSpec file version must be 0.0 for an Amazon ECS deployment.")
	}
	if len(f.Resources) != 1 {
		return nil, invalidRevision("The AppSpec file must contain exactly one resource for an Amazon ECS deployment.")
	}
	spec := &appSpec{Hooks: map[string]string{}}
	for _, res := range f.Resources[0] {
		if res.Type != "AWS::ECS::Service" {
			return nil, invalidRevision("The AppSpec resource type must be AWS::ECS::Service, not %q.", res.Type)
		}
		p := res.Properties
		if p.TaskDefinition == "" {
			return nil, invalidRevision("The AppSpec file is missing the TaskDefinition property.")
		}
		if p.LoadBalancerInfo.ContainerName == "" || p.LoadBalancerInfo.ContainerPort == nil {
			return nil, invalidRevision("The AppSpec file is missing LoadBalancerInfo ContainerName or ContainerPort.")
		}
		var port int
		if _, err := fmt.Sscan(fmt.Sprint(p.LoadBalancerInfo.ContainerPort), &port); err != nil || port < 1 || port > 65535 {
			return nil, invalidRevision("The AppSpec ContainerPort %v is not a valid port.", p.LoadBalancerInfo.ContainerPort)
		}
		spec.TaskDefinition, spec.ContainerName, spec.ContainerPort = p.TaskDefinition, p.LoadBalancerInfo.ContainerName, port
		spec.PlatformVersion = p.PlatformVersion
	}
	for _, h := range f.Hooks {
		for event, fn := range h {
			if !containsString(hookEvents, event) {
				return nil, invalidRevision("The AppSpec hook %s is not a lifecycle event of an Amazon ECS deployment.", event)
			}
			spec.Hooks[event] = fn
		}
	}
	return spec, nil
}

// hookEvents are the lifecycle events of an ECS deployment that can run a hook.
var hookEvents = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}
