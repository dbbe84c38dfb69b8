package deployer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUsageMistakesAreOneLineWithAHintAndExitTwo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a flag typo suggests the flag", []string{"deploy", "--imgae", "x"}, "deployer deploy: unknown flag --imgae; did you mean --image?\n" +
			"Run 'deployer deploy --help' for its flags and examples.\n"},
		{"a flag nothing is close to suggests nothing", []string{"deploy", "--zzzzzz", "x"}, "deployer deploy: unknown flag --zzzzzz\n"},
		{"another command's flag says whose it is", []string{"deploy", "--follow"}, "deployer deploy: --follow is not a flag of deploy; it is one of status\n"},
		{"a command typo suggests the command", []string{"deploi"}, "deployer: unknown command \"deploi\"; did you mean deploy?\n" +
			"Run 'deployer --help' for the commands and global flags.\n"},
		{"a word nothing is close to lists the commands", []string{"xyzzy"}, "deployer: unknown command \"xyzzy\"; commands: deploy, plan, status, continue, abort, rollback\n"},
		{"a bad duration shows the format", []string{"deploy", "--soak", "5x"}, "deployer deploy: --soak 5x: not a duration; use a number with a unit, e.g. 30s, 5m, 1h30m\n"},
		{"a bare number is not a duration", []string{"deploy", "--soak=5"}, "deployer deploy: --soak 5: not a duration; use a number with a unit, e.g. 30s, 5m, 1h30m\n"},
		{"a flag without its value", []string{"deploy", "--image"}, "deployer deploy: --image needs a value\n"},
		{"a bool flag with a value that is not one", []string{"status", "--follow=maybe"}, "deployer status: --follow maybe: want true or false, or the flag alone\n"},
		{"a bad number", []string{"deploy", "--consecutive", "three"}, "deployer deploy: --consecutive three: "},
		{"an argument that is not a flag", []string{"deploy", "extra"}, "deployer deploy: unexpected argument \"extra\"; every input is a flag\n"},
		{"an unknown flag before the command", []string{"--imgae", "x", "deploy"}, "deployer: unknown flag --imgae; did you mean --image?\n"},
		{"flags but no command", []string{"--region", "us-east-1"}, "deployer: no command: give one of deploy, plan, status, continue, abort, rollback\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := cliRun(t, nil, nil, "", tc.args...)
			assert.Equal(t, ExitBadInput, code)
			assert.Contains(t, stderr, tc.want)
			assert.Equal(t, 2, countLines(stderr), "one line and a hint:\n%s", stderr)
		})
	}
}

func countLines(s string) int {
	n := 0
	for _, r := range s {
		if r == '\n' {
			n++
		}
	}
	return n
}

func TestFlagsBeforeTheCommandAreTheCommandsFlags(t *testing.T) {
	t.Parallel()
	outputs := writeJSON(t, stackOutputsJSON(t))
	before, _, beforeErr := cliRun(t, nil, nil, "", "--stack-outputs", outputs, "--region=eu-west-1", "deploy", "--image", "bad image")
	after, _, afterErr := cliRun(t, nil, nil, "", "deploy", "--image", "bad image", "--stack-outputs", outputs, "--region=eu-west-1")
	assert.Equal(t, ExitBadInput, before)
	assert.Equal(t, after, before)
	assert.Equal(t, afterErr, beforeErr, "the same command line, whichever side of the command its flags are")
	assert.Contains(t, beforeErr, "--image")
	assert.NotContains(t, beforeErr, "unknown command")
}

func TestSplitCommandTellsFlagValuesFromTheCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		name string
		rest []string
	}{
		{[]string{"deploy", "--image", "x"}, "deploy", []string{"--image", "x"}},
		{[]string{"--stack-outputs", "status", "status"}, "status", []string{"--stack-outputs", "status"}},
		{[]string{"--follow", "status"}, "status", []string{"--follow"}},
		{[]string{"--output=json", "plan", "-h"}, "plan", []string{"--output=json", "-h"}},
		{[]string{"--region", "x", "--help"}, "help", []string{}},
		{[]string{"--version"}, "version", nil},
	} {
		name, rest, err := splitCommand(tc.args)
		assert.Nil(t, err, "%v", tc.args)
		assert.Equal(t, tc.name, name, "%v", tc.args)
		assert.Equal(t, tc.rest, rest, "%v", tc.args)
	}
}

func TestDidYouMeanSuggestsOnlyNearNames(t *testing.T) {
	t.Parallel()
	names := []string{"image", "soak", "soak-interval", "stack-outputs", "deploy"}
	for word, want := range map[string]string{
		"imgae": "image", "imag": "image", "iamge": "image", "soka": "soak", "stack-output": "stack-outputs",
		"soak-intervall": "soak-interval", "deploi": "deploy", "x": "", "region": "", "stack": "",
	} {
		got := didYouMean("--", word, names)
		if want == "" {
			assert.Empty(t, got, word)
		} else {
			assert.Equal(t, "; did you mean --"+want+"?", got, word)
		}
	}
	assert.Equal(t, 1, editDistance("imgae", "image"), "a transposition is one edit")
	assert.Equal(t, 3, editDistance("kitten", "sitting"))
}
