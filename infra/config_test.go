package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(cfg map[string]string) (*Config, error) {
	return ParseConfig("dev", func(key string) (string, bool) {
		v, ok := cfg[key]
		return v, ok
	})
}

// minimalConfig is the smallest valid configuration: the image; everything else defaults.
func minimalConfig() map[string]string {
	return map[string]string{Project + ":image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v1"}
}

// with returns cfg with dotted key set to value (a Go value, stored as Pulumi would pass it).
func with(t *testing.T, cfg map[string]string, key string, value any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range cfg {
		out[k] = v
	}
	group, field, nested := strings.Cut(key, ".")
	full := Project + ":" + group
	if !nested {
		if s, ok := value.(string); ok {
			out[full] = s
			return out
		}
		b, err := json.Marshal(value)
		require.NoError(t, err)
		out[full] = string(b)
		return out
	}
	obj := map[string]any{}
	if raw, ok := out[full]; ok {
		require.NoError(t, json.Unmarshal([]byte(raw), &obj))
	}
	obj[field] = value
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	out[full] = string(b)
	return out
}

func TestConfigDefaultsNeedOnlyTheImage(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimalConfig())
	require.NoError(t, err)
	assert.Equal(t, "model-server", cfg.Service.ContainerName)
	assert.Equal(t, 8080, cfg.Service.ContainerPort)
	assert.Equal(t, "/health/ready", cfg.HealthCheck.Path)
	assert.Equal(t, 80, cfg.LoadBalancer.ProdPort)
	assert.Equal(t, []string{"0.0.0.0/0"}, cfg.LoadBalancer.ProdCidrs)
	assert.Empty(t, cfg.LoadBalancer.TestCidrs, "empty means the NAT gateways' Elastic IPs (the VPC CIDR when internal)")
	assert.Equal(t, ComputeFargate, cfg.Compute.Type)
	assert.Equal(t, ShiftCanary, cfg.Deployment.TrafficShift)
	assert.Equal(t, "ai-bluegreen-dev", cfg.PhysicalName())
}

func TestConfigHTTPSDefaultsProdPortTo443(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "loadBalancer.prodProtocol", "HTTPS")
	c = with(t, c, "loadBalancer.domainName", "models.example.com")
	c = with(t, c, "loadBalancer.certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/abc")
	cfg, err := parse(c)
	require.NoError(t, err)
	assert.Equal(t, 443, cfg.LoadBalancer.ProdPort)
}

func TestConfigInternalALBDefaultsProdCidrsToTheVPC(t *testing.T) {
	t.Parallel()
	cfg, err := parse(with(t, minimalConfig(), "loadBalancer.scheme", "internal"))
	require.NoError(t, err)
	assert.Empty(t, cfg.LoadBalancer.ProdCidrs, "empty means the VPC CIDR")
}

func TestConfigMaxInstancesDefaultHoldsBlueAndGreen(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "compute.type", ComputeEC2GPU)
	c = with(t, c, "autoscaling.enabled", true)
	c = with(t, c, "autoscaling.maxTasks", 5)
	c = with(t, c, "compute.instanceType", "g5.12xlarge")
	c = with(t, c, "compute.tasksPerInstance", 2)
	cfg, err := parse(c)
	require.NoError(t, err)
	assert.Equal(t, 6, cfg.Compute.MaxInstances, "2 × ceil(5 ÷ 2)")
}

func TestConfigAcceptsQuotedNumbersAndBooleans(t *testing.T) {
	t.Parallel()
	c := minimalConfig()
	c[Project+":healthCheck"] = `{"interval":"30","timeout":"10"}`
	c[Project+":autoscaling"] = `{"enabled":"true"}`
	cfg, err := parse(c)
	require.NoError(t, err)
	assert.Equal(t, 30, cfg.HealthCheck.Interval)
	assert.True(t, cfg.Autoscaling.Enabled)
}

