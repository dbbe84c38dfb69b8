package infra

import (
	"net/netip"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
)

func existingVPCConfig(t *testing.T) map[string]string {
	c := with(t, minimalConfig(), "network.vpcId", "vpc-0a1b2c3d4e5f60718")
	c = with(t, c, "network.publicSubnetIds", []string{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"})
	c = with(t, c, "loadBalancer.testCidrs", []string{"198.51.100.7/32"})
	return with(t, c, "network.privateSubnetIds", []string{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"})
}

func TestNewVPCHasAPublicAndAPrivateSubnetPerAZ(t *testing.T) {
	t.Parallel()
	r := runProgram(t, with(t, minimalConfig(), "network.azCount", 3))
	zones := map[string][]string{}
	for _, s := range r.ofType("aws:ec2/subnet:Subnet") {
		az := s.Inputs["availabilityZone"].(string)
		zones[az] = append(zones[az], s.Inputs["cidrBlock"].(string))
		sort.Strings(zones[az])
	}
	assert.Equal(t, map[string][]string{
		"us-east-1a": {"10.0.0.0/20", "10.0.128.0/20"},
		"us-east-1b": {"10.0.144.0/20", "10.0.16.0/20"},
		"us-east-1c": {"10.0.160.0/20", "10.0.32.0/20"},
	}, zones)
}

func TestNewVPCHasOneNATGatewayPerAZUnlessSingle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		single bool
		want   int
	}{{false, 2}, {true, 1}} {
		r := runProgram(t, with(t, minimalConfig(), "network.singleNatGateway", tc.single))
		assert.Len(t, r.ofType("aws:ec2/natGateway:NatGateway"), tc.want, "singleNatGateway=%v", tc.single)
	}
}

func TestExistingVPCDeclaresNoNetworkResources(t *testing.T) {
	t.Parallel()
	r := runProgram(t, existingVPCConfig(t))
	for _, typ := range []string{"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway"} {
		assert.Empty(t, r.ofType(typ), typ)
	}
}

func TestExistingVPCSubnetsCarryTheALBAndTheTasks(t *testing.T) {
	t.Parallel()
	r := runProgram(t, existingVPCConfig(t))
	assert.Equal(t, []any{"subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"}, r.one(t, typeLoadBalancer).Inputs["subnets"])
	assert.Equal(t, []any{"subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"}, field(r.one(t, typeService).Inputs, "networkConfiguration.subnets"))
	assert.Equal(t, "vpc-0a1b2c3d4e5f60718", r.named(t, typeTargetGroup, "-blue").Inputs["vpcId"])
}

func TestExistingVPCInternalTestListenerDefaultsToThatVPCsCIDR(t *testing.T) {
	t.Parallel()
	c := with(t, existingVPCConfig(t), "loadBalancer.scheme", "internal")
	r := runProgram(t, with(t, c, "loadBalancer.testCidrs", []string{}))
	assert.Contains(t, r.invokes, "aws:ec2/getVpc:getVpc")
	rules := r.ingressTo(t, "-alb-sg", 8443)
	if assert.Len(t, rules, 1) {
		assert.Equal(t, "10.20.0.0/16", rules[0].Inputs["cidrIpv4"], "the mock's answer to getVpc")
	}
}

func TestSubnetCIDRsAreDisjointSixteenthsOfTheVPC(t *testing.T) {
	t.Parallel()
	vpc := netip.MustParsePrefix("10.40.0.0/16")
	seen := map[netip.Prefix]bool{}
	for i := 0; i < 16; i++ {
		p := subnetCIDR(vpc, i)
		assert.Equal(t, 20, p.Bits())
		assert.True(t, vpc.Contains(p.Addr()), p.String())
		for q := range seen {
			assert.False(t, q.Overlaps(p), "%s overlaps %s", q, p)
		}
		seen[p] = true
	}
}
