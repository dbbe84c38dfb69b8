package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLowSampleMinimumIsTenOverTheTail(t *testing.T) {
	t.Parallel()
	cases := map[string]float64{"p99": 1000, "p95": 200, "p90": 100, "p50": 20, "p99.9": 10000, "p10": 100, "p25": 40,
		"p100": 0, "p0": 0, "tm99": 0}
	for stat, want := range cases {
		s := MetricAlarmInput{ExtendedStatistic: stat, EvaluateLowSampleCountPercentile: lowSampleIgnore}
		assert.Equal(t, want, lowSampleMinimum(s), stat)
	}
	assert.Zero(t, lowSampleMinimum(MetricAlarmInput{ExtendedStatistic: "p99", EvaluateLowSampleCountPercentile: lowSampleEvaluate}))
	assert.Zero(t, lowSampleMinimum(MetricAlarmInput{ExtendedStatistic: "p99"}), "evaluate is the default")
	assert.Zero(t, lowSampleMinimum(MetricAlarmInput{Statistic: "Sum", EvaluateLowSampleCountPercentile: lowSampleIgnore}))
}

func TestAssessAlarm(t *testing.T) {
	t.Parallel()
	p99 := func(ignore bool, missing string) MetricAlarmInput {
		s := MetricAlarmInput{ExtendedStatistic: "p99", Threshold: 1, ComparisonOperator: "GreaterThanThreshold",
			EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: missing}
		if ignore {
			s.EvaluateLowSampleCountPercentile = lowSampleIgnore
		}
		return s
	}
	slow := func(samples float64, newest bool) alarmDatapoint {
		return alarmDatapoint{value: 2, samples: samples, newest: newest}
	}
	fast := func(samples float64, newest bool) alarmDatapoint {
		return alarmDatapoint{value: 0.1, samples: samples, newest: newest}
	}
	cases := []struct {
		name   string
		spec   MetricAlarmInput
		points []alarmDatapoint
		state  string // "" when the alarm keeps its state
	}{
		{"a slow period short of 1,000 samples keeps the state", p99(true, "notBreaching"),
			[]alarmDatapoint{slow(999, false), slow(999, true)}, ""},
		{"evaluate judges slow periods of any size", p99(false, "notBreaching"),
			[]alarmDatapoint{slow(180, false), slow(180, true)}, AlarmAlarm},
		{"two slow periods of 1,000 samples alarm", p99(true, "notBreaching"),
			[]alarmDatapoint{slow(1000, false), slow(1000, true)}, AlarmAlarm},
		{"an older low-sample period is neither breaching nor missing", p99(true, "breaching"),
			[]alarmDatapoint{slow(10, false), fast(5000, false), slow(5000, true)}, AlarmOK},
		{"the same period counts when it has enough samples", p99(true, "breaching"),
			[]alarmDatapoint{slow(1000, false), fast(5000, false), slow(5000, true)}, AlarmAlarm},
		{"a missing newest period is missing data, not a low sample", p99(true, "notBreaching"),
			[]alarmDatapoint{fast(5000, false)}, AlarmOK},
		{"only low-sample periods in the window keep the state", p99(true, "notBreaching"),
			[]alarmDatapoint{slow(3, false)}, ""},
		{"missing data treated as missing", p99(false, "missing"), nil, AlarmInsufficientData},
		{"missing data ignored keeps the state", p99(false, "ignore"), nil, ""},
		{"missing data breaching", p99(false, "breaching"), nil, AlarmAlarm},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			state, reason, change := assessAlarm(c.spec, c.points)
			assert.Equal(t, c.state != "", change)
			assert.Equal(t, c.state, state)
			if change {
				assert.NotEmpty(t, reason)
			}
		})
	}
}

func TestPutMetricAlarmRejectsAnUnknownLowSampleSetting(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: "p99", Namespace: "AWS/ApplicationELB",
		MetricName: "TargetResponseTime", ExtendedStatistic: "p99", Period: 60, EvaluationPeriods: 1, Threshold: 1,
		ComparisonOperator: "GreaterThanThreshold", EvaluateLowSampleCountPercentile: "skip"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "EvaluateLowSampleCountPercentile")
}

