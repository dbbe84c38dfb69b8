// Package emulator is the AWS control plane of the local ECS / ELBv2 / CodeDeploy / CloudWatch
// emulator: one HTTP endpoint that speaks each service's real wire protocol (JSON 1.1 for ECS and
// CodeDeploy, Query/XML for ELBv2, rpcv2-CBOR, JSON 1.0 and Query for CloudWatch), a Go API to
// provision resources, and a CodeDeploy ECS blue/green engine that drives the real traffic of
// tests/internal/emulator/dataplane.
//
// The emulator keeps one AWS clock (tests/internal/awsclock) at its time scale: every timestamp it
// returns and every period it evaluates is AWS time, and the control plane waits on that clock. The
// data plane carries real traffic on real time and records real instants; the clock converts them
// to AWS time where the control plane reads them (task states, CloudWatch queries).
package emulator

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/awsclock"
	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator/dataplane"
)

// Options configures an Emulator.
type Options struct {
	// TimeScale is how many AWS seconds pass per real second (60: one AWS minute per second).
	// Zero means 1. Ignored when Clock is set.
	TimeScale float64
	// Clock is the AWS clock; nil makes one at TimeScale, starting at the wall clock's time. An
	// in-process deployer runs on the same clock (Emulator.Clock).
	Clock *awsclock.Clock
	// Region is reported in ARNs and DNS names. Default us-east-1.
	Region string
	// AccountID is reported in ARNs. Default 123456789012.
	AccountID string
	// Logger receives one line per API call and per lifecycle change. Nil discards.
	Logger *slog.Logger
	// Faults are injected into API calls (see ParseFaults); FaultSeed seeds their draws (zero picks a
	// seed, which Emulator.FaultSeed reports, so that a run can be repeated).
	Faults    Faults
	FaultSeed uint64
	// NoRateLimits turns off the per-account request rates (see rateCategories): no call is throttled
	// unless a fault says so.
	NoRateLimits bool
	// OnCall, when set, receives every API call the emulator answered (throttled and faulted ones
	// included), as it answers them: calls arrive concurrently, so it must be safe for concurrent
	// use, and quick.
	OnCall func(Call)

	// The following are AWS-side latencies in AWS seconds (on the AWS clock like every AWS duration).
	// Zero takes the default; a negative value turns the latency off.

	// MetricPublishDelaySeconds is how long after a request its AWS/ApplicationELB datapoint becomes
	// visible: GetMetricData returns nothing newer, and alarms evaluate only whole, clock-aligned
	// periods that ended at least this long ago. ALB publishes one datapoint a minute and CloudWatch
	// ingests it with a further delay; default 90.
	MetricPublishDelaySeconds int
	// TaskProvisioningSeconds is how long a new task is PROVISIONING (Fargate attaching its ENI);
	// default 10.
	TaskProvisioningSeconds int
	// ImagePullSeconds is how long a task is PENDING while its image is pulled; default 30. A
	// multi-gigabyte model image takes minutes.
	ImagePullSeconds int
	// TargetRegistrationSeconds is how long a newly registered target stays
	// initial/Elb.RegistrationInProgress before the load balancer health-checks it; default 10.
	TargetRegistrationSeconds int
	// StopSeconds is how long after StopDeployment answers Pending the deployment stops (and its
	// rollback, if any, is created); default 5. AWS documents that a stop may be Pending, not for
	// how long: an estimate.
	StopSeconds int
	// RollbackInfoSeconds is how long after a deployment stops or fails its rollbackInfo shows in
	// GetDeployment; default 5, an estimate of what is reported: the rollback id appears late.
	RollbackInfoSeconds int
	// RollbackSeconds is how long a rollback deployment takes from its creation to Succeeded (traffic
	// is rerouted within its first seconds); default 60, an estimate of the "seconds to a minute"
	// reported.
	RollbackSeconds int

	// InstallIgnoresHealth makes CodeDeploy's Install end once the replacement tasks are RUNNING,
	// healthy or not, as users report of AWS (aws/containers-roadmap#1941). Off, Install waits for
	// the task set's steady state: every target healthy.
	InstallIgnoresHealth bool

	// OnStep, when set, is called at each Step of every deployment (a lifecycle event starting, the
	// ready or termination wait beginning, each move of production traffic) from the engine's
	// goroutine, with no lock held; that deployment's engine waits for it to return while API calls
	// are served. Test support: a test acts at an instant too short to catch by polling
	// (AllowTestTraffic lasts an AWS second), say by signalling a deployer, before the deployment
	// moves on.
	OnStep func(Step)
}

