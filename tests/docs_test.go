package tests

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// The runbook and the other docs, the CI templates and the READMEs tell operators what to type. These
// tests check that every `deployer <command> --flag` they name exists in the deployer's own help, so a
// renamed or removed flag fails here instead of at 3 a.m.

// docsDeployerCall finds "deployer <word>": the binary's name (alone or at the end of a path such as
// ./deployer/cmd/deployer) followed by a lowercase word.
var docsDeployerCall = regexp.MustCompile("(?:^|[\\s/(\"'`=])deployer[ \\t]+([a-z][a-z-]*)")

// docsDeployerFlag finds "--flag" (or "--flag=value") tokens in a command line.
var docsDeployerFlag = regexp.MustCompile(`(?:^|[\s+{("'=])--([a-z0-9][a-z0-9-]*)`)

// docsShellComment matches the start of a shell comment ("# …") before a position on a line.
var docsShellComment = regexp.MustCompile(`(^|\s)#`)

// docsHelpFlag matches a flag line of the deployer's help: "  --name KIND  description".
var docsHelpFlag = regexp.MustCompile(`(?m)^  --?([a-z0-9][a-z0-9-]*)`)

// docsCLI is what the deployer's help says exists: command -> flag names.
type docsCLI map[string]map[string]bool

// docsCall is one `deployer <command> …` found in a document.
type docsCall struct {
	file    string
	line    int
	command string
	flags   []string
	strict  bool // in Markdown code: an unknown command is an error even without flags
}

func TestDocsNameOnlyDeployerCommandsAndFlagsThatExist(t *testing.T) {
	cli := docsReadCLI(t)
	files := docsFiles(t)
	require.NotEmpty(t, files)

	var calls []docsCall
	inputFlags := actionInputFlags(t)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("..", f))
		require.NoError(t, err)
		calls = append(calls, docsFindCalls(f, string(data))...)
		if strings.HasSuffix(f, ".yml") { // workflows: steps that use the deployer's action (tests/action_test.go)
			calls = append(calls, actionFindCalls(t, f, string(data), inputFlags)...)
		}
	}
	for _, p := range docsCheck(cli, calls) {
		t.Error(p)
	}

	used := map[string]map[string]bool{}
	for _, c := range calls {
		if used[c.file] == nil {
			used[c.file] = map[string]bool{}
		}
		used[c.file][c.command] = true
	}
	for cmd := range cli {
		assert.Truef(t, used["docs/operations.md"][cmd], "docs/operations.md never shows `deployer %s`: the runbook should cover every command", cmd)
	}
	releases := 0
	for f, cmds := range used {
		if strings.HasPrefix(f, "examples/") && cmds["deploy"] {
			releases++
		}
	}
	assert.GreaterOrEqual(t, releases, 2, "the GitHub Actions and Jenkins templates should both run `deployer deploy`")
}

