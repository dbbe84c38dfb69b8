package provision

import (
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/ai-bluegreen/ai-bluegreen/tests/internal/emulator"
)

// props are a resource's resolved inputs, as decoded JSON.
type props map[string]any

func (p props) str(k string) string {
	s, _ := p[k].(string)
	return s
}

// num reads a number; pulumi-aws passes some numeric inputs (deregistrationDelay) as strings.
func (p props) num(k string) int {
	switch v := p[k].(type) {
	case float64:
		return int(v)
	case string:
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil {
			return n
		}
	}
	return 0
}

func (p props) float(k string) float64 {
	f, _ := p[k].(float64)
	return f
}

func (p props) boolean(k string) bool {
	b, _ := p[k].(bool)
	return b
}

func (p props) obj(k string) props {
	m, _ := p[k].(map[string]any)
	return props(m)
}

func (p props) list(k string) []props {
	items, _ := p[k].([]any)
	out := make([]props, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, props(m))
		}
	}
	return out
}

func (p props) strings(k string) []string {
	items, _ := p[k].([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func createLoadBalancer(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	scheme := "internet-facing"
	if in.boolean("internal") {
		scheme = "internal"
	}
	// Every emulated listener binds on 127.0.0.1, so that is the name clients resolve. The idle
	// timeout is passed as is (real seconds): it bounds real request latency.
	lb, err := em.CreateLoadBalancer(emulator.LoadBalancerInput{Name: in.str("name"), Scheme: scheme,
		VpcID: in.str("vpcId"), Subnets: in.strings("subnets"), SecurityGroups: in.strings("securityGroups"),
		DNSName: "127.0.0.1", IdleTimeoutSeconds: in.num("idleTimeout"), DropInvalidHeaderFields: in.boolean("dropInvalidHeaderFields")})
	if err != nil {
		return "", err
	}
	set(state, "arn", lb.ARN)
	set(state, "arnSuffix", lb.ARNSuffix)
	set(state, "dnsName", lb.DNSName)
	return lb.ARN, nil
}

func createTargetGroup(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	hc := in.obj("healthCheck")
	input := emulator.TargetGroupInput{Name: in.str("name"), Port: in.num("port"), VpcID: in.str("vpcId"),
		HealthCheck: emulator.HealthCheckSettings{Path: hc.str("path"), IntervalSeconds: hc.num("interval"),
			TimeoutSeconds: hc.num("timeout"), HealthyThreshold: hc.num("healthyThreshold"),
			UnhealthyThreshold: hc.num("unhealthyThreshold"), Matcher: hc.str("matcher")},
		SlowStartSeconds: in.num("slowStart")}
	if _, ok := in["deregistrationDelay"]; ok {
		d := in.num("deregistrationDelay")
		input.DeregistrationDelaySeconds = &d
	}
	g, err := em.CreateTargetGroup(input)
	if err != nil {
		return "", err
	}
	set(state, "arn", g.ARN)
	set(state, "arnSuffix", g.ARNSuffix)
	return g.ARN, nil
}

func createListener(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	if p := in.str("protocol"); p != "" && p != "HTTP" {
		return "", fmt.Errorf("listener protocol %s: the emulator serves plain HTTP listeners only; rehearse with loadBalancer.prodProtocol HTTP", p)
	}
	actions := in.list("defaultActions")
	if len(actions) != 1 || actions[0].str("type") != "forward" {
		return "", fmt.Errorf("default actions %v: the emulator supports one forward action", in["defaultActions"])
	}
	var forward []emulator.WeightedTarget
	if arn := actions[0].str("targetGroupArn"); arn != "" {
		forward = append(forward, emulator.WeightedTarget{TargetGroupARN: arn, Weight: 1})
	}
	for _, tg := range actions[0].obj("forward").list("targetGroups") {
		forward = append(forward, emulator.WeightedTarget{TargetGroupARN: tg.str("arn"), Weight: tg.num("weight")})
	}
	// The listener binds an ephemeral loopback port (rehearsals run side by side, and ports 80 and
	// 8443 need privileges), and reports that port as its own (Port 0), as an AWS listener serves on
	// the port it reports: the program builds prodUrl/testUrl from this output, so the URLs, the
	// listener's port and where it serves agree, and the deployer's check that its URLs reach the
	// listeners has nothing to warn of.
	l, err := em.CreateListener(emulator.ListenerInput{LoadBalancerARN: in.str("loadBalancerArn"), Forward: forward})
	if err != nil {
		return "", err
	}
	set(state, "arn", l.ARN)
	_, port, err := net.SplitHostPort(l.Addr)
	if err != nil {
		return "", fmt.Errorf("read listener address %s: %w", l.Addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("read listener port %s: %w", port, err)
	}
	state["port"] = resource.NewNumberProperty(float64(n))
	return l.ARN, nil
}

func createCluster(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	c, err := em.CreateCluster(in.str("name"))
	if err != nil {
		return "", err
	}
	set(state, "arn", c.ARN)
	return c.ARN, nil
}

func registerTaskDefinition(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	td, err := em.RegisterTaskDefinition(emulator.TaskDefinitionInput{Family: in.str("family"),
		TaskRoleArn: in.str("taskRoleArn"), ExecutionRoleArn: in.str("executionRoleArn"),
		NetworkMode: in.str("networkMode"), Cpu: in.str("cpu"), Memory: in.str("memory"),
		RequiresCompatibilities:  in.strings("requiresCompatibilities"),
		ContainerDefinitionsJSON: in.str("containerDefinitions")})
	if err != nil {
		return "", err
	}
	set(state, "arn", td.ARN)
	state["revision"] = resource.NewNumberProperty(float64(td.Revision))
	return td.Family, nil
}

func createService(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	lbs := in.list("loadBalancers")
	if len(lbs) != 1 {
		return "", fmt.Errorf("load balancers %v: a CODE_DEPLOY service has exactly one", in["loadBalancers"])
	}
	net := in.obj("networkConfiguration")
	svc, err := em.CreateService(emulator.ServiceInput{Cluster: in.str("cluster"), Name: in.str("name"),
		TaskDefinition: in.str("taskDefinition"), DesiredCount: in.num("desiredCount"),
		LoadBalancer: emulator.ServiceLoadBalancer{TargetGroupARN: lbs[0].str("targetGroupArn"),
			ContainerName: lbs[0].str("containerName"), ContainerPort: lbs[0].num("containerPort")},
		HealthCheckGracePeriodSeconds: in.num("healthCheckGracePeriodSeconds"),
		LaunchType:                    in.str("launchType"), PlatformVersion: in.str("platformVersion"),
		Subnets: net.strings("subnets"), SecurityGroups: net.strings("securityGroups"),
		AssignPublicIP: net.boolean("assignPublicIp")})
	if err != nil {
		return "", err
	}
	return svc.ARN, nil
}

func createApplication(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	_, err := em.CreateApplication(in.str("name"))
	return "", err
}

func createDeploymentConfig(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	r := in.obj("trafficRoutingConfig")
	routing := emulator.TrafficRouting{Type: r.str("type")}
	for _, k := range []string{"timeBasedCanary", "timeBasedLinear"} {
		if step := r.obj(k); step != nil {
			routing.Percentage, routing.IntervalMinutes = step.num("percentage"), step.num("interval")
		}
	}
	name := in.str("deploymentConfigName")
	set(state, "deploymentConfigName", name)
	return name, em.CreateDeploymentConfig(name, routing)
}

func createDeploymentGroup(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	pair := in.obj("loadBalancerInfo").obj("targetGroupPairInfo")
	tgs := pair.list("targetGroups")
	if len(tgs) != 2 {
		return "", fmt.Errorf("target group pair %v: a blue/green group needs two target groups", pair["targetGroups"])
	}
	bg := in.obj("blueGreenDeploymentConfig")
	ready, term := bg.obj("deploymentReadyOption"), bg.obj("terminateBlueInstancesOnDeploymentSuccess")
	rollback, alarms := in.obj("autoRollbackConfiguration"), in.obj("alarmConfiguration")
	_, err := em.CreateDeploymentGroup(emulator.DeploymentGroupInput{
		ApplicationName: in.str("appName"), Name: in.str("deploymentGroupName"),
		ServiceRoleARN: in.str("serviceRoleArn"), DeploymentConfigName: in.str("deploymentConfigName"),
		ClusterName: in.obj("ecsService").str("clusterName"), ServiceName: in.obj("ecsService").str("serviceName"),
		TargetGroupNames: [2]string{tgs[0].str("name"), tgs[1].str("name")},
		ProdListenerARNs: pair.obj("prodTrafficRoute").strings("listenerArns"),
		TestListenerARNs: pair.obj("testTrafficRoute").strings("listenerArns"),
		ReadyAction:      ready.str("actionOnTimeout"), ReadyWaitMinutes: ready.num("waitTimeInMinutes"),
		TerminationAction: term.str("action"), TerminationWaitMinutes: term.num("terminationWaitTimeInMinutes"),
		AutoRollbackEnabled: rollback.boolean("enabled"), AutoRollbackEvents: rollback.strings("events"),
		AlarmsEnabled: alarms.boolean("enabled"), AlarmNames: alarms.strings("alarms"),
		IgnorePollAlarmFailure: alarms.boolean("ignorePollAlarmFailure"),
	})
	return "", err
}

func putMetricAlarm(em *emulator.Emulator, in props, state resource.PropertyMap) (string, error) {
	dims := in.obj("dimensions")
	names := make([]string, 0, len(dims))
	for k := range dims {
		names = append(names, k)
	}
	sort.Strings(names)
	var dimensions []emulator.Dimension
	for _, k := range names {
		dimensions = append(dimensions, emulator.Dimension{Name: k, Value: dims.str(k)})
	}
	arn, err := em.PutMetricAlarm(emulator.MetricAlarmInput{AlarmName: in.str("name"),
		AlarmDescription: in.str("alarmDescription"), Namespace: in.str("namespace"),
		MetricName: in.str("metricName"), Dimensions: dimensions, Statistic: in.str("statistic"),
		ExtendedStatistic: in.str("extendedStatistic"), Period: in.num("period"),
		EvaluationPeriods: in.num("evaluationPeriods"), DatapointsToAlarm: in.num("datapointsToAlarm"),
		Threshold: in.float("threshold"), ComparisonOperator: in.str("comparisonOperator"),
		TreatMissingData: in.str("treatMissingData"), EvaluateLowSampleCountPercentile: in.str("evaluateLowSampleCountPercentiles")})
	if err != nil {
		return "", err
	}
	set(state, "arn", arn)
	return "", nil
}
