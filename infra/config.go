package infra

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Project is the Pulumi project name; every config key is "ai-bluegreen:<key>".
const Project = "ai-bluegreen"

// Compute types (compute.type).
const (
	ComputeFargate = "fargate"
	ComputeEC2GPU  = "ec2-gpu"
)

// Traffic shift types (deployment.trafficShift).
const (
	ShiftAllAtOnce = "allAtOnce"
	ShiftCanary    = "canary"
	ShiftLinear    = "linear"
)

// Config is the whole stack configuration after defaults and validation. It is read once, by
// LoadConfig, before any resource is declared; components receive the parts they need as plain values.
//
// Struct tags drive loading, validation and the configuration reference (ConfigKeys, docs/configuration.md):
// key (config key), doc (description), required (no default), min/max/unit or oneof (generic range
// checks), allowed (what a valid value looks like, when the generic checks don't say it), default (how
// the default reads, when it depends on other keys). Top-level struct fields are Pulumi config keys
// holding an object.
type Config struct {
	Image string `key:"image" required:"true" allowed:"a container image reference without spaces, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v1" doc:"Image the service starts with. Later releases are registered by the deployer, not by Pulumi."`

	Service              ServiceConfig              `key:"service" doc:"The model-server task and ECS service."`
	HealthCheck          HealthCheckConfig          `key:"healthCheck" doc:"Target group health check (both target groups) and the service's health check grace period."`
	ContainerHealthCheck ContainerHealthCheckConfig `key:"containerHealthCheck" doc:"Container health check in the task definition (off while command is empty)."`
	Network              NetworkConfig              `key:"network" doc:"Create a VPC (default) or use an existing one (vpcId plus subnet ids)."`
	LoadBalancer         LoadBalancerConfig         `key:"loadBalancer" doc:"ALB, prod and test listeners, who may reach them, and target group traffic settings."`
	Compute              ComputeConfig              `key:"compute" doc:"Where tasks run: Fargate, or EC2 GPU instances behind an ECS capacity provider."`
	Deployment           DeploymentConfig           `key:"deployment" doc:"CodeDeploy blue/green: how production traffic shifts, the ready wait and how long blue stays warm."`
	Alarms               AlarmsConfig               `key:"alarms" doc:"CloudWatch alarms (per target group, and the load balancer's own 5xx) that stop and roll back a deployment."`
	Autoscaling          AutoscalingConfig          `key:"autoscaling" doc:"Optional target tracking on requests per target."`
	Tags                 map[string]string          `key:"tags" allowed:"keys of 1–128 characters not starting with aws:, values of at most 256 characters" doc:"Tags added to every taggable resource (besides pulumi-project and pulumi-stack)."`

	// Stack is the Pulumi stack name; it prefixes logical and physical names.
	Stack string
}

