package emulator

import "context"

// targetID is the id of a deployment's one ECS target: "<cluster>:<service>".
func (d *deployment) targetID() string {
	return d.group.spec.ClusterName + ":" + d.group.spec.ServiceName
}

type listDeploymentTargetsInput struct {
	DeploymentID  string              `json:"deploymentId"`
	TargetFilters map[string][]string `json:"targetFilters"`
	NextToken     string              `json:"nextToken"`
}

type listDeploymentTargetsOutput struct {
	TargetIDs []string `json:"targetIds"`
	NextToken string   `json:"nextToken,omitempty"`
}

// startedDeployment resolves a deployment whose targets exist (not Created).
func (e *Emulator) startedDeployment(id string) (*deployment, error) {
	d, err := e.findDeployment(id)
	if err != nil {
		return nil, err
	}
	if d.status == statusCreated {
		return nil, clientErr("DeploymentNotStartedException", "The deployment %s has not started.", d.id)
	}
	return d, nil
}

func (e *Emulator) listDeploymentTargets(_ context.Context, in *listDeploymentTargetsInput) (*listDeploymentTargetsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.startedDeployment(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	for name := range in.TargetFilters {
		if name != "TargetStatus" && name != "ServerInstanceLabel" {
			return nil, clientErr("InvalidTargetFilterNameException", "The target filter name %s is invalid.", name)
		}
	}
	var ids []string
	if statuses, ok := in.TargetFilters["TargetStatus"]; !ok || containsString(statuses, d.targetStatus) {
		ids = append(ids, d.targetID())
	}
	out := &listDeploymentTargetsOutput{}
	out.TargetIDs, out.NextToken, err = codeDeployPage(ids, in.NextToken)
	return out, err
}

type lifecycleEventDescription struct {
	LifecycleEventName string       `json:"lifecycleEventName"`
	Diagnostics        *diagnostics `json:"diagnostics,omitempty"`
	StartTime          *awsTime     `json:"startTime,omitempty"`
	EndTime            *awsTime     `json:"endTime,omitempty"`
	Status             string       `json:"status"`
}

type ecsTaskSetInfo struct {
	Identifer     string          `json:"identifer"` // sic: the API's spelling
	DesiredCount  int             `json:"desiredCount"`
	PendingCount  int             `json:"pendingCount"`
	RunningCount  int             `json:"runningCount"`
	Status        string          `json:"status"`
	TrafficWeight float64         `json:"trafficWeight"`
	TargetGroup   targetGroupInfo `json:"targetGroup"`
	TaskSetLabel  string          `json:"taskSetLabel"`
}

type ecsTarget struct {
	DeploymentID    string                      `json:"deploymentId"`
	TargetID        string                      `json:"targetId"`
	TargetArn       string                      `json:"targetArn"`
	LastUpdatedAt   *awsTime                    `json:"lastUpdatedAt"`
	LifecycleEvents []lifecycleEventDescription `json:"lifecycleEvents"`
	Status          string                      `json:"status"`
	TaskSetsInfo    []ecsTaskSetInfo            `json:"taskSetsInfo"`
}

type deploymentTarget struct {
	DeploymentTargetType string     `json:"deploymentTargetType"`
	EcsTarget            *ecsTarget `json:"ecsTarget,omitempty"`
}

// target renders the deployment's ECS target: lifecycle events and the original (Blue) and
// replacement (Green) task sets with their share of production traffic.
func (e *Emulator) target(d *deployment) deploymentTarget {
	svc := e.groupService(d.group)
	t := &ecsTarget{DeploymentID: d.id, TargetID: d.targetID(), LastUpdatedAt: newTime(d.targetUpdated),
		Status: d.targetStatus, LifecycleEvents: []lifecycleEventDescription{}}
	if svc != nil {
		t.TargetArn = svc.arn
	}
	for _, ev := range d.events {
		t.LifecycleEvents = append(t.LifecycleEvents, lifecycleEventDescription{LifecycleEventName: ev.name,
			Diagnostics: ev.diag, StartTime: newTime(ev.start), EndTime: newTime(ev.end), Status: ev.status})
	}
	t.TaskSetsInfo = d.finalTaskSets
	if t.TaskSetsInfo == nil {
		t.TaskSetsInfo = e.taskSetsInfo(d, svc)
	}
	return deploymentTarget{DeploymentTargetType: "ECSTarget", EcsTarget: t}
}

// taskSetsInfo describes the deployment's original (Blue) and replacement (Green) task sets as they
// are now, with their share of production traffic.
func (e *Emulator) taskSetsInfo(d *deployment, svc *ecsService) []ecsTaskSetInfo {
	out := []ecsTaskSetInfo{}
	original := d.original
	if original == nil && svc != nil && !d.terminal() {
		original = svc.primary()
	}
	var prod *listener
	if arns := d.group.spec.ProdListenerARNs; len(arns) > 0 {
		prod = e.listenerByARN(arns[0])
	}
	add := func(ts *taskSet, label string) {
		if ts == nil {
			return
		}
		pending, running := ts.counts()
		info := ecsTaskSetInfo{Identifer: ts.id, DesiredCount: ts.desired(), PendingCount: pending,
			RunningCount: running, Status: ts.status, TaskSetLabel: label}
		if ts.tg != nil {
			info.TargetGroup = targetGroupInfo{Name: ts.tg.name}
			if prod != nil {
				info.TrafficWeight = prod.trafficShare(ts.tg)
			}
		}
		out = append(out, info)
	}
	add(original, "Blue")
	add(d.replacement, "Green")
	return out
}

// freezeTarget records the task sets as the deployment ends: GetDeploymentTarget describes the
// deployment, so a later release's weights and counts must not show through.
func (e *Emulator) freezeTarget(d *deployment) {
	d.finalTaskSets = e.taskSetsInfo(d, e.groupService(d.group))
}

type getDeploymentTargetInput struct {
	DeploymentID string `json:"deploymentId"`
	TargetID     string `json:"targetId"`
}

type getDeploymentTargetOutput struct {
	DeploymentTarget deploymentTarget `json:"deploymentTarget"`
}

func (e *Emulator) getDeploymentTarget(_ context.Context, in *getDeploymentTargetInput) (*getDeploymentTargetOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.startedDeployment(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if in.TargetID == "" {
		return nil, clientErr("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
	}
	if in.TargetID != d.targetID() {
		return nil, clientErr("DeploymentTargetDoesNotExistException", "The provided target ID does not belong to the deployment %s.", d.id)
	}
	return &getDeploymentTargetOutput{DeploymentTarget: e.target(d)}, nil
}

type batchGetDeploymentTargetsInput struct {
	DeploymentID string   `json:"deploymentId"`
	TargetIDs    []string `json:"targetIds"`
}

type batchGetDeploymentTargetsOutput struct {
	DeploymentTargets []deploymentTarget `json:"deploymentTargets"`
}

func (e *Emulator) batchGetDeploymentTargets(_ context.Context, in *batchGetDeploymentTargetsInput) (*batchGetDeploymentTargetsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.startedDeployment(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	if len(in.TargetIDs) == 0 {
		return nil, clientErr("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
	}
	if len(in.TargetIDs) > 25 {
		return nil, clientErr("DeploymentTargetListSizeExceededException", "The maximum number of targets that can be requested is 25.")
	}
	out := &batchGetDeploymentTargetsOutput{DeploymentTargets: []deploymentTarget{}}
	for _, id := range in.TargetIDs {
		if id != d.targetID() {
			return nil, clientErr("DeploymentTargetDoesNotExistException", "The provided target ID does not belong to the deployment %s.", d.id)
		}
		out.DeploymentTargets = append(out.DeploymentTargets, e.target(d))
	}
	return out, nil
}