func TestDocsCheckerReportsWhatDoesNotExist(t *testing.T) {
	cli := docsCLI{
		"deploy": {"image": true, "soak": true, "help": true},
		"status": {"output": true, "help": true},
	}
	tests := []struct {
		name, file, text string
		want             []string
	}{
		{"a flag the command lacks is reported", "ops.md",
			"```sh\ndeployer deploy --image x:1 --no-such-flag\n```\n", []string{"ops.md:2: deployer deploy --no-such-flag"}},
		{"flags on continuation lines are checked", "ops.md",
			"```sh\ndeployer deploy --image x:1 \\\n  --soak 5m \\\n  --bogus\n```\n", []string{"ops.md:2: deployer deploy --bogus"}},
		{"an unknown command in code is reported", "ops.md",
			"Run `deployer promote` now.\n", []string{"ops.md:1: deployer promote"}},
		{"an unknown command with flags in prose is reported", "ops.md",
			"then deployer promote --now\n", []string{"ops.md:1: deployer promote"}},
		{"prose about the deployer is not a command", "ops.md",
			"When the deployer keeps waiting, the deployer exits 3.\n", nil},
		{"a pipe ends the command line", "ops.md",
			"`deployer status --output json | jq --raw-output .status`\n", nil},
		{"a path to the binary counts", "ci.yml",
			"run: ./bin/deployer status --watch\n", []string{"ci.yml:1: deployer status --watch"}},
		{"a flag value in shell parameter expansion counts", "ci.yml",
			"exec deployer deploy ${SUITE:+--suite \"$SUITE\"}\n", []string{"ci.yml:1: deployer deploy --suite"}},
		{"help is always there", "ops.md", "`deployer status --help`\n", nil},
		{"a shell comment in a code block is prose", "ops.md",
			"```sh\ngo install ./deployer/cmd/deployer  # the deployer of this commit\n```\n", nil},
		{"the package path is not a command", "ops.md", "`go install ./deployer/cmd/deployer`\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := docsCheck(cli, docsFindCalls(tt.file, tt.text))
			require.Len(t, got, len(tt.want), "problems: %q", got)
			for i, w := range tt.want {
				assert.Truef(t, strings.HasPrefix(got[i], w+":"), "want a problem starting %q, got %q", w, got[i])
			}
		})
	}
}

// docsReadCLI asks the deployer, in process, which commands and flags it has: the command list from
// `deployer --help`, each command's flags from `deployer <command> --help` (printed on stdout, exit 0).
func docsReadCLI(t *testing.T) docsCLI {
	t.Helper()
	top := docsHelp(t, "--help")
	_, rest, ok := strings.Cut(top, "\nCommands:\n")
	require.True(t, ok, "`deployer --help` has no Commands: section:\n%s", top)
	section, _, _ := strings.Cut(rest, "\n\n")
	cli := docsCLI{}
	for _, line := range strings.Split(section, "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			cli[fields[0]] = map[string]bool{"help": true}
		}
	}
	require.Contains(t, cli, "deploy", "no deploy command in `deployer --help`")
	for cmd, flags := range cli {
		help := docsHelp(t, cmd, "--help")
		for _, m := range docsHelpFlag.FindAllStringSubmatch(help, -1) {
			flags[m[1]] = true
		}
		require.Greater(t, len(flags), 2, "`deployer %s --help` lists no flags:\n%s", cmd, help)
	}
	return cli
}

func docsHelp(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := deployer.Main(context.Background(), args, &out, &errOut)
	require.Equal(t, 0, code, "deployer %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	return out.String()
}

// docsFiles lists the documents operators copy commands from, relative to the repository root:
// the READMEs, every file under docs/ (the runbook among them) and every file under examples/.
func docsFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "deployer/README.md"}
	for _, dir := range []string{"docs", "examples"} {
		err := filepath.WalkDir(filepath.Join("..", dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel("..", path)
			files = append(files, filepath.ToSlash(rel))
			return err
		})
		require.NoError(t, err)
	}
	return files
}

// docsFindCalls finds the deployer invocations in one document. In Markdown, text inside code spans
// and fenced blocks is strict (any `deployer <word>` must be a real command); everywhere else (prose,
// YAML, Groovy) a word after "deployer" is taken as a command only when it is one, or when flags follow.
func docsFindCalls(file, text string) []docsCall {
	strict := docsStrictRanges(file, text)
	var calls []docsCall
	for _, m := range docsDeployerCall.FindAllStringSubmatchIndex(text, -1) {
		cmdStart, cmdEnd := m[2], m[3]
		lineStart := strings.LastIndexByte(text[:cmdStart], '\n') + 1
		c := docsCall{
			file:    file,
			line:    1 + strings.Count(text[:cmdStart], "\n"),
			command: text[cmdStart:cmdEnd],
			// A shell comment in a code block is prose.
			strict: docsInRanges(strict, cmdStart) && !docsShellComment.MatchString(text[lineStart:cmdStart]),
		}
		for _, f := range docsDeployerFlag.FindAllStringSubmatch(docsCommandLine(text[cmdEnd:]), -1) {
			c.flags = append(c.flags, f[1])
		}
		calls = append(calls, c)
	}
	return calls
}