// ServiceConfig describes the task definition and the ECS service.
type ServiceConfig struct {
	ContainerName       string            `key:"containerName" allowed:"1–255 letters, digits, hyphens or underscores" doc:"Name of the container the ALB targets."`
	ContainerPort       int               `key:"containerPort" min:"1" max:"65535" doc:"Port the model server listens on."`
	CPU                 int               `key:"cpu" allowed:"one of 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units on fargate; at least 128 on ec2-gpu" doc:"Task CPU units (1024 = 1 vCPU)."`
	Memory              int               `key:"memory" allowed:"MiB valid for the CPU size on fargate (512, 1024 or 2048 for 256 CPU units; e.g. 8192–30720 for 4096); at least 512 on ec2-gpu" doc:"Task memory in MiB."`
	EphemeralStorageGiB int               `key:"ephemeralStorageGiB" min:"20" max:"200" unit:"GiB" doc:"Fargate task storage; big images count against it (20 = Fargate's default, not sent)."`
	DesiredCount        int               `key:"desiredCount" min:"1" doc:"Tasks the service runs (the initial count when autoscaling is on, within autoscaling.minTasks–maxTasks)."`
	Environment         map[string]string `key:"environment" allowed:"names of letters, digits and underscores not starting with a digit" doc:"Plain environment variables of the container."`
	Secrets             map[string]string `key:"secrets" allowed:"names as in environment, each mapped to the ARN of an SSM parameter or Secrets Manager secret" doc:"Environment variables read from SSM Parameter Store or Secrets Manager; only these ARNs are readable by the execution role."`
	SecretsKmsKeyArns   []string          `key:"secretsKmsKeyArns" allowed:"KMS key ARNs (not aliases), only with service.secrets" doc:"Customer managed KMS keys the secrets are encrypted with; the execution role may decrypt with them, only through SSM or Secrets Manager."`
	ImageRepositories   []string          `key:"imageRepositories" allowed:"ECR repository ARNs, or names of repositories in the stack's account and region" doc:"Further ECR repositories the deployer may release images from; the execution role pulls only from these and the image's own repository."`
	LogRetentionDays    int               `key:"logRetentionDays" oneof:"1,3,5,7,14,30,60,90,120,150,180,365,400,545,731,1096,1827,2192,2557,2922,3288,3653" doc:"CloudWatch Logs retention of the container logs."`
	StopTimeout         int               `key:"stopTimeout" min:"1" allowed:"1–120 seconds on fargate; at least 1 on ec2-gpu" doc:"Seconds ECS waits after SIGTERM before it sends SIGKILL (the container's stopTimeout). A task behind the ALB gets SIGTERM only after its target has drained (loadBalancer.deregistrationDelay), so this bounds the server's shutdown, not its requests."`
	MaxRequestSeconds   int               `key:"maxRequestSeconds" min:"1" max:"3600" allowed:"1–3600 seconds (the ALB's longest deregistration delay)" doc:"The longest request or stream the model serves, from request to last byte. loadBalancer.deregistrationDelay must cover it (a draining target keeps in-flight requests only that long) and loadBalancer.idleTimeout must fit it; the stack exports it as maxRequestSeconds for the deployer."`
}

// HealthCheckConfig is the target groups' health check plus the service's grace period.
type HealthCheckConfig struct {
	Path               string `key:"path" allowed:"an absolute URL path of at most 1024 characters" doc:"Path the ALB probes; answer 200 only once the model is loaded."`
	Interval           int    `key:"interval" min:"5" max:"300" unit:"seconds" doc:"Seconds between probes."`
	Timeout            int    `key:"timeout" min:"2" max:"120" unit:"seconds" doc:"Probe timeout; must be less than interval."`
	HealthyThreshold   int    `key:"healthyThreshold" min:"2" max:"10" doc:"Consecutive successes before a target is healthy."`
	UnhealthyThreshold int    `key:"unhealthyThreshold" min:"2" max:"10" doc:"Consecutive failures before a target is unhealthy."`
	Matcher            string `key:"matcher" allowed:"HTTP codes 200–499 as 200, 200,202 or 200-299" doc:"Status codes that count as healthy."`
	GracePeriod        int    `key:"gracePeriod" min:"0" max:"2147483647" unit:"seconds" doc:"Seconds ECS ignores failing ALB health checks of a new task (model loading takes minutes); the unhealthy-host alarms tolerate this much too, so it plus their window (alarms.evaluationPeriods × periodSeconds) must fit in one day."`
}

// ContainerHealthCheckConfig is the container health check of the task definition.
type ContainerHealthCheckConfig struct {
	Command     []string `key:"command" allowed:"empty (no container health check) or [\"CMD\", …] / [\"CMD-SHELL\", \"…\"]" doc:"Health check command run inside the container."`
	Interval    int      `key:"interval" min:"5" max:"300" unit:"seconds" doc:"Seconds between checks."`
	Timeout     int      `key:"timeout" min:"2" max:"60" unit:"seconds" doc:"Seconds before a check counts as failed."`
	Retries     int      `key:"retries" min:"1" max:"10" doc:"Failures before the container is unhealthy."`
	StartPeriod int      `key:"startPeriod" min:"0" max:"300" unit:"seconds" doc:"Grace period before failures count (ECS caps it at 300 s; use healthCheck.gracePeriod for longer loads)."`
}

