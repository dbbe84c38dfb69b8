package deployer

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// shiftMetricStats are the per-target-group figures the shift gate reads, by
// query id suffix. HealthyHostCount is published every minute whether or not
// requests came, so a minute with only it is a published minute without traffic.
var shiftMetricStats = []struct{ id, metric, stat string }{
	{"requests", "RequestCount", "Sum"},
	{"t5xx", "HTTPCode_Target_5XX_Count", "Sum"},
	{"conn", "TargetConnectionErrorCount", "Sum"},
	{"p95", "TargetResponseTime", "p95"},
	{"p99", "TargetResponseTime", "p99"},
	{"healthy", "HealthyHostCount", "Maximum"},
}

// shiftQueries are the shift gate's CloudWatch queries: shiftMetricStats for
// blue ("b_…") and green ("g_…"), and the load balancer's own 5xx ("elb5xx"),
// which has no TargetGroup dimension. period is 60 for the shift's minutes, or
// the whole window before the shift for its baseline (one datapoint, whose
// percentiles are the window's).
func shiftQueries(lbArn, blueTG, greenTG string, period int32) []cwtypes.MetricDataQuery {
	lb := cwtypes.Dimension{Name: aws.String("LoadBalancer"), Value: aws.String(arnResource(lbArn))}
	var out []cwtypes.MetricDataQuery
	for _, side := range []struct{ prefix, arn string }{{"b_", blueTG}, {"g_", greenTG}} {
		tg := cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(arnResource(side.arn))}
		for _, s := range shiftMetricStats {
			out = append(out, albMetricQuery(side.prefix+s.id, s.metric, s.stat, period, lb, tg))
		}
	}
	return append(out, albMetricQuery("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum", period, lb))
}

// parseShiftMetrics turns shiftQueries' answers into minutes (one per
// timestamp, oldest first) and the newest timestamp CloudWatch answered for
// (zero: none). Timestamps before from are dropped: an endpoint that rounds the
// start down must not bring the minute before the shift back in.
func parseShiftMetrics(results []cwtypes.MetricDataResult, from time.Time) (minutes []shiftMinute, latest time.Time) {
	byStart := map[time.Time]*shiftMinute{}
	for _, r := range results {
		for i, v := range r.Values {
			if i >= len(r.Timestamps) || r.Timestamps[i].Before(from) {
				continue
			}
			ts := r.Timestamps[i]
			m := byStart[ts]
			if m == nil {
				m = &shiftMinute{Start: ts}
				byStart[ts] = m
			}
			setShiftFigure(m, aws.ToString(r.Id), v)
			if ts.After(latest) {
				latest = ts
			}
		}
	}
	return sortedMinutes(byStart), latest
}

// sortedMinutes lists minutes by start, oldest first.
func sortedMinutes(byStart map[time.Time]*shiftMinute) []shiftMinute {
	var minutes []shiftMinute
	for _, m := range byStart {
		minutes = append(minutes, *m)
	}
	slices.SortFunc(minutes, func(a, b shiftMinute) int { return a.Start.Compare(b.Start) })
	return minutes
}

// setShiftFigure stores one datapoint by its query id.
func setShiftFigure(m *shiftMinute, id string, v float64) {
	if id == "elb5xx" {
		m.ELB5xx += v
		return
	}
	side := &m.Blue
	if rest, ok := strings.CutPrefix(id, "g_"); ok {
		side, id = &m.Green, rest
	} else if rest, ok := strings.CutPrefix(id, "b_"); ok {
		id = rest
	} else {
		return
	}
	switch id {
	case "requests":
		side.Requests += v
	case "t5xx":
		side.Target5xx += v
	case "conn":
		side.ConnErrors += v
	case "p95":
		side.P95, side.HasP95 = v, true
	case "p99":
		side.P99, side.HasP99 = v, true
	case "healthy":
		side.Healthy, side.HasHealthy = v, true
	}
}

// shiftBaselineOf sums the periods read for the window before the shift
// (shiftQueries with one period covering it gives one): counts add up, and each
// percentile is the largest of the periods', the one most lenient to green.
func shiftBaselineOf(periods []shiftMinute) shiftBaseline {
	var b shiftBaseline
	for _, m := range periods {
		b.ELB5xx += m.ELB5xx
		b.Blue.Requests += m.Blue.Requests
		b.Blue.Target5xx += m.Blue.Target5xx
		b.Blue.ConnErrors += m.Blue.ConnErrors
		if m.Blue.HasP95 {
			b.Blue.P95, b.Blue.HasP95 = math.Max(b.Blue.P95, m.Blue.P95), true
		}
		if m.Blue.HasP99 {
			b.Blue.P99, b.Blue.HasP99 = math.Max(b.Blue.P99, m.Blue.P99), true
		}
	}
	return b
}

// shiftThresholds are the defaults with gate 1's p95 limit (--max-p95-ratio,
// --min-p95-increase): a green that gate 1 would call slow at p95 is slow in a
// CloudWatch minute too.
func (d *Deployer) shiftThresholds() shiftThresholds {
	th := defaultShiftThresholds()
	th.P95 = latencyLimit{Ratio: d.o.MaxP95Ratio, Floor: d.o.MinP95Increase}
	return th
}

// shiftMinutesCheck reads blue's baseline and the shift's whole minutes so far
// (only minutes that have ended: a minute in progress has partial datapoints)
// and judges them (assessShiftMinutes). The minute the shift began in holds
// both before and after: it is neither baseline nor judged.
func (d *Deployer) shiftMinutesCheck(ctx context.Context, sw *shiftWatch) error {
	results, err := d.readShiftMetrics(ctx, sw.lb, sw.blue.Arn, sw.green.Arn, sw.baseFrom, d.clock.Now().Truncate(time.Minute))
	if err != nil {
		return err
	}
	all, _ := parseShiftMetrics(results, sw.baseFrom)
	startMinute := sw.start.Truncate(time.Minute)
	from, _, _ := soakMinutes(sw.start, sw.start.Add(time.Minute))
	var before, during []shiftMinute
	for _, m := range all {
		switch {
		case m.Start.Before(startMinute):
			before = append(before, m)
		case !m.Start.Before(from):
			during = append(during, m)
			sw.latest = maxTime(sw.latest, m.Start)
		}
	}
	v := assessShiftMinutes(during, shiftBaselineOf(before), d.shiftThresholds())
	sw.minutes, sw.judged = &v, during
	if !v.OK {
		return &GateError{Gate: GateShift, Reason: "CloudWatch: " + v.Reason}
	}
	return nil
}
