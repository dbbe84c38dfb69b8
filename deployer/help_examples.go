package deployer

// Examples shown in help. Each is a command a user can paste; the image
// registry and file names match the README and docs/operations.md.
var (
	topExamples = []string{
		"# Release in CI, with the stack's outputs and a validation suite",
		"pulumi stack output --json > outputs.json",
		"deployer deploy --stack-outputs outputs.json --image \"$REGISTRY/model-server:$GIT_SHA\" \\",
		"  --validation-suite deploy/suite.yaml",
		"",
		"# Global flags may come before the command",
		"deployer --stack-outputs outputs.json status",
	}
	deployExamples = []string{
		"# Rehearse locally against the emulator (go build -o bin/ ./tests/cmd/localaws; bin/localaws)",
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566 deployer deploy --stack-outputs /tmp/outputs.json \\",
		"  --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v2",
		"",
		"# Release from CI: the result as JSON on stdout, a summary in GITHUB_STEP_SUMMARY",
		"deployer deploy --stack-outputs outputs.json --image \"$REGISTRY/model-server:$GIT_SHA\" \\",
		"  --validation-suite deploy/suite.yaml --output json > result.json",
		"",
		"# Hold at Ready after gate 1, look at green on the test listener, then promote it",
		"deployer deploy --stack-outputs outputs.json --image \"$REGISTRY/model-server:v2\" --hold-at-ready",
		"deployer continue --stack-outputs outputs.json --wait ready",
		"",
		"# Something is wrong after the release: put production back on the previous version",
		"deployer rollback --stack-outputs outputs.json",
	}
	planExamples = []string{
		"# What would deploy do? Task definition diff, AppSpec, budget; writes nothing",
		"deployer plan --stack-outputs outputs.json --image \"$REGISTRY/model-server:$GIT_SHA\"",
		"",
		"# Rehearse locally against the emulator",
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566 deployer plan --stack-outputs /tmp/outputs.json \\",
		"  --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/model-server:v2",
	}
	statusExamples = []string{
		"# Which version serves production, and is a deployment in flight?",
		"deployer status --stack-outputs outputs.json",
		"",
		"# Follow the in-flight deployment to its end (read-only), e.g. one held at Ready",
		"deployer status --stack-outputs outputs.json --follow",
		"",
		"# Rehearse locally against the emulator",
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566 deployer status --stack-outputs /tmp/outputs.json",
	}
	continueExamples = []string{
		"# A deploy --hold-at-ready left green waiting in Ready: shift production traffic to it",
		"deployer continue --stack-outputs outputs.json --wait ready",
		"",
		"# End the termination wait early: blue is terminated",
		"deployer continue --stack-outputs outputs.json --wait termination",
		"",
		"# Rehearse locally against the emulator",
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566 deployer continue --stack-outputs /tmp/outputs.json \\",
		"  --wait ready",
	}
	abortExamples = []string{
		"# Stop the in-flight deployment; production stays on (or returns to) blue",
		"deployer abort --stack-outputs outputs.json",
		"",
		"# Stop only this deployment, never a newer one",
		"deployer abort --stack-outputs outputs.json --deployment-id d-ABCDEF123",
		"",
		"# Rehearse locally against the emulator",
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566 deployer abort --stack-outputs /tmp/outputs.json",
	}
	rollbackExamples = []string{
		"# Put production back on the previous version (in flight: stop; after blue is gone: redeploy)",
		"deployer rollback --stack-outputs outputs.json",
		"",
		"# Roll back to a given revision when nothing is in flight",
		"deployer rollback --stack-outputs outputs.json --to-task-definition web:41",
		"",
		"# Rehearse locally against the emulator",
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566 deployer rollback --stack-outputs /tmp/outputs.json",
	}
)
