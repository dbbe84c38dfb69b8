package deployer

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGateOneFailsWhenTheTestListenerDoesNotForwardToGreen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	testTraffic := stepTestTraffic
	testTraffic.enter = nil // the test listener stays on blue: the probe would check blue
	w.addScript("d-NEW", stepCreated, stepInstalling, testTraffic, stepReady, stepShifting, stepTermWait, stepSucceeded)
	w.expectRollback("d-NEW")
	res := w.deployer(t, true).Deploy(context.Background(), deployV2())

	assert.Equal(t, OutcomeRolledBack, res.Outcome)
	assert.Empty(t, w.continues, "production never moves on a probe of blue")
	assert.Contains(t, res.Message, "gate ready failed: the test listener forwards web-blue=100 web-green=0, not to green web-green, 3 checks in a row")
}

func TestAssessListenerPorts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		prodURL, testURL string
		wantErr, warn    string
	}{
		{"URLs on their listeners' ports are fine", "http://web:80", "http://web:8443", "", ""},
		{"a scheme's default port counts", "http://web", "http://web:8443", "", ""},
		{"a test URL on the production listener's port is refused: gate 1 would probe blue", "http://web:80", "http://web:80", "reaches port 80, the production listener's", ""},
		{"a production URL on the test listener's port is refused: blue-vs-green would compare green with itself", "http://web:8443", "http://web:8443", "reaches port 8443, the test listener's", ""},
		{"another port is only a warning: a proxy or port mapping may sit in front", "http://127.0.0.1:41234", "http://127.0.0.1:41235", "", "test URL port 41235 is not the test listener's port 8443"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			warnings, err := assessListenerPorts(tc.prodURL, tc.testURL, 80, 8443)
			if tc.wantErr != "" {
				var in *InputError
				require.ErrorAs(t, err, &in)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.warn == "" {
				assert.Empty(t, warnings)
			} else {
				assert.Contains(t, strings.Join(warnings, "\n"), tc.warn)
			}
		})
	}
}

func TestDeployRefusesATestURLThatReachesTheProductionListenerBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	d := w.deployer(t, true)
	d.t.TestURL = "http://127.0.0.1:80"
	res := d.Deploy(context.Background(), deployV2())

	assert.Equal(t, ExitBadInput, res.ExitCode)
	assert.Contains(t, res.Message, "--test-url (stack output testUrl): http://127.0.0.1:80 reaches port 80, the production listener's: gate 1 would probe blue")
	assert.Zero(t, w.writes())
}
