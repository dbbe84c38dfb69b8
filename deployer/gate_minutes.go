package deployer

import (
	"math"
	"time"
)

// GateMinute is one whole CloudWatch minute a gate judged (gates shift and
// soak): green's figures and, in gate shift, blue's beside them. Blue has no
// production traffic during gate soak (the termination wait sends it all to
// green), so its figures are left out there. The same figures are in the gate's
// evidence as text; these are for charts.
type GateMinute struct {
	Start time.Time      `json:"start"`
	Green MinuteFigures  `json:"green"`
	Blue  *MinuteFigures `json:"blue,omitempty"`
}

// MinuteFigures are one target group's AWS/ApplicationELB figures for a minute.
type MinuteFigures struct {
	Requests float64 `json:"requests"` // RequestCount
	// Errors are the failed requests the gate counts against the side: its
	// targets' 5xx and failed connections to them (in gate soak, also the load
	// balancer's own 5xx, as gate soak's error rate counts them).
	Errors float64  `json:"errors"`
	P95Ms  *float64 `json:"p95Ms,omitempty"` // TargetResponseTime p95, when CloudWatch had one
	P99Ms  *float64 `json:"p99Ms,omitempty"`
}

// ErrorRate is Errors over Requests; 0 for a minute without requests.
func (f MinuteFigures) ErrorRate() float64 {
	if f.Requests <= 0 {
		return 0
	}
	return f.Errors / f.Requests
}

// gateMinutes turns the minutes a gate judged into the Result's; withBlue keeps
// blue's side, and countELB counts the load balancer's own 5xx against green.
func gateMinutes(minutes []shiftMinute, withBlue, countELB bool) []GateMinute {
	var out []GateMinute
	for _, m := range minutes {
		gm := GateMinute{Start: m.Start.UTC(), Green: minuteFigures(m.Green)}
		if countELB {
			gm.Green.Errors += m.ELB5xx
		}
		if withBlue {
			b := minuteFigures(m.Blue)
			gm.Blue = &b
		}
		out = append(out, gm)
	}
	return out
}

func minuteFigures(s shiftSide) MinuteFigures {
	f := MinuteFigures{Requests: s.Requests, Errors: s.errors()}
	if s.HasP95 {
		f.P95Ms = millis(s.P95)
	}
	if s.HasP99 {
		f.P99Ms = millis(s.P99)
	}
	return f
}

// millis is seconds as whole-ish milliseconds (CloudWatch's TargetResponseTime
// is in seconds; a chart reads better in ms).
func millis(seconds float64) *float64 {
	ms := math.Round(seconds*1e4) / 10
	return &ms
}
