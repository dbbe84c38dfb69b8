package deployer

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewFillsInWhatItIsNotGiven(t *testing.T) {
	t.Parallel()
	d := New(Clients{}, testTarget(), Options{})
	assert.NotNil(t, d.log, "a logger that discards")
	assert.Equal(t, realClock{}, d.clock, "the wall clock")
	assert.Equal(t, 1, d.o.Consecutive, "a gate needs at least one passing check")

	moved := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	t.Cleanup(moved.Close)
	resp, err := d.http.Get(moved.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode, "a probe judges the listener's own answer, not where it redirects")
}

func TestDefaultOptionsLeaveTheLimitsToBeDerived(t *testing.T) {
	t.Parallel()
	o := DefaultOptions()
	assert.Zero(t, o.GreenStartTimeout)
	assert.Zero(t, o.GateTimeout)
	assert.Zero(t, o.AlarmWait)
	assert.Equal(t, "rollback", o.OnInterrupt)
}
