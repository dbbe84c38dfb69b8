package deployer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHelpListsCommandsExitCodesAndFlags(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "--help")
	assert.Equal(t, 0, code)
	for _, want := range []string{"deploy ", "status ", "rollback ", "continue ", "abort ", "plan ",
		"0  released", "1  failed or rolled back", "2  bad input", "3  timed out", "4  interrupted",
		"-image REF", "-soak duration", "(default 5m0s)", "-on-interrupt string", "DEPLOYER_<FLAG>", "AWS_ENDPOINT_URL"} {
		assert.Contains(t, out, want)
	}
}

func TestCommandHelpListsItsFlags(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "deploy", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Usage: deployer deploy [flags]")
	assert.Contains(t, out, "-validation-suite FILE")
	code, out, _ = cliRun(t, nil, nil, "", "continue", "-h")
	assert.Equal(t, 0, code)
	assert.NotContains(t, out, "-image")
}

func TestAllowUngatedTrafficIsADeployFlag(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "deploy", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "-allow-ungated-traffic")
}
