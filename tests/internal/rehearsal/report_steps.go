package rehearsal

import (
	"sort"
	"time"
)

// StepTraffic is one deployment step of a release: from one change of the production listener's
// weights, as the deployer saw it, to the next (or the release's end), with the weights and the
// production answers of that stretch. Counting by step rather than by fixed time window keeps a
// 10 % canary a 10 % row: a window that straddles the shift to 100 % would show a split that never
// existed.
type StepTraffic struct {
	FromS float64 `json:"from_s"`
	ToS   float64 `json:"to_s"`
	// Blue and Green are CodeDeploy's traffic weights (percent) of the original and replacement.
	Blue  float64 `json:"blue"`
	Green float64 `json:"green"`
	// Requests are production requests answered during the step; AnsweredBy counts them by the
	// version that answered, "failed" for those that got no good answer.
	Requests   int            `json:"requests"`
	AnsweredBy map[string]int `json:"answered_by"`
}

// weightChange is one weight split the deployer recorded, as an offset from the load's start.
type weightChange struct {
	at          time.Duration
	blue, green float64
}

// weightChanges are the release's recorded splits (its result already on real time) as offsets
// from the load's start, each a step lasting until the next or the release's end.
func weightChanges(lg *load, d DeployRun) []weightChange {
	out := make([]weightChange, 0, len(d.Result.Traffic))
	for _, t := range d.Result.Traffic {
		out = append(out, weightChange{at: lg.since(t.At), blue: t.Blue, green: t.Green})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// initSteps makes the release's steps, empty, from its weight changes.
func (rel *ReleaseReport) initSteps() {
	rel.Steps = nil
	for i, c := range rel.steps {
		end := rel.EndS
		if i+1 < len(rel.steps) {
			end = secs(rel.steps[i+1].at)
		}
		rel.Steps = append(rel.Steps, StepTraffic{FromS: secs(c.at), ToS: end, Blue: c.blue, Green: c.green, AnsweredBy: map[string]int{}})
	}
}

// countStep adds a production answer, inside the release's span, to the step it came back in.
func (rel *ReleaseReport) countStep(s sample) {
	i := sort.Search(len(rel.steps), func(i int) bool { return rel.steps[i].at > s.at }) - 1
	if i < 0 {
		return // before the deployer's first look at the weights: no step to put it in
	}
	v := s.version
	if s.err != "" {
		v = "failed"
	}
	rel.Steps[i].Requests++
	rel.Steps[i].AnsweredBy[v]++
}
