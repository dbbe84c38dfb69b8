package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/ai-bluegreen/ai-bluegreen/deployer"
)

// rolledBackAfter is a bad green's release that was rolled back: it served from 100 s to 160 s,
// failing some answers.
func rolledBackAfter() *outcome {
	answers := []answer{{At: at(50), Version: "v1"}}
	for s := 100.0; s <= 160; s += 10 {
		a := answer{At: at(s), Version: "v3"}
		if s >= 120 {
			a.Err = "HTTP 500"
		}
		answers = append(answers, a)
	}
	answers = append(answers, answer{At: at(170), Version: "v1"}, answer{At: at(130), Version: "v3", Stream: true, Err: "cut"})
	return &outcome{scenario: scenario{Tool: ToolDeployer, Tag: "v3"}, Outcome: "rolled_back", ExitCode: 1, Exit: at(400), Answers: answers,
		Result: deployer.Result{Failure: &deployer.Failure{Reason: "gate soak failed"}},
		Deployment: deploymentFacts{Status: "Stopped", Events: map[string]span{"Install": {at(10), at(60)}},
			Rollback: &rollbackFacts{Status: "Succeeded", Created: at(161), Completed: at(220)}}}
}

func TestExposureCountsWhatTheBadGreenAnsweredAndHowLongUntilBlueWasBack(t *testing.T) {
	t.Parallel()
	o := rolledBackAfter()
	e := exposureOf(o, badGreen{Name: "degrading", Bad: failed})
	assert.Equal(t, 7, e.Served, "its production answers, not its streams nor blue's")
	assert.Equal(t, 5, e.Bad)
	assert.Equal(t, at(120), e.FirstBad)
	assert.Equal(t, at(160), e.LastServed)
	took, ok := e.badToBlue()
	assert.True(t, ok)
	assert.Equal(t, 40*time.Second, took)
	rb, ok := e.rollbackTime()
	assert.True(t, ok)
	assert.Equal(t, 210*time.Second, rb, "Install's start to the rollback's end")
	assert.Equal(t, "gate soak failed", e.Reason)

	every := exposureOf(o, badGreen{Name: "disagreeing"})
	assert.Equal(t, 7, every.Bad, "a green whose every answer is wrong")
	assert.Equal(t, at(100), every.FirstBad)
}

func TestAReleasedBadGreenStaysInProduction(t *testing.T) {
	t.Parallel()
	o := rolledBackAfter()
	o.Deployment.Status, o.Deployment.Completed, o.Deployment.Rollback = "Succeeded", at(300), nil
	e := exposureOf(o, badGreen{Name: "slower"})
	assert.True(t, e.Stayed)
	_, ok := e.badToBlue()
	assert.False(t, ok, "production never went back")
	_, ok = e.rollbackTime()
	assert.False(t, ok)
	assert.Contains(t, exposureCell(e, true), "production stays on it")

	never := exposureOf(&outcome{scenario: scenario{Tag: "v3"}, Deployment: deploymentFacts{Status: "Failed"}}, badGreen{Name: "never ready"})
	_, ok = never.badToBlue()
	assert.False(t, ok, "no bad answer: nothing to time")
	assert.Equal(t, " (exit 0); 0 bad of 0 answers", exposureCell(never, true))
}

// With the aws CLI, why a release ended is CodeDeploy's error, with the CLI's own last word when
// it gave up.
func TestTheReasonOfAnAWSCLIReleaseIsCodeDeploysWithTheCLIs(t *testing.T) {
	t.Parallel()
	o := &outcome{CLI: &cliRelease{Processes: []cliRun{{ExitCode: 255, Stderr: "\nWaiter DeploymentSuccessful failed: Max attempts exceeded\n"}}},
		Deployment: deploymentFacts{ErrorMessage: "The deployment timed out."}}
	assert.Equal(t, "The deployment timed out. (Waiter DeploymentSuccessful failed: Max attempts exceeded)", reasonOf(o))
}

func TestTheFirstBadAnswerIsPlacedInItsPhase(t *testing.T) {
	t.Parallel()
	f := goodRelease()
	assert.Equal(t, "termination wait +50s", when(f, at(650)))
	assert.Equal(t, "production traffic shift +1m40s", when(f, at(400)))
	assert.Equal(t, "after the deployment ended +10s", when(f, at(1510)))
	assert.Equal(t, "", when(f, at(5)), "before the deployment")
}

func TestADeploymentStoppedMidShiftEndsItsShiftWhenItEnded(t *testing.T) {
	t.Parallel()
	f := goodRelease()
	f.Status, f.Completed = "Stopped", at(450)
	f.Events["AfterAllowTraffic"] = span{}
	f.Events["AllowTraffic"] = span{at(300), time.Time{}}
	assert.Equal(t, "production traffic shift +1m40s", when(f, at(400)))
	assert.Equal(t, "after the deployment ended +10s", when(f, at(460)))
}
