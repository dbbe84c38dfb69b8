package infra

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LoadBalancerArgs configures a LoadBalancer.
type LoadBalancerArgs struct {
	// Config holds scheme, listeners, allowed CIDRs and target group traffic settings.
	Config LoadBalancerConfig
	// HealthCheck is the target groups' health check.
	HealthCheck HealthCheckConfig
	// ContainerPort is the port targets listen on.
	ContainerPort int
	// VpcID is the VPC of the security groups and target groups.
	VpcID pulumi.StringInput
	// VpcCidr is where prod traffic of an internal ALB may come from unless Config.ProdCidrs says
	// otherwise, and test traffic of an internal ALB unless Config.TestCidrs does.
	VpcCidr pulumi.StringInput
	// NatPublicIPs are the created VPC's NAT gateway Elastic IPs: where test traffic of an
	// internet-facing ALB may come from unless Config.TestCidrs says otherwise.
	NatPublicIPs []pulumi.StringOutput
	// SubnetIDs are the ALB's subnets: public when internet-facing, private when internal.
	SubnetIDs pulumi.StringArrayInput
	// Tags go on every taggable resource.
	Tags map[string]string
}

// LoadBalancer is the ALB with its blue and green target groups, prod and test listeners (both a
// weighted forward blue 100 / green 0, the shape CodeDeploy needs and leaves behind), the ALB's security
// group and the tasks' security group (container port from the ALB only).
type LoadBalancer struct {
	pulumi.ResourceState

	LoadBalancerArn       pulumi.StringOutput `pulumi:"loadBalancerArn"`
	LoadBalancerArnSuffix pulumi.StringOutput `pulumi:"loadBalancerArnSuffix"`
	DNSName               pulumi.StringOutput `pulumi:"dnsName"`
	Blue                  *lb.TargetGroup
	Green                 *lb.TargetGroup
	ProdListener          *lb.Listener
	TestListener          *lb.Listener
	ProdURL               pulumi.StringOutput `pulumi:"prodUrl"`
	TestURL               pulumi.StringOutput `pulumi:"testUrl"`
	TaskSecurityGroupID   pulumi.StringOutput `pulumi:"taskSecurityGroupId"`
}

