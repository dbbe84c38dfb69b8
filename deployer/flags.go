package deployer

import (
	"flag"
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

// newCLIConfig is a config holding the documented defaults.
func newCLIConfig() *cliConfig {
	return &cliConfig{opts: DefaultOptions(), targetFlags: make([]string, len(targetOutputs))}
}

// envFlag collects repeated --env K=V.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, ",") }

func (e *envFlag) Set(v string) error {
	*e = append(*e, v)
	return nil
}

// flagGroup registers a group of flags on a flag set; help shows them under
// the title, in the order they are registered.
type flagGroup struct {
	title    string
	register func(fs *flagSet, c *cliConfig)
}

// Flag groups, in the order a command's help shows them: what a release is
// first, the AWS plumbing and the per-output overrides last.
var (
	groupRelease = flagGroup{"Release", func(fs *flagSet, c *cliConfig) {
		fs.StringVar(&c.image, "image", "", "image `REF` for the service's container: registry/name:tag or name@sha256:digest")
		fs.StringVar(&c.taskDefFile, "task-definition", "", "task definition JSON `FILE` to register instead of cloning the live one (--image still overrides its image)")
		fs.StringVar(&c.taskDefArn, "task-definition-arn", "", "`ARN` (or family:revision) of a registered revision of the service's family to release as is; not with --image, --task-definition or --env")
		fs.Var(&c.env, "env", "environment override `K=V` for the container (repeatable; DEPLOYER_ENV: one per line)")
		fs.StringVar(&c.description, "description", "", "deployment description (provenance is appended; at most 400 characters)")
		fs.BoolVar(&c.opts.HoldAtReady, "hold-at-ready", false, "after gate 1, leave the deployment waiting in Ready (exit 0, outcome held_at_ready); promote with deployer continue or by re-running deploy")
		fs.BoolVar(&c.opts.AllowUngatedTraffic, "allow-ungated-traffic", false, "release through a group that does not wait in Ready: production traffic moves without gate 1 (refused otherwise)")
		fs.StringVar(&c.gitSHA, "git-sha", "", "commit recorded as provenance (default: GITHUB_SHA or CI_COMMIT_SHA)")
		fs.StringVar(&c.ciRun, "ci-run", "", "CI run `URL` recorded as provenance (default: from GITHUB_*, CI_PIPELINE_URL or BUILD_URL)")
	}}
	groupReady = flagGroup{"Gate 1 (ready: green on the test listener, before production traffic)", func(fs *flagSet, c *cliConfig) {
		o := &c.opts
		fs.StringVar(&c.suiteFile, "validation-suite", "", "validation suite `FILE` (YAML or JSON, see docs/validation-suite.md) run against green in gate 1")
		fs.IntVar(&o.Consecutive, "consecutive", o.Consecutive, "consecutive passing checks a gate needs, and failing ones that fail it (1-100)")
		fs.DurationVar(&o.CheckInterval, "check-interval", o.CheckInterval, "spacing of gate 1's consecutive checks")
		fs.DurationVar(&o.GateTimeout, "gate-timeout", o.GateTimeout, "gate 1 limit from entering Ready (0 = until shortly before the group's ready wait ends)")
		fs.StringVar(&o.ReadyPath, "ready-path", o.ReadyPath, "readiness probe `PATH` via the test listener (default: the green target group's health-check path)")
		fs.DurationVar(&o.RequestTimeout, "request-timeout", o.RequestTimeout, "timeout of each probe and validation request")
		fs.IntVar(&o.LatencySamples, "latency-samples", o.LatencySamples, "requests of each kind sent to blue and to green to compare their latencies (0 = off; else 10-1000)")
		fs.Float64Var(&o.MaxP50Ratio, "max-p50-ratio", o.MaxP50Ratio, "green fails when its p50 is more than this many times blue's and more than --min-p50-increase above it")
		fs.DurationVar(&o.MinP50Increase, "min-p50-increase", o.MinP50Increase, "a p50 this little above blue's never fails, whatever the ratio")
		fs.Float64Var(&o.MaxP95Ratio, "max-p95-ratio", o.MaxP95Ratio, "as --max-p50-ratio for p95; also gate shift's p95 limit against blue per minute")
		fs.DurationVar(&o.MinP95Increase, "min-p95-increase", o.MinP95Increase, "as --min-p50-increase for p95")
	}}
	groupSoak = flagGroup{"Gate 2 (soak: green under production traffic, before blue goes)", func(fs *flagSet, c *cliConfig) {
		o := &c.opts
		fs.DurationVar(&o.Soak, "soak", o.Soak, "how long green must hold under production traffic before blue is terminated (0 = skip gate 2)")
		fs.DurationVar(&o.SoakInterval, "soak-interval", o.SoakInterval, "gate 2 check interval")
		fs.Float64Var(&o.Max5xxRate, "max-5xx-rate", o.Max5xxRate, "max fraction of green's requests that failed, over the soak's whole minutes (0-1)")
		fs.DurationVar(&o.MaxP99, "max-p99", o.MaxP99, "max p99 TargetResponseTime of green (0 = not checked)")
		fs.IntVar(&o.MinRequests, "min-requests", o.MinRequests, "fewest requests green must serve during the soak (0 = judge an idle green on health and alarms)")
		fs.DurationVar(&o.MetricsLag, "metrics-lag", o.MetricsLag, "after the soak, how long to wait for CloudWatch's late datapoints of its last minute")
	}}
	groupLimits = flagGroup{"Limits", func(fs *flagSet, c *cliConfig) {
		o := &c.opts
		fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "overall limit; stop, roll back and exit 3 when exceeded (0 = budget computed from the group)")
		fs.DurationVar(&o.GreenStartTimeout, "green-start-timeout", o.GreenStartTimeout, "roll back when no green target is healthy this long after install starts (0 = derived)")
		fs.DurationVar(&o.AlarmWait, "alarm-wait", o.AlarmWait, "before creating a deployment, wait up to this long for the group's alarms to leave ALARM (0 = derived)")
		fs.IntVar(&o.MaxGreenTaskStops, "max-green-task-stops", o.MaxGreenTaskStops, "failed green task stops (crash, OOM, failed health checks) tolerated before rolling back")
	}}
	groupRollback = flagGroup{"Interrupts and rollback", func(fs *flagSet, c *cliConfig) {
		o := &c.opts
		fs.StringVar(&o.OnInterrupt, "on-interrupt", o.OnInterrupt, "on SIGINT/SIGTERM: rollback (stop the deployment with rollback) or detach (leave it running)")
		fs.DurationVar(&o.InterruptGrace, "interrupt-grace", o.InterruptGrace, "after a signal, how long to follow the rollback before exiting")
		fs.DurationVar(&o.RollbackTimeout, "rollback-timeout", o.RollbackTimeout, "how long to follow a rollback deployment")
	}}
	groupSelect = flagGroup{"Deployment selection", func(fs *flagSet, c *cliConfig) {
		fs.StringVar(&c.deploymentID, "deployment-id", "", "deployment `ID` to act on (default: the group's in-flight deployment)")
	}}
	groupPromotion = flagGroup{"Promotion", func(fs *flagSet, c *cliConfig) {
		fs.StringVar(&c.wait, "wait", "", "`WAIT` the deployment must be in: ready (production traffic shifts) or termination (blue is terminated) (default: the wait it is in)")
	}}
	groupFollow = flagGroup{"Follow", func(fs *flagSet, c *cliConfig) {
		fs.BoolVar(&c.follow, "follow", false, "print each change of the in-flight deployment (or --deployment-id) until it ends; exit 0 only if it Succeeded (read-only)")
	}}
	groupRollbackTarget = flagGroup{"Rollback target", func(fs *flagSet, c *cliConfig) {
		fs.StringVar(&c.toTaskDef, "to-task-definition", "", "task definition `ARN` to redeploy when nothing is in flight (default: the live one's deployer:previous-task-definition tag)")
	}}
	groupOutput = flagGroup{"Inputs and output", func(fs *flagSet, c *cliConfig) {
		fs.StringVar(&c.stackOutputs, "stack-outputs", "", "`FILE` with `pulumi stack output --json` (- = stdin); the flags below override its values")
		fs.StringVar(&c.output, "output", "text", "result format on stdout: text or json")
		fs.DurationVar(&c.opts.PollInterval, "poll-interval", c.opts.PollInterval, "fastest poll interval, used right after a change")
		fs.DurationVar(&c.opts.PollMaxInterval, "poll-max-interval", c.opts.PollMaxInterval, "slowest poll interval, reached when the deployment is quiet")
	}}
	groupAWS = flagGroup{"AWS", func(fs *flagSet, c *cliConfig) {
		registerTargetFlags(fs, c, func(o targetOutput) bool { return o.flag == "region" })
		fs.StringVar(&c.profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or default)")
		fs.StringVar(&c.endpointURL, "endpoint-url", "", "send every AWS call to this `URL` (default: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, or AWS's)")
	}}
	groupTarget = flagGroup{"Stack output overrides", func(fs *flagSet, c *cliConfig) {
		registerTargetFlags(fs, c, func(o targetOutput) bool { return o.flag != "region" })
	}}
	// commonGroups end every command's list: they are also the flags the top-level
	// help shows, and the ones most often given before the command.
	commonGroups = []flagGroup{groupOutput, groupAWS, groupTarget}
)

