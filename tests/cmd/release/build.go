package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// mainPackage is the command the release ships.
const mainPackage = "./deployer/cmd/deployer"

// checksumsFile is the checksum file of a release, beside its archives.
const checksumsFile = "SHA256SUMS"

// target is one GOOS/GOARCH pair the release is built for.
type target struct{ goos, goarch string }

func (t target) String() string { return t.goos + "/" + t.goarch }

// targets are the platforms a release ships: CI runners and operators' machines.
var targets = []target{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// buildInfo is what a release binary carries in package main's version, commit and date.
type buildInfo struct {
	version string
	commit  string
	date    time.Time
}

// safeStamp is what a stamped value may hold: -ldflags splits on spaces and quotes.
var safeStamp = regexp.MustCompile(`^[A-Za-z0-9._+/-]+$`)

// resolveInfo fills the build info from the repository: the version given (default: `git describe
// --tags --always --dirty`), HEAD's commit, and the date from SOURCE_DATE_EPOCH when set (the
// reproducible-builds convention) or else HEAD's commit date — never the clock, so two builds of one
// commit are byte for byte the same.
func resolveInfo(ctx context.Context, dir, version string, getenv func(string) string) (buildInfo, error) {
	var info buildInfo
	var err error
	if info.commit, err = gitOutput(ctx, dir, "rev-parse", "HEAD"); err != nil {
		return info, err
	}
	if version == "" {
		if version, err = gitOutput(ctx, dir, "describe", "--tags", "--always", "--dirty"); err != nil {
			return info, err
		}
	}
	if !safeStamp.MatchString(version) {
		return info, fmt.Errorf("-version %q: use letters, digits and . _ + / - only", version)
	}
	info.version = version
	epoch := getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		if epoch, err = gitOutput(ctx, dir, "log", "-1", "--format=%ct", "HEAD"); err != nil {
			return info, err
		}
	}
	secs, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return info, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a number of seconds since 1970: %w", epoch, err)
	}
	info.date = time.Unix(secs, 0).UTC()
	return info, nil
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// ldflags strips the symbol tables (smaller archives; panics still print stack traces) and stamps
// the build info into package main.
func ldflags(info buildInfo) string {
	return fmt.Sprintf("-s -w -X main.version=%s -X main.commit=%s -X main.date=%s",
		info.version, info.commit, info.date.Format(time.RFC3339))
}

// buildArgs is the go build command line for one target: -trimpath drops the build machine's paths,
// -buildvcs=false keeps the checkout's state (a dirty file, a different clone) out of the binary,
// the same way the stamped commit does it on purpose.
func buildArgs(info buildInfo, out string) []string {
	return []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags(info), "-o", out, mainPackage}
}

// buildEnv is the environment of a cross build: static binaries (no cgo), so one linux binary runs on
// any distribution and a darwin one builds without a macOS SDK.
func buildEnv(t target) []string {
	return append(os.Environ(), "GOOS="+t.goos, "GOARCH="+t.goarch, "CGO_ENABLED=0")
}

// build compiles the deployer for one target into dir/<goos>_<goarch>/deployer.
func build(ctx context.Context, repo string, info buildInfo, t target, dir string) (string, error) {
	out := filepath.Join(dir, t.goos+"_"+t.goarch, "deployer")
	cmd := exec.CommandContext(ctx, "go", buildArgs(info, out)...)
	cmd.Dir = repo
	cmd.Env = buildEnv(t)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build for %s: %w\n%s", t, err, msg)
	}
	return out, nil
}

// archiveName follows the common <project>_<version>_<os>_<arch> layout, the version without its
// leading v, so install scripts written for other Go tools' releases find the file.
func archiveName(version string, t target) string {
	return fmt.Sprintf("deployer_%s_%s_%s.tar.gz", strings.TrimPrefix(version, "v"), t.goos, t.goarch)
}

// packageTarget writes the target's archive into dir: the binary and the deployer's README.
func packageTarget(repo, bin string, info buildInfo, t target, dir string) (string, error) {
	name := archiveName(info.version, t)
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	files := []archiveFile{
		{name: "deployer", path: bin, mode: 0o755},
		{name: "README.md", path: filepath.Join(repo, "deployer", "README.md"), mode: 0o644},
	}
	if err := writeArchive(f, files, info.date); err != nil {
		f.Close()
		return "", err
	}
	return name, f.Close()
}
