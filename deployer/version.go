package deployer

import (
	"fmt"
	"io"
	"runtime/debug"
)

// Build identifies a deployer binary. The release build sets it with -ldflags
// -X in package main; a plain go build leaves it empty, and the version then
// falls back to what the Go toolchain recorded (module version, VCS revision).
type Build struct {
	Version, Commit, Date string
}

// write prints `deployer --version`: one line, version first, so scripts can
// cut it.
func (b Build) write(w io.Writer) {
	b = b.withDefaults(debug.ReadBuildInfo)
	line := "deployer " + b.Version
	if b.Commit != "" {
		line += ", commit " + b.Commit
	}
	if b.Date != "" {
		line += ", built " + b.Date
	}
	fmt.Fprintln(w, line)
}

// withDefaults fills what the release build did not stamp from the toolchain's
// build information.
func (b Build) withDefaults(read func() (*debug.BuildInfo, bool)) Build {
	info, ok := read()
	if ok && b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	if ok && b.Commit == "" {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.Date = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}
