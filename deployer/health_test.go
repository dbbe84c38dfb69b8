package deployer

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
