// Package deployer releases a new image to an ECS service through a CodeDeploy
// blue/green deployment, moving production traffic to green only after green is
// proven healthy (gate 1, during the Ready wait) and letting blue go only after
// green has held under production traffic (gate 2, during the termination wait).
package deployer

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/deployer/suite"
)

// Target names the AWS resources of one service's releases (from the stack
// outputs, overridden by flags).
type Target struct {
	Region          string
	Cluster         string
	Service         string
	ContainerName   string
	ContainerPort   int32
	Application     string
	DeploymentGroup string
	ProdListenerArn string
	TestListenerArn string
	LoadBalancerArn string // optional: read from the target group when empty
	ProdURL         string
	TestURL         string
	MaxRequest      time.Duration // optional: the longest request or stream the model serves (service.maxRequestSeconds), for the stream check
}

// Options are the deployer's timing knobs and thresholds. Durations are real time.
type Options struct {
	PollInterval        time.Duration // fastest poll, right after a change
	PollMaxInterval     time.Duration // cap of the adaptive backoff
	Consecutive         int           // K: consecutive passing checks a gate needs (and failing ones that fail it)
	GreenStartTimeout   time.Duration // from install start to the first healthy green target; 0 = derived from the service's health check grace period (assessLimits)
	AlarmWait           time.Duration // before creating a deployment, how long to wait for the group's alarms to leave ALARM; 0 = derived from the alarms' periods
	MaxGreenTaskStops   int           // failed green task stops tolerated before rolling back
	GateTimeout         time.Duration // gate 1 limit, from entering Ready; 0 = until shortly before the group's ready wait ends
	CheckInterval       time.Duration // spacing of the K consecutive checks of gate 1
	ReadyPath           string        // readiness probe path; "" = the green target group's health-check path
	RequestTimeout      time.Duration // per HTTP request of probes and the suite
	Suite               *suite.Suite  // optional validation suite
	LatencySamples      int           // gate 1: requests of each kind to each side for the latency comparison; 0 = off
	MaxP50Ratio         float64       // gate 1: green's p50 may be at most this many times blue's …
	MinP50Increase      time.Duration // … or at most this much above it (green fails only beyond both)
	MaxP95Ratio         float64       // the same for p95
	MinP95Increase      time.Duration
	HoldAtReady         bool          // after gate 1 passes, leave the deployment waiting in Ready (no ContinueDeployment)
	AllowUngatedTraffic bool          // release through a group that does not wait in Ready (no gate 1)
	Soak                time.Duration // gate 2 window; 0 = no soak, wait out the group's termination wait
	SoakInterval        time.Duration // gate 2 check interval
	Max5xxRate          float64       // gate 2: max failed fraction of green's requests (target 5xx plus ELB 5xx or connection errors: soakMetrics.errorRate)
	MaxP99              time.Duration // gate 2: max p99 TargetResponseTime; 0 = not checked
	MinRequests         int           // gate 2: fewest requests green must serve during the soak; 0 = judge an idle green on health and alarms
	MetricsLag          time.Duration // gate 2: after the soak, how long to wait for CloudWatch's datapoints of its last minute
	Timeout             time.Duration // overall limit; 0 = computed budget
	RollbackTimeout     time.Duration // how long to follow a rollback deployment
	OnInterrupt         string        // "rollback" or "detach"
	InterruptGrace      time.Duration // time to stop and follow the rollback after a signal

	Clock      Clock        // nil = wall clock
	HTTPClient *http.Client // nil = a client without redirects-following surprises
	Logger     *slog.Logger // nil = discard
}

// DefaultOptions returns the defaults the CLI documents. GreenStartTimeout,
// AlarmWait and GateTimeout are 0: derived from the service, its alarms and the
// deployment group once they are read (assessLimits).
func DefaultOptions() Options {
	return Options{
		PollInterval: time.Second, PollMaxInterval: 5 * time.Second, Consecutive: 3,
		CheckInterval: 5 * time.Second, RequestTimeout: 10 * time.Second,
		LatencySamples: 30, MaxP50Ratio: 1.5, MinP50Increase: 50 * time.Millisecond, MaxP95Ratio: 2, MinP95Increase: 100 * time.Millisecond,
		Soak: 5 * time.Minute, SoakInterval: 15 * time.Second, Max5xxRate: 0.01, MaxP99: 2 * time.Second, MetricsLag: 3 * time.Minute,
		RollbackTimeout: 15 * time.Minute, OnInterrupt: "rollback", InterruptGrace: 7 * time.Second,
	}
}

// Deployer runs and controls releases of one ECS service.
type Deployer struct {
	c     Clients
	t     Target
	o     Options // as the caller set them: a 0 limit is derived once per command (assessLimits)
	log   *slog.Logger
	clock Clock
	http  *http.Client
}

// New returns a Deployer using the given clients.
func New(c Clients, t Target, o Options) *Deployer {
	d := &Deployer{c: c, t: t, o: o, log: o.Logger, clock: o.Clock, http: o.HTTPClient}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.clock == nil {
		d.clock = realClock{}
	}
	if d.http == nil {
		d.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if d.o.Consecutive < 1 {
		d.o.Consecutive = 1
	}
	return d
}
