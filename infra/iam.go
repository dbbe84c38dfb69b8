package infra

import (
	"encoding/json"
	"regexp"
	"strings"
)

// policyDocument is an IAM policy built from Go values and marshalled to JSON.
type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

// policyStatement is one IAM statement. Resource is "*" or a list of ARNs.
type policyStatement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

func (d policyDocument) json() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// assumeRolePolicy lets an AWS service assume a role.
func assumeRolePolicy(service string) string {
	doc, err := policyDocument{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Effect:    "Allow",
			Principal: map[string]string{"Service": service},
			Action:    []string{"sts:AssumeRole"},
		}},
	}.json()
	if err != nil {
		panic(err) // static values always marshal
	}
	return doc
}

// partitionOf returns the AWS partition of a region (aws, aws-cn, aws-us-gov), so ARNs of AWS managed
// policies are right without another invoke.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// managedPolicyArn is the ARN of an AWS managed policy ("service-role/AWSCodeDeployRoleForECS").
func managedPolicyArn(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}

// arnPrefix returns "arn:partition:service:region:account" of an ARN, so ARNs of related resources
// (services of a cluster, revisions of a family) can be derived from real ARN outputs.
func arnPrefix(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return arn
	}
	return strings.Join(parts[:5], ":")
}

// secretResourceArn is the IAM resource of an ECS secret's valueFrom: Secrets Manager references may
// carry ":json-key:version-stage:version-id", which IAM doesn't know.
func secretResourceArn(valueFrom string) string {
	if strings.Contains(valueFrom, ":secretsmanager:") {
		parts := strings.SplitN(valueFrom, ":", 8)
		if len(parts) >= 7 {
			return strings.Join(parts[:7], ":")
		}
	}
	return valueFrom
}

var ecrImageRe = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)`)

// ecrRepositoryArn returns the ARN of the ECR repository an image lives in, or "" for other registries.
func ecrRepositoryArn(image string) string {
	m := ecrImageRe.FindStringSubmatch(image)
	if m == nil {
		return ""
	}
	return "arn:" + partitionOf(m[2]) + ":ecr:" + m[2] + ":" + m[1] + ":repository/" + m[3]
}

// arnService is the service field of an ARN ("ssm", "secretsmanager").
func arnService(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}
