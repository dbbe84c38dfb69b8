package deployer

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelpListsCommandsGlobalFlagsExitCodesAndExamples(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "--help")
	assert.Equal(t, 0, code)
	for _, want := range []string{"Usage:\n  deployer [global flags] <command> [flags]", "\nCommands:\n  deploy ",
		"status ", "rollback ", "continue ", "abort ", "plan ",
		"0  released", "1  failed or rolled back", "2  bad input", "3  timed out", "4  interrupted",
		"--stack-outputs FILE", "--region REGION", "--version", "DEPLOYER_<FLAG>", "AWS_ENDPOINT_URL", "\nExamples:\n"} {
		assert.Contains(t, out, want)
	}
	for _, cmd := range commands {
		assert.Contains(t, out, "\n  "+pad(cmd.name, 10)+cmd.summary+"\n", "one line per command: tests/docs_test.go reads the list")
	}
}

func TestEveryHelpHasExamplesFitsHundredColumnsAndShowsEveryFlag(t *testing.T) {
	t.Parallel()
	for _, cmd := range commands {
		t.Run(cmd.name, func(t *testing.T) {
			t.Parallel()
			code, out, _ := cliRun(t, nil, nil, "", cmd.name, "--help")
			require.Equal(t, 0, code)
			assert.True(t, strings.HasPrefix(out, cmd.summary[:40]), "starts with the short description")
			assert.Contains(t, out, "\nUsage:\n  deployer "+cmd.name+" ")
			assert.Contains(t, out, "\nExamples:\n  # ")
			assert.Contains(t, out, "\n  deployer "+cmd.name+" --stack-outputs", "an example runs the command")
			for i, line := range strings.Split(out, "\n") {
				assert.LessOrEqual(t, len([]rune(line)), helpWidth, "line %d: %q", i+1, line)
			}
			fs, _ := cmd.newFlagSet()
			fs.VisitAll(func(f *flag.Flag) {
				assert.Contains(t, out, "\n  --"+f.Name, "--%s is shown", f.Name)
			})
			essential := out[strings.Index(out, "\nEssential flags:\n"):]
			essential = essential[:strings.Index(essential[1:], "\n\n")+1]
			for _, name := range cmd.essential {
				assert.Contains(t, essential, "\n  --"+name, "--%s is essential", name)
				assert.Equal(t, 1, strings.Count(out, "\n  --"+name+" "), "--%s is shown once", name)
			}
		})
	}
}

func TestDeployHelpShowsTheEssentialFlagsFirstWithTheirKindsAndWhatIsRequired(t *testing.T) {
	t.Parallel()
	_, out, _ := cliRun(t, nil, nil, "", "deploy", "--help")
	image, suite, region := strings.Index(out, "\n  --image REF "), strings.Index(out, "\n  --validation-suite FILE "), strings.Index(out, "\n  --region REGION ")
	require.Positive(t, image)
	assert.Less(t, image, suite)
	assert.Less(t, suite, region, "--image and --validation-suite come before --region")
	assert.Contains(t, out, "--image REF                     [required, unless --task-definition or --task-definition-arn")
	assert.Contains(t, out, "--soak DURATION ")
	assert.Contains(t, out, "(default 5m)")
	assert.Contains(t, out, "--consecutive N ")
	assert.Contains(t, out, "--hold-at-ready  ")
	assert.NotContains(t, out, "\n  -image", "flags render with two dashes")
}

func TestContinueHelpShowsOnlyItsOwnFlags(t *testing.T) {
	t.Parallel()
	code, out, _ := cliRun(t, nil, nil, "", "continue", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "--wait WAIT")
	assert.NotContains(t, out, "--image")
}

func TestHelpCommandShowsACommandsHelp(t *testing.T) {
	t.Parallel()
	_, viaFlag, _ := cliRun(t, nil, nil, "", "status", "--help")
	code, viaHelp, _ := cliRun(t, nil, nil, "", "help", "status")
	assert.Equal(t, 0, code)
	assert.Equal(t, viaFlag, viaHelp)
}

func TestWriteWrappedBreaksBetweenWordsAndIndentsContinuations(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	writeWrapped(&b, "  lead  ", strings.Repeat("word ", 40))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Greater(t, len(lines), 1)
	for _, l := range lines {
		assert.LessOrEqual(t, len(l), helpWidth)
		assert.True(t, strings.HasSuffix(l, "word"), "%q", l)
	}
	assert.True(t, strings.HasPrefix(lines[1], "        word"), "%q", lines[1])
}
