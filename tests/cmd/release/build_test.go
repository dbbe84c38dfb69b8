package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gitRepo makes a repository with one commit dated at, and returns its directory.
func gitRepo(t *testing.T, at time.Time) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	date := at.Format(time.RFC3339)
	for _, args := range [][]string{
		{"init", "-q"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "x", "--date", date},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_COMMITTER_DATE="+date)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	}
	return dir
}

func noEnv(string) string { return "" }

func TestTheDateIsTheCommitsUnlessSourceDateEpochSaysOtherwise(t *testing.T) {
	t.Parallel()
	committed := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	repo := gitRepo(t, committed)

	info, err := resolveInfo(context.Background(), repo, "v1.2.3", noEnv)
	require.NoError(t, err)
	assert.Equal(t, committed, info.date)
	assert.Len(t, info.commit, 40)
	assert.Equal(t, "v1.2.3", info.version)

	info, err = resolveInfo(context.Background(), repo, "v1.2.3", func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	})
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1700000000, 0).UTC(), info.date)
}

func TestWithoutAVersionTheCommitDescribesTheBuild(t *testing.T) {
	t.Parallel()
	repo := gitRepo(t, time.Unix(1700000000, 0))
	info, err := resolveInfo(context.Background(), repo, "", noEnv)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(info.commit, info.version), "version %q, commit %q", info.version, info.commit)
}

func TestAVersionThatWouldBreakLdflagsIsRefused(t *testing.T) {
	t.Parallel()
	repo := gitRepo(t, time.Unix(1700000000, 0))
	for _, v := range []string{"v1 -X main.commit=evil", "v1'", `v1"`} {
		_, err := resolveInfo(context.Background(), repo, v, noEnv)
		assert.ErrorContains(t, err, "-version", v)
	}
	_, err := resolveInfo(context.Background(), repo, "v1", func(string) string { return "yesterday" })
	assert.ErrorContains(t, err, "SOURCE_DATE_EPOCH")
}

func TestTheBuildStampsVersionCommitAndDateIntoPackageMain(t *testing.T) {
	t.Parallel()
	info := buildInfo{version: "v1.2.3", commit: "abc123", date: time.Date(2026, 12, 6, 4, 9, 13, 0, time.UTC)}
	args := buildArgs(info, "/out/deployer")
	assert.Equal(t, []string{"build", "-trimpath", "-buildvcs=false", "-ldflags",
		"-s -w -X main.version=v1.2.3 -X main.commit=abc123 -X main.date=2026-12-06T04:09:13Z",
		"-o", "/out/deployer", "./deployer/cmd/deployer"}, args)
	env := strings.Join(buildEnv(target{"darwin", "arm64"}), "\n")
	assert.Contains(t, env, "GOOS=darwin\nGOARCH=arm64\nCGO_ENABLED=0")
}

func TestArchivesAreNamedProjectVersionOSArch(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "deployer_1.2.3_linux_arm64.tar.gz", archiveName("v1.2.3", target{"linux", "arm64"}))
	assert.Equal(t, "deployer_40a81a5_darwin_amd64.tar.gz", archiveName("40a81a5", target{"darwin", "amd64"}))
	var names []string
	for _, tg := range targets {
		names = append(names, tg.String())
	}
	assert.Equal(t, []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}, names)
}
