package deployer

import (
	"testing"
	"time"

	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
)

func TestAssessTrafficRouting(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  *cdtypes.TrafficRoutingConfig
		want time.Duration
	}{
		{"all at once shifts at once", &cdtypes.TrafficRoutingConfig{Type: "AllAtOnce"}, 0},
		{"no routing config is all at once", nil, 0},
		{"canary takes one interval", &cdtypes.TrafficRoutingConfig{Type: "TimeBasedCanary", TimeBasedCanary: &cdtypes.TimeBasedCanary{CanaryPercentage: 10, CanaryInterval: 5}}, 5 * time.Minute},
		{"linear takes one interval per step", &cdtypes.TrafficRoutingConfig{Type: "TimeBasedLinear", TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 10, LinearInterval: 3}}, 30 * time.Minute},
		{"linear rounds the last partial step up", &cdtypes.TrafficRoutingConfig{Type: "TimeBasedLinear", TimeBasedLinear: &cdtypes.TimeBasedLinear{LinearPercentage: 30, LinearInterval: 1}}, 4 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, got := assessTrafficRouting(tc.cfg)
			assert.Equal(t, tc.want, got)
		})
	}
}