func TestBadConfigValuesAreRejectedWithKeyValueAndWhatIsAllowed(t *testing.T) {
	t.Parallel()
	gpu := func(c map[string]string) map[string]string { return with(t, c, "compute.type", ComputeEC2GPU) }
	existingVPC := func(c map[string]string) map[string]string {
		c = with(t, c, "network.vpcId", "vpc-0a1b2c3d4e5f60718")
		c = with(t, c, "network.publicSubnetIds", []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"})
		c = with(t, c, "loadBalancer.testCidrs", []string{"198.51.100.7/32"})
		return with(t, c, "network.privateSubnetIds", []string{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"})
	}
	autoscaled := func(c map[string]string) map[string]string { return with(t, c, "autoscaling.enabled", true) }
	https := func(c map[string]string) map[string]string {
		return with(t, with(t, c, "loadBalancer.prodProtocol", "HTTPS"), "loadBalancer.domainName", "models.example.com")
	}
	cases := []struct {
		name  string
		base  func(map[string]string) map[string]string
		key   string
		value any
		want  string
	}{
		{"health check interval above AWS's range", nil, "healthCheck.interval", 400,
			"ai-bluegreen:healthCheck.interval = 400: must be 5–300 seconds"},
		{"health check interval that is not a number", nil, "healthCheck.interval", "30s",
			`ai-bluegreen:healthCheck.interval = "30s": must be an integer`},
		{"health check timeout not below the interval", nil, "healthCheck.timeout", 15,
			"ai-bluegreen:healthCheck.timeout = 15: must be less than healthCheck.interval (15 seconds)"},
		{"health check threshold below 2", nil, "healthCheck.healthyThreshold", 1,
			"ai-bluegreen:healthCheck.healthyThreshold = 1: must be 2–10"},
		{"health check path without a slash", nil, "healthCheck.path", "health",
			`ai-bluegreen:healthCheck.path = "health": must be an absolute URL path of at most 1024 characters`},
		{"matcher outside 200–499", nil, "healthCheck.matcher", "200-599",
			`ai-bluegreen:healthCheck.matcher = "200-599": must be HTTP codes 200–499 as 200, 200,202 or 200-299`},
		{"container start period above ECS's cap", nil, "containerHealthCheck.startPeriod", 600,
			"ai-bluegreen:containerHealthCheck.startPeriod = 600: must be 0–300 seconds"},
		{"container health command without CMD", nil, "containerHealthCheck.command", []string{"curl", "localhost"},
			`ai-bluegreen:containerHealthCheck.command = ["curl","localhost"]: must be empty (no container health check) or ["CMD", …] / ["CMD-SHELL", "…"]`},
		{"empty image", nil, "image", "",
			`ai-bluegreen:image = "": must be a container image reference without spaces, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v1`},
		{"container name with a space", nil, "service.containerName", "model server",
			`ai-bluegreen:service.containerName = "model server": must be 1–255 letters, digits, hyphens or underscores`},
		{"container port out of range", nil, "service.containerPort", 70000,
			"ai-bluegreen:service.containerPort = 70000: must be 1–65535"},
		{"Fargate CPU size that doesn't exist", nil, "service.cpu", 3000,
			"ai-bluegreen:service.cpu = 3000: must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units on fargate; at least 128 on ec2-gpu"},
		{"memory too small for 4 vCPU on Fargate", func(c map[string]string) map[string]string { return with(t, c, "service.cpu", 4096) },
			"service.memory", 4096,
			"ai-bluegreen:service.memory = 4096: must be 8192–30720 MiB in 1024 MiB steps with 4096 CPU units on fargate"},
		{"memory Fargate doesn't offer with 256 CPU units", func(c map[string]string) map[string]string { return with(t, c, "service.cpu", 256) },
			"service.memory", 1536,
			"ai-bluegreen:service.memory = 1536: must be one of 512, 1024, 2048 MiB with 256 CPU units on fargate"},
		{"no tasks", nil, "service.desiredCount", 0,
			"ai-bluegreen:service.desiredCount = 0: must be at least 1"},
		{"log retention CloudWatch doesn't offer", nil, "service.logRetentionDays", 10,
			"ai-bluegreen:service.logRetentionDays = 10: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"},
		{"environment variable name starting with a digit", nil, "service.environment", map[string]string{"1BAD": "x"},
			`ai-bluegreen:service.environment = "1BAD": must be names of letters, digits and underscores not starting with a digit`},
		{"secret that is not an ARN", nil, "service.secrets", map[string]string{"TOKEN": "hunter2"},
			`ai-bluegreen:service.secrets.TOKEN = "hunter2": must be the ARN of an SSM parameter (arn:aws:ssm:<region>:<account>:parameter/…) or a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:…)`},
		{"misspelt key", nil, "service.cpuu", 1024,
			"ai-bluegreen:service.cpuu = 1024: unknown key; service has containerName, containerPort, cpu, memory, ephemeralStorageGiB, desiredCount, environment, secrets, secretsKmsKeyArns, imageRepositories, logRetentionDays, stopTimeout, maxRequestSeconds"},
		{"image repository that is neither an ECR ARN nor a name", nil, "service.imageRepositories", []string{"Not A Repo"},
			`ai-bluegreen:service.imageRepositories[0] = "Not A Repo": must be an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>) or a repository name in the stack's account and region`},
		{"KMS alias where IAM needs a key ARN", func(c map[string]string) map[string]string {
			return with(t, c, "service.secrets", map[string]string{"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/token"})
		}, "service.secretsKmsKeyArns", []string{"arn:aws:kms:us-east-1:123456789012:alias/models"},
			`ai-bluegreen:service.secretsKmsKeyArns[0] = "arn:aws:kms:us-east-1:123456789012:alias/models": must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>): IAM matches keys, not aliases`},
		{"KMS keys without secrets to decrypt", nil, "service.secretsKmsKeyArns", []string{"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			`ai-bluegreen:service.secretsKmsKeyArns = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]: must be empty unless service.secrets lists secrets: the keys only decrypt them`},
		{"VPC CIDR too large to subnet", nil, "network.vpcCidr", "10.0.0.0/8",
			`ai-bluegreen:network.vpcCidr = "10.0.0.0/8": must be an IPv4 CIDR with prefix /16–/20`},
		{"a single availability zone", nil, "network.azCount", 1,
			"ai-bluegreen:network.azCount = 1: must be 2–6"},
		{"subnets without a VPC", nil, "network.privateSubnetIds", []string{"subnet-0123456789abcdef0"},
			`ai-bluegreen:network.privateSubnetIds = ["subnet-0123456789abcdef0"]: must be empty unless network.vpcId is set`},
		{"malformed VPC id", existingVPC, "network.vpcId", "vpc-123",
			`ai-bluegreen:network.vpcId = "vpc-123": must be empty (create a VPC) or a VPC id like vpc-0123abcd`},
		{"existing VPC with one private subnet", existingVPC, "network.privateSubnetIds", []string{"subnet-0bbbbbbbbbbbbbbb1"},
			`ai-bluegreen:network.privateSubnetIds = ["subnet-0bbbbbbbbbbbbbbb1"]: must be at least 2 subnet ids (subnet-…) in different AZs when vpcId is set`},
		{"unknown ALB scheme", nil, "loadBalancer.scheme", "public",
			`ai-bluegreen:loadBalancer.scheme = "public": must be one of internet-facing, internal`},
		{"HTTPS without a certificate", https, "loadBalancer.certificateArn", "",
			`ai-bluegreen:loadBalancer.certificateArn = "": must be an ACM or IAM certificate ARN (required with HTTPS)`},
		{"HTTPS without the name the certificate covers", func(c map[string]string) map[string]string {
			return with(t, https(c), "loadBalancer.certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/abc")
		}, "loadBalancer.domainName", "",
			`ai-bluegreen:loadBalancer.domainName = "": must be the DNS name the certificate covers, pointed at the ALB (required with HTTPS: prodUrl and testUrl use it, and the deployer's TLS check of testUrl fails on the ALB's own DNS name, which no certificate of yours covers)`},
		{"certificate on an HTTP listener", nil, "loadBalancer.certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/abc",
			`ai-bluegreen:loadBalancer.certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/abc": must be empty with prodProtocol HTTP`},
		{"test port equal to the prod port", nil, "loadBalancer.testPort", 80,
			"ai-bluegreen:loadBalancer.testPort = 80: must differ from loadBalancer.prodPort (80)"},
		{"internet-facing ALB in an existing VPC without test CIDRs", existingVPC, "loadBalancer.testCidrs", []string{},
			"ai-bluegreen:loadBalancer.testCidrs = []: must list who checks green through the test listener (your CI runners' egress CIDRs) " +
				"with an internet-facing ALB in an existing VPC: its DNS name resolves to public IPs, so even a runner inside the VPC " +
				"arrives from its NAT gateway's Elastic IP (or its own public IP), never from the VPC CIDR"},
		{"malformed test CIDR", nil, "loadBalancer.testCidrs", []string{"10.0.0.0/16", "10.0.0.0/33"},
			`ai-bluegreen:loadBalancer.testCidrs[1] = "10.0.0.0/33": must be an IPv4 CIDR like 10.0.0.0/16`},
		{"slow start below ALB's minimum", nil, "loadBalancer.slowStart", 10,
			"ai-bluegreen:loadBalancer.slowStart = 10: must be 0 (off) or 30–900 seconds"},
		{"idle timeout above ALB's maximum", nil, "loadBalancer.idleTimeout", 5000,
			"ai-bluegreen:loadBalancer.idleTimeout = 5000: must be 1–4000 seconds"},
		{"deregistration delay above ALB's maximum", nil, "loadBalancer.deregistrationDelay", 4000,
			"ai-bluegreen:loadBalancer.deregistrationDelay = 4000: must be 0–3600 seconds"},
		{"stop timeout above Fargate's maximum", nil, "service.stopTimeout", 121,
			"ai-bluegreen:service.stopTimeout = 121: must be 1–120 seconds on fargate (Fargate's longest stop timeout)"},
		{"no stop timeout at all", gpu, "service.stopTimeout", 0,
			"ai-bluegreen:service.stopTimeout = 0: must be 1–120 seconds on fargate; at least 1 on ec2-gpu"},
		{"longest request longer than any deregistration delay", nil, "service.maxRequestSeconds", 3601,
			"ai-bluegreen:service.maxRequestSeconds = 3601: must be 1–3600 seconds (the ALB's longest deregistration delay)"},
		{"deregistration delay shorter than the longest request", nil, "loadBalancer.deregistrationDelay", 30,
			"ai-bluegreen:loadBalancer.deregistrationDelay = 30: must be at least service.maxRequestSeconds (60 seconds): " +
				"a stopped task's target drains its in-flight requests for this long, then ECS stops the task"},
		{"streams longer than the deregistration delay", nil, "service.maxRequestSeconds", 600,
			"ai-bluegreen:loadBalancer.deregistrationDelay = 300: must be at least service.maxRequestSeconds (600 seconds): " +
				"a stopped task's target drains its in-flight requests for this long, then ECS stops the task\n" +
				"ai-bluegreen:loadBalancer.idleTimeout = 60: must be at least service.maxRequestSeconds (600 seconds): " +
				"the ALB closes a connection silent for this long, and a request that answers only when done is silent until then"},
		{"idle timeout shorter than the longest request", nil, "loadBalancer.idleTimeout", 59,
			"ai-bluegreen:loadBalancer.idleTimeout = 59: must be at least service.maxRequestSeconds (60 seconds): " +
				"the ALB closes a connection silent for this long, and a request that answers only when done is silent until then"},
		{"unknown compute type", nil, "compute.type", "gpu",
			`ai-bluegreen:compute.type = "gpu": must be one of fargate, ec2-gpu`},
		{"GPU group too small for green beside blue", gpu, "compute.maxInstances", 3,
			"ai-bluegreen:compute.maxInstances = 3: must be at least 4 so green can start beside blue (2 × ceil(2 tasks ÷ 1 per instance))"},
		{"GPU stack on a non-GPU instance type", gpu, "compute.instanceType", "m5.large",
			`ai-bluegreen:compute.instanceType = "m5.large": must be an EC2 GPU instance type (g or p family), e.g. g5.xlarge`},
		{"more GPUs per task than the instance has", gpu, "compute.gpusPerTask", 2,
			"ai-bluegreen:compute.gpusPerTask = 2: must be at most 1, the GPUs of a g5.xlarge"},
		{"no tasks per GPU instance", gpu, "compute.tasksPerInstance", 0,
			"ai-bluegreen:compute.tasksPerInstance = 0: must be 1–8; for a type of the GPU instance table at most its GPUs ÷ gpusPerTask and its network interfaces − 1 (awsvpc)"},
		{"more tasks per instance than its GPUs can serve", gpu, "compute.tasksPerInstance", 2,
			"ai-bluegreen:compute.tasksPerInstance = 2: must be at most 1: a g5.xlarge has 1 GPU(s) and each task reserves compute.gpusPerTask (1)"},
		{"more awsvpc tasks per instance than network interfaces", func(c map[string]string) map[string]string {
			return with(t, gpu(c), "compute.instanceType", "g5.48xlarge")
		}, "compute.tasksPerInstance", 8,
			"ai-bluegreen:compute.tasksPerInstance = 8: must be at most 6: a g5.48xlarge has 7 network interfaces and each awsvpc task takes one besides the instance's primary one"},
		{"unknown traffic shift", nil, "deployment.trafficShift", "blueGreen",
			`ai-bluegreen:deployment.trafficShift = "blueGreen": must be one of allAtOnce, canary, linear`},
		{"canary of 100 percent", nil, "deployment.shiftPercent", 100,
			"ai-bluegreen:deployment.shiftPercent = 100: must be 1–99 percent"},
		{"termination wait above CodeDeploy's 2880 minutes", nil, "deployment.terminationWaitMinutes", 3000,
			"ai-bluegreen:deployment.terminationWaitMinutes = 3000: must be 0–2880 minutes"},
		{"negative ready wait", nil, "deployment.readyWaitMinutes", -1,
			"ai-bluegreen:deployment.readyWaitMinutes = -1: must be 0–2880 minutes"},
		{"alarm period CloudWatch doesn't offer", nil, "alarms.periodSeconds", 45,
			"ai-bluegreen:alarms.periodSeconds = 45: must be a multiple of 60 seconds (ALB metrics are published once a minute)"},
		{"high-resolution alarm period on minute-resolution ALB metrics", nil, "alarms.periodSeconds", 30,
			"ai-bluegreen:alarms.periodSeconds = 30: must be a multiple of 60 seconds (ALB metrics are published once a minute)"},
		{"more datapoints than evaluation periods", nil, "alarms.datapointsToAlarm", 5,
			"ai-bluegreen:alarms.datapointsToAlarm = 5: must be 1–3 (alarms.evaluationPeriods)"},
		{"grace period too long for the unhealthy-host alarm's one-day window", nil, "healthCheck.gracePeriod", 86400,
			"ai-bluegreen:healthCheck.gracePeriod = 86400: must keep gracePeriod + alarms.evaluationPeriods × alarms.periodSeconds (180 s) within one day: the unhealthy-host alarm waits out a model load"},
		{"zero latency threshold", nil, "alarms.p99LatencySeconds", 0,
			"ai-bluegreen:alarms.p99LatencySeconds = 0: must be 0.001–3600 seconds"},
		{"autoscaling maximum below the minimum", autoscaled, "autoscaling.maxTasks", 1,
			"ai-bluegreen:autoscaling.maxTasks = 1: must be at least autoscaling.minTasks (2)"},
		{"desired count outside the autoscaling range", autoscaled, "service.desiredCount", 10,
			"ai-bluegreen:service.desiredCount = 10: must be 2–6 (autoscaling.minTasks–maxTasks) when autoscaling is enabled"},
		{"autoscaling switch that is not a boolean", nil, "autoscaling.enabled", "yes",
			`ai-bluegreen:autoscaling.enabled = "yes": must be true or false`},
		{"tag in AWS's reserved namespace", nil, "tags", map[string]string{"aws:owner": "me"},
			`ai-bluegreen:tags = "aws:owner": must be keys of 1–128 characters not starting with aws:, values of at most 256 characters`},
		{"object key given a plain string", nil, "healthCheck", "fast",
			`ai-bluegreen:healthCheck = "fast": must be an object with keys path, interval, timeout, healthyThreshold, unhealthyThreshold, matcher, gracePeriod`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := minimalConfig()
			if tc.base != nil {
				c = tc.base(c)
			}
			c = with(t, c, tc.key, tc.value)
			_, err := parse(c)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestConfigStreamsDefaultToWhatADefaultStackServesToday(t *testing.T) {
	t.Parallel()
	cfg, err := parse(minimalConfig())
	require.NoError(t, err)
	assert.Equal(t, 30, cfg.Service.StopTimeout, "ECS's own default")
	assert.Equal(t, 60, cfg.Service.MaxRequestSeconds, "the default idle timeout cuts anything silent for longer")
}

func TestConfigAcceptsStreamsThatTheDeregistrationDelayAndIdleTimeoutCover(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "service.maxRequestSeconds", 900)
	c = with(t, c, "loadBalancer.deregistrationDelay", 900)
	c = with(t, c, "loadBalancer.idleTimeout", 900)
	cfg, err := parse(c)
	require.NoError(t, err, "a stop timeout below the longest request is fine: SIGTERM comes after the drain")
	assert.Equal(t, 900, cfg.Service.MaxRequestSeconds)
}

func TestConfigAllowsAStopTimeoutAboveFargatesCapOnEC2(t *testing.T) {
	t.Parallel()
	cfg, err := parse(with(t, with(t, minimalConfig(), "compute.type", ComputeEC2GPU), "service.stopTimeout", 600))
	require.NoError(t, err)
	assert.Equal(t, 600, cfg.Service.StopTimeout)
}

func TestConfigUnknownGPUInstanceTypeIsNotCheckedButNoted(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "compute.type", ComputeEC2GPU)
	c = with(t, c, "compute.instanceType", "g9.xlarge")
	c = with(t, c, "compute.tasksPerInstance", 8)
	cfg, err := parse(c)
	require.NoError(t, err)
	assert.Equal(t, []string{`ai-bluegreen:compute.instanceType = "g9.xlarge": not in the GPU instance table ` +
		`(docs/configuration.md), so compute.gpusPerTask × compute.tasksPerInstance and the network interfaces ` +
		`per instance are not checked`}, cfg.Notes())
}

func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "healthCheck.interval", 400)
	c = with(t, c, "loadBalancer.scheme", "public")
	_, err := parse(c)
	require.Error(t, err)
	assert.Equal(t, "ai-bluegreen:healthCheck.interval = 400: must be 5–300 seconds\n"+
		`ai-bluegreen:loadBalancer.scheme = "public": must be one of internet-facing, internal`, err.Error())
}

func TestConfigStackFilesAreValid(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "gpu"} {
		cfg, err := ReadStackConfig(filepath.Join("..", "Pulumi."+stack+".yaml"))
		require.NoError(t, err, stack)
		_, err = ParseConfig(stack, func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
		assert.NoError(t, err, stack)
	}
}

func TestConfigFromStackFileMatchesWhatTheCLIPasses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "Pulumi.test.yaml")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join([]string{
		"config:",
		"  aws:region: eu-west-1",
		"  ai-bluegreen:image: repo/model:v3",
		"  bare: value",
		"  ai-bluegreen:healthCheck:",
		"    interval: 30",
		"    path: /ready",
		"  ai-bluegreen:loadBalancer:",
		"    testCidrs: [10.0.0.0/16]",
		"  ai-bluegreen:empty:",
	}, "\n")), 0o600))
	got, err := ReadStackConfig(path)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"aws:region":                "eu-west-1",
		"ai-bluegreen:image":        "repo/model:v3",
		"ai-bluegreen:bare":         "value",
		"ai-bluegreen:healthCheck":  `{"interval":30,"path":"/ready"}`,
		"ai-bluegreen:loadBalancer": `{"testCidrs":["10.0.0.0/16"]}`,
	}, got)
}

func TestConfigStackFileSecretsAreRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "Pulumi.test.yaml")
	require.NoError(t, os.WriteFile(path, []byte("config:\n  ai-bluegreen:token:\n    secure: AAABAG==\n"), 0o600))
	_, err := ReadStackConfig(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ai-bluegreen:token")
}
