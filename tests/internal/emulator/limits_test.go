package emulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestATokenBucketAllowsItsBurstThenItsRateOnAWSTime(t *testing.T) {
	t.Parallel()
	var l rateLimiter
	cats := rateCategories("elbv2", "ModifyListener") // 20 burst, 3 per second, and the account bucket
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 20 {
		assert.True(t, l.admit(cats, t0), "call %d of the burst", i+1)
	}
	assert.False(t, l.admit(cats, t0), "the burst is spent")
	assert.False(t, l.admit(cats, t0.Add(300*time.Millisecond)), "less than a token refilled")
	assert.True(t, l.admit(cats, t0.Add(400*time.Millisecond)), "3 tokens a second: one after 1/3 s")
	assert.False(t, l.admit(cats, t0.Add(400*time.Millisecond)))
}

func TestELBv2CallsShareTheAccountBucket(t *testing.T) {
	t.Parallel()
	var l rateLimiter
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 20 {
		assert.True(t, l.admit(rateCategories("elbv2", "ModifyListener"), t0))
	}
	for range 20 {
		assert.True(t, l.admit(rateCategories("elbv2", "DescribeTargetHealth"), t0))
	}
	assert.False(t, l.admit(rateCategories("elbv2", "DescribeListeners"), t0),
		"40 calls of any kind spend the account-level bucket, though the non-mutating one has 20 left")
}

func TestECSActionsOfACategoryShareABucket(t *testing.T) {
	t.Parallel()
	var l rateLimiter
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 50 {
		assert.True(t, l.admit(rateCategories("ecs", "DescribeServices"), t0))
		assert.True(t, l.admit(rateCategories("ecs", "DescribeTaskSets"), t0))
	}
	assert.False(t, l.admit(rateCategories("ecs", "DescribeServices"), t0), "service reads: 100 at once")
	assert.True(t, l.admit(rateCategories("ecs", "DescribeTasks"), t0), "another category's bucket")
	for range 19 {
		assert.True(t, l.admit(rateCategories("ecs", "RegisterTaskDefinition"), t0))
	}
	assert.True(t, l.admit(rateCategories("ecs", "RegisterTaskDefinition"), t0))
	assert.False(t, l.admit(rateCategories("ecs", "RegisterTaskDefinition"), t0.Add(900*time.Millisecond)),
		"RegisterTaskDefinition: 20 at once, then 1 a second")
}
