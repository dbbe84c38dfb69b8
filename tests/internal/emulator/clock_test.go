package emulator

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
)

// Every timestamp the APIs answer is on the emulator's AWS clock, which an in-process deployer shares:
// after a real second at 600x, AWS time is ten minutes ahead of the wall clock, and a deployment's
// times, its lifecycle events and its tasks' times are all AWS time.
func TestTimestampsAreAWSTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1})
	time.Sleep(time.Second)
	require.Greater(t, w.now().Sub(time.Now()), 5*time.Minute, "AWS time runs ahead of the wall clock")
	id := w.deploy("v2", nil)
	info := w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
	now := w.now()
	for name, at := range map[string]*time.Time{"create": info.CreateTime, "start": info.StartTime, "complete": info.CompleteTime} {
		require.NotNil(t, at, name)
		assert.WithinDuration(t, now, *at, 3*time.Hour, "%s time is AWS time", name) // 18 real seconds at 600x
		assert.Greater(t, at.Sub(time.Now()), 5*time.Minute, "%s time is not the wall clock's", name)
	}
	for _, ev := range w.target(id).LifecycleEvents {
		if ev.StartTime != nil {
			assert.Greater(t, ev.StartTime.Sub(time.Now()), 5*time.Minute, "%s starts on the AWS clock", aws.ToString(ev.LifecycleEventName))
		}
	}
	tasks := w.greenTasks()
	require.NotEmpty(t, tasks)
	assert.Greater(t, aws.ToTime(tasks[0].StartedAt).Sub(time.Now()), 5*time.Minute, "task times convert the data plane's real instants")
	assert.False(t, aws.ToTime(tasks[0].StartedAt).Before(aws.ToTime(tasks[0].CreatedAt)))
}

// The stack's durations are AWS durations on that clock: a 5-minute termination wait at 600x lasts
// half a real second, and the deployment's times say it lasted five AWS minutes.
func TestTheTerminationWaitLastsItsAWSMinutes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, worldOptions{desired: 1, terminationMin: 5})
	id := w.deploy("v2", nil)
	info := w.waitStatus(id, cdtypes.DeploymentStatusSucceeded)
	var trafficEnd time.Time
	for _, ev := range w.target(id).LifecycleEvents {
		if aws.ToString(ev.LifecycleEventName) == "AfterAllowTraffic" {
			trafficEnd = aws.ToTime(ev.EndTime)
		}
	}
	waited := aws.ToTime(info.CompleteTime).Sub(trafficEnd)
	assert.GreaterOrEqual(t, waited, 5*time.Minute)
	// Scaled twice, the wait would last 3,000 AWS minutes; a loaded machine may add a few real
	// seconds (minutes of AWS time at 600x) to the 5.
	assert.Less(t, waited, 50*time.Minute, "the wait is not scaled twice")
}

// CloudWatch buckets whole AWS minutes: GetMetricData's timestamps are minute-aligned AWS instants.
func TestMetricPeriodsAreWholeAWSMinutes(t *testing.T) {
	t.Parallel()
	clock := awsclock.NewAt(600, time.Now(), time.Date(2030, 1, 1, 0, 0, 17, 0, time.UTC)) // AWS time off the real minute
	w := newWorld(t, worldOptions{desired: 1, emu: Options{Clock: clock}})
	start := w.now()
	for range 30 {
		w.version(w.prod)
		time.Sleep(20 * time.Millisecond) // 12 AWS seconds apart: the requests span several minutes
	}
	var out *cloudwatch.GetMetricDataOutput
	w.eventually(func() bool {
		var err error
		out, err = w.cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(start), EndTime: aws.Time(w.now()), ScanBy: cwtypes.ScanByTimestampAscending,
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("r"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("RequestCount"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(w.lb.ARNSuffix)}}}}}}})
		require.NoError(t, err)
		var sum float64
		for _, v := range out.MetricDataResults[0].Values {
			sum += v
		}
		return sum == 30*testScale
	}, "every request published")
	ts := out.MetricDataResults[0].Timestamps
	require.Greater(t, len(ts), 2, "the requests span several AWS minutes")
	for i, at := range ts {
		assert.Equal(t, at.Truncate(time.Minute), at, "datapoint %d is not on an AWS minute", i)
		assert.Equal(t, 2030, at.Year())
	}
}