// docsCommandLine returns the rest of a shell command: up to the end of the line (following trailing
// backslash continuations) or the first pipe, list operator, redirection, closing parenthesis or
// closing backtick of a Markdown code span.
func docsCommandLine(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			if j := i + 1; j < len(s) && s[j] == '\n' {
				b.WriteByte(' ')
				i = j
				continue
			}
			if j := i + 1; j+1 < len(s) && s[j] == '\r' && s[j+1] == '\n' {
				b.WriteByte(' ')
				i = j + 1
				continue
			}
			b.WriteByte(ch)
		case '\n', '|', ';', '&', '>', '<', ')', '`':
			return b.String()
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// docsStrictRanges returns the byte ranges of a Markdown file that are code: fenced blocks and inline
// code spans. Other files have none.
func docsStrictRanges(file, text string) [][2]int {
	if !strings.HasSuffix(file, ".md") {
		return nil
	}
	var ranges [][2]int
	span := regexp.MustCompile("`[^`\n]+`")
	inFence, fence, fenceStart := false, "", 0
	offset := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !inFence && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			inFence, fence, fenceStart = true, trimmed[:3], offset+len(line)
		case inFence && strings.HasPrefix(trimmed, fence):
			inFence = false
			ranges = append(ranges, [2]int{fenceStart, offset})
		case !inFence:
			for _, s := range span.FindAllStringIndex(line, -1) {
				ranges = append(ranges, [2]int{offset + s[0], offset + s[1]})
			}
		}
		offset += len(line)
	}
	if inFence {
		ranges = append(ranges, [2]int{fenceStart, len(text)})
	}
	return ranges
}

func docsInRanges(ranges [][2]int, at int) bool {
	for _, r := range ranges {
		if at >= r[0] && at < r[1] {
			return true
		}
	}
	return false
}

// docsCheck returns one problem per unknown command or flag, as "file:line: deployer cmd --flag: …".
func docsCheck(cli docsCLI, calls []docsCall) []string {
	var problems []string
	for _, c := range calls {
		flags, known := cli[c.command]
		if !known {
			if c.strict || len(c.flags) > 0 {
				problems = append(problems, docsProblem(c, "", "no such command; `deployer --help` lists "+strings.Join(docsSorted(cli), ", ")))
			}
			continue
		}
		for _, f := range c.flags {
			if !flags[f] {
				problems = append(problems, docsProblem(c, f, "no such flag; `deployer "+c.command+" --help` lists --"+strings.Join(docsSorted(flags), ", --")))
			}
		}
	}
	return problems
}

func docsProblem(c docsCall, flag, why string) string {
	what := "deployer " + c.command
	if flag != "" {
		what += " --" + flag
	}
	return c.file + ":" + strconv.Itoa(c.line) + ": " + what + ": " + why
}

func docsSorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// The published benchmarks are the command's output, never hand-edited figures: the document starts as
// tests/cmd/bench writes it, names the command that wrote it (a whole run, into this file), and the
// README links it.
func TestDocsBenchmarksAreTheOutputOfTheirCommand(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "docs", "BENCHMARKS.md"))
	require.NoError(t, err)
	doc := string(data)
	assert.True(t, strings.HasPrefix(doc, "# Benchmarks\n\n<!-- Generated by `go run ./tests/cmd/bench "), "docs/BENCHMARKS.md starts as the command writes it")
	assert.Contains(t, doc, "-out docs/BENCHMARKS.md`: do not edit", "written by the command into this file")
	assert.NotContains(t, doc, "-smoke", "the published figures come from a whole run")
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "(docs/BENCHMARKS.md)")
}
