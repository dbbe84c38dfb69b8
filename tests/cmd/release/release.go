package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// builtTarget is one target's binary and archive.
type builtTarget struct {
	target  target
	bin     string
	archive string // file name inside the release directory
}

// buildAll builds and packages every target, two at a time: on a small machine one build's link
// (mostly one core) overlaps the next one's compile, and four at once only adds memory (a link
// holds over a gigabyte).
func buildAll(ctx context.Context, repo string, info buildInfo, binDir, outDir string, log io.Writer) ([]builtTarget, error) {
	built := make([]builtTarget, len(targets))
	errs := make([]error, len(targets))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			bin, err := build(ctx, repo, info, t, binDir)
			if err == nil {
				built[i].archive, err = packageTarget(repo, bin, info, t, outDir)
			}
			built[i].target, built[i].bin, errs[i] = t, bin, err
			if err == nil {
				fmt.Fprintf(log, "release: %s → %s (%s)\n", t, built[i].archive, time.Since(start).Round(100*time.Millisecond))
			}
		}()
	}
	wg.Wait()
	return built, errors.Join(errs...)
}

// release writes the archives and SHA256SUMS into out, which must be empty or absent so a release
// never mixes in files of another version.
func release(ctx context.Context, repo string, info buildInfo, out string, log io.Writer) error {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		return fmt.Errorf("-out %s is not empty: remove it or choose another directory", out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	binDir, err := os.MkdirTemp("", "deployer-release-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(binDir)
	fmt.Fprintf(log, "release: deployer %s (commit %s, date %s) into %s\n", info.version, info.commit, info.date.Format(time.RFC3339), out)
	built, err := buildAll(ctx, repo, info, binDir, out, log)
	if err != nil {
		return err
	}
	return writeChecksums(out, archiveNames(built))
}

func archiveNames(built []builtTarget) []string {
	names := make([]string, len(built))
	for i, b := range built {
		names[i] = b.archive
	}
	return names
}

// check is the release's dry run: build and package every target into a temporary directory, then
// check what a user would — the checksums, the native binary from its archive — and that a rebuild
// of the native archive is identical.
func check(ctx context.Context, repo string, info buildInfo, log io.Writer) error {
	dir, err := os.MkdirTemp("", "deployer-release-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "dist")
	if err := release(ctx, repo, info, out, log); err != nil {
		return err
	}
	names, err := verifyChecksums(out)
	if err != nil {
		return err
	}
	if len(names) != len(targets) {
		return fmt.Errorf("%s lists %d archives, want %d", checksumsFile, len(names), len(targets))
	}
	native := target{runtime.GOOS, runtime.GOARCH}
	if !contains(names, archiveName(info.version, native)) {
		fmt.Fprintf(log, "release: %s is not a release target; not running it\n", native)
		return nil
	}
	if err := runNative(ctx, out, info, native, dir, log); err != nil {
		return err
	}
	return checkReproducible(ctx, repo, info, native, out, dir, log)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runNative extracts the native binary from its archive and runs it: it must start and print its
// help. (The stamped build info cannot be read back yet: -trimpath keeps -ldflags out of go version
// -m, and the linker drops -X values of variables nothing reads until --version prints them.)
func runNative(ctx context.Context, out string, info buildInfo, native target, dir string, log io.Writer) error {
	bin := filepath.Join(dir, "extracted-deployer")
	if err := extractFile(filepath.Join(out, archiveName(info.version, native)), "deployer", bin); err != nil {
		return err
	}
	help, err := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s --help: %w\n%s", bin, err, help)
	}
	if !strings.Contains(string(help), "deploy") {
		return fmt.Errorf("%s --help does not name the deploy command:\n%s", bin, help)
	}
	fmt.Fprintf(log, "release: the %s binary from its archive runs\n", native)
	return nil
}

// checkReproducible rebuilds the native archive and compares it with the one SHA256SUMS lists.
func checkReproducible(ctx context.Context, repo string, info buildInfo, native target, out, dir string, log io.Writer) error {
	again := filepath.Join(dir, "again")
	if err := os.MkdirAll(again, 0o755); err != nil {
		return err
	}
	bin, err := build(ctx, repo, info, native, again)
	if err != nil {
		return err
	}
	name, err := packageTarget(repo, bin, info, native, again)
	if err != nil {
		return err
	}
	first, err := sha256File(filepath.Join(out, name))
	if err != nil {
		return err
	}
	second, err := sha256File(filepath.Join(again, name))
	if err != nil {
		return err
	}
	if first != second {
		return fmt.Errorf("%s is not reproducible: sha256 %s, then %s on a rebuild", name, first, second)
	}
	fmt.Fprintf(log, "release: a rebuild of %s is identical (sha256 %s)\n", name, first)
	return nil
}
