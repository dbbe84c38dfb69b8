package emulator

import (
	"fmt"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator/dataplane"
)

// LoadBalancerInput describes an Application Load Balancer to create.
type LoadBalancerInput struct {
	Name           string
	Scheme         string // internet-facing (default) or internal
	VpcID          string
	Subnets        []string
	SecurityGroups []string
	// DNSName is the name clients resolve to reach the listeners. Empty gives an AWS-style name,
	// which resolves nowhere; a rehearsal that sends real traffic passes "127.0.0.1", the address
	// every emulated listener binds on.
	DNSName string
	// IdleTimeoutSeconds is the load balancer attribute idle_timeout.timeout_seconds (1-4000; zero
	// takes ALB's default of 60). It is real time, never scaled: it bounds how long a real request may
	// go without sending or receiving data, and request latencies are real.
	IdleTimeoutSeconds int
	// DropInvalidHeaderFields is the attribute routing.http.drop_invalid_header_fields.enabled
	// (ALB's default false), reported by DescribeLoadBalancerAttributes; the data plane ignores it.
	DropInvalidHeaderFields bool
}

// LoadBalancer is a created ALB.
type LoadBalancer struct {
	ARN       string
	Name      string
	DNSName   string
	ARNSuffix string // app/<name>/<id>: CloudWatch's LoadBalancer dimension
}

// HealthCheckSettings are a target group's health check settings; zero values take ALB's
// defaults (path /, interval 30 s, timeout 5 s, healthy 5, unhealthy 2, matcher 200).
type HealthCheckSettings struct {
	Path               string
	IntervalSeconds    int
	TimeoutSeconds     int
	HealthyThreshold   int
	UnhealthyThreshold int
	Matcher            string // "200", "200-299", "200,202"
}

// TargetGroupInput describes a target group to create (target type ip, HTTP).
type TargetGroupInput struct {
	Name        string
	Port        int
	VpcID       string
	HealthCheck HealthCheckSettings
	// DeregistrationDelaySeconds defaults to 300 when nil, as in ELBv2.
	DeregistrationDelaySeconds *int
	SlowStartSeconds           int
}

// TargetGroup is a created target group.
type TargetGroup struct {
	ARN       string
	Name      string
	ARNSuffix string // targetgroup/<name>/<id>: CloudWatch's TargetGroup dimension
}

// WeightedTarget is one target group of a listener's forward action.
type WeightedTarget struct {
	TargetGroupARN string
	Weight         int
}

// ListenerInput describes an HTTP listener whose default action forwards to weighted target
// groups. It is bound on loopback (Addr, default 127.0.0.1:0). Port is the port DescribeListeners
// reports; 0 reports the port it is bound on. On AWS a listener serves on the port it reports, so
// whoever sends traffic to the bound port (a rehearsal's URLs) passes 0: a listener reporting 80
// while serving elsewhere is a port mapping AWS never has, and the deployer rightly warns of one.
type ListenerInput struct {
	LoadBalancerARN string
	Port            int
	Forward         []WeightedTarget
	Addr            string
}

// Listener is a created listener and the loopback address it actually serves on.
type Listener struct {
	ARN  string
	Addr string // host:port bound on loopback
	URL  string // http://host:port
}

type elbState struct {
	lbs       []*loadBalancer
	tgs       []*targetGroup
	listeners []*listener
}

func (s *elbState) init() {}

func (s *elbState) close() {
	for _, l := range s.listeners {
		l.dp.Close()
	}
	for _, g := range s.tgs {
		g.dp.Close()
	}
}

type loadBalancer struct {
	arn, name, id, dns, scheme, vpc string
	subnets, securityGroups         []string
	idleTimeout                     int // seconds, real time
	dropInvalidHeaderFields         bool
	created                         time.Time
}

func (lb *loadBalancer) suffix() string { return "app/" + lb.name + "/" + lb.id }

type targetGroup struct {
	arn, name, id, vpc string
	port               int
	created            time.Time
	dp                 *dataplane.TargetGroup
}

func (g *targetGroup) suffix() string { return "targetgroup/" + g.name + "/" + g.id }

type weightedGroup struct {
	group  *targetGroup
	weight int
}

type listener struct {
	arn, ruleARN string
	lb           *loadBalancer
	port         int
	forward      []weightedGroup
	dp           *dataplane.Listener
}

