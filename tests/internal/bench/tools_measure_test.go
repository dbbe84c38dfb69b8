package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// goodRelease is a canary release: created at 10 s, Ready at 200 s, shift 300–600 s, termination
// wait to 1500 s, blue removed then.
func goodRelease() deploymentFacts {
	return deploymentFacts{Status: "Succeeded", Created: at(10), Completed: at(1500), Events: map[string]span{
		"Install": {at(11), at(190)}, "AfterAllowTestTraffic": {at(199), at(200)},
		"AllowTraffic": {at(300), at(599)}, "AfterAllowTraffic": {at(599), at(600)}}}
}

// The aws CLI's release: created at 10 s, polled every 15 s, continued by the operator at 500 s,
// the last poll 8 s after Succeeded, and the process out 20 s after that.
func TestAToolsReleaseIsTimedFromItsCreateDeploymentToItsExit(t *testing.T) {
	t.Parallel()
	calls := []emulator.Call{call(5, CallerAWSDeploy, "RegisterTaskDefinition", "", ""), call(10, CallerAWSDeploy, "CreateDeployment", "", "")}
	for s := 23.0; s <= 1508; s += 15 {
		calls = append(calls, call(s, CallerAWSDeploy, "GetDeployment", "", ""))
	}
	calls = append(calls, call(470, CallerOperator, "GetDeployment", "", ""), call(500, CallerOperator, "ContinueDeployment", "", ""))
	o := &outcome{scenario: scenario{Tool: ToolAWSDeploy}, Outcome: "released", Exit: at(1528), Calls: sortCalls(calls), Deployment: goodRelease(),
		Scale: 60, CLI: &cliRelease{Processes: []cliRun{{Start: at(-55), End: at(6)}, {Start: at(7), End: at(11)}}}}
	r := toolRowOf(o)
	assert.True(t, r.ok)
	assert.Equal(t, 1518*time.Second, r.Wall)
	assert.Equal(t, 300*time.Second, r.ReadyToContinue, "the operator's")
	assert.Equal(t, 900*time.Second, r.BlueAfterShift)
	assert.Equal(t, 8*time.Second, r.SucceededToLastCall)
	assert.Equal(t, 28*time.Second, r.SucceededToExit)
	assert.Equal(t, 1+100, r.Calls, "CreateDeployment and its polls, not the registration before it")
	assert.Equal(t, 2, r.OperatorCalls)
	assert.Equal(t, 525*time.Millisecond, r.Startup, "60 and 3 AWS seconds to the processes' first calls: (60+3)/2/60 real s")
	assert.Equal(t, "install and test traffic", r.Rates[0].Name)
	assert.Equal(t, 13, r.Rates[0].Calls, "CreateDeployment and 12 polls up to 200 s")
}

// The deployer notices Ready at its next poll, runs gate ready and continues at once after the
// verdict; the same for the termination wait and gate soak.
func TestTheDeployersReactionIsItsNextPollGateAndWrite(t *testing.T) {
	t.Parallel()
	calls := []emulator.Call{call(199, CallerDeployer, "GetDeployment", "", ""), call(201, CallerDeployer, "GetDeployment", "", ""),
		call(202, CallerDeployer, "DescribeTargetHealth", "", ""), call(240, CallerDeployer, "ContinueDeployment", "", ""),
		call(604, CallerDeployer, "GetDeployment", "", ""), call(1000, CallerDeployer, "ContinueDeployment", "", "")}
	o := &outcome{Calls: calls, Deployment: goodRelease(), Result: deployer.Result{Gates: []*deployer.GateResult{
		{Name: "ready", Start: at(201), End: at(239)}, {Name: "soak", Start: at(604), End: at(999.5)}}}}
	got := reactions(o)
	assert.Equal(t, []reaction{
		{Change: "Ready", Gate: "ready", Noticed: time.Second, GateRan: 38 * time.Second, Write: "ContinueDeployment", WriteAfter: 40 * time.Second, AfterVerdict: time.Second},
		{Change: "termination wait started", Gate: "soak", Noticed: 4 * time.Second, GateRan: 395500 * time.Millisecond, Write: "ContinueDeployment", WriteAfter: 400 * time.Second, AfterVerdict: 500 * time.Millisecond},
	}, got)
}
