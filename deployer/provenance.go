package deployer

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
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
		if aws.ToString(t.Key) == TagPreviousTaskDefinition {
			return aws.ToString(t.Value)
		}
	}
	return ""
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
func (p Provenance) forRelease(image ImageRef, previous string) Provenance {
	p.Image, p.Digest, p.PreviousTaskDefinition = image.String(), image.Digest, previous
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
