package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTheModuleProxyIsTheFirstURLOfGOPROXY(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "https://proxy.golang.org", firstProxy("https://proxy.golang.org,direct"))
	assert.Equal(t, "https://a.example", firstProxy("https://a.example|https://b.example"))
	assert.Equal(t, "", firstProxy("direct"))
	assert.Equal(t, "", firstProxy("off"))
	assert.Equal(t, "c\nd", tail("a\nb\nc\nd\n", 2))
	assert.Equal(t, "failed: FAIL x", goTestRun{Failure: "ok a\nFAIL x"}.verdict())
	assert.Equal(t, "passed", goTestRun{Passed: true}.verdict())
}
