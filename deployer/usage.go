package deployer

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// usageError is a mistake on the command line: one line naming it, and a hint
// line pointing at the help that shows what is allowed.
func usageError(cmd string, format string, args ...any) *InputError {
	hint := "Run 'deployer --help' for the commands and global flags."
	if cmd != "" {
		hint = "Run 'deployer " + cmd + " --help' for its flags and examples."
	}
	return &InputError{Problem: fmt.Sprintf(format, args...), Hint: hint}
}

// splitCommand finds the command in args, taking flags given before it (as the
// aws CLI and kubectl accept `deployer --region x status`): it returns the
// command's name and its arguments, the flags before it first. It needs to know
// which flags take a value, so a flag before the command must be one some
// command defines.
func splitCommand(args []string) (name string, rest []string, err *InputError) {
	all := allFlags()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			if a == "--" {
				return "", nil, usageError("", "no command after --")
			}
			return a, append(slices.Clone(args[:i]), args[i+1:]...), nil
		}
		flagName, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch flagName {
		case "h", "help":
			return "help", args[i+1:], nil
		case "version":
			return "version", nil, nil
		}
		if !slices.Contains(all.order, flagName) {
			return "", nil, usageError("", "unknown flag --%s%s", flagName, didYouMean("--", flagName, all.order))
		}
		if !hasValue && !all.isBool(flagName) {
			i++ // the flag's value
		}
	}
	return "", nil, usageError("", "no command: give one of %s", commandNames())
}

// allFlags is every flag some command defines, for telling values from commands.
func allFlags() *flagSet {
	all := newFlagSetNamed("deployer")
	seen := map[string]bool{}
	for _, c := range commands {
		for _, g := range c.groups {
			if !seen[g.title] {
				seen[g.title] = true
				g.register(all, newCLIConfig())
			}
		}
	}
	return all
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// unknownCommand reports a word that is not a command, with the nearest one.
func unknownCommand(name string) *InputError {
	names := strings.Split(commandNames(), ", ")
	if hint := didYouMean("", name, names); hint != "" {
		return usageError("", "unknown command %q%s", name, hint)
	}
	return usageError("", "unknown command %q; commands: %s", name, commandNames())
}

// shownValue is a value as a user would type it, quoted only when that is
// needed to see where it starts and ends.
func shownValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\n\"'") {
		return strconv.Quote(v)
	}
	return v
}

// Messages of the standard flag package (flag.FlagSet.failf), rewritten to
// name flags as users type them (--soak, not -soak).
var (
	flagUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.*)$`)
	flagNoValue   = regexp.MustCompile(`^flag needs an argument: -+(.*)$`)
	flagBadValue  = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?-+([^:]+): (.*)$`)
)

// parseError turns a flag package error into a usage error for cmd.
func parseError(cmd *command, fs *flagSet, err error) *InputError {
	msg := err.Error()
	if m := flagUndefined.FindStringSubmatch(msg); m != nil {
		if others := commandsWithFlag(m[1]); len(others) > 0 {
			return usageError(cmd.name, "--%s is not a flag of %s; it is one of %s", m[1], cmd.name, strings.Join(others, ", "))
		}
		return usageError(cmd.name, "unknown flag --%s%s", m[1], didYouMean("--", m[1], fs.order))
	}
	if m := flagNoValue.FindStringSubmatch(msg); m != nil {
		return usageError(cmd.name, "--%s needs a value", m[1])
	}
	if m := flagBadValue.FindStringSubmatch(msg); m != nil {
		problem := m[3]
		if problem == "parse error" && fs.isBool(m[2]) {
			problem = "want true or false, or the flag alone"
		}
		v, uerr := strconv.Unquote(m[1])
		if uerr != nil {
			v = m[1]
		}
		return usageError(cmd.name, "--%s %s: %s", m[2], shownValue(v), problem)
	}
	return usageError(cmd.name, "%s", msg)
}

// commandsWithFlag lists the commands that define a flag.
func commandsWithFlag(name string) []string {
	var out []string
	for i := range commands {
		if fs, _ := commands[i].newFlagSet(); fs.Lookup(name) != nil {
			out = append(out, commands[i].name)
		}
	}
	return out
}

// didYouMean suggests the candidate nearest to word, if one is near enough to
// be a typo: at most a third of its letters edited (transposed letters count
// as one edit), and at least one.
func didYouMean(prefix, word string, candidates []string) string {
	best, bestDist := "", max(1, len(word)/3)+1
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + prefix + best + "?"
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent letters.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
