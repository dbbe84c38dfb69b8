package infra

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkArgs configures a Network.
type NetworkArgs struct {
	// Config chooses a new VPC or an existing one.
	Config NetworkConfig
	// Region is the AWS region (for the S3 gateway endpoint's service name).
	Region string
	// Tags go on every resource.
	Tags map[string]string
}

// Network is the VPC the platform runs in: created (public subnets for the ALB, private subnets with
// NAT for tasks, an S3 gateway endpoint so image layers don't cross the NAT) or an existing one.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput      `pulumi:"vpcId"`
	VpcCidr          pulumi.StringOutput      `pulumi:"vpcCidr"`
	PublicSubnetIDs  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	// NatPublicIPs are the Elastic IPs of the created VPC's NAT gateways, one per gateway (none with an
	// existing VPC): whatever runs in the private subnets reaches public addresses from them.
	NatPublicIPs []pulumi.StringOutput
}

// NewNetwork declares the network. Invokes: getAvailabilityZones when it creates the VPC, getVpc when
// it uses an existing one (for the VPC CIDR, the default source of test traffic).
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, fmt.Errorf("network %s: args are required", name)
	}
	n := &Network{}
	if err := ctx.RegisterComponentResource("ai-bluegreen:infra:Network", name, n, opts...); err != nil {
		return nil, err
	}
	if args.Config.VpcID != "" {
		n.useExisting(ctx, args)
	} else if err := n.create(ctx, name, args); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcID,
		"vpcCidr":          n.VpcCidr,
		"publicSubnetIds":  n.PublicSubnetIDs,
		"privateSubnetIds": n.PrivateSubnetIDs,
		"natPublicIps":     n.NatPublicIPArray(),
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// useExisting takes the configured VPC and subnets as they are; only the VPC's CIDR is looked up.
func (n *Network) useExisting(ctx *pulumi.Context, args *NetworkArgs) {
	cfg := args.Config
	vpc := ec2.LookupVpcOutput(ctx, ec2.LookupVpcOutputArgs{Id: pulumi.String(cfg.VpcID)}, pulumi.Parent(n))
	n.VpcID = pulumi.String(cfg.VpcID).ToStringOutput()
	n.VpcCidr = vpc.CidrBlock()
	n.PublicSubnetIDs = pulumi.ToStringArray(cfg.PublicSubnetIDs).ToStringArrayOutput()
	n.PrivateSubnetIDs = pulumi.ToStringArray(cfg.PrivateSubnetIDs).ToStringArrayOutput()
}

// create declares a VPC over network.azCount zones: an internet gateway for the public subnets, a NAT
// gateway (per zone, or one) for the private ones, and the S3 gateway endpoint.
func (n *Network) create(ctx *pulumi.Context, name string, args *NetworkArgs) error {
	cfg := args.Config
	zones, err := n.availabilityZones(ctx, args)
	if err != nil {
		return err
	}
	cidr := netip.MustParsePrefix(cfg.VpcCidr) // validated by LoadConfig
	parent := pulumi.Parent(n)

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(cfg.VpcCidr),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tagsWithName(args.Tags, name+"-vpc"),
	}, parent)
	if err != nil {
		return err
	}
	igw, publicRT, err := n.publicRouting(ctx, name, vpc, args.Tags)
	if err != nil {
		return err
	}

	var public, private, privateRTs pulumi.StringArray
	var nat *ec2.NatGateway
	for i := 0; i < cfg.AzCount; i++ {
		z, err := n.zone(ctx, name, i, zones[i], zoneArgs{
			vpc: vpc, igw: igw, publicRT: publicRT, cidr: cidr, nat: nat, singleNat: cfg.SingleNatGateway, tags: args.Tags,
		})
		if err != nil {
			return err
		}
		if z.nat != nat {
			n.NatPublicIPs = append(n.NatPublicIPs, z.natPublicIP)
		}
		nat = z.nat
		public = append(public, z.public)
		private = append(private, z.private)
		privateRTs = append(privateRTs, z.privateRT)
	}

	// Image layers of ECR live in S3: a gateway endpoint keeps multi-GB model images off the NAT bill.
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String("com.amazonaws." + args.Region + ".s3"),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   privateRTs,
		Tags:            tagsWithName(args.Tags, name+"-s3"),
	}, parent); err != nil {
		return err
	}

	n.VpcID = vpc.ID().ToStringOutput()
	n.VpcCidr = vpc.CidrBlock
	n.PublicSubnetIDs = public.ToStringArrayOutput()
	n.PrivateSubnetIDs = private.ToStringArrayOutput()
	return nil
}

// availabilityZones are the first network.azCount regular zones of the region.
func (n *Network) availabilityZones(ctx *pulumi.Context, args *NetworkArgs) ([]string, error) {
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		// Regular zones only: Local Zones and Wavelength zones lack NAT gateways and most instance types.
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, pulumi.Parent(n))
	if err != nil {
		return nil, fmt.Errorf("look up availability zones: %w", err)
	}
	if want := args.Config.AzCount; len(zones.Names) < want {
		return nil, fmt.Errorf("%s:network.azCount = %d: must be at most %d, the availability zones of %s", Project, want, len(zones.Names), args.Region)
	}
	return zones.Names[:args.Config.AzCount], nil
}

