package dataplane

import "time"

// Scale converts AWS-configured durations to real ones: S AWS seconds pass per real second, so
// Scale(60) turns a 5-minute deregistration delay into 5 real seconds. Zero or negative means 1.
type Scale float64

// D returns the real duration of awsSeconds AWS seconds under this scale.
func (s Scale) D(awsSeconds float64) time.Duration {
	f := float64(s)
	if f <= 0 {
		f = 1
	}
	return time.Duration(awsSeconds / f * float64(time.Second))
}