// NetworkConfig chooses between a new VPC and an existing one.
type NetworkConfig struct {
	VpcID            string   `key:"vpcId" allowed:"empty (create a VPC) or a VPC id like vpc-0123abcd" doc:"Existing VPC to use; empty creates one."`
	PublicSubnetIDs  []string `key:"publicSubnetIds" allowed:"at least 2 subnet ids (subnet-…) in different AZs when vpcId is set and the ALB is internet-facing" doc:"Existing public subnets for the ALB."`
	PrivateSubnetIDs []string `key:"privateSubnetIds" allowed:"at least 2 subnet ids (subnet-…) in different AZs when vpcId is set" doc:"Existing private subnets for tasks (and an internal ALB); they need a route to ECR and CloudWatch (NAT or VPC endpoints)."`
	VpcCidr          string   `key:"vpcCidr" allowed:"an IPv4 CIDR with prefix /16–/20" doc:"CIDR of the created VPC."`
	AzCount          int      `key:"azCount" min:"2" max:"6" doc:"Availability zones of the created VPC (one public and one private subnet each)."`
	SingleNatGateway bool     `key:"singleNatGateway" allowed:"true or false" doc:"One NAT gateway for the created VPC instead of one per AZ (cheaper, not zone-redundant)."`
}

// LoadBalancerConfig is the ALB, its listeners and the target groups' traffic settings.
type LoadBalancerConfig struct {
	Scheme              string   `key:"scheme" oneof:"internet-facing,internal" doc:"internal puts the ALB in the private subnets."`
	IdleTimeout         int      `key:"idleTimeout" min:"1" max:"4000" unit:"seconds" doc:"ALB idle timeout: the ALB closes a connection on which nothing was sent or received this long, so it must be at least service.maxRequestSeconds; keep the model server's keep-alive timeout longer than this."`
	ProdProtocol        string   `key:"prodProtocol" oneof:"HTTP,HTTPS" doc:"Protocol of the prod and test listeners; HTTPS adds an 80→443 redirect listener."`
	ProdPort            int      `key:"prodPort" min:"1" max:"65535" default:"80, or 443 with HTTPS" doc:"Production listener port."`
	CertificateArn      string   `key:"certificateArn" allowed:"an ACM or IAM certificate ARN (required with HTTPS)" doc:"Certificate of the HTTPS listeners."`
	DomainName          string   `key:"domainName" allowed:"empty or a DNS name like models.example.com (required with HTTPS: a name the certificate covers)" doc:"Name clients use for the ALB (point it at the ALB with a CNAME or Route 53 alias); prodUrl and testUrl use it instead of the ALB's DNS name."`
	SslPolicy           string   `key:"sslPolicy" allowed:"an ELB security policy name (ELBSecurityPolicy-…)" doc:"TLS policy of the HTTPS listeners."`
	TestPort            int      `key:"testPort" min:"1" max:"65535" doc:"Test listener port; CodeDeploy routes it to green before production moves."`
	ProdCidrs           []string `key:"prodCidrs" allowed:"IPv4 CIDRs" default:"[\"0.0.0.0/0\"] when internet-facing, the VPC CIDR when internal" doc:"Who may reach the prod port (and the redirect port)."`
	TestCidrs           []string `key:"testCidrs" allowed:"IPv4 CIDRs; 0.0.0.0/0 only when you mean it; required with an internet-facing ALB in an existing VPC" default:"internet-facing: the created VPC's NAT gateway Elastic IPs (/32); internal: the VPC CIDR" doc:"Who may reach the test listener: list the egress addresses of whatever checks green (CI runners). Clients inside the VPC reach an internet-facing ALB through NAT, from its Elastic IP, never from the VPC CIDR."`
	DeregistrationDelay int      `key:"deregistrationDelay" min:"0" max:"3600" unit:"seconds" doc:"Seconds in-flight requests get to finish on a deregistered target before ECS stops its task; at least service.maxRequestSeconds."`
	SlowStart           int      `key:"slowStart" allowed:"0 (off) or 30–900 seconds" doc:"Seconds a newly healthy target's share of requests ramps up."`
}

