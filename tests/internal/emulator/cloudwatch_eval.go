package emulator

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator/dataplane"
)

// albNamespace is the CloudWatch namespace of Application Load Balancer metrics.
const albNamespace = "AWS/ApplicationELB"

// validAlarmPeriod reports whether PutMetricAlarm accepts a period: 10, 20, 30 (high resolution) or
// any multiple of 60 seconds.
func validAlarmPeriod(p int) bool { return p == 10 || p == 20 || p == 30 || (p > 0 && p%60 == 0) }

// validQueryPeriod reports whether GetMetricData accepts a period: 1, 5, 10, 20, 30 or any multiple
// of 60 seconds.
func validQueryPeriod(p int) bool { return p == 1 || p == 5 || validAlarmPeriod(p) }

// standardResolution reports whether a period can hold data of a standard-resolution metric. ALB
// publishes one datapoint a minute: CloudWatch accepts a 10-, 20- or 30-second period for an alarm
// or a query on it, but "does not receive data for the attempts that do not correspond to a
// one-minute data resolution" (PutMetricAlarm); the emulator gives such periods no data at all.
func standardResolution(namespace string, periodSeconds int) bool {
	return namespace != albNamespace || periodSeconds%60 == 0
}

// evaluateAlarms evaluates each alarm whenever a new period of its metric has been published.
func (e *Emulator) evaluateAlarms() {
	defer e.wg.Done()
	for e.sleep(e.supervisorTick()) {
		e.mu.Lock()
		now := e.now()
		for _, a := range e.cw.alarms {
			e.evaluateAlarm(a, now)
		}
		e.mu.Unlock()
	}
}

// evaluateAlarm applies CloudWatch's M-out-of-N rule over the last EvaluationPeriods periods,
// with TreatMissingData deciding what periods without data count as. As in CloudWatch it sees only
// whole periods, aligned to the AWS clock, that ended at least the publish delay ago: a request is
// not in any alarm until its minute is over and its datapoint published. It does nothing until a
// new period has become available. now, periods and the delay are AWS time.
func (e *Emulator) evaluateAlarm(a *metricAlarm, now time.Time) {
	s := a.spec
	period := seconds(float64(s.Period))
	if period <= 0 {
		return
	}
	end := now.Add(-seconds(e.publishDelay)).Truncate(period)
	if !end.After(a.evaluatedTo) {
		return
	}
	a.evaluatedTo = end
	stat := s.Statistic
	if stat == "" {
		stat = s.ExtendedStatistic
	}
	var values []float64
	if standardResolution(s.Namespace, s.Period) {
		start := end.Add(-time.Duration(s.EvaluationPeriods) * period)
		_, values = e.queryMetric(s.Namespace, s.MetricName, s.Dimensions, stat, start, end, period)
	}
	present := len(values)
	missing := max(s.EvaluationPeriods-present, 0)
	breaching := 0
	for _, v := range values {
		if compare(s.ComparisonOperator, v, s.Threshold) {
			breaching++
		}
	}
	switch s.TreatMissingData {
	case "breaching":
		breaching += missing
		present += missing
	case "notBreaching":
		present += missing
	case "ignore":
		if present == 0 {
			return
		}
	default:
		if present == 0 {
			e.setAlarmState(a, AlarmInsufficientData, "Insufficient Data: no datapoints were received for "+
				fmt.Sprint(s.EvaluationPeriods)+" periods.", "")
			return
		}
	}
	state := AlarmOK
	if breaching >= s.DatapointsToAlarm {
		state = AlarmAlarm
	}
	verb := "was not"
	if state == AlarmAlarm {
		verb = "was"
	}
	reason := fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints %s %s the threshold (%s) "+
		"(minimum %d datapoint for OK -> ALARM transition).", breaching, s.EvaluationPeriods, verb,
		comparisonWords(s.ComparisonOperator), formatFloat(s.Threshold), s.DatapointsToAlarm)
	if state != a.state || a.reason != reason {
		e.setAlarmState(a, state, reason, "")
	}
}

// rateFactor is what a statistic is multiplied by so that it means what it means in AWS. Requests
// arrive at real rates while an AWS period lasts 1/scale of its real length: a 60 s period lasts one
// real second at 60x and holds one second's worth of requests. Sums and sample counts of
// per-request metrics (RequestCount, HTTPCode_*, TargetConnectionErrorCount, TargetResponseTime's
// SampleCount) are therefore multiplied by the scale, to what the same request rate gives over the
// AWS period (150 real requests/s at 60x read as 9,000 per AWS minute); without it "5 errors a
// minute" would need 60 times AWS's error rate. Averages, extremes and percentiles do not depend on
// the period's length and are left alone, as are the host counts, which are not per-request.
func (e *Emulator) rateFactor(namespace, metric, stat string) float64 {
	switch {
	case namespace != albNamespace, stat != "Sum" && stat != "SampleCount",
		metric == dataplane.MetricHealthyHostCount, metric == dataplane.MetricUnHealthyHostCount:
		return 1
	}
	return float64(e.scale)
}

