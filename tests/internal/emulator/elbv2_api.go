package emulator

import (
	"context"
	"net/http"
	"strconv"
)

func (e *Emulator) elbv2Service() *service {
	return &service{
		name:          "elbv2",
		signingName:   "elasticloadbalancing",
		targetPrefix:  "ElasticLoadBalancing_v10", // ELBv2 has no JSON protocol; kept unique
		queryVersion:  "2015-12-01",
		queryNS:       "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
		internalShape: "InternalFailure",
		ops: map[string]operation{
			"DescribeLoadBalancers": op(e.describeLoadBalancers),
			"DescribeListeners":     op(e.describeListeners),
			"DescribeRules":         op(e.describeRules),
			"DescribeTargetGroups":  op(e.describeTargetGroups),
			"DescribeTargetHealth":  op(e.describeTargetHealth),
			"ModifyListener":        op(e.modifyListener),

			"DescribeTargetGroupAttributes":  op(e.describeTargetGroupAttributes),
			"DescribeLoadBalancerAttributes": op(e.describeLoadBalancerAttributes),
		},
	}
}

func elbNotFound(kind, code string) *awsError {
	return queryErr(code+"Exception", code, http.StatusBadRequest, "One or more %s not found", kind)
}

func elbValidation(format string, args ...any) *awsError {
	return queryErr("ValidationError", "ValidationError", http.StatusBadRequest, format, args...)
}

// elbPage pages an ELBv2 Describe* answer as ELBv2 does: PageSize 1-400 (400 when absent), the
// page after Marker, and NextMarker for the rest.
func elbPage[T any](list []T, marker string, size int) ([]T, string, error) {
	n, ok := pageSize(size, 400, 1, 400)
	if !ok {
		return nil, "", elbValidation("1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: "+
			"Member must have value less than or equal to 400 and greater than or equal to 1", size)
	}
	page, next, ok := pageOf(list, marker, n)
	if !ok {
		return nil, "", elbValidation("The marker '%s' is not valid", marker)
	}
	return page, next, nil
}

type describeLoadBalancersInput struct {
	LoadBalancerArns []string
	Names            []string
	Marker           string
	PageSize         int
}

type lbAZ struct {
	ZoneName string
	SubnetId string
}

type lbState struct{ Code string }

type lbDescription struct {
	LoadBalancerArn       string
	DNSName               string
	CanonicalHostedZoneId string
	CreatedTime           *awsTime
	LoadBalancerName      string
	Scheme                string
	VpcId                 string `json:",omitempty"`
	State                 lbState
	Type                  string
	AvailabilityZones     []lbAZ
	SecurityGroups        []string
	IpAddressType         string
}

type describeLoadBalancersOutput struct {
	LoadBalancers []lbDescription
	NextMarker    string `json:",omitempty"`
}

func (e *Emulator) describeLoadBalancers(_ context.Context, in *describeLoadBalancersInput) (*describeLoadBalancersOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := &describeLoadBalancersOutput{LoadBalancers: []lbDescription{}}
	for _, arn := range in.LoadBalancerArns {
		if e.loadBalancerByARN(arn) == nil {
			return nil, elbNotFound("load balancers", "LoadBalancerNotFound")
		}
	}
	for _, lb := range e.elb.lbs {
		if (len(in.LoadBalancerArns) > 0 && !containsString(in.LoadBalancerArns, lb.arn)) ||
			(len(in.Names) > 0 && !containsString(in.Names, lb.name)) {
			continue
		}
		d := lbDescription{LoadBalancerArn: lb.arn, DNSName: lb.dns, CanonicalHostedZoneId: "Z35SXDOTRQ7X7K",
			CreatedTime: newTime(lb.created), LoadBalancerName: lb.name, Scheme: lb.scheme, VpcId: lb.vpc,
			State: lbState{Code: "active"}, Type: "application", AvailabilityZones: []lbAZ{},
			SecurityGroups: append([]string{}, lb.securityGroups...), IpAddressType: "ipv4"}
		for i, s := range lb.subnets {
			d.AvailabilityZones = append(d.AvailabilityZones, lbAZ{ZoneName: e.zoneOf(i), SubnetId: s})
		}
		out.LoadBalancers = append(out.LoadBalancers, d)
	}
	if len(in.Names) > 0 && len(out.LoadBalancers) < len(in.Names) {
		return nil, elbNotFound("load balancers", "LoadBalancerNotFound")
	}
	var err error
	out.LoadBalancers, out.NextMarker, err = elbPage(out.LoadBalancers, in.Marker, in.PageSize)
	return out, err
}

