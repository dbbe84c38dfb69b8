package deployer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// healthVerdict is the state of a target group's targets against what the task set
// wants.
type healthVerdict struct {
	Healthy  int      `json:"healthy"`
	Desired  int      `json:"desired"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
}

// String renders "2/3 healthy; 10.0.1.7:8080 unhealthy (Target.Timeout)".
func (v healthVerdict) String() string {
	s := fmt.Sprintf("%d/%d healthy", v.Healthy, v.Desired)
	if len(v.Problems) > 0 {
		s += "; " + strings.Join(v.Problems, "; ")
	}
	return s
}

// assessTargetHealth decides whether all desired targets are healthy: at least
// desired targets are healthy and none is unhealthy. Draining targets (old tasks
// leaving) do not count either way; initial/unused/unavailable targets are listed
// as problems but only block by not being healthy.
func assessTargetHealth(descs []elbv2types.TargetHealthDescription, desired int) healthVerdict {
	v := healthVerdict{Desired: desired}
	unhealthy := 0
	for _, d := range descs {
		if d.TargetHealth == nil {
			continue
		}
		th := d.TargetHealth
		switch th.State {
		case elbv2types.TargetHealthStateEnumHealthy:
			v.Healthy++
			continue
		case elbv2types.TargetHealthStateEnumDraining:
			continue
		case elbv2types.TargetHealthStateEnumUnhealthy:
			unhealthy++
		}
		v.Problems = append(v.Problems, fmt.Sprintf("%s %s%s", targetID(d.Target), th.State, reasonSuffix(th)))
	}
	sort.Strings(v.Problems)
	switch {
	case desired <= 0:
		v.Problems = append(v.Problems, "the task set wants no tasks")
	case v.Healthy >= desired && unhealthy == 0:
		v.OK = true
	}
	return v
}

func targetID(t *elbv2types.TargetDescription) string {
	if t == nil {
		return "?"
	}
	if t.Port != nil {
		return fmt.Sprintf("%s:%d", aws.ToString(t.Id), *t.Port)
	}
	return aws.ToString(t.Id)
}

func reasonSuffix(th *elbv2types.TargetHealth) string {
	switch {
	case th.Reason != "" && aws.ToString(th.Description) != "":
		return fmt.Sprintf(" (%s: %s)", th.Reason, aws.ToString(th.Description))
	case th.Reason != "":
		return fmt.Sprintf(" (%s)", th.Reason)
	}
	return ""
}
