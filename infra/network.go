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
	var err error
	if args.Config.VpcID != "" {
		err = n.useExisting(ctx, args)
	} else {
		err = n.create(ctx, name, args)
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcID,
		"vpcCidr":          n.VpcCidr,
		"publicSubnetIds":  n.PublicSubnetIDs,
		"privateSubnetIds": n.PrivateSubnetIDs,
	}); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Network) useExisting(ctx *pulumi.Context, args *NetworkArgs) error {
	cfg := args.Config
	vpc := ec2.LookupVpcOutput(ctx, ec2.LookupVpcOutputArgs{Id: pulumi.String(cfg.VpcID)}, pulumi.Parent(n))
	n.VpcID = pulumi.String(cfg.VpcID).ToStringOutput()
	n.VpcCidr = vpc.CidrBlock()
	n.PublicSubnetIDs = pulumi.ToStringArray(cfg.PublicSubnetIDs).ToStringArrayOutput()
	n.PrivateSubnetIDs = pulumi.ToStringArray(cfg.PrivateSubnetIDs).ToStringArrayOutput()
	return nil
}

func (n *Network) create(ctx *pulumi.Context, name string, args *NetworkArgs) error {
	cfg := args.Config
	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State: pulumi.StringRef("available"),
		// Regular zones only: Local Zones and Wavelength zones lack NAT gateways and most instance types.
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	}, pulumi.Parent(n))
	if err != nil {
		return fmt.Errorf("look up availability zones: %w", err)
	}
	if len(zones.Names) < cfg.AzCount {
		return fmt.Errorf("%s:network.azCount = %d: must be at most %d, the availability zones of %s", Project, cfg.AzCount, len(zones.Names), args.Region)
	}
	cidr := netip.MustParsePrefix(cfg.VpcCidr) // validated by LoadConfig
	parent := pulumi.Parent(n)
	tagged := func(resource string) pulumi.StringMap { return tagsWithName(args.Tags, resource) }

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(cfg.VpcCidr),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tagged(name + "-vpc"),
	}, parent)
	if err != nil {
		return err
	}
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: vpc.ID(),
		Tags:  tagged(name + "-igw"),
	}, parent)
	if err != nil {
		return err
	}
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public", &ec2.RouteTableArgs{
		VpcId: vpc.ID(),
		Tags:  tagged(name + "-public"),
	}, parent)
	if err != nil {
		return err
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-internet", &ec2.RouteArgs{
		RouteTableId:         publicRT.ID(),
		DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
		GatewayId:            igw.ID(),
	}, parent); err != nil {
		return err
	}

	var public, private pulumi.StringArray
	var privateRTs pulumi.StringArray
	var nats []*ec2.NatGateway
	for i := 0; i < cfg.AzCount; i++ {
		az := zones.Names[i]
		pubName := fmt.Sprintf("%s-public-%d", name, i)
		pub, err := ec2.NewSubnet(ctx, pubName, &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(subnetCIDR(cidr, i).String()),
			AvailabilityZone: pulumi.String(az),
			Tags:             tagged(pubName),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, pubName, &ec2.RouteTableAssociationArgs{
			SubnetId:     pub.ID(),
			RouteTableId: publicRT.ID(),
		}, parent); err != nil {
			return err
		}
		public = append(public, pub.ID())

		if i == 0 || !cfg.SingleNatGateway {
			natName := fmt.Sprintf("%s-nat-%d", name, i)
			eip, err := ec2.NewEip(ctx, natName, &ec2.EipArgs{
				Domain: pulumi.String("vpc"),
				Tags:   tagged(natName),
			}, parent)
			if err != nil {
				return err
			}
			nat, err := ec2.NewNatGateway(ctx, natName, &ec2.NatGatewayArgs{
				AllocationId: eip.ID(),
				SubnetId:     pub.ID(),
				Tags:         tagged(natName),
			}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return err
			}
			nats = append(nats, nat)
		}

		privName := fmt.Sprintf("%s-private-%d", name, i)
		priv, err := ec2.NewSubnet(ctx, privName, &ec2.SubnetArgs{
			VpcId:            vpc.ID(),
			CidrBlock:        pulumi.String(subnetCIDR(cidr, 8+i).String()),
			AvailabilityZone: pulumi.String(az),
			Tags:             tagged(privName),
		}, parent)
		if err != nil {
			return err
		}
		rt, err := ec2.NewRouteTable(ctx, privName, &ec2.RouteTableArgs{
			VpcId: vpc.ID(),
			Tags:  tagged(privName),
		}, parent)
		if err != nil {
			return err
		}
		if _, err := ec2.NewRoute(ctx, privName+"-nat", &ec2.RouteArgs{
			RouteTableId:         rt.ID(),
			DestinationCidrBlock: pulumi.String("0.0.0.0/0"),
			NatGatewayId:         nats[len(nats)-1].ID(),
		}, parent); err != nil {
			return err
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, privName, &ec2.RouteTableAssociationArgs{
			SubnetId:     priv.ID(),
			RouteTableId: rt.ID(),
		}, parent); err != nil {
			return err
		}
		private = append(private, priv.ID())
		privateRTs = append(privateRTs, rt.ID())
	}

	// Image layers of ECR live in S3: a gateway endpoint keeps multi-GB model images off the NAT bill.
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           vpc.ID(),
		ServiceName:     pulumi.String("com.amazonaws." + args.Region + ".s3"),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   privateRTs,
		Tags:            tagged(name + "-s3"),
	}, parent); err != nil {
		return err
	}

	n.VpcID = vpc.ID().ToStringOutput()
	n.VpcCidr = vpc.CidrBlock
	n.PublicSubnetIDs = public.ToStringArrayOutput()
	n.PrivateSubnetIDs = private.ToStringArrayOutput()
	return nil
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