type targetGroupTuple struct {
	TargetGroupArn string
	Weight         *int `json:",omitempty"`
}

type stickiness struct{ Enabled bool }

type forwardConfig struct {
	TargetGroups                []targetGroupTuple
	TargetGroupStickinessConfig *stickiness `json:",omitempty"`
}

type lbAction struct {
	Type           string
	TargetGroupArn string         `json:",omitempty"`
	ForwardConfig  *forwardConfig `json:",omitempty"`
	Order          *int           `json:",omitempty"`
}

type listenerDescription struct {
	ListenerArn     string
	LoadBalancerArn string
	Port            int
	Protocol        string
	DefaultActions  []lbAction
}

// actions renders a listener's forward the way DescribeListeners does: a ForwardConfig with every
// weighted group, plus TargetGroupArn when the listener forwards to a single group.
func (l *listener) actions() []lbAction {
	fc := &forwardConfig{TargetGroupStickinessConfig: &stickiness{}}
	for _, w := range l.forward {
		weight := w.weight
		fc.TargetGroups = append(fc.TargetGroups, targetGroupTuple{TargetGroupArn: w.group.arn, Weight: &weight})
	}
	a := lbAction{Type: "forward", ForwardConfig: fc}
	if len(l.forward) == 1 {
		a.TargetGroupArn = l.forward[0].group.arn
	}
	return []lbAction{a}
}

func (l *listener) describe() listenerDescription {
	return listenerDescription{ListenerArn: l.arn, LoadBalancerArn: l.lb.arn, Port: l.port, Protocol: "HTTP",
		DefaultActions: l.actions()}
}

type describeListenersInput struct {
	LoadBalancerArn string
	ListenerArns    []string
	Marker          string
	PageSize        int
}

type describeListenersOutput struct {
	Listeners  []listenerDescription
	NextMarker string `json:",omitempty"`
}

func (e *Emulator) describeListeners(_ context.Context, in *describeListenersInput) (*describeListenersOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if in.LoadBalancerArn == "" && len(in.ListenerArns) == 0 {
		return nil, elbValidation("You must specify either listener ARNs or a load balancer ARN")
	}
	out := &describeListenersOutput{Listeners: []listenerDescription{}}
	if in.LoadBalancerArn != "" {
		lb := e.loadBalancerByARN(in.LoadBalancerArn)
		if lb == nil {
			return nil, elbNotFound("load balancers", "LoadBalancerNotFound")
		}
		for _, l := range e.listenersOf(lb) {
			out.Listeners = append(out.Listeners, l.describe())
		}
	}
	for _, arn := range in.ListenerArns {
		if in.LoadBalancerArn != "" {
			break // the load balancer's listeners answer
		}
		l := e.listenerByARN(arn)
		if l == nil {
			return nil, elbNotFound("listeners", "ListenerNotFound")
		}
		out.Listeners = append(out.Listeners, l.describe())
	}
	var err error
	out.Listeners, out.NextMarker, err = elbPage(out.Listeners, in.Marker, in.PageSize)
	return out, err
}

type describeRulesInput struct {
	ListenerArn string
	RuleArns    []string
	Marker      string
	PageSize    int
}

type ruleDescription struct {
	RuleArn    string
	Priority   string
	Conditions []struct{}
	Actions    []lbAction
	IsDefault  bool
}

type describeRulesOutput struct {
	Rules      []ruleDescription
	NextMarker string `json:",omitempty"`
}

