//go:build !race

package emulator

// raceDetector reports whether the tests run under the race detector.
const raceDetector = false
