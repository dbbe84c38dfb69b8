// Package rehearsal rehearses releases end to end with no AWS account: it provisions the emulator from a
// stack file with the real Pulumi program, sends steady production traffic through the prod listener,
// runs the real deployer for each release, and reports what users would have seen.
package rehearsal

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/infra"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/provision"
)

// Suite is the validation suite each release runs in gate 1: green must answer with its own version,
// and give the same predictions as blue.
//
//go:embed suite.yaml
var Suite []byte

// Release is one `deployer deploy` of a rehearsal.
type Release struct {
	// Tag is the image tag; the repository is the stack's image's.
	Tag string
	// Env are `--env K=V` overrides; SIM_* keys choose how the simulated model server behaves.
	Env []string
	// Why says what the release shows, for the report.
	Why string
}

// Options configure a rehearsal.
type Options struct {
	StackFile string
	// TimeScale is AWS seconds per real second for the emulator (the deployer is never scaled).
	TimeScale float64
	// Rate is production requests per second through the prod listener, for the whole run.
	Rate int
	// Streams are streamed answers held open through the prod listener for the whole run.
	Streams  Streams
	Releases []Release
	// DeployerFlags are added to every deploy (timing flags sized for the time scale).
	DeployerFlags []string
	// Settle is how long the load runs before the first release and after the last.
	Settle time.Duration
	// Progress receives the deployer's progress lines; nil discards them.
	Progress io.Writer
}

// DeployerFlags are the deployer's timing flags for a time scale of 60: checks a few times per
// CodeDeploy "minute", a soak shorter than the scaled 15-minute termination wait, and no wait for
// CloudWatch's late datapoints (--metrics-lag is real time, while the termination wait it must fit in
// lasts 15 real seconds here; the deployer's unit tests cover that wait against scripted late data).
var DeployerFlags = []string{
	"--poll-interval", "200ms", "--poll-max-interval", "1s",
	"--check-interval", "300ms", "--soak", "4s", "--soak-interval", "1s", "--metrics-lag", "0s",
	"--green-start-timeout", "60s", "--gate-timeout", "60s",
}

// Run provisions the stack, starts the load, runs every release in order and returns the report.
// The emulator accepts any credentials; Run sets placeholder ones when none are in the environment
// so that the SDK does not go looking for an instance role.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Rate <= 0 {
		return nil, fmt.Errorf("rate %d: must be at least 1 request per second", opts.Rate)
	}
	cfg, err := infra.ReadStackConfig(opts.StackFile)
	if err != nil {
		return nil, err
	}
	repo, _, ok := cutTag(cfg[infra.Project+":image"])
	if !ok {
		return nil, fmt.Errorf("read %s: %s:image has no tag to replace", opts.StackFile, infra.Project)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, "rehearsal")
		}
	}
	dir, err := os.MkdirTemp("", "rehearsal-")
	if err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	defer os.RemoveAll(dir)

	stack, err := provision.Start(ctx, provision.Options{StackFile: opts.StackFile, Addr: "127.0.0.1:0", TimeScale: opts.TimeScale})
	if err != nil {
		return nil, err
	}
	defer stack.Close()
	outputs, suite := filepath.Join(dir, "outputs.json"), filepath.Join(dir, "suite.yaml")
	var buf bytes.Buffer
	if err := stack.WriteOutputs(&buf); err != nil {
		return nil, err
	}
	if err := os.WriteFile(outputs, buf.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("write stack outputs: %w", err)
	}
	if err := os.WriteFile(suite, Suite, 0o600); err != nil {
		return nil, fmt.Errorf("write validation suite: %w", err)
	}
	prodURL, _ := stack.Outputs["prodUrl"].(string)
	if err := waitServing(ctx, stack, time.Minute); err != nil {
		return nil, err
	}

	lg := newLoad(prodURL, opts.Rate, opts.Streams)
	loadCtx, stopLoad := context.WithCancel(context.WithoutCancel(ctx))
	loadDone := make(chan struct{})
	go func() { lg.run(loadCtx); close(loadDone) }()
	defer func() { stopLoad(); <-loadDone }()

	rep := &Report{Stack: opts.StackFile, TimeScale: opts.TimeScale, Rate: opts.Rate}
	sleep(ctx, opts.Settle)
	for _, r := range opts.Releases {
		if ctx.Err() != nil {
			break
		}
		args := append([]string{"deploy", "--stack-outputs", outputs, "--endpoint-url", stack.Server.URL,
			"--image", repo + ":" + r.Tag, "--validation-suite", suite, "--output", "json",
			"--description", "rehearsal: " + r.Why}, opts.DeployerFlags...)
		for _, e := range r.Env {
			args = append(args, "--env", e)
		}
		rep.addRelease(lg, r, runDeployer(ctx, args, opts.Progress))
	}
	sleep(ctx, opts.Settle)
	stopLoad()
	<-loadDone
	rep.addLoad(lg.snapshot(), time.Since(lg.start))
	return rep, ctx.Err()
}

// deployResult is a deploy's JSON result with the times it ran.
type deployResult struct {
	exitCode   int
	result     deployer.Result
	start, end time.Time
	err        error
}

func runDeployer(ctx context.Context, args []string, progress io.Writer) deployResult {
	if progress == nil {
		progress = io.Discard
	}
	var out bytes.Buffer
	r := deployResult{start: time.Now()}
	r.exitCode = deployer.Main(ctx, args, &out, progress)
	r.end = time.Now()
	if err := json.Unmarshal(out.Bytes(), &r.result); err != nil {
		r.err = fmt.Errorf("read the deployer's JSON result (exit %d): %w", r.exitCode, err)
	}
	return r
}

// waitServing waits until the service's first tasks have loaded their model and every target of the
// group the prod listener serves is healthy, using the SDK's own TargetInService waiter against the
// emulator's ELBv2 API. It does not poll the prod listener itself: until a target is healthy the ALB
// answers 503, and a client hammering a fresh stack would set off the stack's ALB 5xx alarm, which
// then holds the first release in the deployer's --alarm-wait.
func waitServing(ctx context.Context, stack *provision.Stack, limit time.Duration) error {
	group, _ := stack.Outputs["blueTargetGroupArn"].(string)
	client := elbv2.New(elbv2.Options{
		Region:       stack.Region,
		BaseEndpoint: aws.String(stack.Server.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("rehearsal", "rehearsal", ""),
	})
	waiter := elbv2.NewTargetInServiceWaiter(client, func(o *elbv2.TargetInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := waiter.Wait(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(group)}, limit); err != nil {
		return fmt.Errorf("wait for the service's first targets in %s to be healthy: %w", group, err)
	}
	return nil
}

// cutTag splits "repo:tag" (the repository may hold a registry host with a port).
func cutTag(image string) (repo, tag string, ok bool) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return image, "", false
	}
	return image[:i], image[i+1:], true
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
