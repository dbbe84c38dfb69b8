package deployer

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
)

func target(ip, state, reason string) elbv2types.TargetHealthDescription {
	return elbv2types.TargetHealthDescription{
		Target:       &elbv2types.TargetDescription{Id: aws.String(ip), Port: aws.Int32(8080)},
		TargetHealth: &elbv2types.TargetHealth{State: elbv2types.TargetHealthStateEnum(state), Reason: elbv2types.TargetHealthReasonEnum(reason)},
	}
}

func TestAssessTargetHealth(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		targets  []elbv2types.TargetHealthDescription
		desired  int
		wantOK   bool
		wantText string
	}{
		{"all desired targets healthy pass", []elbv2types.TargetHealthDescription{target("10.0.0.1", "healthy", ""), target("10.0.0.2", "healthy", "")}, 2, true, "2/2 healthy"},
		{"fewer healthy targets than desired fail", []elbv2types.TargetHealthDescription{target("10.0.0.1", "healthy", ""), target("10.0.0.2", "initial", "Elb.RegistrationInProgress")}, 2, false, "10.0.0.2:8080 initial (Elb.RegistrationInProgress)"},
		{"an unhealthy target fails even when enough are healthy", []elbv2types.TargetHealthDescription{target("10.0.0.1", "healthy", ""), target("10.0.0.2", "healthy", ""), target("10.0.0.3", "unhealthy", "Target.ResponseCodeMismatch")}, 2, false, "Target.ResponseCodeMismatch"},
		{"draining targets of old tasks are ignored", []elbv2types.TargetHealthDescription{target("10.0.0.1", "healthy", ""), target("10.0.0.9", "draining", "Target.DeregistrationInProgress")}, 1, true, "1/1 healthy"},
		{"unused targets are not healthy", []elbv2types.TargetHealthDescription{target("10.0.0.1", "unused", "Target.NotInUse")}, 1, false, "unused (Target.NotInUse)"},
		{"no targets is not healthy", nil, 1, false, "0/1 healthy"},
		{"a task set wanting no tasks is never healthy", nil, 0, false, "wants no tasks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := assessTargetHealth(tc.targets, tc.desired)
			assert.Equal(t, tc.wantOK, v.OK)
			assert.Contains(t, v.String(), tc.wantText)
		})
	}
}

func stoppedTask(arn, td string, code ecstypes.TaskStopCode, reason string, exit *int32, created time.Time) ecstypes.Task {
	return ecstypes.Task{TaskArn: aws.String(arn), TaskDefinitionArn: aws.String(td), StopCode: code, StoppedReason: aws.String(reason), CreatedAt: aws.Time(created),
		Containers: []ecstypes.Container{{Name: aws.String("model"), ExitCode: exit}}}
}

func TestAssessStoppedTasks(t *testing.T) {
	t.Parallel()
	since := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	later := since.Add(time.Minute)
	green, blue := "arn:td/web:8", "arn:td/web:7"
	cases := []struct {
		name string
		task ecstypes.Task
		want bool
	}{
		{"a green container that exited is a failure", stoppedTask("t1", green, "EssentialContainerExited", "Essential container in task exited", aws.Int32(137), later), true},
		{"a green task that failed to start is a failure", stoppedTask("t2", green, "TaskFailedToStart", "CannotPullContainerError", nil, later), true},
		{"a green task replaced after failed ELB health checks is a failure", stoppedTask("t3", green, "ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group web-green)", nil, later), true},
		{"a green task scaled in by the scheduler is not a failure", stoppedTask("t4", green, "ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ecs-svc/1)", aws.Int32(0), later), false},
		{"a green task a user stopped is not a failure", stoppedTask("t5", green, "UserInitiated", "stopped by operator", aws.Int32(143), later), false},
		{"a blue task that stopped is not green's failure", stoppedTask("t6", blue, "EssentialContainerExited", "Essential container in task exited", aws.Int32(1), later), false},
		{"a green task stopped before this deployment is ignored", stoppedTask("t7", green, "EssentialContainerExited", "Essential container in task exited", aws.Int32(1), since.Add(-time.Hour)), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := assessStoppedTasks([]ecstypes.Task{tc.task}, green, since)
			assert.Equal(t, tc.want, len(got) == 1)
		})
	}
}

func TestStoppedTaskStringNamesReasonAndExitCode(t *testing.T) {
	t.Parallel()
	st := StoppedTask{TaskArn: "arn:aws:ecs:us-east-1:1:task/c/abc123", StopCode: "EssentialContainerExited", StoppedReason: "Essential container in task exited",
		Containers: []StoppedDetails{{Name: "model", ExitCode: aws.Int32(137)}}}
	assert.Equal(t, "task abc123: EssentialContainerExited: Essential container in task exited; model exit 137 (SIGKILL: out of memory or killed)", st.String())
}
