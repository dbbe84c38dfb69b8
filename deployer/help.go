package deployer

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Help layout: every line fits helpWidth columns; a flag's description starts
// at helpDescCol, or on the next line when the flag and its value are longer.
const (
	helpWidth   = 100
	helpDescCol = 34
)

// writeHelp prints the top-level help.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, `deployer releases an image to an ECS service through a CodeDeploy blue/green deployment:
production traffic moves to green only after green is proven healthy (gate 1, ready), green is
judged against blue while traffic moves (gate shift), and blue is let go only after green has held
under production traffic (gate 2, soak).

Usage:
  deployer [global flags] <command> [flags]

Commands:
`)
	for _, c := range commands {
		writeWrapped(w, "  "+pad(c.name, 10), c.summary)
	}
	fmt.Fprint(w, `
Global flags (also accepted before the command):
`)
	for _, g := range commonGroups[:2] {
		writeFlags(w, g, nil)
	}
	fmt.Fprint(w, `  --version                       print the version, commit and build date
  -h, --help                      help for deployer, or for a command: deployer <command> --help

Exit codes:
  0  released (deploy --hold-at-ready: held in Ready after gate 1; status, plan, continue: done;
     status --follow: it ended Succeeded; rollback, abort: production is back on the previous
     version)
  1  failed or rolled back (a rolled-back deployment is never success), unhealthy after release,
     released but unverified (gate 2 did not pass before blue went), the group is busy or one of its
     alarms stayed in ALARM through --alarm-wait (nothing created), the deployer could not read the
     release's state (deployment left as it is), or a command refused
     (continue --wait, a pinned --deployment-id, CodeDeploy's rollback)
  2  bad input (flags, environment, stack outputs, files, an AWS endpoint that cannot be reached or
     no credentials, a deployment group that cannot gate the release: no Ready wait, a termination
     wait too short for --soak, or a testUrl this runner cannot reach); nothing was written in AWS
  3  timed out: the budget ran out; the deployment was stopped and rolled back
  4  interrupted (SIGINT/SIGTERM): stopped and rolled back, or detached with --on-interrupt=detach

Environment:
  DEPLOYER_<FLAG>       fills any flag not on the command line (upper case, - as _), e.g.
                        DEPLOYER_IMAGE; flags and the environment win over stack outputs
  AWS_ENDPOINT_URL      send AWS calls there (AWS_ENDPOINT_URL_<SERVICE> for one service); the
                        default credential chain, AWS_PROFILE and AWS_REGION work as in the aws CLI
  GITHUB_STEP_SUMMARY   a Markdown summary with charts of the release is appended to this file
Progress goes to stderr, the result to stdout.

Examples:
`)
	writeExamples(w, topExamples)
	fmt.Fprint(w, "\nRun 'deployer <command> --help' for a command's flags and examples.\n")
}

// writeCommandHelp prints one command's help: description, usage, examples,
// the essential flags, then the rest by group.
func writeCommandHelp(w io.Writer, cmd *command) {
	writeWrapped(w, "", cmd.summary)
	fmt.Fprintf(w, "\nUsage:\n  deployer %s %s [flags]\n\nExamples:\n", cmd.name, cmd.usage)
	writeExamples(w, cmd.examples)
	fmt.Fprint(w, "\nEssential flags:\n")
	fs, _ := cmd.newFlagSet()
	for _, name := range cmd.essential {
		writeFlag(w, fs, fs.Lookup(name))
	}
	for _, g := range cmd.groups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		writeFlags(w, g, cmd.essential)
	}
	fmt.Fprint(w, "\nExit codes: 0 released, 1 failed or rolled back, 2 bad input (nothing written), 3 timed out,\n"+
		"4 interrupted (see deployer --help). Flag details: deployer/README.md and docs/operations.md.\n")
}

// writeFlags prints a group's flags in registration order, leaving out skip.
func writeFlags(w io.Writer, g flagGroup, skip []string) {
	fs := newFlagSetNamed(g.title)
	g.register(fs, newCLIConfig())
	for _, name := range fs.order {
		if !slices.Contains(skip, name) {
			writeFlag(w, fs, fs.Lookup(name))
		}
	}
}

// writeFlag prints one flag as `--name KIND  description (default …)`.
func writeFlag(w io.Writer, fs *flagSet, f *flag.Flag) {
	kind, usage := flag.UnquoteUsage(f)
	if strings.Contains(f.Usage, "`") {
		kind = strings.ReplaceAll(strings.ReplaceAll(kind, "`", ""), " ", "")
	} else {
		kind = fs.kinds[f.Name]
	}
	name := "--" + f.Name
	if kind != "" {
		name += " " + kind
	}
	if note, ok := requiredFlags[f.Name]; ok {
		usage = "[" + note + "] " + usage
	}
	if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
		usage += " (default " + f.DefValue + ")"
	}
	if len(name)+4 > helpDescCol {
		fmt.Fprintf(w, "  %s\n", name)
		writeWrapped(w, strings.Repeat(" ", helpDescCol), usage)
		return
	}
	writeWrapped(w, "  "+pad(name, helpDescCol-2), usage)
}

// writeExamples prints example lines indented; # lines are their comments.
func writeExamples(w io.Writer, lines []string) {
	for _, l := range lines {
		if l == "" {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// writeWrapped prints text after lead, wrapped to helpWidth, with continuation
// lines indented to lead's width.
func writeWrapped(w io.Writer, lead, text string) {
	indent := strings.Repeat(" ", len(lead))
	line := lead
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > helpWidth {
			fmt.Fprintln(w, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-len(s))
}
