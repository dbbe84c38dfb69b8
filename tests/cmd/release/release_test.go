package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAReleaseNeverWritesIntoADirectoryThatHoldsFiles(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(out, "deployer_0.9.0_linux_amd64.tar.gz"), nil, 0o644))
	err := release(context.Background(), t.TempDir(), buildInfo{version: "v1.0.0"}, out, io.Discard)
	assert.ErrorContains(t, err, "is not empty")
}

func TestArchiveNamesFollowTheTargets(t *testing.T) {
	t.Parallel()
	built := []builtTarget{{archive: "a.tar.gz"}, {archive: "b.tar.gz"}}
	assert.Equal(t, []string{"a.tar.gz", "b.tar.gz"}, archiveNames(built))
	assert.True(t, contains([]string{"a", "b"}, "b"))
	assert.False(t, contains([]string{"a", "b"}, "c"))
}
