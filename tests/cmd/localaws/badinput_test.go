package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badStackFile is Pulumi.dev.yaml with one thing a user can get wrong, given as an edit of the file's
// text (old must occur once), or a whole file's text; want is what the message must say: the key and
// what is allowed.
type badStackFile struct {
	name     string
	old, new string
	whole    *string
	want     []string
}

func text(s string) *string { return &s }

var badStackFiles = []badStackFile{
	{name: "a container port out of range", old: "containerPort: 8080", new: "containerPort: 70000", want: []string{"service.containerPort = 70000", "1–65535"}},
	{name: "the test port equal to the prod port", old: "testPort: 8443", new: "testPort: 80", want: []string{"loadBalancer.testPort = 80", "must differ from loadBalancer.prodPort"}},
	{name: "a prod port of zero", old: "prodPort: 80", new: "prodPort: 0", want: []string{"loadBalancer.prodPort = 0", "1–65535"}},
	{name: "a health check interval out of range", old: "interval: 15", new: "interval: 400", want: []string{"healthCheck.interval = 400", "5–300 seconds"}},
	{name: "a healthy threshold of one", old: "healthyThreshold: 2", new: "healthyThreshold: 1", want: []string{"healthCheck.healthyThreshold = 1", "2–10"}},
	{name: "a canary above 100 percent", old: "shiftPercent: 10", new: "shiftPercent: 150", want: []string{"deployment.shiftPercent = 150", "1–99"}},
	{name: "a negative ready wait", old: "readyWaitMinutes: 10", new: "readyWaitMinutes: -1", want: []string{"deployment.readyWaitMinutes = -1"}},
	{name: "a termination wait past CodeDeploy's limit", old: "terminationWaitMinutes: 15", new: "terminationWaitMinutes: 3000", want: []string{"deployment.terminationWaitMinutes = 3000", "0–2880"}},
	{name: "an unknown traffic shift", old: "trafficShift: canary", new: "trafficShift: blue", want: []string{`deployment.trafficShift = "blue"`, "canary"}},
	{name: "a VPC too large to subnet", old: "vpcCidr: 10.40.0.0/16", new: "vpcCidr: 10.0.0.0/8", want: []string{`network.vpcCidr = "10.0.0.0/8"`, "/16–/20"}},
	{name: "a CIDR that is not one", old: "    scheme: internet-facing\n", new: "    scheme: internet-facing\n    testCidrs: [\"10.0.0.0/33\"]\n", want: []string{`loadBalancer.testCidrs[0] = "10.0.0.0/33"`, "IPv4 CIDR"}},
	{name: "an unknown compute kind", old: "config:\n", new: "config:\n  ai-bluegreen:compute:\n    type: tpu\n", want: []string{`compute.type = "tpu"`, "fargate", "ec2-gpu"}},
	{name: "HTTPS without a certificate", old: "prodProtocol: HTTP", new: "prodProtocol: HTTPS\n    domainName: models.example.com", want: []string{"loadBalancer.certificateArn", "required with HTTPS"}},
	{name: "a stop timeout above Fargate's cap", old: "    desiredCount: 2\n", new: "    desiredCount: 2\n    stopTimeout: 300\n", want: []string{"service.stopTimeout = 300", "1–120 seconds on fargate"}},
	{name: "streams longer than the drain", old: "    desiredCount: 2\n", new: "    desiredCount: 2\n    maxRequestSeconds: 600\n", want: []string{"loadBalancer.deregistrationDelay = 120", "at least service.maxRequestSeconds (600 seconds)"}},
	{name: "a p99 limit below zero", old: "p99LatencySeconds: 2.5", new: "p99LatencySeconds: -1", want: []string{"alarms.p99LatencySeconds = -1"}},
	{name: "a misspelt key", old: "desiredCount: 2", new: "desiredCont: 2", want: []string{"service.desiredCont", "unknown key", "desiredCount"}},
	{name: "a secret the program cannot decrypt", old: "ai-bluegreen:image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v1", new: "ai-bluegreen:image:\n    secure: AAABAxyz", want: []string{"ai-bluegreen:image", "secure"}},
	{name: "no region", old: "  aws:region: us-east-1\n", new: "", want: []string{"aws:region is not set"}},
	{name: "a file that is not YAML", whole: text("config: {\n"), want: []string{"Pulumi.dev.yaml"}},
	{name: "an empty file", whole: text(""), want: []string{"Pulumi.dev.yaml"}},
}

// Every bad stack file is refused before anything starts: exit 2, the message names the key and what
// is allowed, no endpoint listens and no outputs file is written.
func TestABadStackFileIsRefusedBeforeAnythingStarts(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(filepath.Join("..", "..", "..", "Pulumi.dev.yaml"))
	require.NoError(t, err)
	for _, tc := range badStackFiles {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			content := string(good)
			if tc.whole != nil {
				content = *tc.whole
			} else {
				require.Equal(t, 1, strings.Count(content, tc.old), "the edit's text occurs once in Pulumi.dev.yaml")
				content = strings.Replace(content, tc.old, tc.new, 1)
			}
			dir := t.TempDir()
			stack, outputs := filepath.Join(dir, "Pulumi.dev.yaml"), filepath.Join(dir, "outputs.json")
			require.NoError(t, os.WriteFile(stack, []byte(content), 0o600))
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"-stack", stack, "-addr", "127.0.0.1:0", "-outputs", outputs}, &stdout, &stderr)
			assert.Equal(t, 2, code, "exit code; stderr:\n%s", stderr.String())
			for _, w := range tc.want {
				assert.Contains(t, stderr.String(), w, "the message names the key and what is allowed")
			}
			assert.NotContains(t, stderr.String(), "localaws ready", "nothing started")
			assert.NoFileExists(t, outputs, "nothing written")
		})
	}
}