// describeRules reports each listener's default rule: the emulator has no other rules.
func (e *Emulator) describeRules(_ context.Context, in *describeRulesInput) (*describeRulesOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if in.ListenerArn == "" && len(in.RuleArns) == 0 {
		return nil, elbValidation("You must specify either listener ARN or rule ARNs")
	}
	rule := func(l *listener) ruleDescription {
		return ruleDescription{RuleArn: l.ruleARN, Priority: "default", Conditions: []struct{}{},
			Actions: l.actions(), IsDefault: true}
	}
	out := &describeRulesOutput{Rules: []ruleDescription{}}
	if in.ListenerArn != "" {
		l := e.listenerByARN(in.ListenerArn)
		if l == nil {
			return nil, elbNotFound("listeners", "ListenerNotFound")
		}
		out.Rules = append(out.Rules, rule(l))
	}
	for _, arn := range in.RuleArns {
		if in.ListenerArn != "" {
			break // the listener's rules answer
		}
		var found *listener
		for _, l := range e.elb.listeners {
			if l.ruleARN == arn {
				found = l
			}
		}
		if found == nil {
			return nil, elbNotFound("rules", "RuleNotFound")
		}
		out.Rules = append(out.Rules, rule(found))
	}
	var err error
	out.Rules, out.NextMarker, err = elbPage(out.Rules, in.Marker, in.PageSize)
	return out, err
}

type describeTargetGroupsInput struct {
	LoadBalancerArn string
	TargetGroupArns []string
	Names           []string
	Marker          string
	PageSize        int
}

type matcher struct{ HttpCode string }

type targetGroupDescription struct {
	TargetGroupArn             string
	TargetGroupName            string
	Protocol                   string
	Port                       int
	VpcId                      string `json:",omitempty"`
	HealthCheckProtocol        string
	HealthCheckPort            string
	HealthCheckEnabled         bool
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThresholdCount      int
	UnhealthyThresholdCount    int
	HealthCheckPath            string
	Matcher                    matcher
	LoadBalancerArns           []string
	TargetType                 string
	ProtocolVersion            string
	IpAddressType              string
}

type describeTargetGroupsOutput struct {
	TargetGroups []targetGroupDescription
	NextMarker   string `json:",omitempty"`
}

func (e *Emulator) describeTargetGroup(g *targetGroup) targetGroupDescription {
	hc := g.dp.Config().HealthCheck
	return targetGroupDescription{TargetGroupArn: g.arn, TargetGroupName: g.name, Protocol: "HTTP", Port: g.port,
		VpcId: g.vpc, HealthCheckProtocol: "HTTP", HealthCheckPort: "traffic-port", HealthCheckEnabled: true,
		HealthCheckIntervalSeconds: hc.IntervalSeconds, HealthCheckTimeoutSeconds: hc.TimeoutSeconds,
		HealthyThresholdCount: hc.HealthyThreshold, UnhealthyThresholdCount: hc.UnhealthyThreshold,
		HealthCheckPath: hc.Path, Matcher: matcher{HttpCode: hc.Matcher}, LoadBalancerArns: e.loadBalancersUsing(g),
		TargetType: "ip", ProtocolVersion: "HTTP1", IpAddressType: "ipv4"}
}

func (e *Emulator) describeTargetGroups(_ context.Context, in *describeTargetGroupsInput) (*describeTargetGroupsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := &describeTargetGroupsOutput{TargetGroups: []targetGroupDescription{}}
	if in.LoadBalancerArn != "" && e.loadBalancerByARN(in.LoadBalancerArn) == nil {
		return nil, elbNotFound("load balancers", "LoadBalancerNotFound")
	}
	for _, arn := range in.TargetGroupArns {
		if e.targetGroupByARN(arn) == nil {
			return nil, elbNotFound("target groups", "TargetGroupNotFound")
		}
	}
	for _, name := range in.Names {
		if e.targetGroupByName(name) == nil {
			return nil, elbNotFound("target groups", "TargetGroupNotFound")
		}
	}
	for _, g := range e.elb.tgs {
		if (len(in.TargetGroupArns) > 0 && !containsString(in.TargetGroupArns, g.arn)) ||
			(len(in.Names) > 0 && !containsString(in.Names, g.name)) ||
			(in.LoadBalancerArn != "" && !containsString(e.loadBalancersUsing(g), in.LoadBalancerArn)) {
			continue
		}
		out.TargetGroups = append(out.TargetGroups, e.describeTargetGroup(g))
	}
	var err error
	out.TargetGroups, out.NextMarker, err = elbPage(out.TargetGroups, in.Marker, in.PageSize)
	return out, err
}

type targetDescription struct {
	Id               string
	Port             *int   `json:",omitempty"`
	AvailabilityZone string `json:",omitempty"`
}

type targetHealth struct {
	State       string
	Reason      string `json:",omitempty"`
	Description string `json:",omitempty"`
}

