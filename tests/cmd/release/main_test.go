package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBadCommandLinesExitTwoBeforeBuildingAnything(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-version", "v1 -X x=y"}} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, &stderr, noEnv), "args %q: %s", args, stderr.String())
	}
}

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, &stderr, noEnv))
	assert.Contains(t, stderr.String(), "-check")
}
