package emulator

import (
	"fmt"
	"math"
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

// evaluateAlarm evaluates an alarm over the last EvaluationPeriods periods (see assessAlarm). As in
// CloudWatch it sees only whole periods, aligned to the AWS clock, that ended at least the publish
// delay ago: a request is not in any alarm until its minute is over and its datapoint published. It
// does nothing until a new period has become available. now, periods and the delay are AWS time.
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
	var points []alarmDatapoint
	if standardResolution(s.Namespace, s.Period) {
		start := end.Add(-time.Duration(s.EvaluationPeriods) * period)
		points = e.alarmDatapoints(s, start, end, period)
	}
	state, reason, change := assessAlarm(s, points)
	if change && (state != a.state || a.reason != reason) {
		e.setAlarmState(a, state, reason, "")
	}
}

// alarmDatapoints are the periods of [start, end) that have data, each with its statistic and, when
// the low-sample rule needs it, its sample count, both in AWS terms (queryMetric).
func (e *Emulator) alarmDatapoints(s MetricAlarmInput, start, end time.Time, period time.Duration) []alarmDatapoint {
	stat := s.Statistic
	if stat == "" {
		stat = s.ExtendedStatistic
	}
	m := metric{Namespace: s.Namespace, MetricName: s.MetricName, Dimensions: s.Dimensions}
	ts, vs := e.queryMetric(m, stat, s.Unit, start, end, period)
	counts := map[time.Time]float64{}
	if lowSampleMinimum(s) > 0 {
		cts, cvs := e.queryMetric(m, "SampleCount", s.Unit, start, end, period)
		for i, t := range cts {
			counts[t] = cvs[i]
		}
	}
	points := make([]alarmDatapoint, len(ts))
	for i, t := range ts {
		points[i] = alarmDatapoint{value: vs[i], samples: counts[t], newest: !t.Add(period).Before(end)}
	}
	return points
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

// queryMetric answers an AWS/ApplicationELB metric over [start, end) in period buckets, all AWS time,
// from the data plane Recorder, for the dimensions ALB publishes it with: LoadBalancer (its
// listeners), with TargetGroup for the per-group metrics. As in CloudWatch, any other combination of
// dimensions, a unit the metric is not published in, or another namespace has no data. The Recorder
// keeps real instants: the window is converted to real time on the clock (linear, so AWS buckets are
// real buckets), and each value is stamped with its AWS bucket and scaled by rateFactor.
func (e *Emulator) queryMetric(m metric, stat, unit string, start, end time.Time, period time.Duration) ([]time.Time, []float64) {
	names := make([]string, len(m.Dimensions))
	for i, d := range m.Dimensions {
		names[i] = d.Name
	}
	if m.Namespace != albNamespace || period <= 0 || !dataplane.Published(m.MetricName, names) ||
		(unit != "" && unit != dataplane.Unit(m.MetricName)) {
		return nil, nil
	}
	q := dataplane.MetricQuery{Metric: m.MetricName, Stat: stat, Start: e.clock.RealTime(start), End: e.clock.RealTime(end),
		Period: e.clock.RealDuration(period)}
	for _, d := range m.Dimensions {
		switch d.Name {
		case dataplane.DimensionTargetGroup:
			g := e.targetGroupBySuffix(d.Value)
			if g == nil {
				return nil, nil
			}
			q.Group = g.dp
		case dataplane.DimensionLoadBalancer:
			lb := e.loadBalancerBySuffix(d.Value)
			if lb == nil {
				return nil, nil
			}
			q.Listeners = []*dataplane.Listener{}
			for _, l := range e.listenersOf(lb) {
				q.Listeners = append(q.Listeners, l.dp)
			}
		}
	}
	ts, vs := e.recorder.Query(q)
	f := e.rateFactor(m.Namespace, m.MetricName, stat)
	for i, t := range ts {
		ts[i] = start.Add(time.Duration(math.Round(float64(t.Sub(q.Start))/float64(q.Period))) * period)
		vs[i] *= f
	}
	return ts, vs
}
