package dataplane

// HealthCheck is a target group's health check. Zero values take ALB's defaults.
type HealthCheck struct {
	Path                                                                  string
	IntervalSeconds, TimeoutSeconds, HealthyThreshold, UnhealthyThreshold int
	Matcher                                                               string // "200", "200-299", "200,202"
}

// TargetGroupConfig is the part of an ELBv2 target group the data plane acts on.
type TargetGroupConfig struct {
	Name                                         string
	HealthCheck                                  HealthCheck
	DeregistrationDelaySeconds, SlowStartSeconds int
}

// TargetHealth is one target's health as DescribeTargetHealth reports it.
type TargetHealth struct {
	IP                         string
	Port                       int
	State, Reason, Description string
}

// TargetGroup is an ELBv2 target group: registered targets, their health checks and draining.
type TargetGroup struct{}

// NewTargetGroup returns an empty target group recording host counts into rec (which may be nil).
func NewTargetGroup(cfg TargetGroupConfig, scale Scale, rec *Recorder) *TargetGroup {
	return &TargetGroup{}
}

// Config returns the group's current configuration.
func (g *TargetGroup) Config() TargetGroupConfig { return TargetGroupConfig{} }

// Update replaces the group's configuration (ModifyTargetGroup / ModifyTargetGroupAttributes).
func (g *TargetGroup) Update(cfg TargetGroupConfig) {}

// Register adds a target.
func (g *TargetGroup) Register(ip string, port int) {}

// Deregister starts draining a target: no new requests, in-flight ones finish, removed after the delay.
func (g *TargetGroup) Deregister(ip string, port int) {}

// Health returns the health of every registered or draining target.
func (g *TargetGroup) Health() []TargetHealth { return nil }

// Close stops the group's health checks and timers.
func (g *TargetGroup) Close() {}
