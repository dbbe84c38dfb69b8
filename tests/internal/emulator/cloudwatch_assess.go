package emulator

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// EvaluateLowSampleCountPercentile values.
const (
	lowSampleEvaluate = "evaluate"
	lowSampleIgnore   = "ignore"
)

// alarmDatapoint is one period of an alarm's window that has data.
type alarmDatapoint struct {
	value   float64 // the statistic, in AWS terms (see rateFactor)
	samples float64 // the period's sample count in AWS terms; only read when lowSampleMinimum > 0
	newest  bool    // the period whose publication triggered this evaluation
}

// assessAlarm applies CloudWatch's M-out-of-N rule to the datapoints of the last EvaluationPeriods
// periods, with TreatMissingData deciding what periods without data count as. change is false when
// the alarm keeps its state.
//
// A percentile alarm with EvaluateLowSampleCountPercentile=ignore "does not change state during
// periods with too few data points to be statistically significant" (PutMetricAlarm; "Percentile-based
// alarms and low data samples" in the CloudWatch user guide), fewer than lowSampleMinimum: when the
// newest period has too few samples the alarm keeps its state. AWS documents nothing finer for
// several periods; the emulator leaves an older low-sample period out of the count altogether (it is
// neither breaching, nor missing data), and keeps the state when every period with data is one.
func assessAlarm(s MetricAlarmInput, points []alarmDatapoint) (state, reason string, change bool) {
	minimum := lowSampleMinimum(s)
	var present, breaching, low int
	for _, p := range points {
		if p.samples < minimum {
			if p.newest {
				return "", "", false
			}
			low++
			continue
		}
		present++
		if compare(s.ComparisonOperator, p.value, s.Threshold) {
			breaching++
		}
	}
	missing := max(s.EvaluationPeriods-len(points), 0)
	switch {
	case present == 0 && low > 0:
		return "", "", false
	case s.TreatMissingData == "breaching":
		breaching += missing
	case s.TreatMissingData == "notBreaching":
	case present == 0 && s.TreatMissingData == "ignore":
		return "", "", false
	case present == 0:
		return AlarmInsufficientData, fmt.Sprintf("Insufficient Data: no datapoints were received for %d periods.",
			s.EvaluationPeriods), true
	}
	state, verb := AlarmOK, "was not"
	if breaching >= s.DatapointsToAlarm {
		state, verb = AlarmAlarm, "was"
	}
	reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints %s %s the threshold (%s) "+
		"(minimum %d datapoint for OK -> ALARM transition).", breaching, s.EvaluationPeriods, verb,
		comparisonWords(s.ComparisonOperator), formatFloat(s.Threshold), s.DatapointsToAlarm)
	return state, reason, true
}

// lowSampleMinimum is the fewest samples a period needs for an alarm to judge it: 10/(1-p) for a
// percentile p in [0.5, 1) and 10/p for p in (0, 0.5) (1,000 for p99, 200 for p95), when the alarm
// ignores low sample counts; 0 otherwise.
func lowSampleMinimum(s MetricAlarmInput) float64 {
	stat := s.ExtendedStatistic
	p, err := strconv.ParseFloat(strings.TrimPrefix(stat, "p"), 64)
	if s.EvaluateLowSampleCountPercentile != lowSampleIgnore || !strings.HasPrefix(stat, "p") || err != nil ||
		p <= 0 || p >= 100 {
		return 0
	}
	m := 1000 / p
	if p >= 50 {
		m = 1000 / (100 - p)
	}
	return math.Round(m*1e6) / 1e6 // 100-99.9 is 0.09999999999999432 in floating point
}
