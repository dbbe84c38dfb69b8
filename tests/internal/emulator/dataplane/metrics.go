package dataplane

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AWS/ApplicationELB metric names the Recorder answers.
const (
	MetricRequestCount       = "RequestCount"
	MetricTarget2XX          = "HTTPCode_Target_2XX_Count"
	MetricTarget3XX          = "HTTPCode_Target_3XX_Count"
	MetricTarget4XX          = "HTTPCode_Target_4XX_Count"
	MetricTarget5XX          = "HTTPCode_Target_5XX_Count"
	MetricELB4XX             = "HTTPCode_ELB_4XX_Count"
	MetricELB5XX             = "HTTPCode_ELB_5XX_Count"
	MetricELB500             = "HTTPCode_ELB_500_Count"
	MetricELB502             = "HTTPCode_ELB_502_Count"
	MetricELB503             = "HTTPCode_ELB_503_Count"
	MetricELB504             = "HTTPCode_ELB_504_Count"
	MetricTargetResponseTime = "TargetResponseTime"
	// MetricTargetConnectionErrorCount counts connections to a target that could not be
	// established: each is a request the load balancer answered 502 itself.
	MetricTargetConnectionErrorCount = "TargetConnectionErrorCount"
	MetricHealthyHostCount           = "HealthyHostCount"
	MetricUnHealthyHostCount         = "UnHealthyHostCount"
)

// CloudWatch dimension names of AWS/ApplicationELB metrics.
const (
	DimensionLoadBalancer     = "LoadBalancer"
	DimensionTargetGroup      = "TargetGroup"
	DimensionAvailabilityZone = "AvailabilityZone"
)

// Retention bounds: enough for any alarm or report of a time-scaled release.
const (
	defaultRetention           = 30 * time.Minute
	defaultMaxRequestsRetained = 1_000_000
)

// MetricQuery asks for one AWS/ApplicationELB metric statistic over [Start, End) in Period buckets.
// Listeners and Group filter like CloudWatch's LoadBalancer and TargetGroup dimensions (a load
// balancer is the set of its listeners); nil means any. A metric ALB does not publish per target
// group (HTTPCode_ELB_*) has no data for a Group, and the host counts have data only for one.
type MetricQuery struct {
	Listeners  []*Listener
	Group      *TargetGroup
	Metric     string
	Stat       string
	Start, End time.Time
	Period     time.Duration
}

// Recorder keeps what CloudWatch's AWS/ApplicationELB namespace would report: one sample per request
// a listener handled and every change of a group's healthy/unhealthy host counts. Memory is bounded:
// samples older than the retention window (30 real minutes, i.e. 30 AWS hours at scale 60) are
// dropped, and at most one million request samples are kept. A nil *Recorder records nothing.
type Recorder struct {
	mu         sync.Mutex
	retention  time.Duration
	maxSamples int
	requests   []requestSample // in time order: appended with a timestamp taken under mu
	hosts      map[*TargetGroup][]hostSample
}

// requestSample is one request as an ALB access log line would describe it.
type requestSample struct {
	at       time.Time // when the load balancer sent the response, as in ALB access logs
	listener *Listener
	group    *TargetGroup // nil when no group was chosen
	target   bool         // the load balancer chose a target (else it answered 503 for want of one)
	code     int
	elb      bool    // the load balancer generated the response (502/503/504 ...)
	connErr  bool    // the load balancer could not connect to the target (a 502)
	rt       float64 // target response time in seconds; -1 when the target did not respond
}

type hostSample struct {
	at                 time.Time
	healthy, unhealthy int
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{retention: defaultRetention, maxSamples: defaultMaxRequestsRetained,
		hosts: map[*TargetGroup][]hostSample{}}
}

func (r *Recorder) recordRequest(s requestSample) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.at = time.Now()
	r.requests = append(r.requests, s)
	r.pruneLocked(s.at)
}

func (r *Recorder) recordHosts(g *TargetGroup, healthy, unhealthy int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.hosts[g] = append(r.hosts[g], hostSample{at: now, healthy: healthy, unhealthy: unhealthy})
	r.pruneLocked(now)
}

// pruneLocked drops request samples past the retention window or the size cap, and host samples past
// the window except the last one before it, which still gives the count in effect at its start.
func (r *Recorder) pruneLocked(now time.Time) {
	cutoff := now.Add(-r.retention)
	i := sort.Search(len(r.requests), func(i int) bool { return !r.requests[i].at.Before(cutoff) })
	i = max(i, len(r.requests)-r.maxSamples)
	if i > 0 && i >= len(r.requests)/4 { // amortise: copy only when a good part is stale
		r.requests = slices.Clone(r.requests[i:])
	}
	for g, hs := range r.hosts {
		j := sort.Search(len(hs), func(j int) bool { return !hs[j].at.Before(cutoff) })
		if j > 1 {
			r.hosts[g] = slices.Clone(hs[j-1:])
		}
	}
}

