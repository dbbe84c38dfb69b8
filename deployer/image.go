package deployer

import (
	"fmt"
	"regexp"
	"strings"
)

// Image reference grammar, after github.com/distribution/reference:
// [registry[:port]/]path-component(/path-component)*[:tag][@digest].
var (
	imageRegistry   = `(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?`
	imagePathPart   = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
	imageTag        = `[\w][\w.-]{0,127}`
	imageDigest     = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
	imageRefRegexp  = regexp.MustCompile(`^(?:(` + imageRegistry + `)/)?(` + imagePathPart + `(?:/` + imagePathPart + `)*)(?::(` + imageTag + `))?(?:@(` + imageDigest + `))?$`)
	imagePathRegexp = regexp.MustCompile(`^` + imagePathPart + `$`)
)

// maxImageRef is the longest reference: a 255-character name, ':', a 128-character
// tag, '@' and a sha256 digest (71 characters).
const maxImageRef = 255 + 1 + 128 + 1 + 71

// imageRefWant says what a valid reference looks like.
const imageRefWant = "want [registry[:port]/]name[:tag][@sha256:digest] with a lowercase name"

// ImageRef is a parsed container image reference.
type ImageRef struct {
	Registry string
	Path     string
	Tag      string
	Digest   string
}

// String is the reference as written: a valid one reads back exactly as parsed.
func (r ImageRef) String() string {
	s := r.Path
	if r.Registry != "" {
		s = r.Registry + "/" + s
	}
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// isZero says no image is named.
func (r ImageRef) isZero() bool { return r == ImageRef{} }

// Version is what the simulated model server (and most teams) treat as the
// model version: the tag, or the digest when there is no tag.
func (r ImageRef) Version() string {
	if r.Tag != "" {
		return r.Tag
	}
	return r.Digest
}

// parseImage is the one parser of image references: the CLI parses --image (or
// the task definition file's image) with it, and a deploy parses only the image
// it was not given. It validates ref. A release must name an exact image, so a reference
// without a tag or digest (an implicit :latest) is refused.
func parseImage(ref string) (ImageRef, error) {
	if ref == "" {
		return ImageRef{}, fmt.Errorf("is required: an image reference such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v2")
	}
	if len(ref) > maxImageRef {
		return ImageRef{}, fmt.Errorf("%q is %d characters: an image reference has at most %d", ref, len(ref), maxImageRef)
	}
	m := imageRefRegexp.FindStringSubmatch(ref)
	if m == nil {
		return ImageRef{}, fmt.Errorf("%q is not a valid image reference: %s", ref, imageRefWant)
	}
	r := ImageRef{Registry: m[1], Path: m[2], Tag: m[3], Digest: m[4]}
	// "host:5000/name" without a dot or port in the first part is a path, as in docker.
	if r.Registry != "" && !strings.ContainsAny(r.Registry, ".:") && r.Registry != "localhost" {
		if !imagePathRegexp.MatchString(r.Registry) {
			return ImageRef{}, fmt.Errorf("%q is not a valid image reference: %q is no registry (it has no dot or port), so it is a path component, and those are lowercase; %s", ref, r.Registry, imageRefWant)
		}
		r.Path = r.Registry + "/" + r.Path
		r.Registry = ""
	}
	if len(r.Registry)+len(r.Path) > 255 {
		return ImageRef{}, fmt.Errorf("%q: the repository name (registry and path) is %d characters, at most 255", ref, len(r.Registry)+len(r.Path))
	}
	if r.Tag == "" && r.Digest == "" {
		return ImageRef{}, fmt.Errorf("%q has no tag or digest; a release needs an exact image (name:tag or name@sha256:...), not an implicit :latest", ref)
	}
	return r, nil
}

// revisionImage parses the image of a registered revision, which the deployer
// releases as registered, without judging it: an image that is no valid
// reference (an implicit :latest, say) is kept as written, with no tag or digest.
func revisionImage(image string) ImageRef {
	if ref, err := parseImage(image); err == nil {
		return ref
	}
	return ImageRef{Path: image}
}