// NewLoadBalancer declares the load balancer.
func NewLoadBalancer(ctx *pulumi.Context, name string, args *LoadBalancerArgs, opts ...pulumi.ResourceOption) (*LoadBalancer, error) {
	if args == nil || args.VpcID == nil || args.VpcCidr == nil || args.SubnetIDs == nil {
		return nil, fmt.Errorf("load balancer %s: VpcID, VpcCidr and SubnetIDs are required", name)
	}
	l := &LoadBalancer{}
	if err := ctx.RegisterComponentResource("ai-bluegreen:infra:LoadBalancer", name, l, opts...); err != nil {
		return nil, err
	}
	cfg := args.Config
	albSG, taskSG, err := l.securityGroups(ctx, name, args)
	if err != nil {
		return nil, err
	}

	alb, err := lb.NewLoadBalancer(ctx, name+"-alb", &lb.LoadBalancerArgs{
		LoadBalancerType:        pulumi.String("application"),
		Internal:                pulumi.Bool(cfg.Scheme == "internal"),
		SecurityGroups:          pulumi.StringArray{albSG.ID()},
		Subnets:                 args.SubnetIDs,
		IdleTimeout:             pulumi.Int(cfg.IdleTimeout),
		DropInvalidHeaderFields: pulumi.Bool(true),
		Tags:                    pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(l))
	if err != nil {
		return nil, err
	}

	if err := l.routes(ctx, name, alb, args); err != nil {
		return nil, err
	}

	l.LoadBalancerArn = alb.Arn
	l.LoadBalancerArnSuffix = alb.ArnSuffix
	l.DNSName = alb.DnsName
	l.ProdURL, l.TestURL = l.listenerURLs(alb, cfg)
	l.TaskSecurityGroupID = taskSG.ID().ToStringOutput()

	if err := ctx.RegisterResourceOutputs(l, pulumi.Map{
		"loadBalancerArn":       l.LoadBalancerArn,
		"loadBalancerArnSuffix": l.LoadBalancerArnSuffix,
		"dnsName":               l.DNSName,
		"blueTargetGroupArn":    l.Blue.Arn,
		"greenTargetGroupArn":   l.Green.Arn,
		"prodListenerArn":       l.ProdListener.Arn,
		"testListenerArn":       l.TestListener.Arn,
		"prodUrl":               l.ProdURL,
		"testUrl":               l.TestURL,
		"taskSecurityGroupId":   l.TaskSecurityGroupID,
	}); err != nil {
		return nil, err
	}
	return l, nil
}

// routes declares the blue and green target groups, the prod and test listeners forwarding to them and,
// with HTTPS, the redirect listener.
func (l *LoadBalancer) routes(ctx *pulumi.Context, name string, alb *lb.LoadBalancer, args *LoadBalancerArgs) error {
	var err error
	if l.Blue, err = l.targetGroup(ctx, name+"-blue", args); err != nil {
		return err
	}
	if l.Green, err = l.targetGroup(ctx, name+"-green", args); err != nil {
		return err
	}
	if l.ProdListener, err = l.trafficListener(ctx, name+"-prod", alb, args.Config.ProdPort, args); err != nil {
		return err
	}
	if l.TestListener, err = l.trafficListener(ctx, name+"-test", alb, args.Config.TestPort, args); err != nil {
		return err
	}
	if args.Config.ProdProtocol == "HTTPS" {
		return l.redirectListener(ctx, name+"-redirect", alb, args)
	}
	return nil
}

// targetGroup declares blue or green: ip targets on the container port, the configured health check,
// deregistration delay and slow start.
func (l *LoadBalancer) targetGroup(ctx *pulumi.Context, name string, args *LoadBalancerArgs) (*lb.TargetGroup, error) {
	cfg := args.Config
	h := args.HealthCheck
	return lb.NewTargetGroup(ctx, name, &lb.TargetGroupArgs{
		TargetType:          pulumi.String("ip"),
		Protocol:            pulumi.String("HTTP"),
		Port:                pulumi.Int(args.ContainerPort),
		VpcId:               args.VpcID,
		DeregistrationDelay: pulumi.Int(cfg.DeregistrationDelay),
		SlowStart:           pulumi.Int(cfg.SlowStart),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Path:               pulumi.String(h.Path),
			Interval:           pulumi.Int(h.Interval),
			Timeout:            pulumi.Int(h.Timeout),
			HealthyThreshold:   pulumi.Int(h.HealthyThreshold),
			UnhealthyThreshold: pulumi.Int(h.UnhealthyThreshold),
			Matcher:            pulumi.String(h.Matcher),
		},
		Tags: pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(l))
}

// redirectListener sends HTTP on port 80 to HTTPS on the prod port.
func (l *LoadBalancer) redirectListener(ctx *pulumi.Context, name string, alb *lb.LoadBalancer, args *LoadBalancerArgs) error {
	_, err := lb.NewListener(ctx, name, &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(80),
		Protocol:        pulumi.String("HTTP"),
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: &lb.ListenerDefaultActionRedirectArgs{
				Port:       pulumi.String(strconv.Itoa(args.Config.ProdPort)),
				Protocol:   pulumi.String("HTTPS"),
				StatusCode: pulumi.String("HTTP_301"),
			},
		}},
		Tags: pulumi.ToStringMap(args.Tags),
	}, pulumi.Parent(l))
	return err
}

