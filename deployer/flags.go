package deployer

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// cliConfig is everything the command line, the environment and the stack
// outputs say, before validation.
type cliConfig struct {
	stackOutputs string
	targetFlags  []string // the flags of targetOutputs, by row
	profile      string
	endpointURL  string
	output       string

	image, description, taskDefFile string
	taskDefArn                      string
	env                             envFlag
	gitSHA, ciRun                   string

	deploymentID, toTaskDef string
	wait                    string
	follow                  bool
	suiteFile               string
	opts                    Options
	given                   map[string]bool // flags set on the command line or from DEPLOYER_<FLAG>: they win over the suite
}

// envFlag collects repeated --env K=V.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, ",") }

func (e *envFlag) Set(v string) error {
	*e = append(*e, v)
	return nil
}

// flagGroup registers a group of flags on a flag set.
type flagGroup struct {
	title    string
	register func(fs *flag.FlagSet, c *cliConfig)
}

var (
	groupCommon = flagGroup{"Inputs, AWS and output", func(fs *flag.FlagSet, c *cliConfig) {
		fs.StringVar(&c.stackOutputs, "stack-outputs", "", "`FILE` with `pulumi stack output --json` (- = stdin); flags override its values")
		c.targetFlags = make([]string, len(targetOutputs))
		for i, o := range targetOutputs {
			fs.StringVar(&c.targetFlags[i], o.flag, "", o.usage+" (stack output "+o.output+")")
		}
		fs.StringVar(&c.profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or default)")
		fs.StringVar(&c.endpointURL, "endpoint-url", "", "send every AWS call to this `URL` (as the aws CLI's --endpoint-url; AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> also work)")
		fs.StringVar(&c.output, "output", "text", "result format on stdout: text or json")
		fs.DurationVar(&c.opts.PollInterval, "poll-interval", c.opts.PollInterval, "fastest poll interval, used right after a change")
		fs.DurationVar(&c.opts.PollMaxInterval, "poll-max-interval", c.opts.PollMaxInterval, "slowest poll interval: after 10 polls without change the interval grows by half per poll up to this; a change is seen within this once the deployment is quiet")
	}}
	groupRelease = flagGroup{"Release", func(fs *flag.FlagSet, c *cliConfig) {
		fs.StringVar(&c.image, "image", "", "image `REF` for the service's container: registry/name:tag or name@sha256:digest")
		fs.Var(&c.env, "env", "environment override `K=V` for the container (repeatable; DEPLOYER_ENV: one per line)")
		fs.StringVar(&c.description, "description", "", "deployment description (provenance is appended; at most 400 characters)")
		fs.StringVar(&c.taskDefFile, "task-definition", "", "`FILE`: a full task definition JSON to register instead of cloning the live one (--image still overrides its image)")
		fs.BoolVar(&c.opts.HoldAtReady, "hold-at-ready", false, "run gate 1, then leave the deployment waiting in Ready instead of promoting it: exit 0, outcome held_at_ready, with the time left "+
			"before the group's ready wait stops it. Promote by re-running the same deploy command without this flag (it attaches, re-checks gate 1, promotes and runs gate 2), "+
			"or with deployer continue --wait ready (no gates). A deployment already past Ready is followed to its end as usual")
		fs.BoolVar(&c.opts.AllowUngatedTraffic, "allow-ungated-traffic", false, "release through a deployment group that does not wait in Ready (deploymentReadyOption CONTINUE_DEPLOYMENT, "+
			"deployment.readyWaitMinutes 0): production traffic moves without gate 1, recorded as not_run. Without it such a group is refused (exit 2) before anything is written")
		fs.StringVar(&c.taskDefArn, "task-definition-arn", "", "`ARN` (or family:revision) of an already-registered revision of the service's family to release as registered, "+
			"e.g. one Pulumi registered after a config change; same gates; not with --image, --task-definition or --env")
		fs.StringVar(&c.gitSHA, "git-sha", "", "commit recorded as provenance (default: GITHUB_SHA or CI_COMMIT_SHA)")
		fs.StringVar(&c.ciRun, "ci-run", "", "CI run URL recorded as provenance (default: from GITHUB_*, CI_PIPELINE_URL or BUILD_URL)")
	}}
	groupGates = flagGroup{"Gates and timing", func(fs *flag.FlagSet, c *cliConfig) {
		o := &c.opts
		fs.IntVar(&o.Consecutive, "consecutive", o.Consecutive, "K: consecutive passing checks a gate needs, and failing ones that fail it (1-100)")
		fs.DurationVar(&o.CheckInterval, "check-interval", o.CheckInterval, "spacing of gate 1's consecutive checks")
		fs.DurationVar(&o.GreenStartTimeout, "green-start-timeout", o.GreenStartTimeout, "roll back when no green target is healthy this long after install starts "+
			"(0 = derived: the larger of 10m and the service's healthCheckGracePeriodSeconds + 5m, room for a capacity provider to add an instance, the image pull and the model load)")
		fs.DurationVar(&o.AlarmWait, "alarm-wait", o.AlarmWait, "before creating a deployment, wait up to this long for the group's alarms to leave ALARM (CodeDeploy stops a deployment at once while one fires), else exit 1 alarm_active. "+
			"0 = derived from the alarms DescribeAlarms reports: the longest any takes to clear (an M-of-N alarm: N-M+2 periods + 2m; 12m for 3 of 3 on 300s periods), at least 5m, at most 1h. "+
			"An explicit value should exceed a few alarm periods. A rollback redeploy does not wait: it overrides the group's alarms")
		fs.IntVar(&o.MaxGreenTaskStops, "max-green-task-stops", o.MaxGreenTaskStops, "failed green task stops (crash, OOM, failed health checks) tolerated before rolling back")
		fs.DurationVar(&o.GateTimeout, "gate-timeout", o.GateTimeout, "gate 1 limit (targets, readiness probe, suite), from entering Ready "+
			"(0 = derived: until a minute, or a fifth of a short wait, before the group's ready wait ends, so gate 1 fails with its own reason and rolls back before CodeDeploy stops the deployment; 10m without a ready wait). "+
			"An explicit value that reaches further is cut there, with a warning")
		fs.StringVar(&o.ReadyPath, "ready-path", o.ReadyPath, "readiness probe `PATH` via the test listener (default: the green target group's health-check path)")
		fs.DurationVar(&o.RequestTimeout, "request-timeout", o.RequestTimeout, "timeout of each probe and validation request")
		fs.StringVar(&c.suiteFile, "validation-suite", "", "validation suite `FILE` (YAML or JSON, see docs/validation-suite.md) run against green in gate 1")
		fs.IntVar(&o.LatencySamples, "latency-samples", o.LatencySamples, "gate 1: requests of each kind sent to blue (prod listener) and to green (test listener), interleaved, to compare their latencies: "+
			"the suite's latency or compare requests, else the readiness path (a weak signal). 0 = no latency comparison; else 10-1000. The suite's latency.samples wins over the default, a flag given wins over the suite")
		fs.Float64Var(&o.MaxP50Ratio, "max-p50-ratio", o.MaxP50Ratio, "gate 1: green fails when its p50 is more than this many times blue's AND more than --min-p50-increase above it (and a rank test says it is slower, p < 0.001)")
		fs.DurationVar(&o.MinP50Increase, "min-p50-increase", o.MinP50Increase, "gate 1: a p50 this little above blue's never fails, whatever the ratio (2ms -> 4ms is noise)")
		fs.Float64Var(&o.MaxP95Ratio, "max-p95-ratio", o.MaxP95Ratio, "gate 1: as --max-p50-ratio for p95; also the shift gate's p95 limit against blue per CloudWatch minute")
		fs.DurationVar(&o.MinP95Increase, "min-p95-increase", o.MinP95Increase, "gate 1: as --min-p50-increase for p95")
		fs.DurationVar(&o.Soak, "soak", o.Soak, "gate 2: how long green must hold under production traffic before blue is terminated (0 = skip, wait out the group's termination wait)")
		fs.DurationVar(&o.SoakInterval, "soak-interval", o.SoakInterval, "gate 2 check interval")
		fs.Float64Var(&o.Max5xxRate, "max-5xx-rate", o.Max5xxRate, "gate 2: max fraction of green's requests that failed: 5xx from green's targets, plus 5xx the load balancer generated or failed connections to green, over the whole minutes that begin inside the soak (0-1)")
		fs.DurationVar(&o.MaxP99, "max-p99", o.MaxP99, "gate 2: max p99 TargetResponseTime of green (0 = not checked)")
		fs.IntVar(&o.MinRequests, "min-requests", o.MinRequests, "gate 2: fewest requests green must serve during the soak, else it fails (0 = with no traffic, judge on target health and alarms, recorded as \"no request data\"). "+
			"Counted over the whole minutes that begin inside the soak, so gate 1's own probes never count; needs --soak of at least 1m")
		fs.DurationVar(&o.MetricsLag, "metrics-lag", o.MetricsLag, "gate 2: after the soak window, keep checking health and alarms up to this long for CloudWatch's late datapoints of the window's last minute, "+
			"then judge the whole window (capped to end a minute before the termination wait does)")
		fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "overall limit; stop and roll back when exceeded, exit 3 (0 = budget computed from the group and these flags)")
	}}
	groupRollback = flagGroup{"Interrupts and rollback", func(fs *flag.FlagSet, c *cliConfig) {
		o := &c.opts
		fs.StringVar(&o.OnInterrupt, "on-interrupt", o.OnInterrupt, "on SIGINT/SIGTERM: rollback (stop the deployment with rollback) or detach (leave it running, print how to resume)")
		fs.DurationVar(&o.InterruptGrace, "interrupt-grace", o.InterruptGrace, "after a signal, how long to follow the rollback before exiting (GitHub Actions kills 10s after SIGINT)")
		fs.DurationVar(&o.RollbackTimeout, "rollback-timeout", o.RollbackTimeout, "how long to follow a rollback deployment")
	}}
	groupSelect = flagGroup{"Deployment selection", func(fs *flag.FlagSet, c *cliConfig) {
		fs.StringVar(&c.deploymentID, "deployment-id", "", "deployment `ID` to act on (default: the group's in-flight deployment). abort and rollback refuse it unless it is the group's in-flight deployment; "+
			"status --follow follows it by id, even after it ended")
	}}
	groupPromotion = flagGroup{"Promotion", func(fs *flag.FlagSet, c *cliConfig) {
		fs.StringVar(&c.wait, "wait", "", "`WAIT` the deployment must be in: ready (promote past Ready: production traffic shifts) or termination (end the termination wait: blue is terminated); "+
			"any other phase is refused, and exactly this wait is sent to CodeDeploy, so a deployment that moved on meanwhile is never promoted further (default: the wait it is in)")
	}}
	groupFollow = flagGroup{"Follow", func(fs *flag.FlagSet, c *cliConfig) {
		fs.BoolVar(&c.follow, "follow", false, "after reading the status, print each change of the in-flight deployment (or --deployment-id, even one that ended) on stderr until it ends, "+
			"then the final status; exit 0 if it ended Succeeded (or nothing was in flight to follow), 1 otherwise (4 on SIGINT/SIGTERM). Read-only: it never continues, stops or gates anything "+
			"(re-running deploy attaches AND gates). A flag of status, not a watch command: it is status over time, needs only status's read permissions, "+
			"and watch is already the Unix command people wrap status in")
	}}
	groupRollbackTarget = flagGroup{"Rollback target", func(fs *flag.FlagSet, c *cliConfig) {
		fs.StringVar(&c.toTaskDef, "to-task-definition", "", "task definition `ARN` to redeploy when nothing is in flight (default: the live one's deployer:previous-task-definition tag)")
	}}
)

