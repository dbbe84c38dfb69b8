package deployer

import "time"

// minutesJudged counts the whole CloudWatch minutes a gate judged, for
// GateResult.MinutesJudged: the minutes that begin inside [start, end)
// (soakMinutes: the minute a gate began in also holds what came before it) up to
// and including latest, the start of the newest minute CloudWatch had published
// when the gate judged (zero: none). ALB metrics arrive a minute or more late, so
// the minutes after latest were not seen; a minute before it without a datapoint
// had no requests (CloudWatch publishes nothing, not 0) and was judged as such.
func minutesJudged(start, end, latest time.Time) int {
	from, to, ok := soakMinutes(start, end)
	if !ok || latest.IsZero() || latest.Before(from) {
		return 0
	}
	if seen := latest.Truncate(time.Minute).Add(time.Minute); seen.Before(to) {
		to = seen
	}
	return int(to.Sub(from) / time.Minute)
}
