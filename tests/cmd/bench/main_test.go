package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTheDocumentNamesTheCommandAsAUserTypesIt(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "go run ./tests/cmd/bench -gotest -out docs/BENCHMARKS.md", commandLine([]string{"-gotest", "-out", "docs/BENCHMARKS.md"}))
	assert.Equal(t, "go run ./tests/cmd/bench -out 'my docs/B.md'", commandLine([]string{"-out", "my docs/B.md"}))
}

func TestBadFlagsExitTwoBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-timescale", "0"}, {"-rps", "-1"}, {"extra"}, {"-nope"}} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, &bytes.Buffer{}, &stderr), "%v", args)
		assert.NotEmpty(t, stderr.String())
	}
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &bytes.Buffer{}, &bytes.Buffer{}))
}