type administrativeOverride struct {
	State       string
	Reason      string
	Description string
}

type targetHealthDescription struct {
	Target                 targetDescription
	HealthCheckPort        string
	TargetHealth           targetHealth
	AdministrativeOverride administrativeOverride
}

type describeTargetHealthInput struct {
	TargetGroupArn string
	Targets        []targetDescription
}

type describeTargetHealthOutput struct{ TargetHealthDescriptions []targetHealthDescription }

func (e *Emulator) describeTargetHealth(_ context.Context, in *describeTargetHealthInput) (*describeTargetHealthOutput, error) {
	e.mu.Lock()
	g := e.targetGroupByARN(in.TargetGroupArn)
	e.mu.Unlock()
	if g == nil {
		return nil, elbNotFound("target groups", "TargetGroupNotFound")
	}
	health := g.dp.Health()
	out := &describeTargetHealthOutput{TargetHealthDescriptions: []targetHealthDescription{}}
	describe := func(ip string, port int, th targetHealth) targetHealthDescription {
		p := port
		return targetHealthDescription{Target: targetDescription{Id: ip, Port: &p, AvailabilityZone: e.zoneOf(0)},
			HealthCheckPort: strconv.Itoa(port), TargetHealth: th,
			AdministrativeOverride: administrativeOverride{State: "no_override",
				Reason: "AdministrativeOverride.NoOverride", Description: "No override is currently active on target"}}
	}
	if len(in.Targets) == 0 {
		for _, h := range health {
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions,
				describe(h.IP, h.Port, targetHealth{State: h.State, Reason: h.Reason, Description: h.Description}))
		}
		return out, nil
	}
	for _, t := range in.Targets {
		port := g.port
		if t.Port != nil {
			port = *t.Port
		}
		th := targetHealth{State: "unused", Reason: "Target.NotRegistered",
			Description: "Target is not registered to the target group"}
		for _, h := range health {
			if h.IP == t.Id && h.Port == port {
				th = targetHealth{State: h.State, Reason: h.Reason, Description: h.Description}
			}
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, describe(t.Id, port, th))
	}
	return out, nil
}

type modifyListenerInput struct {
	ListenerArn    string
	Port           *int
	DefaultActions []lbAction
}

type modifyListenerOutput struct{ Listeners []listenerDescription }

// modifyListener supports what CodeDeploy and operators do to an ALB listener: replace the
// default forward action (single target group or weighted forward config).
func (e *Emulator) modifyListener(_ context.Context, in *modifyListenerInput) (*modifyListenerOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.listenerByARN(in.ListenerArn)
	if l == nil {
		return nil, elbNotFound("listeners", "ListenerNotFound")
	}
	if len(in.DefaultActions) > 0 {
		if len(in.DefaultActions) != 1 || in.DefaultActions[0].Type != "forward" {
			return nil, queryErr("InvalidLoadBalancerActionException", "InvalidLoadBalancerAction",
				http.StatusBadRequest, "The emulator supports one forward default action")
		}
		want := weightedTargets(in.DefaultActions[0])
		for _, w := range want {
			if e.targetGroupByARN(w.TargetGroupARN) == nil {
				return nil, elbNotFound("target groups", "TargetGroupNotFound")
			}
		}
		fwd, err := e.resolveForward(want)
		if err != nil {
			return nil, elbValidation("%v", err)
		}
		e.setForward(l, fwd)
	}
	if in.Port != nil {
		l.port = *in.Port
	}
	return &modifyListenerOutput{Listeners: []listenerDescription{l.describe()}}, nil
}

// weightedTargets reads a forward action: the target groups of its ForwardConfig (an absent weight
// is 1, as in ELBv2), else its single TargetGroupArn.
func weightedTargets(a lbAction) []WeightedTarget {
	if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
		want := make([]WeightedTarget, 0, len(a.ForwardConfig.TargetGroups))
		for _, t := range a.ForwardConfig.TargetGroups {
			w := 1
			if t.Weight != nil {
				w = *t.Weight
			}
			want = append(want, WeightedTarget{TargetGroupARN: t.TargetGroupArn, Weight: w})
		}
		return want
	}
	if a.TargetGroupArn != "" {
		return []WeightedTarget{{TargetGroupARN: a.TargetGroupArn, Weight: 1}}
	}
	return nil
}