// registerTargetFlags registers the flags of the stack output table's rows that
// keep says to.
func registerTargetFlags(fs *flagSet, c *cliConfig, keep func(targetOutput) bool) {
	for i, o := range targetOutputs {
		if keep(o) {
			fs.StringVar(&c.targetFlags[i], o.flag, "", o.usage+" (stack output "+o.output+")")
			fs.kinds[o.flag] = targetKind(o.flag)
		}
	}
}

// targetKind is the value placeholder help shows for a stack output's flag.
func targetKind(name string) string {
	switch {
	case strings.HasSuffix(name, "-arn"):
		return "ARN"
	case strings.HasSuffix(name, "-url"):
		return "URL"
	case name == "container-port" || name == "max-request-seconds":
		return "N"
	case name == "region":
		return "REGION"
	}
	return "NAME"
}

// command is a CLI verb. essential names the flags its help shows first;
// examples are shell lines (a line starting with # is the comment above one).
type command struct {
	name, summary string
	usage         string // the flags the usage line shows before [flags]
	groups        []flagGroup
	essential     []string
	examples      []string
}

// commands are the CLI's verbs, in the order help lists them.
var commands = []command{
	{"deploy", "Release an image: create the deployment, gate it, roll back on failure.", "--image REF --stack-outputs FILE",
		withCommon(groupRelease, groupReady, groupSoak, groupLimits, groupRollback), []string{"image", "stack-outputs", "validation-suite"}, deployExamples},
	{"plan", "Dry run of deploy: task definition diff, AppSpec, settings, budget; writes nothing.", "--image REF --stack-outputs FILE",
		withCommon(groupRelease, groupReady, groupSoak, groupLimits), []string{"image", "stack-outputs", "validation-suite"}, planExamples},
	{"status", "Show the live version, what serves prod and test, and any in-flight deployment.", "--stack-outputs FILE",
		withCommon(groupFollow, groupSelect), []string{"stack-outputs", "follow"}, statusExamples},
	{"continue", "Promote an in-flight deployment past Ready or the termination wait (no gates).", "--stack-outputs FILE",
		withCommon(groupPromotion, groupSelect), []string{"stack-outputs", "wait"}, continueExamples},
	{"abort", "Stop an in-flight deployment with rollback and follow the rollback.", "--stack-outputs FILE",
		withCommon(groupSelect, groupRollback), []string{"stack-outputs", "deployment-id"}, abortExamples},
	{"rollback", "Put production back on the previous version: stop a deployment or redeploy the last one.", "--stack-outputs FILE",
		withCommon(groupSelect, groupRollbackTarget, groupReady, groupSoak, groupLimits, groupRollback), []string{"stack-outputs", "deployment-id", "to-task-definition"}, rollbackExamples},
}

func withCommon(groups ...flagGroup) []flagGroup { return append(groups, commonGroups...) }

// requiredFlags marks the flags a command cannot run without, and what may
// stand in for them.
var requiredFlags = map[string]string{
	"image":         "required, unless --task-definition or --task-definition-arn is given",
	"stack-outputs": "required, unless each stack output is given by its flag",
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
func (cmd *command) newFlagSet() (*flagSet, *cliConfig) {
	c := newCLIConfig()
	fs := newFlagSetNamed("deployer " + cmd.name)
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
func fillFromEnv(fs *flagSet, getenv func(string) (string, bool)) error {
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
				err = inputErrorf(envName(f.Name)+"="+shownValue(val), "%v", e)
			}
		}
	})
	return err
}
