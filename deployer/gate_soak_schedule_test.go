package deployer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAssessSoakSchedule(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		soak, every time.Duration
		consecutive int
		wantErr     string
	}{
		{"the defaults fit: 5m of checks every 15s", 5 * time.Minute, 15 * time.Second, 3, ""},
		{"a 5s soak cannot make 3 checks 15s apart", 5 * time.Second, 15 * time.Second, 3,
			"5s is too short for --consecutive 3 checks at --soak-interval 15s: gate 2 checks green at the soak's start and every 15s after, so the soak holds 1 check(s) 15s apart and could never see 3 unhealthy checks in a row; use --soak of at least 30s, or --soak-interval of at most 2.5s"},
		{"exactly two intervals fit three checks", 30 * time.Second, 15 * time.Second, 3, ""},
		{"a second less does not", 29 * time.Second, 15 * time.Second, 3, "use --soak of at least 30s, or --soak-interval of at most 14.5s"},
		{"one check needs no interval", time.Second, time.Minute, 1, ""},
		{"a skipped soak is always accepted", 0, 15 * time.Second, 3, ""},
		{"five in a row need four intervals", 59 * time.Second, 15 * time.Second, 5, "use --soak of at least 1m0s"},
		{"an interval of zero is refused", time.Minute, 0, 3, "needs a positive --soak-interval, got 0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := assessSoakSchedule(tc.soak, tc.every, tc.consecutive)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}
