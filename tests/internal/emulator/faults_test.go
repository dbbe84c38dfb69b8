package emulator

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFaultsReadsScopedRules(t *testing.T) {
	t.Parallel()
	fs, err := ParseFaults("throttle=0.3, 5xx=0.05,codedeploy:GetDeployment:throttle=0.5,elbv2:5xx=0")
	require.NoError(t, err)
	assert.Equal(t, Faults{
		{Kind: FaultThrottle, Fraction: 0.3},
		{Kind: Fault5xx, Fraction: 0.05},
		{Service: "codedeploy", Action: "GetDeployment", Kind: FaultThrottle, Fraction: 0.5},
		{Service: "elbv2", Kind: Fault5xx},
	}, fs)
	assert.Equal(t, "5xx=0.05,codedeploy:GetDeployment:throttle=0.5,elbv2:5xx=0,throttle=0.3", fs.String())
	again, err := ParseFaults(fs.String())
	require.NoError(t, err)
	assert.ElementsMatch(t, fs, again)
}

func TestTheMostSpecificFaultRuleApplies(t *testing.T) {
	t.Parallel()
	fs, err := ParseFaults("throttle=0.3,5xx=0.05,codedeploy:GetDeployment:throttle=0.5,elbv2:5xx=0")
	require.NoError(t, err)
	for _, c := range []struct {
		svc, action      string
		throttle, server float64
	}{
		{"ecs", "DescribeServices", 0.3, 0.05},
		{"codedeploy", "GetDeployment", 0.5, 0.05},
		{"codedeploy", "GetDeploymentTarget", 0.3, 0.05},
		{"elbv2", "DescribeTargetHealth", 0.3, 0},
	} {
		throttle, server := fs.fractions(c.svc, c.action)
		assert.Equal(t, c.throttle, throttle, "%s:%s throttle", c.svc, c.action)
		assert.Equal(t, c.server, server, "%s:%s 5xx", c.svc, c.action)
	}
}

func TestParseFaultsNamesWhatIsWrongAndWhatIsAllowed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ spec, want string }{
		{"throttle", `fault "throttle": no =fraction (want [service:[Action:]]throttle=F or 5xx=F, F from 0 to 1; services cloudwatch, codedeploy, ecs, elbv2)`},
		{"throttle=30%", `fault "throttle=30%": fraction "30%" is not a number from 0 to 1`},
		{"throttle=1.5", `fraction "1.5" is not a number from 0 to 1`},
		{"drop=0.1", `unknown kind "drop"`},
		{"s3:throttle=0.1", `unknown service "s3"`},
		{"ecs:UpdateService:throttle=0.1", `ecs serves no action "UpdateService" (it serves DescribeServices, DescribeTaskDefinition`},
		{"a:b:c:throttle=0.1", "too many parts"},
		{"throttle=0.7,5xx=0.4", "faults for every service add up to 1.1"},
		{"ecs:throttle=0.1,ecs:throttle=0.2", "ecs:throttle=0.2: this scope and kind are given twice"},
	} {
		_, err := ParseFaults(c.spec)
		require.Error(t, err, c.spec)
		assert.Contains(t, err.Error(), c.want, c.spec)
	}
}

func TestFaultDrawsRepeatFromTheirSeed(t *testing.T) {
	t.Parallel()
	fs, err := ParseFaults("throttle=0.3,5xx=0.1")
	require.NoError(t, err)
	svc := (&Emulator{}).ecsService()
	draw := func(seed uint64) []string {
		f := newFaultInjector(fs, seed)
		var out []string
		for range 200 {
			code := "ok"
			if ae := f.inject(svc, "DescribeServices"); ae != nil {
				code = ae.Shape
			}
			out = append(out, code)
		}
		return out
	}
	first := draw(42)
	assert.Equal(t, first, draw(42), "the same seed draws the same faults")
	assert.NotEqual(t, first, draw(43))
	counts := map[string]int{}
	for _, c := range first {
		counts[c]++
	}
	assert.Positive(t, counts["ThrottlingException"])
	assert.Positive(t, counts["InternalFailure"])
	assert.Positive(t, counts["ServiceUnavailable"])
}
