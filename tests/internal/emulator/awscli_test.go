package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAWSCLIReadsTheEmulator runs the real aws CLI (botocore, a client no one here wrote) against
// the emulator served on a loopback port, with dummy credentials and AWS_ENDPOINT_URL.
func TestAWSCLIReadsTheEmulator(t *testing.T) {
	t.Parallel()
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed (pip install awscli): skipping the botocore compatibility test")
	}
	w := newWorld(t, worldOptions{})
	srv, err := w.emu.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	id := w.deploy("v2", nil)
	w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)

	run := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, awsCLI, append(args, "--output", "json")...)
		cmd.Env = cliEnv(srv.URL)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "aws %v: %s", args, stderr.String())
		var out map[string]any
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
		return out
	}

	t.Run("ecs describe-services", func(t *testing.T) {
		t.Parallel()
		out := run(t, "ecs", "describe-services", "--cluster", "web-cluster", "--services", "web")
		svc := out["services"].([]any)[0].(map[string]any)
		assert.Equal(t, "web", svc["serviceName"])
		assert.Equal(t, "CODE_DEPLOY", svc["deploymentController"].(map[string]any)["type"])
		assert.Contains(t, svc["taskDefinition"], "task-definition/web:2")
		assert.Equal(t, w.green.ARN, svc["loadBalancers"].([]any)[0].(map[string]any)["targetGroupArn"])
		assert.NotEmpty(t, svc["createdAt"], "timestamps parse")
	})
	t.Run("deploy get-deployment-group", func(t *testing.T) {
		t.Parallel()
		out := run(t, "deploy", "get-deployment-group", "--application-name", w.app, "--deployment-group-name", w.group)
		g := out["deploymentGroupInfo"].(map[string]any)
		assert.Equal(t, "BLUE_GREEN", g["deploymentStyle"].(map[string]any)["deploymentType"])
		assert.Equal(t, "ECS", g["computePlatform"])
		assert.Equal(t, id, g["lastSuccessfulDeployment"].(map[string]any)["deploymentId"])
	})
	t.Run("deploy get-deployment", func(t *testing.T) {
		t.Parallel()
		out := run(t, "deploy", "get-deployment", "--deployment-id", id)
		d := out["deploymentInfo"].(map[string]any)
		assert.Equal(t, "Succeeded", d["status"])
		assert.Equal(t, "user", d["creator"])
		assert.Equal(t, "AppSpecContent", d["revision"].(map[string]any)["revisionType"])
	})
	t.Run("elbv2 describe-target-health", func(t *testing.T) {
		t.Parallel()
		out := run(t, "elbv2", "describe-target-health", "--target-group-arn", w.green.ARN)
		descs := out["TargetHealthDescriptions"].([]any)
		require.Len(t, descs, 2)
		for _, d := range descs {
			assert.Equal(t, "healthy", d.(map[string]any)["TargetHealth"].(map[string]any)["State"])
		}
	})
	// The stream check's reads: the Query answer's Attributes list as botocore parses it.
	t.Run("elbv2 describe-target-group-attributes", func(t *testing.T) {
		t.Parallel()
		out := run(t, "elbv2", "describe-target-group-attributes", "--target-group-arn", w.blue.ARN)
		attrs := cliAttributes(t, out)
		assert.Equal(t, "30", attrs["deregistration_delay.timeout_seconds"])
		assert.Equal(t, "lb_cookie", attrs["stickiness.type"])
	})
	t.Run("elbv2 describe-load-balancer-attributes", func(t *testing.T) {
		t.Parallel()
		out := run(t, "elbv2", "describe-load-balancer-attributes", "--load-balancer-arn", w.lb.ARN)
		attrs := cliAttributes(t, out)
		assert.Equal(t, "60", attrs["idle_timeout.timeout_seconds"])
		assert.Equal(t, "", attrs["access_logs.s3.bucket"])
		assert.Contains(t, attrs, "access_logs.s3.bucket", "an unset bucket is reported, empty")
	})
	t.Run("cloudwatch describe-alarms", func(t *testing.T) {
		t.Parallel()
		_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: "cli-alarm", Namespace: "AWS/ApplicationELB",
			MetricName: "RequestCount", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1,
			ComparisonOperator: "GreaterThanThreshold"})
		require.NoError(t, err)
		out := run(t, "cloudwatch", "describe-alarms", "--alarm-names", "cli-alarm")
		alarms := out["MetricAlarms"].([]any)
		require.Len(t, alarms, 1)
		assert.Equal(t, "cli-alarm", alarms[0].(map[string]any)["AlarmName"])
	})
	// The CLI pages with --page-size (MaxRecords, PageSize, maxResults) and follows the tokens; with
	// --max-items it stops and prints the token to resume from.
	t.Run("cloudwatch describe-alarms pages", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"page-1", "page-2", "page-3"} {
			_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: name, Namespace: "AWS/ApplicationELB",
				MetricName: "RequestCount", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1,
				ComparisonOperator: "GreaterThanThreshold"})
			require.NoError(t, err)
		}
		out := run(t, "cloudwatch", "describe-alarms", "--alarm-name-prefix", "page-", "--page-size", "1")
		assert.Len(t, out["MetricAlarms"], 3, "one alarm a page, every page read")
		out = run(t, "cloudwatch", "describe-alarms", "--alarm-name-prefix", "page-", "--page-size", "1", "--max-items", "2")
		assert.Len(t, out["MetricAlarms"], 2)
		assert.NotEmpty(t, out["NextToken"])
	})
	// ELBv2's own parameter is PageSize, so the CLI passes --page-size through and leaves paging to the
	// caller: one group, and the marker of the next.
	t.Run("elbv2 describe-target-groups pages", func(t *testing.T) {
		t.Parallel()
		out := run(t, "elbv2", "describe-target-groups", "--page-size", "1")
		require.Len(t, out["TargetGroups"], 1)
		marker, _ := out["NextMarker"].(string)
		require.NotEmpty(t, marker)
		next := run(t, "elbv2", "describe-target-groups", "--page-size", "1", "--marker", marker)
		require.Len(t, next["TargetGroups"], 1)
		assert.NotEqual(t, out["TargetGroups"], next["TargetGroups"])
		assert.Nil(t, next["NextMarker"], "the last page")
	})
	t.Run("ecs list-task-definitions and list-tasks page", func(t *testing.T) {
		t.Parallel()
		out := run(t, "ecs", "list-task-definitions", "--page-size", "1")
		assert.Len(t, out["taskDefinitionArns"], 2)
		out = run(t, "ecs", "list-tasks", "--cluster", "web-cluster", "--page-size", "1")
		assert.GreaterOrEqual(t, len(out["taskArns"].([]any)), 2)
	})
	t.Run("deploy error shape", func(t *testing.T) {
		t.Parallel()
		_, err := w.cd.GetDeployment(context.Background(), &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-AAAAAAAAA")})
		require.Error(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, awsCLI, "deploy", "get-deployment", "--deployment-id", "d-AAAAAAAAA")
		cmd.Env = cliEnv(srv.URL)
		out, err := cmd.CombinedOutput()
		require.Error(t, err)
		assert.Contains(t, string(out), "DeploymentDoesNotExistException")
	})
}

// cliAttributes are a Describe*Attributes answer's key/value pairs, as the aws CLI printed them.
func cliAttributes(t *testing.T, out map[string]any) map[string]string {
	t.Helper()
	list, ok := out["Attributes"].([]any)
	require.True(t, ok, "no Attributes list: %v", out)
	attrs := map[string]string{}
	for _, a := range list {
		kv := a.(map[string]any)
		v, _ := kv["Value"].(string)
		attrs[kv["Key"].(string)] = v
	}
	return attrs
}

// cliEnv is the caller's environment without any AWS settings, plus dummy credentials, a region
// and the emulator's endpoint.
func cliEnv(endpoint string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_ENDPOINT_URL="+endpoint, "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
}
