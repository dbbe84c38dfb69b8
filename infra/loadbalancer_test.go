package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	typeListener      = "aws:lb/listener:Listener"
	typeTargetGroup   = "aws:lb/targetGroup:TargetGroup"
	typeLoadBalancer  = "aws:lb/loadBalancer:LoadBalancer"
	typeSecurityGroup = "aws:ec2/securityGroup:SecurityGroup"
	typeIngressRule   = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
)

func httpsConfig(t *testing.T) map[string]string {
	c := with(t, minimalConfig(), "loadBalancer.prodProtocol", "HTTPS")
	c = with(t, c, "loadBalancer.domainName", "models.example.com")
	return with(t, c, "loadBalancer.certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/abc")
}

func TestProdAndTestListenersIgnoreTheirWholeDefaultActions(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	for _, name := range []string{"dev-lb-prod", "dev-lb-test"} {
		l := r.named(t, typeListener, name)
		assert.Equal(t, []string{"defaultActions"}, l.Ignore, "%s: CodeDeploy rewrites the default action every release", name)
	}
}

func TestBothListenersForwardToBlueAtWeight100AndGreenAtWeight0(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	blue := r.named(t, typeTargetGroup, "-blue").ID
	green := r.named(t, typeTargetGroup, "-green").ID
	for _, name := range []string{"dev-lb-prod", "dev-lb-test"} {
		l := r.named(t, typeListener, name)
		assert.Equal(t, []any{map[string]any{
			"type": "forward",
			"forward": map[string]any{"targetGroups": []any{
				map[string]any{"arn": blue, "weight": 100.0},
				map[string]any{"arn": green, "weight": 0.0},
			}},
		}}, l.Inputs["defaultActions"], name)
	}
}

func TestTargetGroupsTargetIPsWithTheConfiguredHealthCheck(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "healthCheck.interval", 20))
	groups := r.ofType(typeTargetGroup)
	require.Len(t, groups, 2)
	for _, g := range groups {
		assert.Equal(t, "ip", g.Inputs["targetType"], g.Name)
		assert.Equal(t, 8080.0, g.Inputs["port"], g.Name)
		assert.Equal(t, map[string]any{
			"enabled": true, "protocol": "HTTP", "port": "traffic-port", "path": "/health/ready",
			"interval": 20.0, "timeout": 5.0, "healthyThreshold": 3.0, "unhealthyThreshold": 3.0, "matcher": "200",
		}, g.Inputs["healthCheck"], g.Name)
	}
}

// ingressTo returns the ingress rules of a security group on a port.
func (r *recorder) ingressTo(t *testing.T, sgName string, port float64) []declared {
	sg := r.named(t, typeSecurityGroup, sgName)
	var rules []declared
	for _, rule := range r.ofType(typeIngressRule) {
		if rule.Inputs["securityGroupId"] == sg.ID && rule.Inputs["fromPort"] == port {
			rules = append(rules, rule)
		}
	}
	return rules
}

func TestInternetFacingTestListenerAdmitsOnlyTheNATGatewaysByDefault(t *testing.T) {
	t.Parallel()
	// The ALB's DNS name resolves to public IPs, so a runner in the VPC's private subnets reaches the
	// test listener through a NAT gateway, from its Elastic IP: never from the VPC CIDR.
	r := runProgram(t, minimalConfig())
	var want, got []any
	for _, eip := range r.ofType("aws:ec2/eip:Eip") {
		want = append(want, eip.State["publicIp"].(string)+"/32")
	}
	require.Len(t, want, 2, "one NAT gateway per AZ")
	for _, rule := range r.ingressTo(t, "-alb-sg", 8443) {
		got = append(got, rule.Inputs["cidrIpv4"])
	}
	assert.ElementsMatch(t, want, got)
}

func TestInternalTestListenerAdmitsTheVPCByDefault(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "loadBalancer.scheme", "internal"))
	rules := r.ingressTo(t, "-alb-sg", 8443)
	require.Len(t, rules, 1)
	assert.Equal(t, "10.0.0.0/16", rules[0].Inputs["cidrIpv4"], "an internal ALB's clients are in the VPC")
}

func TestNATGatewaysPublicIPsAreAStackOutput(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	var want []any
	for _, eip := range r.ofType("aws:ec2/eip:Eip") {
		want = append(want, eip.State["publicIp"])
	}
	require.Contains(t, r.outputs, OutputNatPublicIPs)
	assert.ElementsMatch(t, want, r.outputs[OutputNatPublicIPs])
}

