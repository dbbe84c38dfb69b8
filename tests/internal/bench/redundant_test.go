package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// A poll that reads the deployment and its target, followed at once by a gate that reads both
// again and gets the same answers, repeats two reads: redundant. A later poll that finds the same
// answers is the price of polling, not redundant; a read after a write, or with another answer,
// is neither.
func TestARereadInTheSameStepWithTheSameAnswerIsRedundant(t *testing.T) {
	t.Parallel()
	calls := []emulator.Call{
		call(10.00, "d", "GetDeployment", "dep", "ready"),
		call(10.02, "d", "GetDeploymentTarget", "tgt", "t1"),
		call(10.04, "d", "GetDeployment", "dep", "ready"),       // the gate's own poll: redundant
		call(10.06, "d", "GetDeploymentTarget", "tgt", "t1"),    // redundant
		call(10.08, "d", "DescribeTargetHealth", "green", "h1"), // first read of green
		call(12.00, "d", "GetDeployment", "dep", "ready"),       // the next poll: unchanged, not redundant
		call(12.02, "d", "GetDeploymentTarget", "tgt", "t2"),    // changed
		call(12.03, "d", "ContinueDeployment", "dep", ""),
		call(12.04, "d", "GetDeployment", "dep", "ready"), // after a write: a fresh look
		call(12.05, "d", "GetDeploymentTarget", "tgt", "t2"),
	}
	calls = append(calls, emulator.Call{At: at(12.06), Service: "codedeploy", Action: "GetDeployment", Input: "dep", Error: "ThrottlingException"})
	phases := []phase{{"waiting in Ready", at(0), at(100)}}
	stats := readAnalysis(calls, phases)
	require.Len(t, stats, 3)
	dep, tgt, health := stats[0], stats[1], stats[2]
	assert.Equal(t, readStats{Op: "codedeploy:GetDeployment", Calls: 5, Unchanged: 2, Redo: 1,
		Between: "GetDeploymentTarget", Phases: []string{"waiting in Ready"}}, dep, "a throttled call is a call, and no answer")
	assert.Equal(t, readStats{Op: "codedeploy:GetDeploymentTarget", Calls: 4, Unchanged: 1, Redo: 1,
		Between: "GetDeployment", Phases: []string{"waiting in Ready"}}, tgt)
	assert.Equal(t, readStats{Op: "elbv2:DescribeTargetHealth", Calls: 1}, health)
}

func TestReadsOfOtherInputsAreNoRepeat(t *testing.T) {
	t.Parallel()
	stats := readAnalysis([]emulator.Call{
		call(1.0, "d", "DescribeListeners", "prod", "x"),
		call(1.1, "d", "DescribeListeners", "test", "x"),
		call(1.2, "d", "DescribeListeners", "prod", "x"),
	}, nil)
	require.Len(t, stats, 1)
	assert.Equal(t, 1, stats[0].Redo)
	assert.Equal(t, "DescribeListeners", stats[0].Between, "the test listener's read in between")
	assert.Equal(t, []string{""}, stats[0].Phases, "outside every phase")
}
