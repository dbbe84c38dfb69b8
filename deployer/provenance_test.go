package deployer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProvenanceDescriptionIsCappedAt512(t *testing.T) {
	t.Parallel()
	long := make([]byte, 600)
	for i := range long {
		long[i] = 'x'
	}
	d := Provenance{Image: "repo/m:v2", GitSHA: "abc"}.description(string(long))
	assert.Len(t, d, 512)
	assert.Equal(t, "release | deployer: image repo/m:v2 | git abc", Provenance{Image: "repo/m:v2", GitSHA: "abc"}.description("release"))
}