// ComputeConfig says where tasks run.
type ComputeConfig struct {
	Type             string `key:"type" oneof:"fargate,ec2-gpu" doc:"fargate, or ec2-gpu: an Auto Scaling group of GPU instances behind a capacity provider."`
	PlatformVersion  string `key:"platformVersion" allowed:"LATEST or a version like 1.4.0" doc:"Fargate platform version."`
	InstanceType     string `key:"instanceType" allowed:"an EC2 GPU instance type (g or p family), e.g. g5.xlarge" doc:"ec2-gpu instance type."`
	GpusPerTask      int    `key:"gpusPerTask" min:"1" max:"8" allowed:"1–8, at most the GPUs of the instance type (see the GPU instance table)" doc:"ec2-gpu: GPUs reserved per task (task definition resourceRequirements)."`
	TasksPerInstance int    `key:"tasksPerInstance" min:"1" max:"8" allowed:"1–8; for a type of the GPU instance table at most its GPUs ÷ gpusPerTask and its network interfaces − 1 (awsvpc)" doc:"ec2-gpu: tasks one instance can host; sizes maxInstances."`
	MinInstances     int    `key:"minInstances" min:"0" max:"1000" doc:"ec2-gpu: Auto Scaling group minimum; at most maxInstances."`
	MaxInstances     int    `key:"maxInstances" min:"1" max:"1000" default:"2 × ceil(most tasks ÷ tasksPerInstance)" doc:"ec2-gpu: Auto Scaling group maximum; must hold blue and green side by side."`
	TargetCapacity   int    `key:"targetCapacity" min:"1" max:"100" unit:"percent" doc:"ec2-gpu: capacity provider managed scaling target utilisation."`
	RootVolumeGiB    int    `key:"rootVolumeGiB" min:"30" max:"16384" unit:"GiB" doc:"ec2-gpu: root volume size (images are cached there)."`
	AmiParameter     string `key:"amiParameter" allowed:"an SSM parameter name starting with /" doc:"ec2-gpu: public SSM parameter holding the ECS GPU-optimised AMI id."`
}

// DeploymentConfig is the CodeDeploy blue/green behaviour.
type DeploymentConfig struct {
	TrafficShift           string `key:"trafficShift" oneof:"allAtOnce,canary,linear" doc:"How production traffic moves to green."`
	ShiftPercent           int    `key:"shiftPercent" min:"1" max:"99" unit:"percent" doc:"canary: first step; linear: every step."`
	ShiftMinutes           int    `key:"shiftMinutes" min:"1" max:"2880" unit:"minutes" doc:"canary: wait before the rest; linear: minutes between steps."`
	ReadyWaitMinutes       int    `key:"readyWaitMinutes" min:"0" max:"2880" unit:"minutes" doc:"How long the deployment waits in Ready for the deployer's ContinueDeployment (gate 1) before CodeDeploy stops and rolls it back (STOP_DEPLOYMENT). 0 opts out: no gate before production traffic, which shifts right after test traffic (CONTINUE_DEPLOYMENT)."`
	TerminationWaitMinutes int    `key:"terminationWaitMinutes" min:"0" max:"2880" unit:"minutes" doc:"Minutes blue stays running after a successful shift, for a fast rollback; the deployer's gate 2 soaks green in this wait, so it must exceed the deployer's --soak by more than 2 minutes (at least 8 with its 5-minute default)."`
}

// AlarmsConfig holds the thresholds of the alarms CodeDeploy watches.
type AlarmsConfig struct {
	Target5xxCount    int     `key:"target5xxCount" min:"1" doc:"Alarm when a target group's targets answer at least this many 5xx in a period."`
	Elb5xxCount       int     `key:"elb5xxCount" min:"1" doc:"Alarm when the load balancer itself answers at least this many 5xx in a period (502/503/504: targets crashing, unreachable or timing out; they never count as target 5xx)."`
	UnhealthyHosts    int     `key:"unhealthyHosts" min:"1" doc:"Alarm when at least this many targets of a group stay unhealthy for longer than healthCheck.gracePeriod plus the alarm window: slow on purpose (a loading model is unhealthy); the deployer's gates are the fast check."`
	P99LatencySeconds float64 `key:"p99LatencySeconds" min:"0.001" max:"3600" unit:"seconds" doc:"Latency limit of each target group: alarm when its p99 target response time exceeds this in a period of at least 1,000 requests, or its p90 does in a period of at least 100 (the README's alarm section says what that sees at low volume)."`
	PeriodSeconds     int     `key:"periodSeconds" allowed:"a multiple of 60 seconds (ALB metrics are published once a minute)" doc:"Alarm period."`
	EvaluationPeriods int     `key:"evaluationPeriods" min:"1" max:"100" doc:"Periods evaluated; evaluationPeriods × periodSeconds must fit in one day."`
	DatapointsToAlarm int     `key:"datapointsToAlarm" allowed:"1–evaluationPeriods" doc:"Breaching periods (of evaluationPeriods) that trigger the alarm."`
}