// trafficListener declares a prod or test listener forwarding to blue (weight 100) and green (weight 0).
func (l *LoadBalancer) trafficListener(ctx *pulumi.Context, name string, alb *lb.LoadBalancer, port int, args *LoadBalancerArgs) (*lb.Listener, error) {
	cfg := args.Config
	listener := &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Port:            pulumi.Int(port),
		Protocol:        pulumi.String(cfg.ProdProtocol),
		// CodeDeploy needs both target groups associated with the ALB before the first deployment
		// ("must contain a valid pair of target groups that identify a load balancer"): green rides
		// along at weight 0.
		DefaultActions: lb.ListenerDefaultActionArray{lb.ListenerDefaultActionArgs{
			Type: pulumi.String("forward"),
			Forward: &lb.ListenerDefaultActionForwardArgs{
				TargetGroups: lb.ListenerDefaultActionForwardTargetGroupArray{
					lb.ListenerDefaultActionForwardTargetGroupArgs{Arn: l.Blue.Arn, Weight: pulumi.Int(100)},
					lb.ListenerDefaultActionForwardTargetGroupArgs{Arn: l.Green.Arn, Weight: pulumi.Int(0)},
				},
			},
		}},
		Tags: pulumi.ToStringMap(args.Tags),
	}
	if cfg.ProdProtocol == "HTTPS" {
		listener.CertificateArn = pulumi.String(cfg.CertificateArn)
		listener.SslPolicy = pulumi.String(cfg.SslPolicy)
	}
	return lb.NewListener(ctx, name, listener, pulumi.Parent(l),
		// Every release, CodeDeploy rewrites the default action (the live group at weight 100, the
		// other at 0, in either order). Without this the next `pulumi up` sends production back to
		// blue whatever is live (pulumi-aws #1096, #3821). Ignore the whole list: nested ignores of
		// listener weights are unreliable (pulumi-aws #5771, #5772, #5798).
		pulumi.IgnoreChanges([]string{"defaultActions"}))
}

// securityGroups declares the ALB's group (prod port from prod CIDRs, test port from test CIDRs, egress
// to the tasks only) and the tasks' group (container port from the ALB's group only).
func (l *LoadBalancer) securityGroups(ctx *pulumi.Context, name string, args *LoadBalancerArgs) (*ec2.SecurityGroup, *ec2.SecurityGroup, error) {
	parent := pulumi.Parent(l)
	tags := pulumi.ToStringMap(args.Tags)
	albSG, err := ec2.NewSecurityGroup(ctx, name+"-alb-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("ALB of " + name + ": prod and test listeners"),
		Tags:        tagsWithName(args.Tags, name+"-alb-sg"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	taskSG, err := ec2.NewSecurityGroup(ctx, name+"-tasks-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("Tasks behind " + name + ": container port from the ALB only"),
		Tags:        tagsWithName(args.Tags, name+"-tasks-sg"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}

	if err := l.albIngress(ctx, name, albSG, args); err != nil {
		return nil, nil, err
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-alb-to-tasks", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           albSG.ID(),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(args.ContainerPort),
		ToPort:                    pulumi.Int(args.ContainerPort),
		ReferencedSecurityGroupId: taskSG.ID(),
		Description:               pulumi.String("requests and health checks to tasks"),
		Tags:                      tags,
	}, parent); err != nil {
		return nil, nil, err
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-tasks-from-alb", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           taskSG.ID(),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(args.ContainerPort),
		ToPort:                    pulumi.Int(args.ContainerPort),
		ReferencedSecurityGroupId: albSG.ID(),
		Description:               pulumi.String("container port from the ALB only"),
		Tags:                      tags,
	}, parent); err != nil {
		return nil, nil, err
	}
	// Tasks pull images and write logs through NAT or endpoints, and the model may call out.
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-tasks-egress", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId: taskSG.ID(),
		IpProtocol:      pulumi.String("-1"),
		CidrIpv4:        pulumi.String("0.0.0.0/0"),
		Description:     pulumi.String("image pulls, logs, secrets"),
		Tags:            tags,
	}, parent); err != nil {
		return nil, nil, err
	}
	return albSG, taskSG, nil
}

