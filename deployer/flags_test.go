package deployer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryEssentialFlagIsOneOfItsCommand(t *testing.T) {
	t.Parallel()
	for _, cmd := range commands {
		fs, _ := cmd.newFlagSet()
		require.NotEmpty(t, cmd.essential, cmd.name)
		for _, name := range cmd.essential {
			assert.NotNil(t, fs.Lookup(name), "deployer %s --%s", cmd.name, name)
		}
	}
}

func TestADurationFromTheEnvironmentThatIsNotOneNamesTheVariableAndTheFormat(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"5x", "5", "ten minutes"} {
		code, _, stderr := cliRun(t, nil, map[string]string{"DEPLOYER_SOAK": v}, "", "deploy", "--image", newImage)
		assert.Equal(t, ExitBadInput, code)
		assert.Contains(t, stderr, "deployer deploy: DEPLOYER_SOAK="+shownValue(v)+": not a duration; use a number with a unit, e.g. 30s, 5m, 1h30m\n")
	}
}

func TestAllowUngatedTrafficIsADeployFlag(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "deploy", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "--allow-ungated-traffic")
}
