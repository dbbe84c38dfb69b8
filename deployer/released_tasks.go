package deployer

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// A release CodeDeploy reports Succeeded is released only when production's
// target group serves the released task set's tasks and nothing else: after a
// stop without rollback and a new release, or with blue's tasks left registered,
// production can answer with two versions, half and half, while every target is
// healthy. The deployer maps each registered target to the service's running
// task behind it by its address (awsvpc: the task's ENI address,
// DescribeTasks), and requires that task to run the released task definition
// and, when CodeDeploy names the green task set, to have been started by it
// (ECS sets a task set's tasks' startedBy to the task set's id).
//
// Cost: ListTasks (one page per 100 running tasks) and DescribeTasks (one call
// per 100 tasks), once, after CodeDeploy reports success.

// otherTargets lists production's registered targets (descs, of the live
// target group) that are not the released task set's tasks.
func (d *Deployer) otherTargets(ctx context.Context, r *release, s snapshot, descs []elbv2types.TargetHealthDescription) ([]string, error) {
	arns, err := d.listTasks(ctx, ecstypes.DesiredStatusRunning)
	if err != nil {
		return nil, err
	}
	tasks, err := d.describeAllTasks(ctx, arns)
	if err != nil {
		return nil, err
	}
	green := ""
	if ts := taskSet(s.Target, cdtypes.TargetLabelGreen); ts != nil {
		green = aws.ToString(ts.Identifer)
	}
	return assessReleasedTargets(descs, tasks, r.TaskDefArn, green), nil
}

// assessReleasedTargets lists the targets in descs that are not the released
// task set's tasks: no running task of the service has the target's address, or
// the tasks that have it run another task definition than taskDefArn, or were
// started by another task set than taskSetID ("" = unknown). Draining targets
// are leaving and not counted; instance targets (EC2 bridge networking, ids
// i-…) cannot be mapped by address and are not judged.
func assessReleasedTargets(descs []elbv2types.TargetHealthDescription, tasks []ecstypes.Task, taskDefArn, taskSetID string) []string {
	byAddress := map[string][]ecstypes.Task{}
	for _, t := range tasks {
		for _, ip := range taskAddresses(t) {
			byAddress[ip] = append(byAddress[ip], t)
		}
	}
	var other []string
	for _, dsc := range descs {
		id := aws.ToString(dsc.Target.Id)
		if dsc.TargetHealth != nil && dsc.TargetHealth.State == elbv2types.TargetHealthStateEnumDraining || strings.HasPrefix(id, "i-") {
			continue
		}
		behind, ok := byAddress[id]
		if !ok {
			other = append(other, targetID(dsc.Target)+" (no running task of the service)")
			continue
		}
		if !releasedTask(behind, taskDefArn, taskSetID) {
			t := behind[0]
			other = append(other, fmt.Sprintf("%s (task %s of %s, started by %s)", targetID(dsc.Target), arnTail(aws.ToString(t.TaskArn)),
				arnTail(aws.ToString(t.TaskDefinitionArn)), aws.ToString(t.StartedBy)))
		}
	}
	return other
}

// releasedTask says one of the tasks behind an address is the release's. Tasks
// share an address only where many listen on one host (the local emulator's
// fallback); then any of them will do.
func releasedTask(tasks []ecstypes.Task, taskDefArn, taskSetID string) bool {
	for _, t := range tasks {
		by := aws.ToString(t.StartedBy)
		if aws.ToString(t.TaskDefinitionArn) == taskDefArn && (taskSetID == "" || by == "" || by == taskSetID) {
			return true
		}
	}
	return false
}

// taskAddresses are a task's private IPv4 addresses: its ENI attachment's
// (awsvpc), and its containers' network interfaces'.
func taskAddresses(t ecstypes.Task) []string {
	var out []string
	for _, a := range t.Attachments {
		for _, kv := range a.Details {
			if aws.ToString(kv.Name) == "privateIPv4Address" && aws.ToString(kv.Value) != "" {
				out = append(out, aws.ToString(kv.Value))
			}
		}
	}
	for _, c := range t.Containers {
		for _, ni := range c.NetworkInterfaces {
			if ip := aws.ToString(ni.PrivateIpv4Address); ip != "" {
				out = append(out, ip)
			}
		}
	}
	return out
}
