// Package faults is the fault matrix of issue 11: end-to-end tests in which a real deployer process
// releases on the emulator under steady production load, and is killed, interrupted, raced, cut off
// from the test listener or handed a bad green. Each case asserts the outcome, the exit code, the
// deployments created and the production requests that failed.
//
// The matrix takes minutes: `go test ./...` skips it unless AI_BLUEGREEN_FAULTS=1 (.ci/run sets it).
package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every case runs on a stack of its own at the rehearsals' time scale (one AWS minute a real
// second) with the rehearsals' production rate.
const (
	timeScale = 60
	rate      = 60
	stackFile = "../../Pulumi.dev.yaml"
	// settle is how long, in AWS time, the load runs before a case's first deployer and after the
	// group is idle again.
	settle = time.Minute
)

// enabledEnv turns the matrix on; tableEnv names a file the table of cases is written to.
const (
	enabledEnv = "AI_BLUEGREEN_FAULTS"
	tableEnv   = "AI_BLUEGREEN_FAULTS_TABLE"
)

// deployerBin is the test-only deployer command (tests/internal/deployerproc), built once.
var deployerBin string

func TestMain(m *testing.M) {
	if os.Getenv(enabledEnv) != "1" {
		os.Exit(m.Run()) // every case skips
	}
	dir, err := os.MkdirTemp("", "faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	deployerBin = filepath.Join(dir, "deployerproc")
	build := exec.Command("go", "build", "-o", deployerBin, "github.com/ai-bluegreen/ai-bluegreen/tests/internal/deployerproc")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the deployer process:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	began := time.Now()
	code := m.Run()
	writeTable(time.Since(began))
	os.RemoveAll(dir)
	os.Exit(code)
}

// matrix skips the case unless the matrix is on; a case runs in parallel with the others.
func matrix(t *testing.T) {
	t.Helper()
	if os.Getenv(enabledEnv) != "1" {
		t.Skipf("the fault matrix takes minutes: set %s=1 to run it", enabledEnv)
	}
	t.Parallel()
}

// row is one line of the table of cases: what the deployer runs ended with and what production saw.
type row struct {
	name, outcome, exit     string
	deployments, rollbacks  int
	failed, failedByImage   int
	servedByImage, requests int
	wall                    time.Duration
}

var (
	rowsMu sync.Mutex
	rows   []row
)

func addRow(r row) {
	rowsMu.Lock()
	rows = append(rows, r)
	rowsMu.Unlock()
}

// writeTable writes the cases as a Markdown table to tableEnv's file, if set.
func writeTable(wall time.Duration) {
	path := os.Getenv(tableEnv)
	if path == "" {
		return
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Fault matrix: %d cases in %s on %s (time scale %dx, %d requests/s each)\n\n", len(rows), wall.Round(time.Second), host, timeScale, rate)
	b.WriteString("| case | outcome | exit | deployments (+ rollbacks) | failed | bad answers of the green | requests | wall |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %d (+%d) | %d | %d of %d served | %d | %s |\n", r.name, r.outcome, r.exit,
			r.deployments, r.rollbacks, r.failed, r.failedByImage, r.servedByImage, r.requests, r.wall.Round(time.Second))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "write the table of cases:", err)
	}
}
