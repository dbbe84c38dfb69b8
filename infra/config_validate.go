package infra

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var (
	containerNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	envNameRe       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretArnRe     = regexp.MustCompile(`^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:\d{12}:parameter/.+|secretsmanager:[a-z0-9-]+:\d{12}:secret:.+)$`)
	matcherRe       = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)
	vpcIDRe         = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
	subnetIDRe      = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	certificateRe   = regexp.MustCompile(`^arn:aws[a-z-]*:(acm:[a-z0-9-]+:\d{12}:certificate/|iam::\d{12}:server-certificate/).+$`)
	platformRe      = regexp.MustCompile(`^(LATEST|\d+\.\d+\.\d+)$`)
	ecrRepoArnRe    = regexp.MustCompile(`^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository/(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	ecrRepoNameRe   = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	kmsKeyArnRe     = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
	domainNameRe    = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
	gpuInstanceRe   = regexp.MustCompile(`^[gp][a-z0-9-]*\.[a-z0-9]+$`)
)

// fargateMemory is, per Fargate CPU size, the allowed memory range (MiB) and its step. 256 CPU units
// take only the values in fargateMemory256 (no 1536).
var fargateMemory = map[int][3]int{
	256:   {512, 2048, 512},
	512:   {1024, 4096, 1024},
	1024:  {2048, 8192, 1024},
	2048:  {4096, 16384, 1024},
	4096:  {8192, 30720, 1024},
	8192:  {16384, 61440, 4096},
	16384: {32768, 122880, 8192},
}

// fargateMemory256 are the memory sizes (MiB) Fargate offers with 256 CPU units.
var fargateMemory256 = []int{512, 1024, 2048}

// validator collects problems and remembers which keys already failed, so that a cross-key rule does
// not pile a second message on a value that is wrong by itself.
type validator struct {
	problems
	failed  map[string]bool
	allowed map[string]string
}

// fail reports key = value with the key's documented allowed values.
func (v *validator) fail(key string, value any) {
	v.failWith(key, value, "must be "+v.allowed[key])
}

// failWith reports key = value with a specific message.
func (v *validator) failWith(key string, value any, must string) {
	v.failed[key] = true
	v.add(key, value, must)
}

func (v *validator) ok(keys ...string) bool {
	for _, k := range keys {
		if v.failed[k] {
			return false
		}
	}
	return true
}

// validateConfig checks every key: ranges and enumerations from the struct tags first, then the rules
// that need code or look at several keys.
func validateConfig(cfg *Config) error {
	v := &validator{failed: map[string]bool{}, allowed: map[string]string{}}
	for _, k := range ConfigKeys() {
		v.allowed[k.Key] = k.Allowed
	}
	walkConfig(reflect.TypeOf(*cfg), reflect.ValueOf(*cfg), "", func(path string, f reflect.StructField, val reflect.Value) {
		checkTags(v, path, f, val)
	})
	validateService(v, cfg)
	validateHealthChecks(v, cfg)
	validateNetwork(v, cfg)
	validateLoadBalancer(v, cfg)
	validateStreams(v, cfg)
	validateCompute(v, cfg)
	validateAlarms(v, cfg)
	validateAutoscaling(v, cfg)
	validateTags(v, cfg)
	return v.err()
}

// checkTags applies the min/max/oneof struct tags.
func checkTags(v *validator, path string, f reflect.StructField, val reflect.Value) {
	if one := f.Tag.Get("oneof"); one != "" {
		text := fmt.Sprint(val.Interface())
		for _, o := range strings.Split(one, ",") {
			if o == text {
				return
			}
		}
		v.fail(path, val.Interface())
		return
	}
	var x float64
	switch val.Kind() {
	case reflect.Int:
		x = float64(val.Int())
	case reflect.Float64:
		x = val.Float()
	default:
		return
	}
	if lo, ok := f.Tag.Lookup("min"); ok && x < mustFloat(lo) {
		v.fail(path, val.Interface())
		return
	}
	if hi, ok := f.Tag.Lookup("max"); ok && x > mustFloat(hi) {
		v.fail(path, val.Interface())
	}
}

func mustFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic("config: bad number in struct tag: " + s)
	}
	return f
}

func validateService(v *validator, cfg *Config) {
	if cfg.Image == "" || strings.ContainsAny(cfg.Image, " \t\r\n") {
		v.fail("image", cfg.Image)
	}
	s := cfg.Service
	if !containerNameRe.MatchString(s.ContainerName) {
		v.fail("service.containerName", s.ContainerName)
	}
	if cfg.Compute.Type == ComputeFargate {
		mem, known := fargateMemory[s.CPU]
		switch {
		case !known:
			v.fail("service.cpu", s.CPU)
		case s.CPU == 256:
			if !slices.Contains(fargateMemory256, s.Memory) {
				v.failWith("service.memory", s.Memory, "must be one of 512, 1024, 2048 MiB with 256 CPU units on fargate")
			}
		case s.Memory < mem[0] || s.Memory > mem[1] || (s.Memory-mem[0])%mem[2] != 0:
			v.failWith("service.memory", s.Memory, fmt.Sprintf("must be %d–%d MiB in %d MiB steps with %d CPU units on fargate", mem[0], mem[1], mem[2], s.CPU))
		}
	} else {
		if s.CPU < 128 {
			v.fail("service.cpu", s.CPU)
		}
		if s.Memory < 512 {
			v.failWith("service.memory", s.Memory, "must be at least 512 MiB on ec2-gpu")
		}
	}
	for _, name := range sortedKeys(s.Environment) {
		if !envNameRe.MatchString(name) {
			v.fail("service.environment", name)
		}
	}
	for _, name := range sortedKeys(s.Secrets) {
		key := "service.secrets." + name
		switch {
		case !envNameRe.MatchString(name):
			v.failWith("service.secrets", name, "must be names of letters, digits and underscores not starting with a digit")
		case !secretArnRe.MatchString(s.Secrets[name]):
			v.failWith(key, s.Secrets[name], "must be the ARN of an SSM parameter (arn:aws:ssm:<region>:<account>:parameter/…) or a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:…)")
		}
		if _, dup := s.Environment[name]; dup {
			v.failWith(key, s.Secrets[name], "must not reuse the name of a service.environment variable")
		}
	}
	for i, arn := range s.SecretsKmsKeyArns {
		if !kmsKeyArnRe.MatchString(arn) {
			v.failWith(fmt.Sprintf("service.secretsKmsKeyArns[%d]", i), arn, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>): IAM matches keys, not aliases")
		}
	}
	if len(s.SecretsKmsKeyArns) > 0 && len(s.Secrets) == 0 {
		v.failWith("service.secretsKmsKeyArns", s.SecretsKmsKeyArns, "must be empty unless service.secrets lists secrets: the keys only decrypt them")
	}
	for i, repo := range s.ImageRepositories {
		if !ecrRepoArnRe.MatchString(repo) && (len(repo) > 256 || !ecrRepoNameRe.MatchString(repo)) {
			v.failWith(fmt.Sprintf("service.imageRepositories[%d]", i), repo, "must be an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>) or a repository name in the stack's account and region")
		}
	}
}

func validateHealthChecks(v *validator, cfg *Config) {
	h := cfg.HealthCheck
	if !strings.HasPrefix(h.Path, "/") || len(h.Path) > 1024 || strings.ContainsAny(h.Path, " \t") {
		v.fail("healthCheck.path", h.Path)
	}
	if v.ok("healthCheck.timeout", "healthCheck.interval") && h.Timeout >= h.Interval {
		v.failWith("healthCheck.timeout", h.Timeout, fmt.Sprintf("must be less than healthCheck.interval (%d seconds)", h.Interval))
	}
	if !validMatcher(h.Matcher) {
		v.fail("healthCheck.matcher", h.Matcher)
	}
	c := cfg.ContainerHealthCheck
	if len(c.Command) > 0 && (len(c.Command) < 2 || (c.Command[0] != "CMD" && c.Command[0] != "CMD-SHELL")) {
		v.fail("containerHealthCheck.command", c.Command)
	}
}

// validMatcher accepts ALB matcher codes: 200, 200,202, 200-299 (codes 200–499).
func validMatcher(m string) bool {
	if !matcherRe.MatchString(m) {
		return false
	}
	for _, part := range strings.FieldsFunc(m, func(r rune) bool { return r == ',' || r == '-' }) {
		code, _ := strconv.Atoi(part)
		if code < 200 || code > 499 {
			return false
		}
	}
	return true
}

func validateNetwork(v *validator, cfg *Config) {
	n := cfg.Network
	if n.VpcID == "" {
		if len(n.PublicSubnetIDs) > 0 {
			v.failWith("network.publicSubnetIds", n.PublicSubnetIDs, "must be empty unless network.vpcId is set")
		}
		if len(n.PrivateSubnetIDs) > 0 {
			v.failWith("network.privateSubnetIds", n.PrivateSubnetIDs, "must be empty unless network.vpcId is set")
		}
		if p, err := netip.ParsePrefix(n.VpcCidr); err != nil || !p.Addr().Is4() || p.Bits() < 16 || p.Bits() > 20 || p.Masked() != p {
			v.fail("network.vpcCidr", n.VpcCidr)
		}
		return
	}
	if !vpcIDRe.MatchString(n.VpcID) {
		v.fail("network.vpcId", n.VpcID)
	}
	if !validSubnets(n.PrivateSubnetIDs) {
		v.fail("network.privateSubnetIds", n.PrivateSubnetIDs)
	}
	needPublic := cfg.LoadBalancer.Scheme == "internet-facing"
	if (needPublic || len(n.PublicSubnetIDs) > 0) && !validSubnets(n.PublicSubnetIDs) {
		v.fail("network.publicSubnetIds", n.PublicSubnetIDs)
	}
}

func validSubnets(ids []string) bool {
	seen := map[string]bool{}
	for _, id := range ids {
		if !subnetIDRe.MatchString(id) || seen[id] {
			return false
		}
		seen[id] = true
	}
	return len(ids) >= 2
}

func validateLoadBalancer(v *validator, cfg *Config) {
	lb := cfg.LoadBalancer
	https := lb.ProdProtocol == "HTTPS"
	switch {
	case https && !certificateRe.MatchString(lb.CertificateArn):
		v.fail("loadBalancer.certificateArn", lb.CertificateArn)
	case !https && lb.CertificateArn != "":
		v.failWith("loadBalancer.certificateArn", lb.CertificateArn, "must be empty with prodProtocol HTTP")
	}
	switch {
	case https && lb.DomainName == "":
		v.failWith("loadBalancer.domainName", lb.DomainName, "must be the DNS name the certificate covers, pointed at the ALB "+
			"(required with HTTPS: prodUrl and testUrl use it, and the deployer's TLS check of testUrl fails on the ALB's own DNS name, "+
			"which no certificate of yours covers)")
	case lb.DomainName != "" && (len(lb.DomainName) > 253 || !domainNameRe.MatchString(lb.DomainName)):
		v.fail("loadBalancer.domainName", lb.DomainName)
	}
	if !strings.HasPrefix(lb.SslPolicy, "ELBSecurityPolicy-") {
		v.fail("loadBalancer.sslPolicy", lb.SslPolicy)
	}
	if https && lb.ProdPort == 80 && v.ok("loadBalancer.prodPort") {
		v.failWith("loadBalancer.prodPort", lb.ProdPort, "must not be 80 with HTTPS (the 80→443 redirect listener uses it)")
	}
	if v.ok("loadBalancer.testPort", "loadBalancer.prodPort") {
		switch {
		case lb.TestPort == lb.ProdPort:
			v.failWith("loadBalancer.testPort", lb.TestPort, fmt.Sprintf("must differ from loadBalancer.prodPort (%d)", lb.ProdPort))
		case https && lb.TestPort == 80:
			v.failWith("loadBalancer.testPort", lb.TestPort, "must not be 80 with HTTPS (the 80→443 redirect listener uses it)")
		}
	}
	if lb.Scheme == "internet-facing" && cfg.Network.VpcID != "" && len(lb.TestCidrs) == 0 {
		v.failWith("loadBalancer.testCidrs", lb.TestCidrs, "must list who checks green through the test listener (your CI runners' egress CIDRs) "+
			"with an internet-facing ALB in an existing VPC: its DNS name resolves to public IPs, so even a runner inside the VPC "+
			"arrives from its NAT gateway's Elastic IP (or its own public IP), never from the VPC CIDR")
	}
	for _, list := range []struct {
		key   string
		cidrs []string
	}{{"loadBalancer.prodCidrs", lb.ProdCidrs}, {"loadBalancer.testCidrs", lb.TestCidrs}} {
		for i, c := range list.cidrs {
			if p, err := netip.ParsePrefix(c); err != nil || !p.Addr().Is4() || p.Masked() != p {
				v.failWith(fmt.Sprintf("%s[%d]", list.key, i), c, "must be an IPv4 CIDR like 10.0.0.0/16")
			}
		}
	}
	if lb.SlowStart != 0 && (lb.SlowStart < 30 || lb.SlowStart > 900) {
		v.fail("loadBalancer.slowStart", lb.SlowStart)
	}
}

// fargateMaxStopTimeout is the longest container stopTimeout Fargate takes (ECS ContainerDefinition
// stopTimeout: "the max stop timeout value is 120 seconds"; EC2 documents no maximum).
const fargateMaxStopTimeout = 120

// validateStreams checks that the longest request (service.maxRequestSeconds) survives the load
// balancer and its task being stopped behind it: blue's task set after the termination wait, green's
// on a rollback, any task on scale-in. How ECS and the ALB stop such a task:
//
//  1. ECS deregisters the task's target (task state DEACTIVATING, "Amazon ECS task lifecycle") and
//     waits until the ALB reports it unused ("Optimize load balancer connection draining parameters
//     for Amazon ECS"). The draining target keeps its in-flight requests, for at most the target
//     group's deregistration delay ("Edit target group attributes: Deregistration delay"; a target
//     that closes them earlier gives clients 5xx).
//  2. Then ECS sends SIGTERM, and SIGKILL after the container's stopTimeout (ContainerDefinition
//     stopTimeout: at most 120 s on Fargate, default 30).
//
// So the deregistration delay must cover the longest request. The stop timeout need not: by SIGTERM
// the target has drained, and a longer one only lets a slow shutdown finish. A prod weight of 0 (blue
// in the termination wait) only sends new requests elsewhere; blue's in-flight requests run on until
// its task set goes, then drain. AWS documents nothing about what the ALB does with a request still in
// flight when the delay ends, nor whether the tasks of a task set CodeDeploy deletes drain like other
// service tasks: we assume the request is cut then and that they do (the emulator does both).
//
// The ALB's idle timeout closes a connection on which nothing was sent or received for that long
// ("Edit attributes for your Application Load Balancer: Connection idle timeout"). A request that
// answers only when done is silent for all of it, so the idle timeout must fit the longest request; a
// stream that sends a byte more often needs less, but the configuration does not know its gaps.
func validateStreams(v *validator, cfg *Config) {
	s, lb := cfg.Service, cfg.LoadBalancer
	if cfg.Compute.Type == ComputeFargate && s.StopTimeout > fargateMaxStopTimeout && v.ok("service.stopTimeout") {
		v.failWith("service.stopTimeout", s.StopTimeout, fmt.Sprintf("must be 1–%d seconds on fargate (Fargate's longest stop timeout)", fargateMaxStopTimeout))
	}
	if !v.ok("service.maxRequestSeconds") {
		return
	}
	longest := s.MaxRequestSeconds
	if v.ok("loadBalancer.deregistrationDelay") && lb.DeregistrationDelay < longest {
		v.failWith("loadBalancer.deregistrationDelay", lb.DeregistrationDelay, fmt.Sprintf(
			"must be at least service.maxRequestSeconds (%d seconds): a stopped task's target drains its in-flight requests for this long, then ECS stops the task",
			longest))
	}
	if v.ok("loadBalancer.idleTimeout") && lb.IdleTimeout < longest {
		v.failWith("loadBalancer.idleTimeout", lb.IdleTimeout, fmt.Sprintf(
			"must be at least service.maxRequestSeconds (%d seconds): the ALB closes a connection silent for this long, and a request that answers only when done is silent until then",
			longest))
	}
}

func validateCompute(v *validator, cfg *Config) {
	c := cfg.Compute
	if !platformRe.MatchString(c.PlatformVersion) {
		v.fail("compute.platformVersion", c.PlatformVersion)
	}
	if cfg.Compute.Type != ComputeEC2GPU {
		return
	}
	if !gpuInstanceRe.MatchString(c.InstanceType) {
		v.fail("compute.instanceType", c.InstanceType)
	}
	if !strings.HasPrefix(c.AmiParameter, "/") {
		v.fail("compute.amiParameter", c.AmiParameter)
	}
	validateGPUInstance(v, c)
	if !v.ok("compute.maxInstances", "compute.minInstances", "compute.tasksPerInstance") {
		return
	}
	if need := cfg.minimumInstancesForBlueGreen(); c.MaxInstances < need {
		v.failWith("compute.maxInstances", c.MaxInstances, fmt.Sprintf("must be at least %d so green can start beside blue (2 × ceil(%d tasks ÷ %d per instance))", need, cfg.MaxTasks(), c.TasksPerInstance))
	} else if c.MinInstances > c.MaxInstances {
		v.failWith("compute.minInstances", c.MinInstances, fmt.Sprintf("must be at most compute.maxInstances (%d)", c.MaxInstances))
	}
}

func validateAlarms(v *validator, cfg *Config) {
	a := cfg.Alarms
	// CloudWatch offers 10 and 30 second periods for high-resolution metrics only; AWS/ApplicationELB
	// publishes one datapoint a minute, so shorter periods just see missing data.
	if p := a.PeriodSeconds; p <= 0 || p%60 != 0 {
		v.fail("alarms.periodSeconds", p)
	}
	if v.ok("alarms.evaluationPeriods") && (a.DatapointsToAlarm < 1 || a.DatapointsToAlarm > a.EvaluationPeriods) {
		v.failWith("alarms.datapointsToAlarm", a.DatapointsToAlarm, fmt.Sprintf("must be 1–%d (alarms.evaluationPeriods)", a.EvaluationPeriods))
	}
	if v.ok("alarms.periodSeconds", "alarms.evaluationPeriods") && a.PeriodSeconds*a.EvaluationPeriods > 86400 {
		v.failWith("alarms.evaluationPeriods", a.EvaluationPeriods, fmt.Sprintf("must keep evaluationPeriods × periodSeconds (%d s) within one day", a.PeriodSeconds*a.EvaluationPeriods))
	}
	// The unhealthy-host alarm also waits out the grace period (see NewAlarms), and CloudWatch caps an
	// alarm's whole window at one day.
	grace := cfg.HealthCheck.GracePeriod
	if v.ok("alarms.periodSeconds", "alarms.evaluationPeriods", "healthCheck.gracePeriod") &&
		(loadingPeriods(grace, a.PeriodSeconds)+a.EvaluationPeriods)*a.PeriodSeconds > 86400 {
		v.failWith("healthCheck.gracePeriod", grace, fmt.Sprintf("must keep gracePeriod + alarms.evaluationPeriods × alarms.periodSeconds (%d s) within one day: the unhealthy-host alarm waits out a model load", a.PeriodSeconds*a.EvaluationPeriods))
	}
}

func validateAutoscaling(v *validator, cfg *Config) {
	a := cfg.Autoscaling
	if !a.Enabled || !v.ok("autoscaling.minTasks", "autoscaling.maxTasks") {
		return
	}
	if a.MaxTasks < a.MinTasks {
		v.failWith("autoscaling.maxTasks", a.MaxTasks, fmt.Sprintf("must be at least autoscaling.minTasks (%d)", a.MinTasks))
		return
	}
	if d := cfg.Service.DesiredCount; v.ok("service.desiredCount") && (d < a.MinTasks || d > a.MaxTasks) {
		v.failWith("service.desiredCount", d, fmt.Sprintf("must be %d–%d (autoscaling.minTasks–maxTasks) when autoscaling is enabled", a.MinTasks, a.MaxTasks))
	}
}

func validateTags(v *validator, cfg *Config) {
	for _, k := range sortedKeys(cfg.Tags) {
		if k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") || len(cfg.Tags[k]) > 256 {
			v.fail("tags", k)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
