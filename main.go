// Command ai-bluegreen is the Pulumi program of the blue/green model-serving platform: ECS, an ALB with
// blue and green target groups behind prod and test listeners, and CodeDeploy BLUE_GREEN. Everything
// lives in package infra; see infra.Program.
package main

import (
	"github.com/ai-bluegreen/ai-bluegreen/infra"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(infra.Program)
}