// AutoscalingConfig is the optional target tracking policy.
type AutoscalingConfig struct {
	Enabled           bool `key:"enabled" allowed:"true or false" doc:"Scale the service on requests per target (desiredCount is then left to autoscaling)."`
	MinTasks          int  `key:"minTasks" min:"1" max:"1000" doc:"Fewest tasks."`
	MaxTasks          int  `key:"maxTasks" min:"1" max:"1000" doc:"Most tasks; must be at least minTasks."`
	RequestsPerTarget int  `key:"requestsPerTarget" min:"1" doc:"Target requests per task per minute (summed over both target groups)."`
	ScaleInCooldown   int  `key:"scaleInCooldown" min:"0" max:"3600" unit:"seconds" doc:"Seconds between scale-in steps."`
	ScaleOutCooldown  int  `key:"scaleOutCooldown" min:"0" max:"3600" unit:"seconds" doc:"Seconds between scale-out steps."`
}

// DefaultGPUAmiParameter is the public SSM parameter of the ECS GPU-optimised Amazon Linux 2023 AMI.
const DefaultGPUAmiParameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"

// defaultConfig holds every default. Keys whose default depends on other keys (prodPort, prodCidrs,
// maxInstances) are filled in by applyDependentDefaults.
func defaultConfig() Config {
	return Config{
		Service:              defaultService(),
		HealthCheck:          defaultHealthCheck(),
		ContainerHealthCheck: defaultContainerHealthCheck(),
		Network:              defaultNetwork(),
		LoadBalancer:         defaultLoadBalancer(),
		Compute:              defaultCompute(),
		Deployment:           defaultDeployment(),
		Alarms:               defaultAlarms(),
		Autoscaling:          defaultAutoscaling(),
		Tags:                 map[string]string{},
	}
}

func defaultService() ServiceConfig {
	return ServiceConfig{
		ContainerName:       "model-server",
		ContainerPort:       8080,
		CPU:                 1024,
		Memory:              4096,
		EphemeralStorageGiB: 20,
		DesiredCount:        2,
		Environment:         map[string]string{},
		Secrets:             map[string]string{},
		SecretsKmsKeyArns:   []string{},
		ImageRepositories:   []string{},
		LogRetentionDays:    30,
		// ECS's own default (Fargate, and EC2 without ECS_CONTAINER_STOP_TIMEOUT), now written down.
		StopTimeout: 30,
		// What a default stack already serves: the default loadBalancer.idleTimeout (60 s) cuts a
		// request that is silent longer, so 60 keeps every stack valid whose delay and idle timeout
		// allow the requests it serves today.
		MaxRequestSeconds: 60,
	}
}

func defaultHealthCheck() HealthCheckConfig {
	return HealthCheckConfig{
		Path:               "/health/ready",
		Interval:           15,
		Timeout:            5,
		HealthyThreshold:   3,
		UnhealthyThreshold: 3,
		Matcher:            "200",
		GracePeriod:        300,
	}
}

func defaultContainerHealthCheck() ContainerHealthCheckConfig {
	return ContainerHealthCheckConfig{Command: []string{}, Interval: 30, Timeout: 5, Retries: 3, StartPeriod: 300}
}

func defaultNetwork() NetworkConfig {
	return NetworkConfig{PublicSubnetIDs: []string{}, PrivateSubnetIDs: []string{}, VpcCidr: "10.0.0.0/16", AzCount: 2}
}

func defaultLoadBalancer() LoadBalancerConfig {
	return LoadBalancerConfig{
		Scheme:              "internet-facing",
		IdleTimeout:         60,
		ProdProtocol:        "HTTP",
		ProdPort:            80,
		SslPolicy:           "ELBSecurityPolicy-TLS13-1-2-2021-06",
		TestPort:            8443,
		ProdCidrs:           []string{},
		TestCidrs:           []string{},
		DeregistrationDelay: 300,
	}
}

func defaultCompute() ComputeConfig {
	return ComputeConfig{
		Type:             ComputeFargate,
		PlatformVersion:  "LATEST",
		InstanceType:     "g5.xlarge",
		GpusPerTask:      1,
		TasksPerInstance: 1,
		MaxInstances:     4,
		TargetCapacity:   100,
		RootVolumeGiB:    100,
		AmiParameter:     DefaultGPUAmiParameter,
	}
}

