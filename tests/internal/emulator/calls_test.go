package emulator

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// callLog collects Options.OnCall's calls.
type callLog struct {
	mu    sync.Mutex
	calls []Call
}

func (l *callLog) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

func (l *callLog) all() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

// The call log tells callers apart by their User-Agent, stamps calls with AWS time, counts a
// throttled call with its error code, and gives two reads of an unchanged resource the same input
// and output digests, in JSON and in Query (whose answers carry a fresh RequestId each time).
func TestTheCallLogRecordsWhoCalledWhatWhenAndWhetherTheAnswerChanged(t *testing.T) {
	t.Parallel()
	log := &callLog{}
	w := newWorld(t, worldOptions{desired: 1, emu: Options{OnCall: log.add,
		Faults: mustFaults(t, "codedeploy:GetApplication:throttle=1")}})
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", AppID: "calllog-test",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	cd := codedeploy.NewFromConfig(cfg, func(o *codedeploy.Options) {
		o.BaseEndpoint = aws.String(w.url)
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 })
	})
	elb := elbv2.NewFromConfig(cfg, func(o *elbv2.Options) { o.BaseEndpoint = aws.String(w.url) })

	before := w.now()
	group := &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(w.app), DeploymentGroupName: aws.String(w.group)}
	for range 2 {
		_, err := cd.GetDeploymentGroup(ctx, group)
		require.NoError(t, err)
		_, err = elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{w.blue.ARN}})
		require.NoError(t, err)
	}
	_, err := cd.GetApplication(ctx, &codedeploy.GetApplicationInput{ApplicationName: aws.String(w.app)})
	require.Error(t, err)
	_, err = elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{w.green.ARN}})
	require.NoError(t, err)
	after := w.now()

	var ours []Call
	for _, c := range log.all() {
		if strings.Contains(c.Caller, "app/calllog-test") {
			ours = append(ours, c)
		}
	}
	require.Len(t, ours, 6, "the world's own reads are told apart by their User-Agent")
	assert.Contains(t, ours[0].Caller, "aws-sdk-go-v2")
	for _, c := range ours {
		assert.False(t, c.At.Before(before) || c.At.After(after), "%s at %v: on the AWS clock", c.Action, c.At)
	}
	gdg1, tg1, gdg2, tg2, app, tgGreen := ours[0], ours[1], ours[2], ours[3], ours[4], ours[5]
	assert.Equal(t, []string{"codedeploy", "GetDeploymentGroup"}, []string{gdg1.Service, gdg1.Action})
	assert.Equal(t, []string{"elbv2", "DescribeTargetGroups"}, []string{tg1.Service, tg1.Action})
	assert.Equal(t, gdg1.Input, gdg2.Input)
	assert.Equal(t, gdg1.Output, gdg2.Output, "nothing changed: the same answer")
	assert.Equal(t, tg1.Output, tg2.Output, "a Query answer's RequestId is not part of its digest")
	assert.NotEqual(t, tg1.Input, tgGreen.Input, "another target group asked")
	assert.NotEqual(t, tg1.Output, tgGreen.Output)
	assert.Empty(t, gdg1.Error)
	assert.Equal(t, "ThrottlingException", app.Error)
	assert.Empty(t, app.Output, "an error has no answer to digest")
}
