//go:build race

package deployer

// The race detector slows the statistics' single-goroutine simulations and
// reference computations tenfold, and has nothing to find in them: plain
// `go test` runs them in full.
func init() {
	latencySimulationRuns, shiftSimulationRuns = 200, 100
	recurrenceSizes = recurrenceSizes[:3]
}
