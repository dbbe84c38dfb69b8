package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// machine is what the figures were measured on.
type machine struct {
	CPUs                 int
	CPUModel, Kernel     string
	LoadStart, LoadEnd   string // /proc/loadavg's 1, 5 and 15 minute averages
	GoVersion, AWSCLI    string
	Commit, DeployerHead string
	DeployerDirty        bool
}

// readMachine reads the machine, and the commits of root's checkout: HEAD and the last commit
// that changed deployer/ (the code whose figures these are).
func readMachine(ctx context.Context, root, awsCLI string) machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAverage(),
		CPUModel: cpuModel(), Kernel: firstLine(command(ctx, "", "uname", "-sr"))}
	if awsCLI != "" {
		m.AWSCLI = firstLine(command(ctx, "", awsCLI, "--version"))
	}
	m.Commit = firstLine(command(ctx, root, "git", "rev-parse", "HEAD"))
	m.DeployerHead = firstLine(command(ctx, root, "git", "log", "-1", "--format=%H %s", "--", "deployer"))
	m.DeployerDirty = strings.TrimSpace(command(ctx, root, "git", "status", "--porcelain", "--", "deployer")) != ""
	return m
}

// loadAverage is /proc/loadavg's three averages ("" where there is none).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// command runs a command in dir and returns its output ("" when it fails).
func command(ctx context.Context, dir, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if dir != "" {
		cmd.Dir = filepath.Clean(dir)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return ""
	}
	return string(out)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}
