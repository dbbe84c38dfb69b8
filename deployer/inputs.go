package deployer

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// invocation is a validated command line: everything a command needs before its
// first AWS call.
type invocation struct {
	cmd          string
	target       Target
	opts         Options
	req          DeployRequest
	deploymentID string
	toTaskDef    string
	wait         string // continue --wait: "", "ready" or "termination"
	follow       bool   // status --follow
	profile      string
	endpointURL  string
	output       string
}

var (
	deploymentIDRegexp = regexp.MustCompile(`^d-[A-Za-z0-9]{1,64}$`)
	taskDefRegexp      = regexp.MustCompile(`^(arn:[a-z-]+:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/)?[A-Za-z0-9_-]{1,255}:[0-9]+$`)
)

// validate checks everything and resolves the target from flags, environment and
// stack outputs. It makes no AWS call.
func (c *cliConfig) validate(cmd string, stdin io.Reader, getenv func(string) (string, bool)) (*invocation, error) {
	inv := &invocation{cmd: cmd, opts: c.opts, profile: c.profile, endpointURL: c.endpointURL, output: c.output, deploymentID: c.deploymentID, toTaskDef: c.toTaskDef, wait: c.wait, follow: c.follow}
	if c.output != "text" && c.output != "json" {
		return nil, inputErrorf("--output", "%q: want text or json", c.output)
	}
	if err := c.resolveTarget(inv, stdin); err != nil {
		return nil, err
	}
	if err := validateOptions(cmd, &inv.opts); err != nil {
		return nil, err
	}
	if c.endpointURL != "" {
		if err := checkURL("--endpoint-url", c.endpointURL, true); err != nil {
			return nil, err
		}
	}
	if c.deploymentID != "" && !deploymentIDRegexp.MatchString(c.deploymentID) {
		return nil, inputErrorf("--deployment-id", "%q: want a CodeDeploy deployment id such as d-ABCDEF123", c.deploymentID)
	}
	if cmd == "status" && c.deploymentID != "" && !c.follow {
		return nil, inputErrorf("--deployment-id", "status takes a deployment id only with --follow (status always shows the group's in-flight deployment)")
	}
	if c.wait != "" && c.wait != WaitReady && c.wait != WaitTermination {
		return nil, inputErrorf("--wait", "%q: want %s (past Ready) or %s (end the termination wait)", c.wait, WaitReady, WaitTermination)
	}
	if c.toTaskDef != "" && !taskDefRegexp.MatchString(c.toTaskDef) {
		return nil, inputErrorf("--to-task-definition", "%q: want a task definition ARN or family:revision", c.toTaskDef)
	}
	if c.suiteFile != "" {
		s, err := suite.Load(c.suiteFile)
		if err == nil {
			err = s.ResolveEnv(getenv)
		}
		if err != nil {
			return nil, inputErrorf("--validation-suite", "%s: %v", c.suiteFile, err)
		}
		inv.opts.Suite = s
		if err := applySuiteLatency(&inv.opts, s.Latency, c.given); err != nil {
			return nil, inputErrorf("--validation-suite", "%s: %v", c.suiteFile, err)
		}
	}
	if cmd == "deploy" || cmd == "plan" {
		if err := c.validateRelease(inv, getenv); err != nil {
			return nil, err
		}
	}
	if cmd == "rollback" {
		inv.req.Provenance = provenanceFromEnv(c, getenv)
	}
	return inv, nil
}