// Defaults of the latency Options.
const (
	DefaultMetricPublishDelaySeconds = 90
	DefaultTaskProvisioningSeconds   = 10
	DefaultImagePullSeconds          = 30
	DefaultTargetRegistrationSeconds = 10
	DefaultStopSeconds               = 5
	DefaultRollbackInfoSeconds       = 5
	DefaultRollbackSeconds           = 60
)

// latency returns an Options latency: the default when zero, none when negative.
func latency(v, def int) float64 {
	switch {
	case v == 0:
		return float64(def)
	case v < 0:
		return 0
	}
	return float64(v)
}

// Emulator serves the AWS APIs and owns every emulated resource. It is an http.Handler.
type Emulator struct {
	region, account string
	clock           *awsclock.Clock
	scale           dataplane.Scale // the clock's scale, for the data plane's AWS-configured durations
	// AWS-side latencies in AWS seconds, defaults applied (see Options).
	publishDelay, provisioning, imagePull, registration float64
	stopDelay, rollbackInfoDelay, rollbackDuration      float64
	installIgnoresHealth                                bool
	onStep                                              func(Step)
	log                                                 *slog.Logger
	recorder                                            *dataplane.Recorder
	faults                                              *faultInjector
	limiter                                             *rateLimiter // nil: no rate limits
	onCall                                              func(Call)

	ctx    context.Context // cancelled by Close; every background loop watches it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex // guards everything below and the state of every resource
	closed    bool
	ecs       ecsState
	elb       elbState
	cd        cdState
	cw        cwState
	services  []*service
	byTarget  map[string]*service // X-Amz-Target prefix / rpcv2 service name
	bySigning map[string]*service // SigV4 scope service
}

// New returns an Emulator with no resources except CodeDeploy's predefined deployment configs.
func New(opts Options) *Emulator {
	if opts.Clock == nil {
		opts.Clock = awsclock.New(opts.TimeScale)
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		region:  opts.Region,
		account: opts.AccountID,
		clock:   opts.Clock,
		scale:   dataplane.Scale(opts.Clock.Scale()),
		log:     opts.Logger,

		publishDelay: latency(opts.MetricPublishDelaySeconds, DefaultMetricPublishDelaySeconds),
		provisioning: latency(opts.TaskProvisioningSeconds, DefaultTaskProvisioningSeconds),
		imagePull:    latency(opts.ImagePullSeconds, DefaultImagePullSeconds),
		registration: latency(opts.TargetRegistrationSeconds, DefaultTargetRegistrationSeconds),

		stopDelay:            latency(opts.StopSeconds, DefaultStopSeconds),
		rollbackInfoDelay:    latency(opts.RollbackInfoSeconds, DefaultRollbackInfoSeconds),
		rollbackDuration:     latency(opts.RollbackSeconds, DefaultRollbackSeconds),
		installIgnoresHealth: opts.InstallIgnoresHealth,
		onStep:               opts.OnStep,
		recorder:             dataplane.NewRecorder(),
		onCall:               opts.OnCall,
		ctx:                  ctx,
		cancel:               cancel,
	}
	if opts.FaultSeed == 0 {
		opts.FaultSeed = rand.Uint64()
	}
	e.faults = newFaultInjector(opts.Faults, opts.FaultSeed)
	if !opts.NoRateLimits {
		e.limiter = &rateLimiter{}
	}
	e.ecs.init()
	e.elb.init()
	e.cd.init()
	e.cw.init()
	e.services = []*service{e.ecsService(), e.codeDeployService(), e.elbv2Service(), e.cloudWatchService()}
	e.byTarget = map[string]*service{}
	e.bySigning = map[string]*service{}
	for _, s := range e.services {
		e.byTarget[s.targetPrefix] = s
		e.bySigning[s.signingName] = s
	}
	e.wg.Add(1)
	go e.evaluateAlarms()
	return e
}

// Recorder returns the metrics recorder every listener and target group records into.
func (e *Emulator) Recorder() *dataplane.Recorder { return e.recorder }

// Scale returns the emulator's time scale.
func (e *Emulator) Scale() dataplane.Scale { return e.scale }

// Clock returns the emulator's AWS clock.
func (e *Emulator) Clock() *awsclock.Clock { return e.clock }

