package deployer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAssessStreamSettings(t *testing.T) {
	t.Parallel()
	safe := streamSettings{MaxRequest: 600 * time.Second, DeregistrationDelay: 660 * time.Second, StopTimeout: 700 * time.Second, IdleTimeout: 900 * time.Second}
	cases := []struct {
		name   string
		change func(*streamSettings)
		want   []string
	}{
		{"settings that cover the longest request warn of nothing", func(*streamSettings) {}, nil},
		{"without service.maxRequestSeconds there is nothing to check", func(s *streamSettings) { *s = streamSettings{DeregistrationDelay: time.Second} }, nil},
		{"a drain shorter than the longest request cuts it", func(s *streamSettings) { s.DeregistrationDelay = 300 * time.Second }, []string{
			"loadBalancer.deregistrationDelay 300s is shorter than service.maxRequestSeconds 600s: when blue's targets are deregistered after the cutover, " +
				"a request or stream still open at the end of the drain is cut; set loadBalancer.deregistrationDelay to at least 600s"}},
		{"an unset stop timeout is ECS's 30 s", func(s *streamSettings) { s.StopTimeout = 0 }, []string{
			"service.stopTimeout 30s (unset: ECS's default) is shorter than service.maxRequestSeconds 600s: a task told to stop while it still serves a request is killed 30s after SIGTERM; " +
				"set service.stopTimeout to 600s"}},
		{"on Fargate the stop timeout is asked only up to its 120 s maximum", func(s *streamSettings) { s.Fargate, s.StopTimeout = true, 60*time.Second }, []string{
			"service.stopTimeout 60s is shorter than service.maxRequestSeconds 600s: a task told to stop while it still serves a request is killed 60s after SIGTERM; " +
				"set service.stopTimeout to 120s (Fargate's maximum)"}},
		{"on Fargate 120 s is all that can be asked", func(s *streamSettings) { s.Fargate, s.StopTimeout = true, 120*time.Second }, nil},
		{"an idle timeout shorter than the longest request cuts a silent answer", func(s *streamSettings) { s.IdleTimeout = 60 * time.Second }, []string{
			"loadBalancer.idleTimeout 60s is shorter than service.maxRequestSeconds 600s: the load balancer cuts a connection on which nothing is sent for 60s, " +
				"so an answer that takes longer before its first byte fails (504) and a stream survives only if it sends something at least every 60s; " +
				"set loadBalancer.idleTimeout to at least 600s, or stream"}},
		{"an unknown idle timeout is not judged", func(s *streamSettings) { s.IdleTimeout = 0 }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := safe
			tc.change(&s)
			assert.Equal(t, tc.want, assessStreamSettings(s))
		})
	}
}

func TestAssessStreamSettingsWarnsOnceForEachSettingTooShort(t *testing.T) {
	t.Parallel()
	got := assessStreamSettings(streamSettings{MaxRequest: 90 * time.Second, DeregistrationDelay: 30 * time.Second, StopTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second})

	if assert.Len(t, got, 3) {
		assert.Contains(t, got[0], "loadBalancer.deregistrationDelay 30s")
		assert.Contains(t, got[1], "service.stopTimeout 10s")
		assert.Contains(t, got[2], "loadBalancer.idleTimeout 60s")
	}
}
