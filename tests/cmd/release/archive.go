package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// archiveFile is one file put into a release archive.
type archiveFile struct {
	name string // name inside the archive
	path string // where it is read from
	mode int64
}

// writeArchive writes files as a gzipped tar whose bytes depend only on the files' contents, names,
// modes and mtime: entries in the given order, every timestamp mtime, owner 0:0 without user or group
// names, and a gzip header without name or time. archive/tar and compress/gzip do the same on every
// OS, which GNU and BSD tar do not (different flags for sorting, ownership and times).
func writeArchive(w io.Writer, files []archiveFile, mtime time.Time) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := addFile(tw, f, mtime); err != nil {
			return fmt.Errorf("archive %s: %w", f.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func addFile(tw *tar.Writer, f archiveFile, mtime time.Time) error {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     f.name,
		Mode:     f.mode,
		Size:     int64(len(data)),
		ModTime:  mtime.UTC().Truncate(time.Second),
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = tw.Write(data)
	return err
}

// sha256File is the hex SHA-256 of a file's contents.
func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeChecksums writes dir/SHA256SUMS for the named files of dir, sorted by name, in the format of
// sha256sum (`<hex>  <name>`), so `sha256sum -c SHA256SUMS` and `shasum -a 256 -c SHA256SUMS` check it.
func writeChecksums(dir string, names []string) error {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var b strings.Builder
	for _, name := range sorted {
		sum, err := sha256File(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	return os.WriteFile(filepath.Join(dir, checksumsFile), []byte(b.String()), 0o644)
}

// verifyChecksums checks every file dir/SHA256SUMS names against its contents, as a user who
// downloaded the release would, and returns the names it checked.
func verifyChecksums(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, checksumsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		want, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(want) != sha256.Size*2 {
			return nil, fmt.Errorf("%s: malformed line %q", checksumsFile, sc.Text())
		}
		got, err := sha256File(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("%s: sha256 %s, %s says %s", name, got, checksumsFile, want)
		}
		names = append(names, name)
	}
	return names, sc.Err()
}

// extractFile copies the named entry of a .tar.gz archive to dst with the entry's mode.
func extractFile(archive, name, dst string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s: no entry %s", archive, name)
		}
		if err != nil {
			return err
		}
		if hdr.Name != name {
			continue
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(hdr.Mode).Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
}
