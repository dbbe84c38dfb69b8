package emulator

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// bucketRate is a token bucket's size (the burst: requests allowed at once) and its refill rate
// (the sustained rate: tokens added per AWS second).
type bucketRate struct {
	burst, perSecond float64
}

// rateCategory names the token bucket an action draws from and its rate. Actions of one category
// share one bucket, as AWS groups them.
type rateCategory struct {
	name string
	rate bucketRate
}

// The per-account request rates, on AWS time. Where AWS publishes them they are AWS's defaults:
//   - ECS: "Request throttling for the Amazon ECS API" (APIReference/request-throttling.html), token
//     buckets per action category. DescribeTaskSets is in no category there; it is counted with the
//     service reads (an estimate).
//   - ELBv2: "Request throttling for the Elastic Load Balancing API" (userguide/elb-api-throttling.html):
//     non-mutating 40 burst / 10 per second, mutating 20 / 3, registration 20 / 4, and an account-level
//     bucket of 40 / 10 that every ELBv2 call draws from too.
//   - CloudWatch: the service quotas ("Rate of DescribeAlarms requests: 9 per second", GetMetricData
//     500, PutMetricAlarm, SetAlarmState and DeleteAlarms 3). CloudWatch publishes rates, not buckets:
//     the burst is one second's worth (an estimate).
//   - CodeDeploy publishes no request rates. The figures are estimates: reads 10 burst / 5 per second
//     per action, writes 5 / 1. Users report ThrottlingException from GetDeployment polled 41 times a
//     minute with bursts (awslabs/aws-codedeploy-plugin#95), so CodeDeploy's reads are not generous.
//
// Unknown actions get otherRate (an estimate).
var (
	ecsCategories = map[string]rateCategory{
		"DescribeClusters":       {"ecs:cluster-read", bucketRate{50, 20}},
		"ListClusters":           {"ecs:cluster-read", bucketRate{50, 20}},
		"RegisterTaskDefinition": {"ecs:task-definition-modify", bucketRate{20, 1}},
		"DescribeTaskDefinition": {"ecs:task-definition-read", bucketRate{50, 20}},
		"ListTaskDefinitions":    {"ecs:task-definition-read", bucketRate{50, 20}},
		"TagResource":            {"ecs:tag-modify", bucketRate{20, 10}},
		"ListTagsForResource":    {"ecs:tag-read", bucketRate{50, 20}},
		"DescribeTasks":          {"ecs:cluster-resource-read", bucketRate{100, 20}},
		"ListTasks":              {"ecs:cluster-resource-read", bucketRate{100, 20}},
		"DescribeServices":       {"ecs:service-read", bucketRate{100, 20}},
		"DescribeTaskSets":       {"ecs:service-read", bucketRate{100, 20}},
	}
	cloudWatchRates = map[string]bucketRate{
		"DescribeAlarms": {9, 9}, "GetMetricData": {500, 500},
		"PutMetricAlarm": {3, 3}, "SetAlarmState": {3, 3}, "DeleteAlarms": {3, 3},
	}
	codeDeployWrites = map[string]bool{"CreateDeployment": true, "StopDeployment": true, "ContinueDeployment": true}
	elbAccountRate   = rateCategory{"elbv2:account", bucketRate{40, 10}}
	otherRate        = bucketRate{20, 5}
)

// rateCategories returns the buckets a call to action of svc draws a token from.
func rateCategories(svc, action string) []rateCategory {
	switch svc {
	case "ecs":
		if c, ok := ecsCategories[action]; ok {
			return []rateCategory{c}
		}
	case "codedeploy":
		if codeDeployWrites[action] {
			return []rateCategory{{"codedeploy:" + action, bucketRate{5, 1}}}
		}
		return []rateCategory{{"codedeploy:" + action, bucketRate{10, 5}}}
	case "elbv2":
		c := rateCategory{"elbv2:mutating", bucketRate{20, 3}}
		switch {
		case strings.HasPrefix(action, "Describe"):
			c = rateCategory{"elbv2:non-mutating", bucketRate{40, 10}}
		case action == "RegisterTargets" || action == "DeregisterTargets":
			c = rateCategory{"elbv2:registration", bucketRate{20, 4}}
		}
		return []rateCategory{c, elbAccountRate}
	case "cloudwatch":
		if r, ok := cloudWatchRates[action]; ok {
			return []rateCategory{{"cloudwatch:" + action, r}}
		}
	}
	return []rateCategory{{svc + ":" + action, otherRate}}
}

// tokenBucket is one bucket's state: its tokens as of last (AWS time).
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// rateLimiter keeps the account's token buckets. A call is admitted only when every bucket of its
// categories has a token; a throttled call takes none.
type rateLimiter struct {
	mu      sync.Mutex
	buckets map[string]*tokenBucket
}

// admit reports whether a call drawing from cats may proceed at the AWS instant now, and takes its
// tokens if so.
func (l *rateLimiter) admit(cats []rateCategory, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*tokenBucket{}
	}
	bs := make([]*tokenBucket, len(cats))
	for i, c := range cats {
		b := l.buckets[c.name]
		if b == nil {
			b = &tokenBucket{tokens: c.rate.burst, last: now}
			l.buckets[c.name] = b
		}
		if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
			b.tokens = min(c.rate.burst, b.tokens+elapsed*c.rate.perSecond)
			b.last = now
		}
		if b.tokens < 1 {
			return false
		}
		bs[i] = b
	}
	for _, b := range bs {
		b.tokens--
	}
	return true
}

// throttlingErr is the error a throttled call gets in its protocol's shape: ThrottlingException
// (HTTP 400) for JSON and rpcv2-CBOR, which both the Go SDK and botocore count as throttling; the
// Query services (ELBv2, CloudWatch) answer <Code>Throttling</Code>, and CloudWatch's JSON and CBOR
// answers carry that Query code in X-Amzn-Query-Error as an awsQueryCompatible service does. AWS's
// message is "Rate exceeded".
func throttlingErr(svc *service) *awsError {
	ae := &awsError{Shape: "ThrottlingException", Message: "Rate exceeded", Status: http.StatusBadRequest}
	if svc.queryNS != "" {
		ae.QueryCode = "Throttling"
	}
	return ae
}
