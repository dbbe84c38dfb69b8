package deployer

import (
	"context"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// soakMetrics are green's ALB metrics (CloudWatch AWS/ApplicationELB) since the
// soak began.
type soakMetrics struct {
	Requests    float64   // RequestCount of green's target group
	Target5xx   float64   // HTTPCode_Target_5XX_Count: green answered 5xx
	ELB5xx      float64   // HTTPCode_ELB_5XX_Count of the load balancer in the soak's whole minutes: 502/503/504 the ALB generated
	ELBMeasured bool      // the window holds a whole minute, so ELB5xx means something
	ConnErrors  float64   // TargetConnectionErrorCount: the ALB could not connect to a green target
	P99         float64   // seconds
	HasP99      bool      //
	Latest      time.Time // start of the latest minute with a RequestCount datapoint; zero: none
}

// errors counts the requests that failed: green's 5xx, plus the ALB's own 5xx or
// its failed connections to green, whichever is larger. A connection the ALB could
// not make surfaces to the client as an ELB-generated 502/503, so it is already in
// HTTPCode_ELB_5XX_Count; taking the larger of the two counts it once, and still
// counts it when one of the two metrics is missing.
func (m soakMetrics) errors() float64 {
	return m.Target5xx + math.Max(m.ELB5xx, m.ConnErrors)
}

// errorRate is the failed fraction of green's requests. ELB-generated 503s (no
// healthy target) never reach a target and are not in RequestCount: errors with no
// requests at all are a 100% error rate.
func (m soakMetrics) errorRate() float64 {
	switch {
	case m.errors() == 0:
		return 0
	case m.Requests <= 0:
		return 1
	}
	return math.Min(m.errors()/m.Requests, 1)
}

// covers reports whether CloudWatch has a datapoint for the last minute of the
// window [start, end): ALB metrics are published per minute, a minute or more
// late, so the last minute of a soak is judged only once it has arrived.
func (m soakMetrics) covers(start, end time.Time) bool {
	from := start.Truncate(time.Minute)
	last := from.Add((end.Sub(from) - 1) / time.Minute * time.Minute)
	return !m.Latest.IsZero() && !m.Latest.Before(last)
}

// assessMetricsDeadline is how long gate 2 waits after the soak window (which ends
// at end) for CloudWatch's late datapoints: --metrics-lag, but not into the last
// continueHeadroom of the termination wait (termEnd; zero: unknown), so that
// ContinueDeployment or StopDeployment still reaches CodeDeploy before the wait
// ends and blue is terminated on its own.
func assessMetricsDeadline(end time.Time, lag time.Duration, termEnd time.Time) time.Time {
	deadline := end.Add(lag)
	if !termEnd.IsZero() {
		if limit := termEnd.Add(-continueHeadroom); limit.Before(deadline) {
			deadline = limit
		}
	}
	if deadline.Before(end) {
		return end
	}
	return deadline
}

// assessTerminationWaitEnd estimates when the group's termination wait ends: it
// begins when the last traffic lifecycle event (AfterAllowTraffic) ends, or, when
// CodeDeploy reports no such time, at seen (when the deployer first saw it), which
// can only make the estimate later than the truth by one poll.
func assessTerminationWaitEnd(t *cdtypes.ECSTarget, wait time.Duration, seen time.Time) time.Time {
	start := seen
	if t != nil {
		var last time.Time
		for _, ev := range t.LifecycleEvents {
			if contains(trafficEvents, str(ev.LifecycleEventName)) && ev.EndTime != nil && ev.EndTime.After(last) {
				last = *ev.EndTime
			}
		}
		if !last.IsZero() && last.Before(seen) {
			start = last
		}
	}
	return start.Add(wait)
}

// soakQueries are gate 2's CloudWatch queries over one period covering the window,
// plus green's RequestCount per minute ("recent") to see which minutes CloudWatch
// has published. HTTPCode_ELB_5XX_Count has no TargetGroup dimension (the ALB
// generated those answers, maybe without choosing a target): it is counted per load
// balancer, which during the termination wait forwards all production traffic (and
// the test listener's) to green; per minute, so that the minute the soak began in,
// which also holds what happened before (blue's, the test listener's before green),
// can be left out.
func soakQueries(lbArn, tgArn string, period int32) []cwtypes.MetricDataQuery {
	lb := cwtypes.Dimension{Name: aws.String("LoadBalancer"), Value: aws.String(arnResource(lbArn))}
	tg := cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(arnResource(tgArn))}
	q := func(id, metric, stat string, period int32, dims ...cwtypes.Dimension) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(period), Stat: aws.String(stat),
		}}
	}
	return []cwtypes.MetricDataQuery{
		q("requests", "RequestCount", "Sum", period, lb, tg),
		q("errors", "HTTPCode_Target_5XX_Count", "Sum", period, lb, tg),
		q("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum", 60, lb),
		q("connErrors", "TargetConnectionErrorCount", "Sum", period, lb, tg),
		q("p99", "TargetResponseTime", "p99", period, lb, tg),
		q("recent", "RequestCount", "Sum", 60, lb, tg),
	}
}

// readSoakMetrics reads green's metrics over [start, end), one period covering the
// whole window (so p99 is the window's), rounded out to whole minutes. ELB-generated
// 5xx count from the first minute that begins inside the soak.
func (d *Deployer) readSoakMetrics(ctx context.Context, lbArn, tgArn string, start, end time.Time) (soakMetrics, error) {
	from := start.Truncate(time.Minute)
	elbFrom := from
	if elbFrom.Before(start) {
		elbFrom = elbFrom.Add(time.Minute)
	}
	period := int32(math.Ceil(end.Sub(from).Seconds()/60)) * 60
	if period < 60 {
		period = 60
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(from.Add(time.Duration(period) * time.Second)),
		MetricDataQueries: soakQueries(lbArn, tgArn, period),
	}
	m := soakMetrics{ELBMeasured: !end.Before(elbFrom.Add(time.Minute))}
	for {
		out, err := d.c.CloudWatch.GetMetricData(ctx, in)
		if err != nil {
			return m, readError("get metric data for "+targetGroupName(tgArn), err)
		}
		for _, r := range out.MetricDataResults {
			for i, v := range r.Values {
				switch str(r.Id) {
				case "requests":
					m.Requests += v
				case "errors":
					m.Target5xx += v
				case "elb5xx":
					if m.ELBMeasured && i < len(r.Timestamps) && !r.Timestamps[i].Before(elbFrom) {
						m.ELB5xx += v
					}
				case "connErrors":
					m.ConnErrors += v
				case "p99":
					m.P99, m.HasP99 = math.Max(m.P99, v), true
				case "recent":
					if i < len(r.Timestamps) && r.Timestamps[i].After(m.Latest) {
						m.Latest = r.Timestamps[i]
					}
				}
			}
		}
		if out.NextToken == nil {
			return m, nil
		}
		in.NextToken = out.NextToken
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