// command is a CLI verb.
type command struct {
	name, summary string
	groups        []flagGroup
}

var commands = []command{
	{"deploy", "release --image (or --task-definition FILE, or a registered --task-definition-arn): create the deployment, gate it, roll back on failure", []flagGroup{groupCommon, groupRelease, groupGates, groupRollback}},
	{"status", "live task definition and image, which target group serves prod and test, any in-flight deployment and its phase; --follow watches it to its end (read-only)", []flagGroup{groupCommon, groupSelect, groupFollow}},
	{"rollback", "stop an in-flight deployment with rollback (never CodeDeploy's own rollback: follow that); after blue is gone, redeploy the recorded previous task definition", []flagGroup{groupCommon, groupSelect, groupRollbackTarget, groupGates, groupRollback}},
	{"continue", "promote an in-flight deployment past Ready or the termination wait (no gates); --wait says which", []flagGroup{groupCommon, groupSelect, groupPromotion}},
	{"abort", "stop an in-flight deployment with rollback and follow the rollback (never CodeDeploy's own rollback: follow that)", []flagGroup{groupCommon, groupSelect, groupRollback}},
	{"plan", "dry run: task definition diff, AppSpec, group settings, timeout budget; writes nothing", []flagGroup{groupCommon, groupRelease, groupGates}},
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// newFlagSet builds the flag set of a command, bound to a fresh config.
func (cmd *command) newFlagSet() (*flag.FlagSet, *cliConfig) {
	c := &cliConfig{opts: DefaultOptions()}
	fs := flag.NewFlagSet("deployer "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, g := range cmd.groups {
		g.register(fs, c)
	}
	return fs, c
}

// envName is the environment variable that fills a flag.
func envName(flagName string) string {
	return "DEPLOYER_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// fillFromEnv sets every flag not given on the command line from DEPLOYER_<FLAG>.
func fillFromEnv(fs *flag.FlagSet, getenv func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := getenv(envName(f.Name))
		if err != nil || set[f.Name] || !ok {
			return
		}
		values := []string{v}
		if f.Name == "env" {
			values = strings.FieldsFunc(v, func(r rune) bool { return r == '\n' })
		}
		for _, val := range values {
			if e := fs.Set(f.Name, val); e != nil {
				err = inputErrorf(envName(f.Name), "%v", e)
			}
		}
	})
	return err
}

// writeHelp prints the top-level help.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, `deployer releases an image to an ECS service through a CodeDeploy blue/green
deployment: production traffic moves to green only after green is proven healthy
(gate 1, while the deployment waits in Ready), and blue is let go only after green
has held under production traffic (gate 2, during the termination wait).

Usage:
  deployer <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Exit codes:
  0  released (deploy --hold-at-ready: held in Ready after gate 1; status, plan, continue: done;
     status --follow: it ended Succeeded; rollback, abort: production is back on the previous version)
  1  failed or rolled back (a rolled-back deployment is never success), unhealthy after release,
     released but unverified (gate 2 did not pass before blue went), the group is busy or one of its
     alarms stayed in ALARM through --alarm-wait (nothing created), the deployer could not read the
     release's state (deployment left as it is), or a command refused
     (continue --wait, a pinned --deployment-id, CodeDeploy's rollback)
  2  bad input (flags, environment, stack outputs, files, a deployment group that cannot gate the
     release: no Ready wait, a termination wait too short for --soak, or a testUrl this runner cannot
     reach); nothing was written in AWS
  3  timed out: the budget ran out; the deployment was stopped and rolled back
  4  interrupted (SIGINT/SIGTERM): stopped and rolled back, or detached with --on-interrupt=detach

Inputs: --stack-outputs reads `+"`pulumi stack output --json`"+`; DEPLOYER_<FLAG> (upper case,
- as _) fills any flag not on the command line, e.g. DEPLOYER_IMAGE; flags and the
environment win over stack outputs. AWS: default credential chain, profiles and
region; AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> or --endpoint-url select the endpoint.
Progress goes to stderr, the result to stdout; GITHUB_STEP_SUMMARY gets a summary.

Flags (see 'deployer <command> --help' for the flags of one command):
`)
	seen := map[string]bool{}
	for _, c := range commands {
		for _, g := range c.groups {
			if seen[g.title] {
				continue
			}
			seen[g.title] = true
			writeGroup(w, g, commandsWith(g))
		}
	}
}

func commandsWith(g flagGroup) string {
	var names []string
	for _, c := range commands {
		for _, cg := range c.groups {
			if cg.title == g.title {
				names = append(names, c.name)
			}
		}
	}
	return strings.Join(names, ", ")
}

// writeCommandHelp prints one command's help.
func writeCommandHelp(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "Usage: deployer %s [flags]\n\n%s\n\n", cmd.name, cmd.summary)
	for _, g := range cmd.groups {
		writeGroup(w, g, "")
	}
	fmt.Fprint(w, "Exit codes: 0 released, 1 failed or rolled back, 2 bad input, 3 timed out, 4 interrupted (see deployer --help).\n")
}

func writeGroup(w io.Writer, g flagGroup, used string) {
	fs := flag.NewFlagSet(g.title, flag.ContinueOnError)
	c := &cliConfig{opts: DefaultOptions()}
	g.register(fs, c)
	title := g.title
	if used != "" {
		title += " (" + used + ")"
	}
	fmt.Fprintf(w, "%s:\n", title)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w)
}