// publicRouting declares the internet gateway and the public subnets' route table, routed through it.
func (n *Network) publicRouting(ctx *pulumi.Context, name string, vpc *ec2.Vpc, tags map[string]string) (*ec2.InternetGateway, *ec2.RouteTable, error) {
	parent := pulumi.Parent(n)
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tagsWithName(tags, name+"-igw"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  tagsWithName(tags, name+"-public"),
	}, parent)
	if err != nil {
		return nil, nil, err
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-internet", &ec2.RouteArgs{
		RouteTableId:         publicRT.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            igw.ID(),
	}, parent); err != nil {
		return nil, nil, err
	}
	return igw, publicRT, nil
}

// zoneArgs is what one availability zone's subnets hang off.
type zoneArgs struct {
	vpc       *ec2.Vpc
	igw       *ec2.InternetGateway
	publicRT  *ec2.RouteTable
	cidr      netip.Prefix
	nat       *ec2.NatGateway // the previous zone's; reused with a single NAT gateway
	singleNat bool
	tags      map[string]string
}

// zoneResult holds one zone's subnets, its private route table and the NAT gateway its tasks use, with
// that gateway's Elastic IP when the zone created it.
type zoneResult struct {
	public, private, privateRT pulumi.StringInput
	nat                        *ec2.NatGateway
	natPublicIP                pulumi.StringOutput
}

// zone declares the i-th zone: a public subnet (ALB, NAT gateway) and a private subnet (tasks) routed
// through a NAT gateway, its own unless a single one is configured.
func (n *Network) zone(ctx *pulumi.Context, name string, i int, az string, a zoneArgs) (*zoneResult, error) {
	parent := pulumi.Parent(n)
	pubName := fmt.Sprintf("%s-public-%d", name, i)
	pub, err := ec2.NewSubnet(ctx, pubName, &ec2.SubnetArgs{
		VpcId:            a.vpc.ID(),
		CidrBlock:        pulumi.String(subnetCIDR(a.cidr, i).String()),
		AvailabilityZone: pulumi.String(az),
		Tags:             tagsWithName(a.tags, pubName),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, pubName, &ec2.RouteTableAssociationArgs{
		SubnetId:     pub.ID(),
		RouteTableId: a.publicRT.ID(),
	}, parent); err != nil {
		return nil, err
	}
	nat := a.nat
	var natPublicIP pulumi.StringOutput
	if nat == nil || !a.singleNat {
		if nat, natPublicIP, err = n.natGateway(ctx, fmt.Sprintf("%s-nat-%d", name, i), pub, a); err != nil {
			return nil, err
		}
	}

	privName := fmt.Sprintf("%s-private-%d", name, i)
	priv, err := ec2.NewSubnet(ctx, privName, &ec2.SubnetArgs{
		VpcId:            a.vpc.ID(),
		CidrBlock:        pulumi.String(subnetCIDR(a.cidr, 8+i).String()),
		AvailabilityZone: pulumi.String(az),
		Tags:             tagsWithName(a.tags, privName),
	}, parent)
	if err != nil {
		return nil, err
	}
	rt, err := ec2.NewRouteTable(ctx, privName, &ec2.RouteTableArgs{
		VpcId: a.vpc.ID(),
		Tags:  tagsWithName(a.tags, privName),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := ec2.NewRoute(ctx, privName+"-nat", &ec2.RouteArgs{
		RouteTableId:         rt.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		NatGatewayId:         nat.ID(),
	}, parent); err != nil {
		return nil, err
	}
	if _, err := ec2.NewRouteTableAssociation(ctx, privName, &ec2.RouteTableAssociationArgs{
		SubnetId:     priv.ID(),
		RouteTableId: rt.ID(),
	}, parent); err != nil {
		return nil, err
	}
	return &zoneResult{public: pub.ID(), private: priv.ID(), privateRT: rt.ID(), nat: nat, natPublicIP: natPublicIP}, nil
}

// natGateway declares a NAT gateway in a public subnet and its Elastic IP, which it returns too.
func (n *Network) natGateway(ctx *pulumi.Context, name string, subnet *ec2.Subnet, a zoneArgs) (*ec2.NatGateway, pulumi.StringOutput, error) {
	parent := pulumi.Parent(n)
	eip, err := ec2.NewEip(ctx, name, &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   tagsWithName(a.tags, name),
	}, parent)
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	nat, err := ec2.NewNatGateway(ctx, name, &ec2.NatGatewayArgs{
		AllocationId: eip.ID(),
		SubnetId:     subnet.ID(),
		Tags:         tagsWithName(a.tags, name),
	}, parent, pulumi.DependsOn([]pulumi.Resource{a.igw}))
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	return nat, eip.PublicIp, nil
}

// NatPublicIPArray is NatPublicIPs as one output (empty with an existing VPC).
func (n *Network) NatPublicIPArray() pulumi.StringArrayOutput {
	ips := pulumi.StringArray{}
	for _, ip := range n.NatPublicIPs {
		ips = append(ips, ip)
	}
	return ips.ToStringArrayOutput()
}

// subnetCIDR returns the index-th of the 16 equal subnets of a VPC CIDR (4 more prefix bits): public
// subnets take 0–5, private subnets 8–13, so a /16 gives /20 subnets of 4091 usable addresses.
func subnetCIDR(vpc netip.Prefix, index int) netip.Prefix {
	bits := vpc.Bits() + 4
	base := vpc.Masked().Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	n += uint32(index) << (32 - bits)
	addr := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	return netip.PrefixFrom(addr, bits)
}

// tagsWithName adds the Name tag the EC2 console shows.
func tagsWithName(tags map[string]string, name string) pulumi.StringMap {
	m := pulumi.ToStringMap(tags)
	m["Name"] = pulumi.String(name)
	return m
}