func TestTestListenerAdmitsExactlyTheConfiguredCidrs(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "loadBalancer.testCidrs", []string{"10.0.0.0/16", "203.0.113.0/24"}))
	var cidrs []any
	for _, rule := range r.ingressTo(t, "-alb-sg", 8443) {
		cidrs = append(cidrs, rule.Inputs["cidrIpv4"])
	}
	assert.ElementsMatch(t, []any{"10.0.0.0/16", "203.0.113.0/24"}, cidrs)
}

func TestTasksAreReachableOnlyFromTheALBOnTheContainerPort(t *testing.T) {
	t.Parallel()
	r := runProgram(t, minimalConfig())
	tasks := r.named(t, typeSecurityGroup, "-tasks-sg")
	alb := r.named(t, typeSecurityGroup, "-alb-sg")
	var rules []declared
	for _, rule := range r.ofType(typeIngressRule) {
		if rule.Inputs["securityGroupId"] == tasks.ID {
			rules = append(rules, rule)
		}
	}
	require.Len(t, rules, 1)
	in := rules[0].Inputs
	assert.Equal(t, alb.ID, in["referencedSecurityGroupId"])
	assert.Equal(t, 8080.0, in["fromPort"])
	assert.Equal(t, 8080.0, in["toPort"])
	assert.NotContains(t, in, "cidrIpv4")
}

func TestHTTPSListenersCarryTheCertificateAndTLSPolicy(t *testing.T) {
	t.Parallel()
	r := runProgram(t, httpsConfig(t))
	for _, name := range []string{"dev-lb-prod", "dev-lb-test"} {
		l := r.named(t, typeListener, name)
		assert.Equal(t, "HTTPS", l.Inputs["protocol"], name)
		assert.Equal(t, "arn:aws:acm:us-east-1:123456789012:certificate/abc", l.Inputs["certificateArn"], name)
		assert.Equal(t, "ELBSecurityPolicy-TLS13-1-2-2021-06", l.Inputs["sslPolicy"], name)
	}
	assert.Equal(t, 443.0, r.named(t, typeListener, "dev-lb-prod").Inputs["port"])
}

func TestHTTPSAddsARedirectFrom80ToTheProdPort(t *testing.T) {
	t.Parallel()
	r := runProgram(t, httpsConfig(t))
	redirect := r.named(t, typeListener, "-redirect")
	assert.Equal(t, 80.0, redirect.Inputs["port"])
	assert.Equal(t, []any{map[string]any{
		"type":     "redirect",
		"redirect": map[string]any{"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"},
	}}, redirect.Inputs["defaultActions"])
}

func TestURLsComeFromTheListenersPortOutputs(t *testing.T) {
	t.Parallel()
	rec := &recorder{region: "us-east-1", listenerPorts: map[string]int{"dev-lb-prod": 49152, "dev-lb-test": 49153}}
	r := runWith(t, rec, minimalConfig())
	dns := r.outputs[OutputAlbDNSName]
	assert.Equal(t, "http://"+dns.(string)+":49152", r.outputs[OutputProdURL])
	assert.Equal(t, "http://"+dns.(string)+":49153", r.outputs[OutputTestURL])
}

func TestHTTPSURLsNameTheDomainTheCertificateCovers(t *testing.T) {
	t.Parallel()
	// The deployer verifies TLS against testUrl's host: the ALB's own DNS name is not on the certificate.
	r := runProgram(t, httpsConfig(t))
	assert.Equal(t, "https://models.example.com:443", r.outputs[OutputProdURL])
	assert.Equal(t, "https://models.example.com:8443", r.outputs[OutputTestURL])
}

func TestInternalALBSitsInThePrivateSubnets(t *testing.T) {
	t.Parallel()
	c := with(t, minimalConfig(), "network.vpcId", "vpc-0a1b2c3d4e5f60718")
	c = with(t, c, "network.privateSubnetIds", []string{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"})
	c = with(t, c, "loadBalancer.scheme", "internal")
	r := runProgram(t, c)
	alb := r.one(t, typeLoadBalancer)
	assert.Equal(t, true, alb.Inputs["internal"])
	assert.Equal(t, []any{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"}, alb.Inputs["subnets"])
}
