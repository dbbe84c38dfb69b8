package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeTestFiles(t *testing.T, dir string) []archiveFile {
	t.Helper()
	bin, readme := filepath.Join(dir, "bin"), filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho deployer\n"), 0o700))
	require.NoError(t, os.WriteFile(readme, []byte("# deployer\n"), 0o600))
	return []archiveFile{{name: "deployer", path: bin, mode: 0o755}, {name: "README.md", path: readme, mode: 0o644}}
}

func TestArchiveBytesDependOnlyOnContentsAndDate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := writeTestFiles(t, dir)
	date := time.Date(2026, 12, 6, 4, 9, 13, 0, time.UTC)

	var first, second bytes.Buffer
	require.NoError(t, writeArchive(&first, files, date))
	// The files' own times and modes on disk must not leak into the archive.
	require.NoError(t, os.Chtimes(files[0].path, time.Now(), time.Now()))
	require.NoError(t, os.Chmod(files[1].path, 0o640))
	require.NoError(t, writeArchive(&second, files, date))
	assert.Equal(t, first.Bytes(), second.Bytes())

	var later bytes.Buffer
	require.NoError(t, writeArchive(&later, files, date.Add(time.Second)))
	assert.NotEqual(t, first.Bytes(), later.Bytes(), "the date is part of the archive")
}

func TestArchiveHoldsTheFilesInOrderOwnedByRootWithTheDate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := writeTestFiles(t, dir)
	date := time.Date(2026, 12, 6, 4, 9, 13, 0, time.UTC)
	var buf bytes.Buffer
	require.NoError(t, writeArchive(&buf, files, date))

	zr, err := gzip.NewReader(&buf)
	require.NoError(t, err)
	assert.Empty(t, zr.Name, "no file name in the gzip header")
	assert.True(t, zr.ModTime.IsZero(), "no time in the gzip header")
	tr := tar.NewReader(zr)
	for _, want := range files {
		hdr, err := tr.Next()
		require.NoError(t, err)
		assert.Equal(t, want.name, hdr.Name)
		assert.Equal(t, want.mode, hdr.Mode)
		assert.Equal(t, date, hdr.ModTime.UTC())
		assert.Zero(t, hdr.Uid)
		assert.Zero(t, hdr.Gid)
		assert.Empty(t, hdr.Uname)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		disk, err := os.ReadFile(want.path)
		require.NoError(t, err)
		assert.Equal(t, disk, data)
	}
	_, err = tr.Next()
	assert.Equal(t, io.EOF, err)
}

func TestChecksumsListEveryArchiveSortedAndCatchATamperedOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"b.tar.gz", "a.tar.gz"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644))
	}
	require.NoError(t, writeChecksums(dir, []string{"b.tar.gz", "a.tar.gz"}))
	sums, err := os.ReadFile(filepath.Join(dir, checksumsFile))
	require.NoError(t, err)
	// sha256sum's format: two spaces between the hex digest and the name.
	assert.Equal(t,
		sumOf("a.tar.gz")+"  a.tar.gz\n"+sumOf("b.tar.gz")+"  b.tar.gz\n",
		string(sums))

	names, err := verifyChecksums(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.tar.gz", "b.tar.gz"}, names)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.tar.gz"), []byte("tampered"), 0o644))
	_, err = verifyChecksums(dir)
	assert.ErrorContains(t, err, "b.tar.gz: sha256")
}

func sumOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestExtractFileRestoresTheBinaryWithItsMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := writeTestFiles(t, dir)
	archive := filepath.Join(dir, "x.tar.gz")
	f, err := os.Create(archive)
	require.NoError(t, err)
	require.NoError(t, writeArchive(f, files, time.Unix(0, 0)))
	require.NoError(t, f.Close())

	dst := filepath.Join(dir, "out")
	require.NoError(t, extractFile(archive, "deployer", dst))
	st, err := os.Stat(dst)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())
	assert.ErrorContains(t, extractFile(archive, "missing", dst), "no entry missing")
}
