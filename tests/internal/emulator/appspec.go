package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
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

// digest returns the revision's identity: the SHA-256 of its AppSpec text (given or computed).
func (r *revisionLocation) digest() string {
	c := r.content()
	if c == nil {
		return ""
	}
	if c.Sha256 != "" {
		return strings.ToLower(c.Sha256)
	}
	return appSpecDigest(c.Content)
}

// sameAs reports whether two revisions are the same registered revision.
func (r *revisionLocation) sameAs(o *revisionLocation) bool {
	return r.digest() != "" && r.digest() == o.digest()
}

// summary is the revision as GetDeployment and GetDeploymentGroup report an AppSpecContent one:
// its type and sha256 only; GetApplicationRevision returns the content.
func (r *revisionLocation) summary() *revisionLocation {
	if r == nil {
		return nil
	}
	out := &revisionLocation{RevisionType: r.RevisionType}
	switch r.RevisionType {
	case "AppSpecContent":
		out.AppSpecContent = &rawString{Sha256: r.digest()}
	case "String":
		out.String = &rawString{Sha256: r.digest()}
	}
	return out
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
	Hooks           map[string]string // lifecycle event -> Lambda function (cannot be invoked: the event fails)
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

// checkRevision validates a CreateDeployment revision synchronously, as CodeDeploy does: an
// AppSpecContent (or String) revision with content whose sha256, when given, matches. It returns
// the revision with its sha256 filled in.
func checkRevision(rev *revisionLocation) (*revisionLocation, error) {
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
	out := *rev
	filled := rawString{Content: raw.Content, Sha256: appSpecDigest(raw.Content)}
	if rev.RevisionType == "AppSpecContent" {
		out.AppSpecContent = &filled
	} else {
		out.String = &filled
	}
	return &out, nil
}

// taskDefinitionARN is the form the AppSpec's TaskDefinition must have: "It is specified with the ARN
// of the task definition" (CodeDeploy AppSpec 'resources' section for Amazon ECS), revision included.
var taskDefinitionARN = regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+$`)

// appSpecInvalid is the prefix of CodeDeploy's message for an AppSpec it cannot use; the
// deployment is created and then fails with INVALID_REVISION.
const appSpecInvalid = "The deployment failed because the AppSpec file that specifies the deployment configuration " +
	"is missing or has an invalid configuration. "

// parseAppSpec reads an ECS AppSpec: YAML or JSON (JSON is YAML) with one AWS::ECS::Service target
// resource. An error is the message the failed deployment reports.
func parseAppSpec(content string) (*appSpec, error) {
	var f appSpecFile
	if err := yaml.Unmarshal([]byte(content), &f); err != nil {
		return nil, fmt.Errorf(appSpecInvalid+"The input AppSpec file is a not well-formed yaml. The template cannot be parsed: %v", err)
	}
	if len(f.Resources) != 1 || len(f.Resources[0]) != 1 {
		return nil, fmt.Errorf(appSpecInvalid + "An Amazon ECS AppSpec file must contain exactly one resource.")
	}
	spec := &appSpec{Hooks: map[string]string{}}
	for _, res := range f.Resources[0] {
		if res.Type != "AWS::ECS::Service" {
			return nil, fmt.Errorf(appSpecInvalid+"The resource type must be AWS::ECS::Service, not %q.", res.Type)
		}
		p := res.Properties
		if p.TaskDefinition == "" {
			return nil, fmt.Errorf(appSpecInvalid + "The TaskDefinition property is missing.")
		}
		if !taskDefinitionARN.MatchString(p.TaskDefinition) {
			return nil, fmt.Errorf(appSpecInvalid+"The TaskDefinition property %q must be the ARN of a task definition revision "+
				"(arn:aws:ecs:region:account-id:task-definition/family:revision).", p.TaskDefinition)
		}
		if p.LoadBalancerInfo.ContainerName == "" || p.LoadBalancerInfo.ContainerPort == nil {
			return nil, fmt.Errorf(appSpecInvalid + "LoadBalancerInfo ContainerName or ContainerPort is missing.")
		}
		port, ok := appSpecPort(p.LoadBalancerInfo.ContainerPort)
		if !ok {
			return nil, fmt.Errorf(appSpecInvalid+"ContainerPort %v is not a valid port.", p.LoadBalancerInfo.ContainerPort)
		}
		spec.TaskDefinition, spec.ContainerName, spec.ContainerPort = p.TaskDefinition, p.LoadBalancerInfo.ContainerName, port
		spec.PlatformVersion = p.PlatformVersion
	}
	for _, h := range f.Hooks {
		for event, fn := range h {
			if !containsString(hookEvents, event) {
				return nil, fmt.Errorf(appSpecInvalid+"%s is not a lifecycle event of an Amazon ECS deployment.", event)
			}
			spec.Hooks[event] = fn
		}
	}
	return spec, nil
}

// appSpecPort reads ContainerPort as decoded from YAML: an integer, or a string holding one
// (8080.5 or 8080x is no port).
func appSpecPort(v any) (int, bool) {
	port := -1
	switch x := v.(type) {
	case int:
		port = x
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			port = n
		}
	}
	return port, port >= 1 && port <= 65535
}

// hookEvents are the lifecycle events of an ECS deployment that can run a hook.
var hookEvents = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}
