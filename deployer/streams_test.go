package deployer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAssessStreamSettings(t *testing.T) {
	t.Parallel()
	safe := streamSettings{MaxRequest: 600 * time.Second, DeregistrationDelay: 660 * time.Second, IdleTimeout: 900 * time.Second}
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
	got := assessStreamSettings(streamSettings{MaxRequest: 90 * time.Second, DeregistrationDelay: 30 * time.Second, IdleTimeout: 60 * time.Second})

	if assert.Len(t, got, 2) {
		assert.Contains(t, got[0], "loadBalancer.deregistrationDelay 30s")
		assert.Contains(t, got[1], "loadBalancer.idleTimeout 60s")
	}
}

// streamWorld is a release whose live settings would cut a 600 s stream: blue's
// and green's groups drain for 300 s and 900 s, the load balancer's idle timeout
// is 60 s.
func streamWorld(t *testing.T) (*world, *Deployer) {
	w := newWorld(t)
	w.addScript("d-NEW", happyScript()...)
	w.deregistrationDelay = map[string]string{tgBlue: "300", tgGreen: "900"}
	w.idleTimeout = "60"
	d := w.deployer(t, true)
	d.t.MaxRequest = 600 * time.Second
	return w, d
}

func TestPlanListsTheLiveSettingsThatWouldCutStreams(t *testing.T) {
	t.Parallel()
	_, d := streamWorld(t)
	res := d.Plan(context.Background(), deployV2())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	assert.Contains(t, res.Plan.Streams, "loadBalancer.deregistrationDelay 300s is shorter than service.maxRequestSeconds 600s: when blue's targets are deregistered after the cutover, "+
		"a request or stream still open at the end of the drain is cut; set loadBalancer.deregistrationDelay to at least 600s", "the shorter of the two groups' drains")
	assert.Len(t, res.Plan.Streams, 2, "and the idle timeout, never the stop timeout (SIGTERM comes after the drain): %q", res.Plan.Streams)
	var text strings.Builder
	res.Plan.writeText(&text)
	assert.Contains(t, text.String(), "\nstreams          loadBalancer.idleTimeout 60s is shorter than service.maxRequestSeconds 600s")
}

func TestDeployWarnsOfSettingsThatWouldCutStreamsAndReleases(t *testing.T) {
	t.Parallel()
	w, d := streamWorld(t)
	log, logs := newLog(t)
	d.log = log
	w.idleTimeout = "900"
	res := d.Deploy(context.Background(), deployV2())

	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)
	assert.Contains(t, logs.String(), `msg="streams: loadBalancer.deregistrationDelay 300s is shorter than service.maxRequestSeconds 600s`)
	assert.NotContains(t, logs.String(), "stopTimeout", "ECS's default stop timeout is no risk to a stream: SIGTERM comes after the drain")
	assert.NotContains(t, logs.String(), "loadBalancer.idleTimeout")
}

func TestStreamSettingsAreNotReadWithoutMaxRequestSeconds(t *testing.T) {
	t.Parallel()
	w, d := streamWorld(t)
	d.t.MaxRequest = 0 // a stack from before maxRequestSeconds was exported
	res := d.Plan(context.Background(), deployV2())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	assert.Empty(t, res.Plan.Streams)
	assert.Zero(t, w.called("elb:DescribeTargetGroupAttributes")+w.called("elb:DescribeLoadBalancerAttributes"))
}

func TestStreamSettingsThatCannotBeReadAreSaidNotCheckedAndTheReleaseGoesOn(t *testing.T) {
	t.Parallel()
	w, d := streamWorld(t)
	w.attrErr = apiError("AccessDenied", "not authorized to perform: elasticloadbalancing:DescribeTargetGroupAttributes")
	res := d.Plan(context.Background(), deployV2())

	require.Equal(t, OutcomeOK, res.Outcome, res.Message)
	require.Len(t, res.Plan.Streams, 1)
	assert.Contains(t, res.Plan.Streams[0], "stream settings not checked against service.maxRequestSeconds 600s: describe attributes of target group web-blue: AccessDenied")
}

func TestAttributeSecondsDefaultsWhenUnset(t *testing.T) {
	t.Parallel()
	v, err := attributeSeconds("", 300)
	require.NoError(t, err)
	assert.Equal(t, 300*time.Second, v)
	v, err = attributeSeconds("45", 300)
	require.NoError(t, err)
	assert.Equal(t, 45*time.Second, v)
	_, err = attributeSeconds("soon", 300)
	assert.ErrorContains(t, err, `"soon" is not whole seconds`)
}

// The port check and the stream check look at the same two listeners, read once before anything is
// written (the benchmark counted each read twice).
func TestDeployReadsEachListenerOnceBeforeWriting(t *testing.T) {
	t.Parallel()
	w, d := streamWorld(t)
	res := d.Deploy(context.Background(), deployV2())
	require.Equal(t, OutcomeReleased, res.Outcome, res.Message)

	w.mu.Lock()
	defer w.mu.Unlock()
	reads := 0
	for _, c := range w.calls {
		if c == "ecs:RegisterTaskDefinition" {
			break
		}
		if strings.HasPrefix(c, "elb:DescribeListeners") {
			reads++
		}
	}
	assert.Equal(t, 2, reads, "the production and the test listener, once each")
}
