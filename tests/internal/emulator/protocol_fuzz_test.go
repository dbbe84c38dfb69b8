package emulator

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkClients are the SDK clients the deployer and the aws CLI use, one per wire
// protocol the emulator speaks: JSON 1.1 (ECS, CodeDeploy), Query (ELBv2), and
// CloudWatch in rpcv2-CBOR (the Go SDK's default), JSON 1.0 and Query.
type sdkClients struct {
	ecs                 *ecs.Client
	cd                  *codedeploy.Client
	elb                 *elbv2.Client
	cwCBOR, cwJSON, cwQ *cloudwatch.Client
}

func newSDKClients(h aws.HTTPClient) sdkClients {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient: h, RetryMaxAttempts: 1, BaseEndpoint: aws.String("http://emulator.test")}
	return sdkClients{
		ecs: ecs.NewFromConfig(cfg), cd: codedeploy.NewFromConfig(cfg), elb: elbv2.NewFromConfig(cfg),
		cwCBOR: cloudwatch.NewFromConfig(cfg),
		cwJSON: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			o.Protocol = awsjson.New10(cwschemas.GraniteServiceVersion20100801)
		}),
		cwQ: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}),
	}
}

// sdkCall is one operation the emulator serves, as an SDK client sends it. A Query
// call also has its API version and action: a Query body names its own action.
type sdkCall struct {
	name                 string
	call                 func(ctx context.Context, c sdkClients) error
	queryVersion, action string
}

// servedAs is the call whose answer the emulator gives to body sent as c: a Query
// body names the action (and, by its Version, the service) the emulator serves, and
// only that action's SDK client reads the answer as AWS meant it.
func servedAs(calls []sdkCall, c sdkCall, body []byte) sdkCall {
	form, err := url.ParseQuery(string(body))
	if c.queryVersion == "" || err != nil {
		return c
	}
	version := form.Get("Version")
	if version != "2015-12-01" && version != "2010-08-01" { // the emulator falls back on the SigV4 scope
		version = c.queryVersion
	}
	for _, d := range calls {
		if d.queryVersion == version && d.action == form.Get("Action") {
			return d
		}
	}
	return c
}

// callOf adapts an SDK operation with a fixed input to an sdkCall.
func callOf[I, O any](name string, client func(sdkClients) func(context.Context, *I, ...func(*O)) error, in *I) sdkCall {
	return sdkCall{name: name, call: func(ctx context.Context, c sdkClients) error { return client(c)(ctx, in) }}
}

// op turns an SDK client method into the shape callOf takes, dropping the output.
func sdkOp[C, I, O, R any](client func(sdkClients) C, method func(C, context.Context, *I, ...func(*O)) (R, error)) func(sdkClients) func(context.Context, *I, ...func(*O)) error {
	return func(c sdkClients) func(context.Context, *I, ...func(*O)) error {
		return func(ctx context.Context, in *I, opts ...func(*O)) error {
			_, err := method(client(c), ctx, in, opts...)
			return err
		}
	}
}

var (
	fuzzTaskDefArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
	fuzzListener   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web-alb/0123456789abcdef/1111111111111111"
	fuzzTG         = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/0123456789abcdef"
	fuzzTime       = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
)

func ecsOp[I, O, R any](m func(*ecs.Client, context.Context, *I, ...func(*O)) (R, error)) func(sdkClients) func(context.Context, *I, ...func(*O)) error {
	return sdkOp(func(c sdkClients) *ecs.Client { return c.ecs }, m)
}

func cdOp[I, O, R any](m func(*codedeploy.Client, context.Context, *I, ...func(*O)) (R, error)) func(sdkClients) func(context.Context, *I, ...func(*O)) error {
	return sdkOp(func(c sdkClients) *codedeploy.Client { return c.cd }, m)
}

func elbOp[I, O, R any](m func(*elbv2.Client, context.Context, *I, ...func(*O)) (R, error)) func(sdkClients) func(context.Context, *I, ...func(*O)) error {
	return sdkOp(func(c sdkClients) *elbv2.Client { return c.elb }, m)
}

