// Package provision runs the real Pulumi program (infra.Build, the function main.go runs) under Pulumi's
// mocks. Answers gives AWS-like, deterministic answers for the offline plan snapshots; Start backs the
// resources that carry traffic with the local emulator, so a release can be rehearsed end to end.
package provision

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AccountID is the account every mocked ARN carries.
const AccountID = "123456789012"

// Answers computes what AWS would add to a resource's inputs (names, ARNs, DNS names) and answers
// the program's invokes, deterministically, so that the same program and stack give the same plan.
type Answers struct {
	Stack  string
	Region string
}

// Fill adds the attributes AWS computes to state (a copy of the resource's inputs) and returns the
// resource id.
func (a Answers) Fill(typ, name string, s resource.PropertyMap) string {
	if str(s, "name") == "" {
		set(s, "name", name)
	}
	sum := sha256.Sum256([]byte(a.Stack + typ + name))
	h := hex.EncodeToString(sum[:])[:16]
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, a.Region, AccountID, rest)
	}
	switch typ {
	case "aws:lb/loadBalancer:LoadBalancer":
		set(s, "arnSuffix", "app/"+name+"/"+h)
		set(s, "arn", arn("elasticloadbalancing", "loadbalancer/app/"+name+"/"+h))
		set(s, "dnsName", name+"-"+h[:8]+"."+a.Region+".elb.amazonaws.com")
	case "aws:lb/targetGroup:TargetGroup":
		set(s, "arnSuffix", "targetgroup/"+name+"/"+h)
		set(s, "arn", arn("elasticloadbalancing", "targetgroup/"+name+"/"+h))
	case "aws:lb/listener:Listener":
		set(s, "arn", arn("elasticloadbalancing", "listener/app/"+name+"/"+h))
	case "aws:ecs/cluster:Cluster":
		set(s, "arn", arn("ecs", "cluster/"+str(s, "name")))
	case "aws:ecs/service:Service":
		return arn("ecs", "service/"+str(s, "name"))
	case "aws:ecs/taskDefinition:TaskDefinition":
		set(s, "arn", arn("ecs", "task-definition/"+str(s, "family")+":1"))
		return str(s, "family")
	case "aws:iam/role:Role":
		set(s, "arn", "arn:aws:iam::"+AccountID+":role/"+name)
		return name
	case "aws:cloudwatch/logGroup:LogGroup":
		set(s, "arn", arn("logs", "log-group:"+str(s, "name")))
	case "aws:codedeploy/application:Application":
		set(s, "arn", arn("codedeploy", "application:"+str(s, "name")))
	case "aws:codedeploy/deploymentGroup:DeploymentGroup":
		set(s, "arn", arn("codedeploy", "deploymentgroup:"+str(s, "appName")+"/"+str(s, "deploymentGroupName")))
	case "aws:codedeploy/deploymentConfig:DeploymentConfig":
		set(s, "deploymentConfigName", name)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set(s, "arn", arn("cloudwatch", "alarm:"+name))
	case "aws:ec2/eip:Eip":
		// A documentation address (RFC 5737 TEST-NET-2) per Elastic IP: NAT gateways' public IPs.
		set(s, "publicIp", fmt.Sprintf("198.51.100.%d", 1+int(sum[0])%250))
	}
	if str(s, "arn") == "" {
		service := strings.SplitN(strings.TrimPrefix(typ, "aws:"), "/", 2)[0]
		set(s, "arn", arn(service, name))
	}
	if v := str(s, "arn"); strings.Contains(v, ":elasticloadbalancing:") || strings.Contains(v, ":ecs:cluster") {
		return v
	}
	return name + "-" + h[:8]
}

// Call answers the invokes the program makes (see infra.Build's doc comment for the list).
func (a Answers) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": a.Region, "id": a.Region}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return resource.NewPropertyMapFromMap(map[string]any{
			"names": []any{a.Region + "a", a.Region + "b", a.Region + "c"}, "id": a.Region,
		}), nil
	case "aws:ec2/getVpc:getVpc":
		return resource.NewPropertyMapFromMap(map[string]any{"id": args.Args["id"].StringValue(), "cidrBlock": "10.20.0.0/16"}), nil
	case "aws:ssm/getParameter:getParameter":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": args.Args["name"].StringValue(), "type": "String",
			"value": "ami-0123456789abcdef0", "insecureValue": "ami-0123456789abcdef0",
		}), nil
	}
	return nil, fmt.Errorf("unexpected invoke %s: the mocks answer only what infra.Build documents", args.Token)
}

func str(s resource.PropertyMap, k string) string {
	if v, ok := s[resource.PropertyKey(k)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func set(s resource.PropertyMap, k, v string) {
	s[resource.PropertyKey(k)] = resource.NewStringProperty(v)
}
