package deployer

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseImage(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		name    string
		ref     string
		want    ImageRef
		wantErr string
	}{
		{"an ECR image with a tag is accepted", "123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v2", ImageRef{Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", Path: "model-server", Tag: "v2"}, ""},
		{"a short name with a tag is a path, not a registry", "repo/model-server:v2", ImageRef{Path: "repo/model-server", Tag: "v2"}, ""},
		{"a registry with a port is accepted", "localhost:5000/model:1.0", ImageRef{Registry: "localhost:5000", Path: "model", Tag: "1.0"}, ""},
		{"a digest pins the image", "model@" + digest, ImageRef{Path: "model", Digest: digest}, ""},
		{"tag and digest together are accepted", "model:v3@" + digest, ImageRef{Path: "model", Tag: "v3", Digest: digest}, ""},
		{"an empty image is refused", "", ImageRef{}, "is required"},
		{"an untagged image is refused as an implicit latest", "repo/model-server", ImageRef{}, "no tag or digest"},
		{"upper case in the name is refused", "repo/Model:v1", ImageRef{}, "not a valid image reference"},
		{"spaces are refused", "model: v1", ImageRef{}, "not a valid image reference"},
		{"a truncated digest is refused", "model@sha256:abc", ImageRef{}, "not a valid image reference"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseImage(tc.ref)
			assertDecision(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func TestImageVersionIsTheTag(t *testing.T) {
	t.Parallel()
	ref, err := parseImage("repo/model-server:v2")
	require.NoError(t, err)
	assert.Equal(t, "v2", ref.Version())
}

func TestAnImageReadsBackAsWritten(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("ab", 32)
	for _, ref := range []string{"repo/model-server:v2", "123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v2", "localhost:5000/model:1.0", "model@" + digest, "model:v3@" + digest} {
		assert.Equal(t, ref, mustParseImage(ref).String())
	}
}

func TestARevisionsImageIsKeptAsWrittenEvenWhenItIsNoValidReference(t *testing.T) {
	t.Parallel()
	assert.Equal(t, ImageRef{Path: "repo/model-server", Tag: "v1"}, revisionImage("repo/model-server:v1"))
	untagged := revisionImage("nginx")
	assert.Equal(t, "nginx", untagged.String())
	assert.Empty(t, untagged.Version())
	assert.Empty(t, untagged.Digest)
}
