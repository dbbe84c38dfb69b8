package deployer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// greenCrashes is installingForever in which, as it is first served, green task
// crash1 exits 137.
func greenCrashes() step {
	st := installingForever()
	st.enter = func(w *world) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.stopped = append(w.stopped, ecstypes.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:1:task/ml/crash1"), TaskDefinitionArn: aws.String(newTD),
			StopCode: ecstypes.TaskStopCodeEssentialContainerExited, StoppedReason: aws.String("Essential container in task exited"), CreatedAt: aws.Time(w.clock.Now()),
			Containers: []ecstypes.Container{{Name: aws.String("model"), ExitCode: aws.Int32(137)}}})
	}
	return st
}

func TestDeployFailsFastWhenGreenTasksCrash(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", stepCreated, greenCrashes())
	w.health = func(string) []elbv2types.TargetHealthDescription { return nil }
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Equal(t, ExitFailed, res.ExitCode)
	require.NotNil(t, res.Failure)
	require.Len(t, res.Failure.StoppedTasks, 1)
	assert.Contains(t, res.Message, "task crash1: EssentialContainerExited: Essential container in task exited; model exit 137")
	assert.Less(t, w.clock.Now().Sub(res.StartedAt), time.Minute, "no waiting for CodeDeploy's hour-long Install timeout")
}

func TestDeployFailsFastOnAGreenCrashListedOnALaterPageOfStoppedTasks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.listTasksPage = 2
	for i := 0; i < 3; i++ { // blue's old stopped tasks fill the first pages
		w.stopped = append(w.stopped, ecstypes.Task{TaskArn: aws.String(fmt.Sprintf("arn:aws:ecs:us-east-1:1:task/ml/old%d", i)), TaskDefinitionArn: aws.String(liveTD),
			StopCode: ecstypes.TaskStopCodeServiceSchedulerInitiated, StoppedReason: aws.String("Scaling activity initiated by deployment")})
	}
	w.addScript("d-NEW", stepCreated, greenCrashes())
	w.health = func(string) []elbv2types.TargetHealthDescription { return nil }
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Contains(t, res.Message, "task crash1: EssentialContainerExited", "the crash is on the second page of ListTasks")
	assert.Less(t, w.clock.Now().Sub(res.StartedAt), time.Minute)
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
