package deployer

import (
	"bytes"
	"context"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersionPrintsTheStampedVersionCommitAndDate(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"version"}, {"--region", "x", "--version"}} {
		var out bytes.Buffer
		code := Run(context.Background(), args, Env{Stdout: &out, Build: Build{Version: "v1.2.3", Commit: "abc123", Date: "2026-12-06T04:09:13Z"}})
		assert.Equal(t, ExitReleased, code)
		assert.Equal(t, "deployer v1.2.3, commit abc123, built 2026-12-06T04:09:13Z\n", out.String(), "%v", args)
	}
}

func TestVersionFallsBackToTheToolchainsBuildInfo(t *testing.T) {
	t.Parallel()
	info := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "deadbeef"}, {Key: "vcs.time", Value: "2026-12-01T00:00:00Z"}}}
	read := func() (*debug.BuildInfo, bool) { return info, true }
	assert.Equal(t, Build{Version: "dev", Commit: "deadbeef", Date: "2026-12-01T00:00:00Z"}, Build{}.withDefaults(read))
	assert.Equal(t, Build{Version: "v1", Commit: "c", Date: "d"}, Build{Version: "v1", Commit: "c", Date: "d"}.withDefaults(read), "stamped values win")
	info.Main.Version = "v0.9.0"
	assert.Equal(t, "v0.9.0", Build{}.withDefaults(read).Version, "go install module@version")
	assert.Equal(t, Build{Version: "dev"}, Build{}.withDefaults(func() (*debug.BuildInfo, bool) { return nil, false }))
}