func defaultDeployment() DeploymentConfig {
	return DeploymentConfig{
		TrafficShift: ShiftCanary,
		ShiftPercent: 10,
		ShiftMinutes: 5,
		// The deployer's gate 1 needs the deployment held in Ready (STOP_DEPLOYMENT); 0 would let
		// production move before anyone has checked green.
		ReadyWaitMinutes:       60,
		TerminationWaitMinutes: 15,
	}
}

func defaultAlarms() AlarmsConfig {
	return AlarmsConfig{
		Target5xxCount:    10,
		Elb5xxCount:       10,
		UnhealthyHosts:    1,
		P99LatencySeconds: 5,
		PeriodSeconds:     60,
		EvaluationPeriods: 3,
		DatapointsToAlarm: 2,
	}
}

func defaultAutoscaling() AutoscalingConfig {
	return AutoscalingConfig{MinTasks: 2, MaxTasks: 6, RequestsPerTarget: 100, ScaleInCooldown: 300, ScaleOutCooldown: 60}
}

// LoadConfig reads the stack's configuration through ctx (the only place the program reads Pulumi
// config), applies the defaults and validates everything. All problems are reported at once; Notes
// become warnings of the preview.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	cfg, err := ParseConfig(ctx.Stack(), func(key string) (string, bool) { return ctx.GetConfig(key) })
	if err != nil {
		return nil, err
	}
	for _, note := range cfg.Notes() {
		if err := ctx.Log.Warn(note, nil); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// ParseConfig is LoadConfig without a Pulumi context: lookup answers a full key ("ai-bluegreen:image")
// with the value Pulumi would pass (objects JSON-encoded).
func ParseConfig(stack string, lookup func(key string) (string, bool)) (*Config, error) {
	cfg := defaultConfig()
	cfg.Stack = stack
	set, err := decodeConfig(&cfg, lookup)
	if err != nil {
		return nil, err
	}
	applyDependentDefaults(&cfg, set)
	if err := validateConfig(&cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// applyDependentDefaults fills in defaults that depend on other keys, unless the key was set (an empty
// prodCidrs list counts as unset). It runs before validation, so it must not trust the keys it reads.
func applyDependentDefaults(cfg *Config, set map[string]bool) {
	lb := &cfg.LoadBalancer
	if !set["loadBalancer.prodPort"] && lb.ProdProtocol == "HTTPS" {
		lb.ProdPort = 443
	}
	if len(lb.ProdCidrs) == 0 && lb.Scheme == "internet-facing" {
		lb.ProdCidrs = []string{"0.0.0.0/0"}
	}
	// tasksPerInstance below 1 is reported by validation; dividing by it here would panic first.
	if !set["compute.maxInstances"] && cfg.Compute.Type == ComputeEC2GPU && cfg.Compute.TasksPerInstance > 0 {
		cfg.Compute.MaxInstances = max(2, cfg.minimumInstancesForBlueGreen())
	}
}

// MaxTasks is the most tasks the service runs: the autoscaling maximum, or desiredCount.
func (c *Config) MaxTasks() int {
	if c.Autoscaling.Enabled {
		return c.Autoscaling.MaxTasks
	}
	return c.Service.DesiredCount
}

// minimumInstancesForBlueGreen is how many ec2-gpu instances hold blue and green at full size at once.
func (c *Config) minimumInstancesForBlueGreen() int {
	perSide := (c.MaxTasks() + c.Compute.TasksPerInstance - 1) / c.Compute.TasksPerInstance
	return 2 * perSide
}

// URLScheme is "http" or "https": the scheme of both listeners' URLs.
func (c LoadBalancerConfig) URLScheme() string {
	if c.ProdProtocol == "HTTPS" {
		return "https"
	}
	return "http"
}

// PhysicalName is the name given to resources whose AWS name we choose (task family, CodeDeploy
// application and group, log group): unique per project and stack in an account.
func (c *Config) PhysicalName() string {
	return Project + "-" + c.Stack
}

// ResourceTags are the tags of every taggable resource: the configured tags plus the project and stack.
func (c *Config) ResourceTags() map[string]string {
	tags := map[string]string{"pulumi-project": Project, "pulumi-stack": c.Stack}
	for k, v := range c.Tags {
		tags[k] = v
	}
	return tags
}
