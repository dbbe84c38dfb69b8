// Package bench measures what docs/BENCHMARKS.md publishes: releases on the local emulator under
// production load, made by the deployer and by the tools users would pick instead (the aws CLI), on
// one AWS clock, with every figure taken from one run (tests/cmd/bench).
package bench

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// siteCustomize is the Python start-up file that puts a Python process on the AWS clock.
//
//go:embed sitecustomize.py
var siteCustomize []byte

// PythonClock runs Python processes (the aws CLI) on a rehearsal's AWS clock: their time.sleep
// sleeps d/scale and time.time and time.monotonic read the AWS clock (see sitecustomize.py for the
// clocks botocore's waiters and retries read).
type PythonClock struct {
	dir string
	env []string
}

// NewPythonClock writes the start-up file into dir and returns the environment that applies it with
// clock's parameters. Any real instant and its AWS time describe the linear clock; now is as good as
// the clock's own start.
func NewPythonClock(dir string, clock *awsclock.Clock) (*PythonClock, error) {
	if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), siteCustomize, 0o644); err != nil {
		return nil, fmt.Errorf("write the Python clock shim: %w", err)
	}
	real := time.Now()
	aws := clock.AWSTime(real)
	path := dir
	if p := os.Getenv("PYTHONPATH"); p != "" {
		path += string(os.PathListSeparator) + p
	}
	return &PythonClock{dir: dir, env: []string{
		"PYTHONPATH=" + path,
		"BENCH_AWSCLOCK_SCALE=" + strconv.FormatFloat(clock.Scale(), 'g', -1, 64),
		"BENCH_AWSCLOCK_REAL_START=" + unixSeconds(real),
		"BENCH_AWSCLOCK_AWS_START=" + unixSeconds(aws),
	}}, nil
}

// Env is the environment to add to a Python process's.
func (p *PythonClock) Env() []string { return append([]string(nil), p.env...) }

func unixSeconds(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 6, 64)
}