// Query answers q with one value per period that has data, in ascending time order, each stamped with
// the start of its period; periods are aligned to q.Start. Like CloudWatch, periods without samples
// are left out rather than reported as zero. Percentiles are exact over the period's samples (nearest
// rank). An unknown metric or statistic, a dimension the metric is not published with, or a
// non-positive period yields nothing.
func (r *Recorder) Query(q MetricQuery) (timestamps []time.Time, values []float64) {
	if r == nil || q.Period <= 0 || !q.End.After(q.Start) {
		return nil, nil
	}
	stat, ok := parseStat(q.Stat)
	def, known := metricDefs[q.Metric]
	if !ok || !known || (q.Group != nil && def.scope == scopeLoadBalancer) || (q.Group == nil && def.scope == scopeGroup) {
		return nil, nil
	}
	n := int((q.End.Sub(q.Start) + q.Period - 1) / q.Period)
	buckets := make([][]float64, n)
	r.mu.Lock()
	if def.value == nil {
		r.hostBucketsLocked(q, buckets)
	} else {
		r.requestBucketsLocked(q, def.value, buckets)
	}
	r.mu.Unlock()
	for i, b := range buckets {
		if len(b) == 0 {
			continue
		}
		timestamps = append(timestamps, q.Start.Add(time.Duration(i)*q.Period))
		values = append(values, stat(b))
	}
	return timestamps, values
}

func (r *Recorder) requestBucketsLocked(q MetricQuery, value func(requestSample) (float64, bool), buckets [][]float64) {
	i := sort.Search(len(r.requests), func(i int) bool { return !r.requests[i].at.Before(q.Start) })
	for _, s := range r.requests[i:] {
		if !s.at.Before(q.End) {
			break
		}
		if (q.Listeners != nil && !slices.Contains(q.Listeners, s.listener)) || (q.Group != nil && s.group != q.Group) {
			continue
		}
		if v, ok := value(s); ok {
			b := int(s.at.Sub(q.Start) / q.Period)
			buckets[b] = append(buckets[b], v)
		}
	}
}

// hostBucketsLocked gives each period the count in effect at its start plus every change within it,
// so Minimum and Maximum see every state the group was in.
func (r *Recorder) hostBucketsLocked(q MetricQuery, buckets [][]float64) {
	pick := func(h hostSample) float64 {
		if q.Metric == MetricHealthyHostCount {
			return float64(h.healthy)
		}
		return float64(h.unhealthy)
	}
	hs := r.hosts[q.Group]
	for b := range buckets {
		from := q.Start.Add(time.Duration(b) * q.Period)
		to := from.Add(q.Period)
		if to.After(q.End) {
			to = q.End
		}
		j := sort.Search(len(hs), func(j int) bool { return hs[j].at.After(from) })
		if j > 0 {
			buckets[b] = append(buckets[b], pick(hs[j-1]))
		}
		for ; j < len(hs) && hs[j].at.Before(to); j++ {
			buckets[b] = append(buckets[b], pick(hs[j]))
		}
	}
}

// parseStat maps a CloudWatch statistic (Sum, Average, Minimum, Maximum, SampleCount, pNN) to a
// function of a non-empty sample list.
func parseStat(stat string) (func([]float64) float64, bool) {
	switch stat {
	case "Sum":
		return sum, true
	case "Average":
		return func(v []float64) float64 { return sum(v) / float64(len(v)) }, true
	case "Minimum":
		return slices.Min[[]float64], true
	case "Maximum":
		return slices.Max[[]float64], true
	case "SampleCount":
		return func(v []float64) float64 { return float64(len(v)) }, true
	}
	p, err := strconv.ParseFloat(strings.TrimPrefix(stat, "p"), 64)
	if !strings.HasPrefix(stat, "p") || err != nil || p < 0 || p > 100 {
		return nil, false
	}
	return func(v []float64) float64 { return percentile(v, p) }, true
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// percentile is the nearest-rank percentile: the smallest sample with at least p% of samples at or
// below it.
func percentile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	rank := int(math.Ceil(p/100*float64(len(s)) - 1e-9)) // 99.9/100*1000 is 999.0000000000001 in floating point
	return s[min(max(rank, 1), len(s))-1]
}
