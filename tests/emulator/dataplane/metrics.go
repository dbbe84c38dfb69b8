package dataplane

import "time"

// MetricQuery asks for one AWS/ApplicationELB metric statistic over [Start, End) in Period buckets.
// Listener and Group filter like CloudWatch's LoadBalancer and TargetGroup dimensions; nil means any.
type MetricQuery struct {
	Listener   *Listener
	Group      *TargetGroup
	Metric     string
	Stat       string
	Start, End time.Time
	Period     time.Duration
}

// Recorder keeps what CloudWatch's AWS/ApplicationELB namespace would report.
type Recorder struct{}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Query answers q with one value per period that has data.
func (r *Recorder) Query(q MetricQuery) (timestamps []time.Time, values []float64) { return nil, nil }