// TestEvaluateLowSampleCountPercentileIsKeptInEveryProtocol puts alarms over JSON 1.0 and rpcv2-CBOR
// and reads the setting back over CBOR, Query and, when it is installed, the aws CLI.
func TestEvaluateLowSampleCountPercentileIsKeptInEveryProtocol(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	ctx := context.Background()
	_, err := w.cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("cbor-p99"),
		Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("TargetResponseTime"),
		ExtendedStatistic: aws.String("p99"), Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
		EvaluateLowSampleCountPercentile: aws.String("ignore")})
	require.NoError(t, err)
	status, msg := w.postJSON("GraniteServiceVersion20100801.PutMetricAlarm", "1.0", `{"AlarmName": "json-p99",
		"Namespace": "AWS/ApplicationELB", "MetricName": "TargetResponseTime", "ExtendedStatistic": "p95", "Period": 60,
		"EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
		"EvaluateLowSampleCountPercentile": "evaluate"}`)
	require.Equal(t, http.StatusOK, status, msg)

	out, err := w.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cbor-p99", "json-p99"}})
	require.NoError(t, err)
	got := map[string]string{}
	for _, a := range out.MetricAlarms {
		got[aws.ToString(a.AlarmName)] = aws.ToString(a.EvaluateLowSampleCountPercentile)
	}
	assert.Equal(t, map[string]string{"cbor-p99": "ignore", "json-p99": "evaluate"}, got)
	_, xml := w.postQuery(url.Values{"Action": {"DescribeAlarms"}, "Version": {"2010-08-01"}, "AlarmNames.member.1": {"cbor-p99"}})
	assert.Contains(t, xml, "<EvaluateLowSampleCountPercentile>ignore</EvaluateLowSampleCountPercentile>")

	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed (pip install awscli): the CBOR and Query answers were checked")
	}
	srv, err := w.emu.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	cliCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cliCtx, awsCLI, "cloudwatch", "describe-alarms", "--alarm-names", "cbor-p99", "--output", "json")
	cmd.Env = cliEnv(srv.URL)
	stdout, err := cmd.Output()
	require.NoError(t, err)
	var cli struct{ MetricAlarms []map[string]any }
	require.NoError(t, json.Unmarshal(stdout, &cli), string(stdout))
	require.Len(t, cli.MetricAlarms, 1)
	assert.Equal(t, "ignore", cli.MetricAlarms[0]["EvaluateLowSampleCountPercentile"])
}

// TestAP99AlarmIgnoringLowSamplesNeedsAThousandRequestsAMinute runs at 60x: a period lasts one real
// second and each real request counts 60 times, so 3 slow requests are 180 samples, short of the
// 1,000 a p99 needs, while a steady 40 requests a second are 2,400 a minute.
func TestAP99AlarmIgnoringLowSamplesNeedsAThousandRequestsAMinute(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{scale: 60, desired: 1, env: map[string]string{"SIM_LATENCY_MS": "150"}})
	for name, setting := range map[string]string{"p99-ignore": lowSampleIgnore, "p99-evaluate": lowSampleEvaluate} {
		_, err := w.emu.PutMetricAlarm(MetricAlarmInput{AlarmName: name, Namespace: "AWS/ApplicationELB",
			MetricName: "TargetResponseTime", Dimensions: []Dimension{{"LoadBalancer", w.lb.ARNSuffix}, {"TargetGroup", w.blue.ARNSuffix}},
			ExtendedStatistic: "p99", Period: 60, EvaluationPeriods: 1, Threshold: 0.1, ComparisonOperator: "GreaterThanThreshold",
			TreatMissingData: "notBreaching", EvaluateLowSampleCountPercentile: setting})
		require.NoError(t, err)
	}
	state := func(name string) string { s, _ := w.emu.AlarmState(name); return s }
	w.eventually(func() bool { return state("p99-ignore") == AlarmOK }, "the ignoring alarm judged its first, empty minutes")
	for range 3 {
		require.Equal(t, "v1", w.version(w.prod))
	}
	w.eventually(func() bool { return state("p99-evaluate") == AlarmAlarm }, "the evaluating alarm fires on 3 slow requests")
	assert.Equal(t, AlarmOK, state("p99-ignore"), "180 samples are too few for a p99 that ignores low sample counts")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 { // 8 senders of 150 ms requests: about 50 a second
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				w.version(w.prod)
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	w.eventually(func() bool { return state("p99-ignore") == AlarmAlarm }, "the ignoring alarm fires on a full minute")
}