// sdkCalls lists every operation the emulator serves, with an input like the
// deployer's (CloudWatch once per protocol).
func sdkCalls() []sdkCall {
	calls := []sdkCall{
		callOf("ecs DescribeServices", ecsOp((*ecs.Client).DescribeServices), &ecs.DescribeServicesInput{Cluster: aws.String("web-cluster"), Services: []string{"web"}, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}}),
		callOf("ecs DescribeTaskSets", ecsOp((*ecs.Client).DescribeTaskSets), &ecs.DescribeTaskSetsInput{Cluster: aws.String("web-cluster"), Service: aws.String("web"), TaskSets: []string{"ecs-svc/1234567890"}}),
		callOf("ecs DescribeTaskDefinition", ecsOp((*ecs.Client).DescribeTaskDefinition), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(fuzzTaskDefArn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}}),
		callOf("ecs RegisterTaskDefinition", ecsOp((*ecs.Client).RegisterTaskDefinition), &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("web"), Cpu: aws.String("256"), Memory: aws.String("512"), NetworkMode: ecstypes.NetworkModeAwsvpc,
			RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/exec"),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("model"), Image: aws.String("repo/model-server:v2"), Essential: aws.Bool(true),
				PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080)}}, Environment: []ecstypes.KeyValuePair{{Name: aws.String("MODEL"), Value: aws.String("v2")}},
				HealthCheck: &ecstypes.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"}, Interval: aws.Int32(30), Retries: aws.Int32(3)}}},
			Tags: []ecstypes.Tag{{Key: aws.String("deployer:image"), Value: aws.String("repo/model-server:v2")}},
		}),
		callOf("ecs ListTasks", ecsOp((*ecs.Client).ListTasks), &ecs.ListTasksInput{Cluster: aws.String("web-cluster"), StartedBy: aws.String("ecs-svc/1234567890"), DesiredStatus: ecstypes.DesiredStatusStopped}),
		callOf("ecs DescribeTasks", ecsOp((*ecs.Client).DescribeTasks), &ecs.DescribeTasksInput{Cluster: aws.String("web-cluster"), Tasks: []string{"arn:aws:ecs:us-east-1:123456789012:task/web-cluster/0123456789abcdef"}}),
		callOf("ecs TagResource", ecsOp((*ecs.Client).TagResource), &ecs.TagResourceInput{ResourceArn: aws.String(fuzzTaskDefArn), Tags: []ecstypes.Tag{{Key: aws.String("deployer:verdict"), Value: aws.String("released")}}}),
		callOf("ecs ListTagsForResource", ecsOp((*ecs.Client).ListTagsForResource), &ecs.ListTagsForResourceInput{ResourceArn: aws.String(fuzzTaskDefArn)}),
		callOf("ecs ListClusters", ecsOp((*ecs.Client).ListClusters), &ecs.ListClustersInput{}),

		callOf("codedeploy GetApplication", cdOp((*codedeploy.Client).GetApplication), &codedeploy.GetApplicationInput{ApplicationName: aws.String("web-app")}),
		callOf("codedeploy ListApplications", cdOp((*codedeploy.Client).ListApplications), &codedeploy.ListApplicationsInput{}),
		callOf("codedeploy ListDeploymentGroups", cdOp((*codedeploy.Client).ListDeploymentGroups), &codedeploy.ListDeploymentGroupsInput{ApplicationName: aws.String("web-app")}),
		callOf("codedeploy GetDeploymentGroup", cdOp((*codedeploy.Client).GetDeploymentGroup), &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("web-app"), DeploymentGroupName: aws.String("web-dg")}),
		callOf("codedeploy GetDeploymentConfig", cdOp((*codedeploy.Client).GetDeploymentConfig), &codedeploy.GetDeploymentConfigInput{DeploymentConfigName: aws.String("CodeDeployDefault.ECSCanary10Percent5Minutes")}),
		callOf("codedeploy GetApplicationRevision", cdOp((*codedeploy.Client).GetApplicationRevision), &codedeploy.GetApplicationRevisionInput{ApplicationName: aws.String("web-app"), Revision: fuzzRevision()}),
		callOf("codedeploy CreateDeployment", cdOp((*codedeploy.Client).CreateDeployment), &codedeploy.CreateDeploymentInput{ApplicationName: aws.String("web-app"), DeploymentGroupName: aws.String("web-dg"),
			Revision: fuzzRevision(), Description: aws.String("deployer: repo/model-server:v2")}),
		callOf("codedeploy GetDeployment", cdOp((*codedeploy.Client).GetDeployment), &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-ABCDEF123")}),
		callOf("codedeploy ListDeployments", cdOp((*codedeploy.Client).ListDeployments), &codedeploy.ListDeploymentsInput{ApplicationName: aws.String("web-app"), DeploymentGroupName: aws.String("web-dg"),
			IncludeOnlyStatuses: []cdtypes.DeploymentStatus{cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusReady},
			CreateTimeRange:     &cdtypes.TimeRange{Start: aws.Time(fuzzTime.Add(-time.Hour)), End: aws.Time(fuzzTime)}}),
		callOf("codedeploy ContinueDeployment", cdOp((*codedeploy.Client).ContinueDeployment), &codedeploy.ContinueDeploymentInput{DeploymentId: aws.String("d-ABCDEF123"), DeploymentWaitType: cdtypes.DeploymentWaitTypeReadyWait}),
		callOf("codedeploy StopDeployment", cdOp((*codedeploy.Client).StopDeployment), &codedeploy.StopDeploymentInput{DeploymentId: aws.String("d-ABCDEF123"), AutoRollbackEnabled: aws.Bool(true)}),
		callOf("codedeploy ListDeploymentTargets", cdOp((*codedeploy.Client).ListDeploymentTargets), &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String("d-ABCDEF123")}),
		callOf("codedeploy GetDeploymentTarget", cdOp((*codedeploy.Client).GetDeploymentTarget), &codedeploy.GetDeploymentTargetInput{DeploymentId: aws.String("d-ABCDEF123"), TargetId: aws.String("web-cluster:web")}),
		callOf("codedeploy BatchGetDeploymentTargets", cdOp((*codedeploy.Client).BatchGetDeploymentTargets), &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String("d-ABCDEF123"), TargetIds: []string{"web-cluster:web"}}),

		callOf("elbv2 DescribeLoadBalancers", elbOp((*elbv2.Client).DescribeLoadBalancers), &elbv2.DescribeLoadBalancersInput{Names: []string{"web-alb"}}),
		callOf("elbv2 DescribeListeners", elbOp((*elbv2.Client).DescribeListeners), &elbv2.DescribeListenersInput{ListenerArns: []string{fuzzListener}}),
		callOf("elbv2 DescribeRules", elbOp((*elbv2.Client).DescribeRules), &elbv2.DescribeRulesInput{ListenerArn: aws.String(fuzzListener)}),
		callOf("elbv2 DescribeTargetGroups", elbOp((*elbv2.Client).DescribeTargetGroups), &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{fuzzTG}}),
		callOf("elbv2 DescribeTargetHealth", elbOp((*elbv2.Client).DescribeTargetHealth), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(fuzzTG),
			Targets: []elbv2types.TargetDescription{{Id: aws.String("10.0.1.17"), Port: aws.Int32(8080)}}}),
		callOf("elbv2 ModifyListener", elbOp((*elbv2.Client).ModifyListener), &elbv2.ModifyListenerInput{ListenerArn: aws.String(fuzzListener), DefaultActions: []elbv2types.Action{{
			Type: elbv2types.ActionTypeEnumForward, ForwardConfig: &elbv2types.ForwardActionConfig{TargetGroups: []elbv2types.TargetGroupTuple{
				{TargetGroupArn: aws.String(fuzzTG), Weight: aws.Int32(100)}, {TargetGroupArn: aws.String(strings.Replace(fuzzTG, "blue", "green", 1)), Weight: aws.Int32(0)}}}}}}),
	}
	for i, c := range calls {
		if svc, action, _ := strings.Cut(c.name, " "); svc == "elbv2" {
			calls[i].queryVersion, calls[i].action = "2015-12-01", action
		}
	}
	for _, cw := range []struct {
		protocol string
		client   func(sdkClients) *cloudwatch.Client
	}{
		{"cbor", func(c sdkClients) *cloudwatch.Client { return c.cwCBOR }},
		{"json1.0", func(c sdkClients) *cloudwatch.Client { return c.cwJSON }},
		{"query", func(c sdkClients) *cloudwatch.Client { return c.cwQ }},
	} {
		calls = append(calls, cloudWatchCalls(cw.protocol, cw.client)...)
	}
	return calls
}

