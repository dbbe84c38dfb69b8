package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/rehearsal"
)

// The release tools the benchmark compares.
const (
	ToolDeployer  = "deployer"
	ToolAWSDeploy = "aws deploy" // register-task-definition, create-deployment, wait deployment-successful
	ToolECSDeploy = "aws ecs deploy"
)

// cliRelease is what a release made with the aws CLI did, beyond the rehearsal's ToolResult.
type cliRelease struct {
	Processes    []cliRun
	DeploymentID string
	// Exit is when the tool's last process exited (AWS time), with ExitCode.
	Exit     time.Time
	ExitCode int
	// ContinuedAt is when the operator continued past Ready (zero: never).
	ContinuedAt time.Time
	Err         error
}

// cliTool releases with the aws CLI while the operator watches, then waits (as the observer)
// until the deployment and any rollback have ended: a CLI that gave up waiting leaves the
// deployment running, and production keeps seeing it.
type cliTool struct {
	kind      string
	cli       *awsCLI
	obs       *observer
	op        *operator
	refs      stackRefs
	dir       string
	waitLimit time.Duration
	rec       cliRelease
}

// release is the rehearsal.Tool.
func (t *cliTool) release(ctx context.Context, image string, env []string) rehearsal.ToolResult {
	opCtx, stopOp := context.WithCancel(ctx)
	opDone := make(chan struct{})
	go func() {
		defer close(opDone)
		t.rec.ContinuedAt, _ = t.op.run(opCtx)
	}()
	t.rec.Err = t.runTool(ctx, image, env)
	if t.rec.DeploymentID == "" && t.rec.Err == nil {
		t.rec.DeploymentID, t.rec.Err = t.obs.lastDeployment(ctx)
	}
	if t.rec.DeploymentID != "" {
		if err := t.obs.waitEnded(ctx, t.rec.DeploymentID, t.waitLimit); err != nil && t.rec.Err == nil {
			t.rec.Err = err
		}
	}
	stopOp()
	<-opDone
	return t.result(ctx)
}

// runTool runs the tool's commands.
func (t *cliTool) runTool(ctx context.Context, image string, env []string) error {
	live, err := t.obs.describeTaskDefinition(ctx, t.refs.taskDefinitionArn)
	if err != nil {
		return err
	}
	td, err := cloneTaskDefinition(live, t.refs.container, image, env)
	if err != nil {
		return err
	}
	tdPath := filepath.Join(t.dir, "taskdef.json")
	data, _ := json.MarshalIndent(td, "", "  ")
	if err := os.WriteFile(tdPath, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tdPath, err)
	}
	if t.kind == ToolECSDeploy {
		return t.ecsDeploy(ctx, tdPath)
	}
	return t.awsDeploy(ctx, tdPath)
}

// step runs one aws CLI command and records it; it reports whether the command succeeded.
func (t *cliTool) step(ctx context.Context, args ...string) (cliRun, bool, error) {
	r, err := t.cli.run(ctx, args...)
	t.rec.Processes = append(t.rec.Processes, r)
	t.rec.Exit, t.rec.ExitCode = r.End, r.ExitCode
	return r, err == nil && r.ExitCode == 0, err
}

// awsDeploy is what a release script with the plain CodeDeploy commands does.
func (t *cliTool) awsDeploy(ctx context.Context, tdPath string) error {
	reg, ok, err := t.step(ctx, "ecs", "register-task-definition", "--cli-input-json", "file://"+tdPath,
		"--query", "taskDefinition.taskDefinitionArn", "--output", "text")
	if !ok {
		return stepErr(reg, err)
	}
	content := appSpec(strings.TrimSpace(reg.Stdout), t.refs)
	sum := sha256.Sum256([]byte(content))
	rev, _ := json.Marshal(map[string]any{"revisionType": "AppSpecContent",
		"appSpecContent": map[string]string{"content": content, "sha256": hex.EncodeToString(sum[:])}})
	create, ok, err := t.step(ctx, "deploy", "create-deployment", "--application-name", t.refs.app,
		"--deployment-group-name", t.refs.group, "--revision", string(rev), "--query", "deploymentId", "--output", "text")
	if !ok {
		return stepErr(create, err)
	}
	t.rec.DeploymentID = strings.TrimSpace(create.Stdout)
	_, _, err = t.step(ctx, "deploy", "wait", "deployment-successful", "--deployment-id", t.rec.DeploymentID)
	return err
}

// createdDeployment is the line `aws ecs deploy` prints once it has created the deployment.
var createdDeployment = regexp.MustCompile(`Successfully created deployment (d-[A-Z0-9]+)`)

// ecsDeploy is `aws ecs deploy`: one command that registers the task definition, creates the
// deployment with the AppSpec given, and waits for it.
func (t *cliTool) ecsDeploy(ctx context.Context, tdPath string) error {
	specPath := filepath.Join(t.dir, "appspec.yaml")
	if err := os.WriteFile(specPath, []byte(appSpec("<TASK_DEFINITION>", t.refs)), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", specPath, err)
	}
	r, _, err := t.step(ctx, "ecs", "deploy", "--cluster", t.refs.cluster, "--service", t.refs.service,
		"--task-definition", tdPath, "--codedeploy-appspec", specPath,
		"--codedeploy-application", t.refs.app, "--codedeploy-deployment-group", t.refs.group)
	if m := createdDeployment.FindStringSubmatch(r.Stdout); m != nil {
		t.rec.DeploymentID = m[1]
	}
	return err
}

func stepErr(r cliRun, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%s: exit %d: %s", strings.Join(r.Args[:3], " "), r.ExitCode, strings.TrimSpace(r.Stderr))
}

// result is the release in the deployer's terms: released when CodeDeploy succeeded, rolled back
// when its rollback did; the tool's own exit code besides.
func (t *cliTool) result(ctx context.Context) rehearsal.ToolResult {
	var args []string
	for _, p := range t.rec.Processes {
		args = append(args, strings.Join(p.Args, " "))
	}
	res := rehearsal.ToolResult{ExitCode: t.rec.ExitCode, DeploymentID: t.rec.DeploymentID, Args: args, Outcome: "failed"}
	if t.rec.Err != nil {
		res.Reason = t.rec.Err.Error()
	}
	if t.rec.DeploymentID == "" {
		return res
	}
	f, err := t.obs.facts(ctx, t.rec.DeploymentID)
	switch {
	case err != nil:
		res.Reason = err.Error()
	case f.Status == "Succeeded":
		res.Outcome = "released"
	case f.Rollback != nil && f.Rollback.Status == "Succeeded":
		res.Outcome, res.Reason = "rolled_back", f.ErrorMessage
	default:
		res.Reason = f.ErrorMessage
	}
	return res
}