// albIngress admits the prod port (and the redirect port) from the prod CIDRs and the test port from the
// test CIDRs, each defaulting as LoadBalancerArgs says.
func (l *LoadBalancer) albIngress(ctx *pulumi.Context, name string, albSG *ec2.SecurityGroup, args *LoadBalancerArgs) error {
	cfg := args.Config
	parent := pulumi.Parent(l)
	tags := pulumi.ToStringMap(args.Tags)
	// ingress admits cidrs on port, or when there are none the default sources (labels name the rules).
	ingress := func(rule string, port int, cidrs []string, defaults pulumi.StringArray, defaultLabels []string, what string) error {
		sources := pulumi.StringArray{}
		labels := []string{}
		for i, c := range cidrs {
			sources = append(sources, pulumi.String(c))
			labels = append(labels, strconv.Itoa(i))
		}
		if len(cidrs) == 0 {
			sources, labels = defaults, defaultLabels
		}
		for i, src := range sources {
			if _, err := vpc.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("%s-%s-from-%s", name, rule, labels[i]), &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: albSG.ID(),
				IpProtocol:      pulumi.String("tcp"),
				FromPort:        pulumi.Int(port),
				ToPort:          pulumi.Int(port),
				CidrIpv4:        src,
				Description:     pulumi.String(what),
				Tags:            tags,
			}, parent); err != nil {
				return err
			}
		}
		return nil
	}
	vpcCidr := pulumi.StringArray{args.VpcCidr}
	if err := ingress("prod", cfg.ProdPort, cfg.ProdCidrs, vpcCidr, []string{"vpc"}, "prod listener"); err != nil {
		return err
	}
	if cfg.ProdProtocol == "HTTPS" {
		if err := ingress("redirect", 80, cfg.ProdCidrs, vpcCidr, []string{"vpc"}, "HTTP to HTTPS redirect"); err != nil {
			return err
		}
	}
	// Test traffic reaches green before any user does, so only from known sources. An internal ALB
	// sees the VPC's own addresses. An internet-facing ALB's DNS name resolves to public IPs, so a
	// client in the private subnets arrives through a NAT gateway, from its Elastic IP, never from the
	// VPC CIDR (which would admit nobody).
	testDefaults, testLabels := vpcCidr, []string{"vpc"}
	if cfg.Scheme == "internet-facing" {
		testDefaults, testLabels = pulumi.StringArray{}, nil
		for i, ip := range args.NatPublicIPs {
			testDefaults = append(testDefaults, pulumi.Sprintf("%s/32", ip))
			testLabels = append(testLabels, fmt.Sprintf("nat-%d", i))
		}
		if len(cfg.TestCidrs) == 0 && len(testDefaults) == 0 {
			return fmt.Errorf("load balancer %s: an internet-facing test listener needs Config.TestCidrs or NatPublicIPs", name)
		}
	}
	if err := ingress("test", cfg.TestPort, cfg.TestCidrs, testDefaults, testLabels, "test listener"); err != nil {
		return err
	}
	return nil
}

// listenerURLs are the prod and test listeners' scheme://host:port. Clients verify TLS against the
// URL's host, and the certificate covers the configured domain, not the ALB's own DNS name. The port
// is the listener's port output, not the configured port: the local emulator binds real loopback
// ports and reports them there.
func (l *LoadBalancer) listenerURLs(alb *lb.LoadBalancer, cfg LoadBalancerConfig) (prod, test pulumi.StringOutput) {
	host := alb.DnsName
	if cfg.DomainName != "" {
		host = pulumi.String(cfg.DomainName).ToStringOutput()
	}
	return listenerURL(cfg.URLScheme(), host, l.ProdListener.Port), listenerURL(cfg.URLScheme(), host, l.TestListener.Port)
}

// listenerURL is scheme://dns:port from the listener's port output.
func listenerURL(scheme string, dns pulumi.StringOutput, port pulumi.IntPtrOutput) pulumi.StringOutput {
	return pulumi.All(dns, port).ApplyT(func(v []any) (string, error) {
		p, ok := v[1].(*int)
		if !ok || p == nil {
			return "", fmt.Errorf("listener of %s reports no port", v[0])
		}
		return fmt.Sprintf("%s://%s:%d", scheme, v[0], *p), nil
	}).(pulumi.StringOutput)
}