// CreateLoadBalancer creates an Application Load Balancer.
func (e *Emulator) CreateLoadBalancer(in LoadBalancerInput) (LoadBalancer, error) {
	if in.Name == "" {
		return LoadBalancer{}, fmt.Errorf("create load balancer: name is required")
	}
	if in.IdleTimeoutSeconds == 0 {
		in.IdleTimeoutSeconds = 60
	}
	if in.IdleTimeoutSeconds < 1 || in.IdleTimeoutSeconds > 4000 {
		return LoadBalancer{}, fmt.Errorf("create load balancer %s: idle timeout %d s is outside 1-4000", in.Name, in.IdleTimeoutSeconds)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, lb := range e.elb.lbs {
		if lb.name == in.Name {
			return LoadBalancer{}, fmt.Errorf("create load balancer %s: a load balancer with the same name exists", in.Name)
		}
	}
	lb := &loadBalancer{name: in.Name, id: randomHex(16), scheme: in.Scheme, vpc: in.VpcID,
		subnets: in.Subnets, securityGroups: in.SecurityGroups, idleTimeout: in.IdleTimeoutSeconds,
		dropInvalidHeaderFields: in.DropInvalidHeaderFields, created: e.now()}
	if lb.scheme == "" {
		lb.scheme = "internet-facing"
	}
	lb.arn = e.arn("elasticloadbalancing", "loadbalancer/"+lb.suffix())
	lb.dns = fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", in.Name, randomDigits(10), e.region)
	if lb.scheme == "internal" {
		lb.dns = "internal-" + lb.dns
	}
	if in.DNSName != "" {
		lb.dns = in.DNSName
	}
	e.elb.lbs = append(e.elb.lbs, lb)
	return LoadBalancer{ARN: lb.arn, Name: lb.name, DNSName: lb.dns, ARNSuffix: lb.suffix()}, nil
}

// CreateTargetGroup creates an ip target group whose health checks run once a listener uses it.
func (e *Emulator) CreateTargetGroup(in TargetGroupInput) (TargetGroup, error) {
	if in.Name == "" {
		return TargetGroup{}, fmt.Errorf("create target group: name is required")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.targetGroupByName(in.Name) != nil {
		return TargetGroup{}, fmt.Errorf("create target group %s: a target group with the same name exists", in.Name)
	}
	g := &targetGroup{name: in.Name, id: randomHex(16), vpc: in.VpcID, port: in.Port, created: e.now()}
	g.arn = e.arn("elasticloadbalancing", g.suffix())
	cfg := targetGroupConfig(in)
	cfg.RegistrationSeconds = int(e.registration)
	g.dp = dataplane.NewTargetGroup(cfg, e.scale, e.recorder)
	e.elb.tgs = append(e.elb.tgs, g)
	return TargetGroup{ARN: g.arn, Name: g.name, ARNSuffix: g.suffix()}, nil
}

// targetGroupConfig maps a target group to the data plane, which fills in ALB's health check
// defaults; the deregistration delay's default is applied here, where nil and 0 differ.
func targetGroupConfig(in TargetGroupInput) dataplane.TargetGroupConfig {
	hc := in.HealthCheck
	delay := 300
	if in.DeregistrationDelaySeconds != nil {
		delay = *in.DeregistrationDelaySeconds
	}
	return dataplane.TargetGroupConfig{
		Name: in.Name,
		HealthCheck: dataplane.HealthCheck{Path: hc.Path, IntervalSeconds: hc.IntervalSeconds,
			TimeoutSeconds: hc.TimeoutSeconds, HealthyThreshold: hc.HealthyThreshold,
			UnhealthyThreshold: hc.UnhealthyThreshold, Matcher: hc.Matcher},
		DeregistrationDelaySeconds: delay,
		SlowStartSeconds:           in.SlowStartSeconds,
	}
}

// CreateListener binds a real HTTP listener on loopback with a weighted forward default action.
func (e *Emulator) CreateListener(in ListenerInput) (Listener, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	lb := e.loadBalancerByARN(in.LoadBalancerARN)
	if lb == nil {
		return Listener{}, fmt.Errorf("create listener: load balancer %s not found", in.LoadBalancerARN)
	}
	fwd, err := e.resolveForward(in.Forward)
	if err != nil {
		return Listener{}, fmt.Errorf("create listener on %s: %w", lb.name, err)
	}
	addr := in.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	dp, err := dataplane.NewListener(addr, e.recorder)
	if err != nil {
		return Listener{}, fmt.Errorf("create listener on %s: %w", lb.name, err)
	}
	dp.SetIdleTimeout(lb.idleTimeout)
	l := &listener{lb: lb, port: in.Port, dp: dp}
	if l.port == 0 {
		l.port = dp.Port()
	}
	id := randomHex(16)
	l.arn = e.arn("elasticloadbalancing", "listener/"+lb.suffix()+"/"+id)
	l.ruleARN = e.arn("elasticloadbalancing", "listener-rule/"+lb.suffix()+"/"+id+"/"+randomHex(16))
	e.elb.listeners = append(e.elb.listeners, l)
	e.setForward(l, fwd)
	return Listener{ARN: l.arn, Addr: dp.Addr(), URL: "http://" + dp.Addr()}, nil
}

// ListenerAddr returns the loopback host:port a listener serves on.
func (e *Emulator) ListenerAddr(listenerARN string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.listenerByARN(listenerARN)
	if l == nil {
		return "", fmt.Errorf("listener %s not found", listenerARN)
	}
	return l.dp.Addr(), nil
}

func (e *Emulator) resolveForward(in []WeightedTarget) ([]weightedGroup, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("a forward action needs at least one target group")
	}
	out := make([]weightedGroup, 0, len(in))
	for _, w := range in {
		g := e.targetGroupByARN(w.TargetGroupARN)
		if g == nil {
			return nil, fmt.Errorf("target group %s not found", w.TargetGroupARN)
		}
		if w.Weight < 0 || w.Weight > 999 {
			return nil, fmt.Errorf("weight %d of %s is outside 0-999", w.Weight, g.name)
		}
		out = append(out, weightedGroup{group: g, weight: w.Weight})
	}
	return out, nil
}

// setForward replaces a listener's default action; the data plane swaps it atomically.
func (e *Emulator) setForward(l *listener, fwd []weightedGroup) {
	l.forward = fwd
	dp := make([]dataplane.WeightedTargetGroup, len(fwd))
	for i, w := range fwd {
		dp[i] = dataplane.WeightedTargetGroup{Group: w.group.dp, Weight: w.weight}
	}
	l.dp.SetForward(dp)
}

// weightOf returns the weight a listener gives a target group (0 when it does not forward to it).
func (l *listener) weightOf(g *targetGroup) int {
	for _, w := range l.forward {
		if w.group == g {
			return w.weight
		}
	}
	return 0
}

// trafficShare returns the percentage of a listener's traffic a target group receives.
func (l *listener) trafficShare(g *targetGroup) float64 {
	total := 0
	for _, w := range l.forward {
		total += w.weight
	}
	if total == 0 {
		return 0
	}
	return 100 * float64(l.weightOf(g)) / float64(total)
}

func (e *Emulator) loadBalancerByARN(arn string) *loadBalancer {
	for _, lb := range e.elb.lbs {
		if lb.arn == arn {
			return lb
		}
	}
	return nil
}

func (e *Emulator) targetGroupByARN(arn string) *targetGroup {
	for _, g := range e.elb.tgs {
		if g.arn == arn {
			return g
		}
	}
	return nil
}

func (e *Emulator) targetGroupByName(name string) *targetGroup {
	for _, g := range e.elb.tgs {
		if g.name == name {
			return g
		}
	}
	return nil
}

// targetGroupBySuffix finds a group by its CloudWatch dimension value (targetgroup/name/id).
func (e *Emulator) targetGroupBySuffix(s string) *targetGroup {
	for _, g := range e.elb.tgs {
		if g.suffix() == s || g.arn == s {
			return g
		}
	}
	return nil
}

func (e *Emulator) loadBalancerBySuffix(s string) *loadBalancer {
	for _, lb := range e.elb.lbs {
		if lb.suffix() == s || lb.arn == s {
			return lb
		}
	}
	return nil
}

func (e *Emulator) listenerByARN(arn string) *listener {
	for _, l := range e.elb.listeners {
		if l.arn == arn {
			return l
		}
	}
	return nil
}

func (e *Emulator) listenersOf(lb *loadBalancer) []*listener {
	var out []*listener
	for _, l := range e.elb.listeners {
		if l.lb == lb {
			out = append(out, l)
		}
	}
	return out
}

// loadBalancersUsing returns the ARNs of the load balancers whose listeners forward to g.
func (e *Emulator) loadBalancersUsing(g *targetGroup) []string {
	out := []string{}
	for _, l := range e.elb.listeners {
		for _, w := range l.forward {
			if w.group == g && !containsString(out, l.lb.arn) {
				out = append(out, l.lb.arn)
			}
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// zoneOf returns a plausible availability zone for the i-th subnet.
func (e *Emulator) zoneOf(i int) string {
	return e.region + string(rune('a'+i%6))
}