// FaultSeed returns the seed of the injected faults' draws.
func (e *Emulator) FaultSeed() uint64 { return e.faults.seed }

// Faults returns the injected faults.
func (e *Emulator) Faults() Faults { return e.faults.faults }

// now is the current AWS time.
func (e *Emulator) now() time.Time { return e.clock.Now() }

// d converts an AWS-configured duration in seconds to real time, for the real timers of the data plane.
func (e *Emulator) d(awsSeconds float64) time.Duration { return e.scale.D(awsSeconds) }

// seconds is an AWS duration of s AWS seconds.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// ServeHTTP routes a request to its service and protocol: X-Amz-Target for JSON, the
// /service/<name>/operation/<op> path for rpcv2-CBOR, and Action/Version (or the SigV4 credential
// scope) for Query. Any credentials are accepted.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, action, _ := strings.Cut(target, ".")
		svc, ok := e.byTarget[prefix]
		if !ok {
			http.Error(w, "unknown X-Amz-Target "+target, http.StatusBadRequest)
			return
		}
		version := "1.1"
		if strings.HasSuffix(r.Header.Get("Content-Type"), "1.0") {
			version = "1.0"
		}
		e.serveJSON(w, r, svc, action, version)
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/service/"); ok {
		name, action, _ := strings.Cut(rest, "/operation/")
		svc, known := e.byTarget[name]
		if !known {
			http.Error(w, "unknown rpcv2 service "+name, http.StatusNotFound)
			return
		}
		e.serveCBOR(w, r, svc, action)
		return
	}
	if err := r.ParseForm(); err != nil {
		e.malformedQuery(w, r, err)
		return
	}
	svc := e.queryService(r, r.Form)
	if svc == nil {
		http.Error(w, "cannot tell which AWS service this request is for", http.StatusBadRequest)
		return
	}
	e.serveQuery(w, r, svc, r.Form)
}

// queryService picks the Query service by Version, falling back to the SigV4 scope.
func (e *Emulator) queryService(r *http.Request, form url.Values) *service {
	version := form.Get("Version")
	for _, s := range e.services {
		if s.queryVersion != "" && s.queryVersion == version {
			return s
		}
	}
	if s := e.bySigning[credentialScopeService(r)]; s != nil && s.queryVersion != "" {
		return s
	}
	return nil
}

// admit decides whether an API call is served: an injected fault answers it first, then the
// account's rate limits (on AWS time) may throttle it.
func (e *Emulator) admit(svc *service, action string) *awsError {
	if ae := e.faults.inject(svc, action); ae != nil {
		e.log.Debug("aws call faulted", "service", svc.name, "action", action, "error", ae)
		return ae
	}
	if e.limiter != nil && !e.limiter.admit(rateCategories(svc.name, action), e.now()) {
		e.log.Debug("aws call throttled", "service", svc.name, "action", action)
		return throttlingErr(svc)
	}
	return nil
}

func (e *Emulator) logCall(svc *service, action string, err error) {
	if err != nil {
		e.log.Debug("aws call", "service", svc.name, "action", action, "error", err)
		return
	}
	e.log.Debug("aws call", "service", svc.name, "action", action)
}

// Close stops every background loop, task, listener and target group.
func (e *Emulator) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ecs.close()
	e.elb.close()
}

// goBackground runs f in the background; Close waits for it. The caller holds e.mu, so that no
// loop starts once Close has begun.
func (e *Emulator) goBackground(f func()) {
	if e.closed {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// sleepAWS waits d of AWS time or until the emulator closes; it reports whether the emulator is
// still open.
func (e *Emulator) sleepAWS(d time.Duration) bool { return e.sleep(e.clock.RealDuration(d)) }

// sleep waits d of real time or until the emulator closes; it reports whether the emulator is still
// open.
func (e *Emulator) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.ctx.Done():
		return false
	}
}

// Server is an Emulator listening on a TCP address.
type Server struct {
	*Emulator
	URL  string // http://host:port
	http *http.Server
	ln   net.Listener
}

// Start serves the emulator on addr ("127.0.0.1:4566", or ":0" for any port).
func (e *Emulator) Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Emulator: e, URL: "http://" + ln.Addr().String(), ln: ln,
		http: &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("emulator server stopped", "error", err)
		}
	}()
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving and closes the emulator.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
	s.Emulator.Close()
}