// checkURL requires scheme://host[:port] with http or https and, unless
// allowPath, no path. The gates append request paths to the URL as text, so it may
// hold no query or fragment, not even an empty one ("http://host?"), and no path
// hidden in escapes ("http://host/%2F").
func checkURL(field, v string, allowPath bool) error {
	u, err := url.Parse(v)
	ok := err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && validPort(u.Port()) &&
		!strings.ContainsAny(v, "?#")
	if ok && !allowPath && strings.Trim(u.EscapedPath(), "/") != "" {
		ok = false
	}
	if !ok {
		msg := fmt.Sprintf("%q: want scheme://host[:port] with scheme http or https", v)
		if field != "" {
			return inputErrorf(field, "%s", msg)
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// validPort accepts no port or a port 1-65535.
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// validateOptions checks timing knobs and thresholds.
func validateOptions(cmd string, o *Options) error {
	checks := []error{
		durationRange("poll-interval", o.PollInterval, 10*time.Millisecond, time.Minute),
		durationRange("poll-max-interval", o.PollMaxInterval, o.PollInterval, 5*time.Minute),
		durationRange("check-interval", o.CheckInterval, 10*time.Millisecond, 5*time.Minute),
		durationRange("green-start-timeout", o.GreenStartTimeout, 0, 6*time.Hour),
		durationRange("alarm-wait", o.AlarmWait, 0, 6*time.Hour),
		durationRange("gate-timeout", o.GateTimeout, 0, 48*time.Hour),
		durationRange("request-timeout", o.RequestTimeout, 10*time.Millisecond, 5*time.Minute),
		durationRange("soak", o.Soak, 0, 48*time.Hour),
		durationRange("soak-interval", o.SoakInterval, 10*time.Millisecond, time.Hour),
		durationRange("max-p99", o.MaxP99, 0, 10*time.Minute),
		durationRange("metrics-lag", o.MetricsLag, 0, 30*time.Minute),
		durationRange("timeout", o.Timeout, 0, 96*time.Hour),
		durationRange("rollback-timeout", o.RollbackTimeout, time.Second, 6*time.Hour),
		durationRange("interrupt-grace", o.InterruptGrace, 0, 10*time.Minute),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	switch {
	case o.Consecutive < 1 || o.Consecutive > 100:
		return inputErrorf("--consecutive", "%d: want 1-100", o.Consecutive)
	case o.MaxGreenTaskStops < 0 || o.MaxGreenTaskStops > 1000:
		return inputErrorf("--max-green-task-stops", "%d: want 0-1000", o.MaxGreenTaskStops)
	case o.MinRequests < 0 || o.MinRequests > 1e9:
		return inputErrorf("--min-requests", "%d: want 0-1000000000", o.MinRequests)
	case o.MinRequests > 0 && o.Soak > 0 && o.Soak < time.Minute:
		return inputErrorf("--min-requests", "needs --soak of at least %s: CloudWatch counts requests per whole minute, and gate 2 counts only the minutes that begin inside the soak (--soak %s may hold none)", time.Minute, o.Soak)
	case o.Max5xxRate < 0 || o.Max5xxRate > 1:
		return inputErrorf("--max-5xx-rate", "%g: want a fraction 0-1 (0.01 = 1%%)", o.Max5xxRate)
	case o.OnInterrupt != "rollback" && o.OnInterrupt != "detach":
		return inputErrorf("--on-interrupt", "%q: want rollback or detach", o.OnInterrupt)
	case o.ReadyPath != "" && !strings.HasPrefix(o.ReadyPath, "/"):
		return inputErrorf("--ready-path", "%q: want a path starting with /", o.ReadyPath)
	}
	if err := assessSoakSchedule(o.Soak, o.SoakInterval, o.Consecutive); err != nil {
		return inputErrorf("--soak", "%v", err)
	}
	if err := o.latencyThresholds().validate(latencyFlagNames); err != nil {
		return &InputError{Field: "gate 1 latency", Problem: err.Error()}
	}
	return nil
}

// latencyFlagNames name gate 1's latency thresholds by their flags.
var latencyFlagNames = latencyThresholdNames{P50Ratio: "--max-p50-ratio", P50Increase: "--min-p50-increase",
	P95Ratio: "--max-p95-ratio", P95Increase: "--min-p95-increase", Alpha: "latency significance", Samples: "--latency-samples"}

// applySuiteLatency sets gate 1's latency thresholds from the suite's latency
// section where the command line (or DEPLOYER_<FLAG>) did not set them: a flag
// given wins over the suite, the suite over the defaults.
func applySuiteLatency(o *Options, l *suite.Latency, given map[string]bool) error {
	if l == nil {
		return nil
	}
	if l.Samples != nil && !given["latency-samples"] {
		o.LatencySamples = *l.Samples
	}
	for _, p := range []struct {
		l               *suite.LatencyLimit
		ratioFlag, incr string
		ratio           *float64
		increase        *time.Duration
	}{{l.P50, "max-p50-ratio", "min-p50-increase", &o.MaxP50Ratio, &o.MinP50Increase}, {l.P95, "max-p95-ratio", "min-p95-increase", &o.MaxP95Ratio, &o.MinP95Increase}} {
		if p.l == nil {
			continue
		}
		if p.l.MaxRatio != nil && !given[p.ratioFlag] {
			*p.ratio = *p.l.MaxRatio
		}
		if p.l.MinIncrease != nil && !given[p.incr] {
			*p.increase = time.Duration(*p.l.MinIncrease)
		}
	}
	return o.latencyThresholds().validate(latencyThresholdNames{P50Ratio: "latency.p50.maxRatio", P50Increase: "latency.p50.minIncrease",
		P95Ratio: "latency.p95.maxRatio", P95Increase: "latency.p95.minIncrease", Alpha: "latency significance", Samples: "latency.samples"})
}

// durationRange checks a duration flag.
func durationRange(name string, v, lo, hi time.Duration) error {
	if v < lo || v > hi {
		return inputErrorf("--"+name, "%s is out of range: want %s to %s", v, lo, hi)
	}
	return nil
}

// validateRelease checks what deploy and plan release (a registered revision, or
// the image, environment overrides and task definition file), then the
// description.
func (c *cliConfig) validateRelease(inv *invocation, getenv func(string) (string, bool)) error {
	req := &inv.req
	var err error
	if c.taskDefArn != "" {
		err = c.validateRevision(req)
	} else {
		err = c.validateImage(req, inv.target.ContainerName)
	}
	if err != nil {
		return err
	}
	if len(c.description) > 400 {
		return inputErrorf("--description", "%d characters: at most 400 (CodeDeploy allows 512 including provenance)", len(c.description))
	}
	req.Description = c.description
	req.Provenance = provenanceFromEnv(c, getenv)
	return nil
}

// validateImage checks the image, the task definition file and the environment
// overrides of the container the load balancer targets.
func (c *cliConfig) validateImage(req *DeployRequest, container string) error {
	if c.taskDefFile != "" {
		in, err := loadTaskDefinitionFile(c.taskDefFile)
		if err != nil {
			return inputErrorf("--task-definition", "%s: %v", c.taskDefFile, err)
		}
		i := containerIndex(in.ContainerDefinitions, container)
		if i < 0 {
			return inputErrorf("--task-definition", "%s has no container %q (containers: %s)", c.taskDefFile, container, containerNames(in.ContainerDefinitions))
		}
		req.TaskDefinitionFile = in
		if c.image == "" {
			ref, err := parseImage(aws.ToString(in.ContainerDefinitions[i].Image))
			if err != nil {
				return inputErrorf("--task-definition", "%s: container %s image %v", c.taskDefFile, container, err)
			}
			req.Image = ref
		}
	}
	if c.image != "" || c.taskDefFile == "" {
		ref, err := parseImage(c.image)
		if err != nil {
			return inputErrorf("--image", "%v", err)
		}
		req.Image = ref
	}
	for _, kv := range c.env {
		e, err := parseEnvVar(kv)
		if err != nil {
			return inputErrorf("--env", "%v", err)
		}
		req.Env = append(req.Env, e)
	}
	return nil
}

// validateRevision checks deploy --task-definition-arn: a registered revision is
// released as registered, so nothing may change it.
func (c *cliConfig) validateRevision(req *DeployRequest) error {
	const field = "--task-definition-arn"
	switch {
	case !taskDefRegexp.MatchString(c.taskDefArn):
		return inputErrorf(field, "%q: want a task definition ARN (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION) or FAMILY:REVISION", c.taskDefArn)
	case c.image != "":
		return inputErrorf(field, "cannot be combined with --image: the revision is released as registered, with its own image (to change the image, use --image alone)")
	case c.taskDefFile != "":
		return inputErrorf(field, "cannot be combined with --task-definition FILE: name one revision to release")
	case len(c.env) > 0:
		return inputErrorf(field, "cannot be combined with --env: the revision is released as registered")
	}
	req.TaskDefinitionArn, req.SameFamily = c.taskDefArn, true
	return nil
}

// provenanceFromEnv fills the git SHA and CI run from flags or well-known CI
// variables.
func provenanceFromEnv(c *cliConfig, getenv func(string) (string, bool)) Provenance {
	get := func(k string) string { v, _ := getenv(k); return v }
	p := Provenance{GitSHA: c.gitSHA, CIRun: c.ciRun}
	if p.GitSHA == "" {
		p.GitSHA = firstNonEmpty(get("GITHUB_SHA"), get("CI_COMMIT_SHA"))
	}
	if p.CIRun == "" {
		if server, repo, run := get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY"), get("GITHUB_RUN_ID"); server != "" && repo != "" && run != "" {
			p.CIRun = fmt.Sprintf("%s/%s/actions/runs/%s", server, repo, run)
			if a := get("GITHUB_RUN_ATTEMPT"); a != "" && a != "1" {
				p.CIRun += "/attempts/" + a
			}
		} else {
			p.CIRun = firstNonEmpty(get("CI_PIPELINE_URL"), get("BUILD_URL"))
		}
	}
	return p
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