func fuzzRevision() *cdtypes.RevisionLocation {
	return &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent, AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(appSpecFor(fuzzTaskDefArn))}}
}

// cloudWatchCalls are the CloudWatch operations the deployer and the tests call.
func cloudWatchCalls(protocol string, client func(sdkClients) *cloudwatch.Client) []sdkCall {
	op := func(name string, call func(context.Context, *cloudwatch.Client) error) sdkCall {
		c := sdkCall{name: "cloudwatch(" + protocol + ") " + name, call: func(ctx context.Context, c sdkClients) error { return call(ctx, client(c)) }}
		if protocol == "query" {
			c.queryVersion, c.action = "2010-08-01", name
		}
		return c
	}
	dims := []cwtypes.Dimension{{Name: aws.String("TargetGroup"), Value: aws.String("targetgroup/web-green/fedcba9876543210")},
		{Name: aws.String("LoadBalancer"), Value: aws.String("app/web-alb/0123456789abcdef")}}
	stat := func(id, metric, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String(stat),
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims}}}
	}
	return []sdkCall{
		op("GetMetricData", func(ctx context.Context, c *cloudwatch.Client) error {
			_, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(fuzzTime.Add(-5 * time.Minute)), EndTime: aws.Time(fuzzTime), ScanBy: cwtypes.ScanByTimestampAscending,
				MetricDataQueries: []cwtypes.MetricDataQuery{stat("requests", "RequestCount", "Sum"), stat("errors", "HTTPCode_Target_5XX_Count", "Sum"), stat("p99", "TargetResponseTime", "p99"),
					{Id: aws.String("rate"), Expression: aws.String("errors / requests"), Label: aws.String("5xx rate")}}})
			return err
		}),
		op("DescribeAlarms", func(ctx context.Context, c *cloudwatch.Client) error {
			_, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"web-green-5xx", "web-alb-5xx"}})
			return err
		}),
		op("SetAlarmState", func(ctx context.Context, c *cloudwatch.Client) error {
			_, err := c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("web-green-5xx"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("fuzz")})
			return err
		}),
		op("PutMetricAlarm", func(ctx context.Context, c *cloudwatch.Client) error {
			_, err := c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("web-green-p99"), Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("TargetResponseTime"),
				Dimensions: dims, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(2), Threshold: aws.Float64(2.5),
				ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, ExtendedStatistic: aws.String("p99"), TreatMissingData: aws.String("notBreaching"),
				EvaluateLowSampleCountPercentile: aws.String("ignore")})
			return err
		}),
		op("DeleteAlarms", func(ctx context.Context, c *cloudwatch.Client) error {
			_, err := c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"web-green-p99"}})
			return err
		}),
	}
}

