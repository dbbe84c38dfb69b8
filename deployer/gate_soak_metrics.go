package deployer

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
)

// soakMetrics are green's ALB metrics (CloudWatch AWS/ApplicationELB) over the
// whole minutes that began inside the soak (soakMinutes): the minute the soak began
// in also holds what came before it (gate 1's probes and suite through the test
// listener, the traffic shift), which must not count for or against green.
type soakMetrics struct {
	Requests   float64       // RequestCount of green's target group
	Target5xx  float64       // HTTPCode_Target_5XX_Count: green answered 5xx
	ELB5xx     float64       // HTTPCode_ELB_5XX_Count of the load balancer: 502/503/504 the ALB generated
	ConnErrors float64       // TargetConnectionErrorCount: the ALB could not connect to a green target
	P99        float64       // seconds
	HasP99     bool          // CloudWatch had a p99 datapoint
	Latest     time.Time     // start of the latest minute with a RequestCount datapoint; zero: none
	Minutes    []shiftMinute // green's figures per published minute of the window (for charts; the gate judges the totals)
	From, To   time.Time     // the CloudWatch window counted: [From, To); empty when no whole minute began inside the soak
	Start, End time.Time     // the soak window it was clipped from
}

// measured says a whole minute began inside the soak, so the counts mean something.
func (m soakMetrics) measured() bool { return m.To.After(m.From) }

// soakMinutes is the CloudWatch window gate 2 counts for the soak [start, end):
// the whole minutes that begin inside it, [from, to). ok is false when none does.
func soakMinutes(start, end time.Time) (from, to time.Time, ok bool) {
	from, to = start.Truncate(time.Minute), end.Truncate(time.Minute)
	if from.Before(start) {
		from = from.Add(time.Minute)
	}
	if to.Before(end) {
		to = to.Add(time.Minute)
	}
	return from, to, to.After(from)
}

// window describes the clipped window for the gate's evidence.
func (m soakMetrics) window() string {
	const hms = "15:04:05Z"
	switch {
	case m.Start.IsZero():
		return "no CloudWatch metrics read: no load balancer to read them for (--load-balancer-arn)"
	case !m.measured():
		return fmt.Sprintf("no CloudWatch metrics counted: no whole minute began inside the soak (%s–%s); the minute it began in also holds gate 1's probes and the traffic shift",
			m.Start.UTC().Format(hms), m.End.UTC().Format(hms))
	}
	return fmt.Sprintf("CloudWatch window %s–%s: the whole minutes that began inside the soak (%s–%s); what came before it (gate 1's probes, the traffic shift) is not counted",
		m.From.UTC().Format(hms), m.To.UTC().Format(hms), m.Start.UTC().Format(hms), m.End.UTC().Format(hms))
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

// covers reports whether CloudWatch has a datapoint for the last whole minute of
// the soak [start, end) (soakMinutes): ALB metrics are published per minute, a
// minute or more late, so the last minute of a soak is judged only once it has
// arrived. A soak with no whole minute has nothing to wait for.
func (m soakMetrics) covers(start, end time.Time) bool {
	_, to, ok := soakMinutes(start, end)
	if !ok {
		return true
	}
	return !m.Latest.IsZero() && !m.Latest.Before(to.Add(-time.Minute))
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
			if slices.Contains(trafficEvents, aws.ToString(ev.LifecycleEventName)) && ev.EndTime != nil && ev.EndTime.After(last) {
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
// has published, and green's other figures per minute ("m_…", for the step
// summary's charts: the gate judges the window's totals). HTTPCode_ELB_5XX_Count has no TargetGroup dimension (the ALB
// generated those answers, maybe without choosing a target): it is counted per load
// balancer, which during the termination wait forwards all production traffic (and
// the test listener's) to green.
func soakQueries(lbArn, tgArn string, period int32) []cwtypes.MetricDataQuery {
	lb := cwtypes.Dimension{Name: aws.String("LoadBalancer"), Value: aws.String(arnResource(lbArn))}
	tg := cwtypes.Dimension{Name: aws.String("TargetGroup"), Value: aws.String(arnResource(tgArn))}
	return []cwtypes.MetricDataQuery{
		albMetricQuery("requests", "RequestCount", "Sum", period, lb, tg),
		albMetricQuery("errors", "HTTPCode_Target_5XX_Count", "Sum", period, lb, tg),
		albMetricQuery("elb5xx", "HTTPCode_ELB_5XX_Count", "Sum", period, lb),
		albMetricQuery("connErrors", "TargetConnectionErrorCount", "Sum", period, lb, tg),
		albMetricQuery("p99", "TargetResponseTime", "p99", period, lb, tg),
		albMetricQuery("recent", "RequestCount", "Sum", 60, lb, tg),
		albMetricQuery("m_t5xx", "HTTPCode_Target_5XX_Count", "Sum", 60, lb, tg),
		albMetricQuery("m_conn", "TargetConnectionErrorCount", "Sum", 60, lb, tg),
		albMetricQuery("m_elb5xx", "HTTPCode_ELB_5XX_Count", "Sum", 60, lb),
		albMetricQuery("m_p95", "TargetResponseTime", "p95", 60, lb, tg),
		albMetricQuery("m_p99", "TargetResponseTime", "p99", 60, lb, tg),
	}
}

// soakMinuteFigure stores one of soakQueries' per-minute datapoints ("recent",
// "m_…") in the minute it belongs to.
func soakMinuteFigure(minutes map[time.Time]*shiftMinute, id string, start time.Time, v float64) {
	rest, ok := strings.CutPrefix(id, "m_")
	if id == "recent" {
		rest, ok = "requests", true
	}
	if !ok {
		return
	}
	m := minutes[start]
	if m == nil {
		m = &shiftMinute{Start: start}
		minutes[start] = m
	}
	if rest == "elb5xx" {
		m.ELB5xx += v
		return
	}
	setShiftFigure(m, "g_"+rest, v)
}
