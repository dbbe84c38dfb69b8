package provision

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// firstTargetsWithin is how long, in AWS time, a new stack's first tasks may take to serve: Fargate
// provisioning and the image pull, the model loading, and the health checks' healthy threshold.
const firstTargetsWithin = 15 * time.Minute

// WaitServing waits until the service's first tasks have loaded their model and every target of the
// group the prod listener serves is healthy, using the SDK's own TargetInService waiter against the
// emulator's ELBv2 API (its waits are real time; the limit is 15 AWS minutes, at least a real
// minute). It does not poll the prod listener itself: until a target is healthy the ALB answers 503,
// and a client hammering a fresh stack would set off the stack's ALB 5xx alarm, which then holds the
// first release in the deployer's --alarm-wait.
func (s *Stack) WaitServing(ctx context.Context) error {
	group, _ := s.Outputs["blueTargetGroupArn"].(string)
	client := elbv2.New(elbv2.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Server.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("provision", "provision", ""),
		// Generous: the emulator may be injecting throttling and 5xx faults, and the waiter gives up
		// on the first error its client's retries could not absorb.
		RetryMaxAttempts: 10,
	})
	waiter := elbv2.NewTargetInServiceWaiter(client, func(o *elbv2.TargetInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	limit := max(s.Server.Clock().RealDuration(firstTargetsWithin), time.Minute)
	if err := waiter.Wait(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(group)}, limit); err != nil {
		return fmt.Errorf("wait for the service's first targets in %s to be healthy: %w", group, err)
	}
	return nil
}
