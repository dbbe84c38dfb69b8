package deployer

import (
	"fmt"
	"time"
)

// assessSoakSchedule refuses a soak too short for gate 2 to fail on target
// health. Gate 2 checks green at the soak's start and every soakInterval after,
// and fails it after consecutive unhealthy checks in a row, so those checks must
// all fit in the soak: (consecutive-1) × soakInterval at most. A shorter soak
// passes a green that is unhealthy throughout it (--soak 5s with the default 15s
// interval made one check and a clipped second, never three).
//
// It refuses (the CLI exits 2 before any AWS call) rather than derive a shorter
// interval: the interval says how long apart the checks are, so how long an
// unhealthy spell must last to fail the gate; quietly halving it would judge a
// different green than the operator asked for. The error names both ways out.
// A soak of 0 skips gate 2 and is always accepted.
func assessSoakSchedule(soak, soakInterval time.Duration, consecutive int) error {
	if soak <= 0 || consecutive <= 1 {
		return nil
	}
	if soakInterval <= 0 {
		return fmt.Errorf("needs a positive --soak-interval, got %s", soakInterval)
	}
	need := time.Duration(consecutive-1) * soakInterval
	if soak >= need {
		return nil
	}
	checks := int(soak/soakInterval) + 1
	return fmt.Errorf("%s is too short for --consecutive %d checks at --soak-interval %s: gate 2 checks green at the soak's start and every %s after, "+
		"so the soak holds %d check(s) %s apart and could never see %d unhealthy checks in a row; use --soak of at least %s, or --soak-interval of at most %s",
		soak, consecutive, soakInterval, soakInterval, checks, soakInterval, consecutive, need, soak/time.Duration(consecutive-1))
}
