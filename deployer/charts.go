package deployer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ReleaseCharts renders a release's pictures as Mermaid xychart blocks, which
// GitHub draws in a step summary: the production traffic split at each traffic
// step the deployer saw (one point per step, not per time bucket, so a 10 %
// canary reads as 10 %), and for gates shift and soak green's requests, error
// rate and latency in each judged minute against blue's (blue only in shift:
// in the soak all production traffic is green's). Mermaid's xychart has no
// legend, so each title says which series is which. It returns "" when the
// result has nothing to draw. The step summary and the demo's report use it.
func ReleaseCharts(r Result) string {
	var b strings.Builder
	if len(r.Traffic) > 0 {
		b.WriteString(trafficChart(r.Traffic))
	}
	for _, g := range r.Gates {
		if len(g.Minutes) > 0 && (g.Name == GateShift || g.Name == GateSoak) {
			b.WriteString(gateCharts(g))
		}
	}
	return b.String()
}

// trafficChart draws green's and blue's production weight at each step.
func trafficChart(steps []TrafficStep) string {
	labels := make([]string, len(steps))
	green, blue := make([]float64, len(steps)), make([]float64, len(steps))
	for i, s := range steps {
		labels[i] = fmt.Sprintf("%d %s", i+1, s.At.UTC().Format("15:04:05"))
		green[i], blue[i] = s.Green, s.Blue
	}
	return xyChart("Production traffic by step: green % (bars), blue % (line)", labels, "%", "0 --> 100", green, blue)
}

// gateCharts draws one gate's judged minutes, folded under a summary line.
func gateCharts(g *GateResult) string {
	n := len(g.Minutes)
	labels := make([]string, n)
	var reqs, errs, lat [2][]float64 // [0] green, [1] blue
	hasBlue := g.Minutes[0].Blue != nil
	for i, m := range g.Minutes {
		labels[i] = m.Start.UTC().Format("15:04")
		sides := []MinuteFigures{m.Green}
		if hasBlue && m.Blue != nil {
			sides = append(sides, *m.Blue)
		} else if hasBlue {
			sides = append(sides, MinuteFigures{})
		}
		for s, f := range sides {
			reqs[s] = append(reqs[s], f.Requests)
			errs[s] = append(errs[s], round2(100*f.ErrorRate()))
			lat[s] = append(lat[s], latencyOf(f, g.Name))
		}
	}
	vs, pct := "green (bars)", gateLatencyPercentile(g.Name)
	if hasBlue {
		vs = "green (bars) against blue (line)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>Gate %s: %s per judged minute (%d)</summary>\n\n", g.Name, vs, n)
	b.WriteString(xyChart("Gate "+g.Name+": requests per minute, "+vs, labels, "requests", "", reqs[0], reqs[1]))
	b.WriteString(xyChart("Gate "+g.Name+": error rate %, "+vs, labels, "%", "", errs[0], errs[1]))
	b.WriteString(xyChart("Gate "+g.Name+": "+pct+" latency ms (0: no datapoint), "+vs, labels, "ms", "", lat[0], lat[1]))
	b.WriteString("</details>\n\n")
	return b.String()
}

// gateLatencyPercentile is the percentile the gate judges: shift compares
// green's p95 with blue's, soak holds green's p99 to --max-p99.
func gateLatencyPercentile(gate string) string {
	if gate == GateShift {
		return "p95"
	}
	return "p99"
}

func latencyOf(f MinuteFigures, gate string) float64 {
	p := f.P99Ms
	if gate == GateShift {
		p = f.P95Ms
	}
	if p == nil {
		return 0
	}
	return *p
}

// xyChart is one Mermaid xychart: bars for the first series, a line for the
// second when there is one. yRange may be "" to let Mermaid choose.
func xyChart(title string, labels []string, yTitle, yRange string, bars, line []float64) string {
	var b strings.Builder
	b.WriteString("```mermaid\nxychart-beta\n")
	fmt.Fprintf(&b, "  title %s\n  x-axis [%s]\n  y-axis %s", mermaidString(title), quoted(labels), mermaidString(yTitle))
	if yRange != "" {
		b.WriteString(" " + yRange)
	}
	fmt.Fprintf(&b, "\n  bar [%s]\n", numbers(bars))
	if line != nil {
		fmt.Fprintf(&b, "  line [%s]\n", numbers(line))
	}
	b.WriteString("```\n\n")
	return b.String()
}

// mermaidString quotes a label; Mermaid strings cannot escape a double quote.
func mermaidString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "'") + `"`
}

func quoted(labels []string) string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = mermaidString(l)
	}
	return strings.Join(out, ", ")
}

func numbers(vs []float64) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(out, ", ")
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