func compare(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanThreshold":
		return v > threshold
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

func comparisonWords(op string) string {
	switch op {
	case "GreaterThanThreshold":
		return "greater than"
	case "GreaterThanOrEqualToThreshold":
		return "greater than or equal to"
	case "LessThanThreshold":
		return "less than"
	}
	return "less than or equal to"
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprint(f)
}

// queryMetric answers an AWS/ApplicationELB metric over [start, end) in period buckets, all AWS
// time, from the data plane Recorder: the TargetGroup dimension selects a group; a LoadBalancer
// dimension alone aggregates the load balancer's listeners. Other namespaces have no data. The
// Recorder keeps real instants: the window is converted to real time on the clock (linear, so AWS
// buckets are real buckets), each value is stamped with its AWS bucket and scaled by rateFactor.
func (e *Emulator) queryMetric(namespace, metric string, dims []Dimension, stat string, start, end time.Time,
	period time.Duration) ([]time.Time, []float64) {
	if namespace != albNamespace || period <= 0 {
		return nil, nil
	}
	q := dataplane.MetricQuery{Metric: metric, Stat: stat, Start: e.clock.RealTime(start), End: e.clock.RealTime(end),
		Period: e.clock.RealDuration(period)}
	ts, vs := e.queryRecorder(q, dims)
	f := e.rateFactor(namespace, metric, stat)
	for i, t := range ts {
		ts[i] = start.Add(time.Duration(math.Round(float64(t.Sub(q.Start))/float64(q.Period))) * period)
		vs[i] *= f
	}
	return ts, vs
}

// queryRecorder answers a real-time query for the metric's dimensions.
func (e *Emulator) queryRecorder(q dataplane.MetricQuery, dims []Dimension) ([]time.Time, []float64) {
	var lb *loadBalancer
	for _, d := range dims {
		switch d.Name {
		case "TargetGroup":
			g := e.targetGroupBySuffix(d.Value)
			if g == nil {
				return nil, nil
			}
			q.Group = g.dp
		case "LoadBalancer":
			if lb = e.loadBalancerBySuffix(d.Value); lb == nil {
				return nil, nil
			}
		}
	}
	if q.Group != nil || lb == nil || len(e.elb.lbs) == 1 {
		return e.recorder.Query(q)
	}
	return e.queryListeners(q, e.listenersOf(lb))
}

// queryListeners merges one query over several listeners: sums and counts add, extremes combine;
// averages and percentiles are weighted by request counts (an approximation for percentiles).
func (e *Emulator) queryListeners(q dataplane.MetricQuery, ls []*listener) ([]time.Time, []float64) {
	type acc struct{ v, w float64 }
	merged := map[time.Time]*acc{}
	var order []time.Time
	for _, l := range ls {
		q.Listener = l.dp
		ts, vs := e.recorder.Query(q)
		wq := q
		wq.Metric, wq.Stat = "RequestCount", "Sum"
		wts, wvs := e.recorder.Query(wq)
		weights := map[time.Time]float64{}
		for i, t := range wts {
			weights[t] = wvs[i]
		}
		for i, t := range ts {
			a, ok := merged[t]
			if !ok {
				a = &acc{v: math.NaN()}
				merged[t] = a
				order = append(order, t)
			}
			a.v, a.w = mergeStat(q.Stat, a.v, a.w, vs[i], weights[t])
		}
	}
	slices.SortFunc(order, time.Time.Compare)
	values := make([]float64, len(order))
	for i, t := range order {
		values[i] = merged[t].v
	}
	return order, values
}

func mergeStat(stat string, have, haveW, v, w float64) (float64, float64) {
	if math.IsNaN(have) {
		return v, w
	}
	switch {
	case stat == "Sum" || stat == "SampleCount":
		return have + v, haveW + w
	case stat == "Minimum":
		return math.Min(have, v), haveW + w
	case stat == "Maximum":
		return math.Max(have, v), haveW + w
	case haveW+w == 0:
		return (have + v) / 2, 0
	}
	return (have*haveW + v*w) / (haveW + w), haveW + w
}