// inProcess serves SDK requests with the emulator in this process. With body set,
// it replaces the body the SDK serialized (kept in sent) by body, as a client that
// sends anything at all would; it keeps the emulator's answer.
type inProcess struct {
	handler http.Handler
	body    []byte
	sent    []byte
	answer  *httptest.ResponseRecorder
}

func (p *inProcess) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		sent, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		p.sent = sent
	}
	if p.body != nil {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(p.body)), int64(len(p.body))
	}
	p.answer = httptest.NewRecorder()
	p.handler.ServeHTTP(p.answer, r)
	return p.answer.Result(), nil
}

// commonErrorCodes are errors every AWS service may answer that no service models:
// the SDK reports them as generic API errors.
var commonErrorCodes = []string{"SerializationException", "ValidationError", "ValidationException", "InvalidAction", "UnknownOperationException",
	"MalformedQueryString", "MissingParameter", "InvalidParameterValue", "InvalidParameterCombination", "InvalidQueryParameter"}

// maxAnswerAlloc bounds what serving one fuzzed request may allocate: the seeds take
// well under a megabyte; a request that names a huge range or count must not cost
// gigabytes.
const maxAnswerAlloc = 64 << 20

// FuzzRequestDecoders sends each operation through its SDK client with the body
// replaced by fuzzed bytes, to an empty emulator: it never panics, and answers
// either an output the SDK reads or a client error (4xx; 400 when the body does not
// decode) the SDK reads as an AWS error, no server fault, with a code it knows
// (modelled by the service, or an error every service shares).
func FuzzRequestDecoders(f *testing.F) {
	calls := sdkCalls()
	for i, c := range calls {
		p := &inProcess{handler: newFuzzEmulator(f)}
		_ = c.call(context.Background(), newSDKClients(p))
		require.NotEmpty(f, p.sent, "%s: the SDK sent a body", c.name)
		f.Add(uint8(i), p.sent)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		c := servedAs(calls, calls[int(which)%len(calls)], body)
		p := &inProcess{handler: newFuzzEmulator(t), body: body}
		clients := newSDKClients(p)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := c.call(context.Background(), clients)
		runtime.ReadMemStats(&after)
		require.NotNil(t, p.answer, "%s: the emulator answered", c.name)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(maxAnswerAlloc), "%s: an answer's memory is bounded by what was asked, not by a number in the request", c.name)
		status := p.answer.Code
		if status == http.StatusOK {
			require.NoError(t, err, "%s: the SDK reads a 200 answer: %s", c.name, p.answer.Body)
			return
		}
		// AWS answers most client errors with 400, some with another 4xx (CloudWatch's
		// ResourceNotFound is a 404); a 5xx says the emulator failed on its input.
		assert.True(t, status >= 400 && status < 500, "%s: a request the emulator cannot serve is the caller's fault, got %d: %s", c.name, status, p.answer.Body)
		var apiErr smithy.APIError
		require.True(t, errors.As(err, &apiErr), "%s: the SDK reads the answer as an AWS error: %v (%s)", c.name, err, p.answer.Body)
		// The SDK knows the fault of modelled errors only; a generic one's is unknown.
		assert.NotEqual(t, smithy.FaultServer, apiErr.ErrorFault(), "%s: %v", c.name, err)
		if apiErr.ErrorCode() == "SerializationException" || apiErr.ErrorCode() == "ValidationError" {
			assert.Equal(t, http.StatusBadRequest, status, "%s: a request that does not decode is a 400", c.name)
		}
		var generic *smithy.GenericAPIError
		if errors.As(err, &generic) {
			assert.Contains(t, commonErrorCodes, generic.Code, "%s: an error code the service does not model: %v", c.name, err)
		}
	})
}

// newFuzzEmulator is an emulator with a cluster and an application, so that
// requests naming them get past the first lookup.
func newFuzzEmulator(tb testing.TB) *Emulator {
	tb.Helper()
	emu := New(Options{})
	tb.Cleanup(emu.Close)
	_, err := emu.CreateCluster("web-cluster")
	require.NoError(tb, err)
	_, err = emu.CreateApplication("web-app")
	require.NoError(tb, err)
	return emu
}
