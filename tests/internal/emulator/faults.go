package emulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Fault kinds a fault rule injects.
const (
	FaultThrottle = "throttle" // a throttling error, in the protocol's shape (see throttlingErr)
	Fault5xx      = "5xx"      // an HTTP 500 InternalFailure or 503 ServiceUnavailable, half each
)

// faultServices are the service names a fault rule may scope to, as the emulator logs them.
var faultServices = []string{"cloudwatch", "codedeploy", "ecs", "elbv2"}

// FaultRule answers Fraction of the API calls it covers with a fault of Kind instead of serving
// them. Service ("" for every service) and Action ("" for every action of the service) scope it.
type FaultRule struct {
	Service, Action string
	Kind            string
	Fraction        float64
}

// Faults are injected API faults: for each call the most specific rule of each kind applies (an
// action's rule over its service's, a service's over an unscoped one).
type Faults []FaultRule

// ParseFaults parses a fault spec: comma-separated [service:[Action:]]kind=fraction, kind throttle
// or 5xx, fraction 0-1, e.g. "throttle=0.3,5xx=0.05,codedeploy:GetDeployment:throttle=0.5".
func ParseFaults(spec string) (Faults, error) {
	var out Faults
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		r, err := parseFaultRule(item)
		if err != nil {
			return nil, fmt.Errorf("fault %q: %w (want [service:[Action:]]throttle=F or 5xx=F, F from 0 to 1; services %s)",
				item, err, strings.Join(faultServices, ", "))
		}
		out = append(out, r)
	}
	return out, out.check()
}

func parseFaultRule(item string) (FaultRule, error) {
	scope, value, ok := strings.Cut(item, "=")
	if !ok {
		return FaultRule{}, fmt.Errorf("no =fraction")
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil || f < 0 || f > 1 {
		return FaultRule{}, fmt.Errorf("fraction %q is not a number from 0 to 1", value)
	}
	parts := strings.Split(strings.TrimSpace(scope), ":")
	r := FaultRule{Kind: parts[len(parts)-1], Fraction: f}
	switch len(parts) {
	case 3:
		r.Action = parts[1]
		fallthrough
	case 2:
		r.Service = parts[0]
		if !containsString(faultServices, r.Service) {
			return FaultRule{}, fmt.Errorf("unknown service %q", r.Service)
		}
		if actions := servedActions(r.Service); len(parts) == 3 && !containsString(actions, r.Action) {
			return FaultRule{}, fmt.Errorf("%s serves no action %q (it serves %s)", r.Service, r.Action, strings.Join(actions, ", "))
		}
	case 1:
	default:
		return FaultRule{}, fmt.Errorf("too many parts")
	}
	if r.Kind != FaultThrottle && r.Kind != Fault5xx {
		return FaultRule{}, fmt.Errorf("unknown kind %q", r.Kind)
	}
	return r, nil
}

// check refuses a scope named twice for one kind, and scopes whose faults add up to more than
// every call.
func (fs Faults) check() error {
	seen := map[FaultRule]bool{}
	for _, r := range fs {
		key := r
		key.Fraction = 0
		if seen[key] {
			return fmt.Errorf("fault %s: this scope and kind are given twice", r)
		}
		seen[key] = true
	}
	for _, r := range fs {
		if t, e := fs.fractions(r.Service, r.Action); t+e > 1 {
			return fmt.Errorf("faults for %s add up to %g: throttle and 5xx together may cover at most every call",
				orAll(r.Service, r.Action), t+e)
		}
	}
	return nil
}

// fractions returns the throttle and 5xx fractions for a call to action of svc.
func (fs Faults) fractions(svc, action string) (throttle, server float64) {
	best := map[string]int{} // kind -> specificity of the rule in effect
	for _, r := range fs {
		spec := 0
		switch {
		case r.Service == "" && r.Action == "":
		case r.Service == svc && r.Action == "":
			spec = 1
		case r.Service == svc && r.Action == action:
			spec = 2
		default:
			continue
		}
		if s, ok := best[r.Kind]; ok && s > spec {
			continue
		}
		best[r.Kind] = spec
		if r.Kind == FaultThrottle {
			throttle = r.Fraction
		} else {
			server = r.Fraction
		}
	}
	return throttle, server
}

// String writes the faults back in ParseFaults' syntax, sorted.
func (fs Faults) String() string {
	items := make([]string, len(fs))
	for i, r := range fs {
		items[i] = r.String()
	}
	sort.Strings(items)
	return strings.Join(items, ",")
}

// String writes the rule in ParseFaults' syntax.
func (r FaultRule) String() string {
	scope := r.Kind
	switch {
	case r.Action != "":
		scope = r.Service + ":" + r.Action + ":" + r.Kind
	case r.Service != "":
		scope = r.Service + ":" + r.Kind
	}
	return scope + "=" + strconv.FormatFloat(r.Fraction, 'g', -1, 64)
}

func orAll(svc, action string) string {
	switch {
	case svc == "":
		return "every service"
	case action == "":
		return svc
	}
	return svc + ":" + action
}

// servedActions returns the actions the emulator serves for a service, sorted.
func servedActions(name string) []string {
	var zero Emulator
	for _, s := range []*service{zero.ecsService(), zero.codeDeployService(), zero.elbv2Service(), zero.cloudWatchService()} {
		if s.name == name {
			out := make([]string, 0, len(s.ops))
			for a := range s.ops {
				out = append(out, a)
			}
			sort.Strings(out)
			return out
		}
	}
	return nil
}

// faultInjector draws the faults of each call from one seeded source, so that a run is repeatable
// from its seed.
type faultInjector struct {
	faults Faults
	seed   uint64
	mu     sync.Mutex
	rng    *rand.Rand
}

func newFaultInjector(fs Faults, seed uint64) *faultInjector {
	return &faultInjector{faults: fs, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// inject returns the fault a call to action of svc gets, or nil.
func (f *faultInjector) inject(svc *service, action string) *awsError {
	if len(f.faults) == 0 {
		return nil
	}
	throttle, server := f.faults.fractions(svc.name, action)
	f.mu.Lock()
	u, coin := f.rng.Float64(), f.rng.IntN(2)
	f.mu.Unlock()
	switch {
	case u < throttle:
		return throttlingErr(svc)
	case u < throttle+server && coin == 0:
		return &awsError{Shape: "InternalFailure", Message: "We encountered an internal error. Please try again.",
			Status: http.StatusInternalServerError, Server: true}
	case u < throttle+server:
		return &awsError{Shape: "ServiceUnavailable", Message: "Service is unavailable. Please try again later.",
			Status: http.StatusServiceUnavailable, Server: true}
	}
	return nil
}
