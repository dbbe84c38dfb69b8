package infra

import "fmt"

// gpuInstance is what one EC2 GPU instance type offers ECS tasks.
type gpuInstance struct {
	// gpus is the number of GPUs (a task's GPU resourceRequirements reserve whole GPUs).
	gpus int
	// enis is the number of network interfaces of the default network card, the primary one included;
	// 0 means not checked.
	enis int
}

// gpuInstanceTypes are common GPU instance types. GPU counts: EC2 accelerated computing instance
// specifications. Network interfaces: EC2 DescribeInstanceTypes, as generated into
// aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go. With awsvpc every task takes an interface
// of its own besides the instance's primary one, so an instance runs at most enis-1 tasks; ENI
// trunking (the awsvpcTrunking account setting) raises that, and is not assumed. p5/p5e/p5en spread
// their interfaces over many network cards (2 on the default one), so their interfaces are not checked.
// Types missing here are not checked at all (Config.Notes says so).
var gpuInstanceTypes = map[string]gpuInstance{
	"g4dn.xlarge": {1, 3}, "g4dn.2xlarge": {1, 3}, "g4dn.4xlarge": {1, 3}, "g4dn.8xlarge": {1, 4},
	"g4dn.16xlarge": {1, 4}, "g4dn.12xlarge": {4, 8}, "g4dn.metal": {8, 15},
	"g5.xlarge": {1, 4}, "g5.2xlarge": {1, 4}, "g5.4xlarge": {1, 8}, "g5.8xlarge": {1, 8},
	"g5.16xlarge": {1, 8}, "g5.12xlarge": {4, 15}, "g5.24xlarge": {4, 15}, "g5.48xlarge": {8, 7},
	"g6.xlarge": {1, 4}, "g6.2xlarge": {1, 4}, "g6.4xlarge": {1, 8}, "g6.8xlarge": {1, 8},
	"g6.16xlarge": {1, 15}, "g6.12xlarge": {4, 8}, "g6.24xlarge": {4, 15}, "g6.48xlarge": {8, 15},
	"p3.2xlarge": {1, 4}, "p3.8xlarge": {4, 8}, "p3.16xlarge": {8, 8}, "p3dn.24xlarge": {8, 15},
	"p4d.24xlarge": {8, 15}, "p4de.24xlarge": {8, 15},
	"p5.4xlarge": {1, 4}, "p5.48xlarge": {8, 0}, "p5e.48xlarge": {8, 0}, "p5en.48xlarge": {8, 0},
}

// validateGPUInstance checks that tasksPerInstance tasks of gpusPerTask GPUs fit on one instance: its
// GPUs and, with awsvpc, its network interfaces.
func validateGPUInstance(v *validator, c ComputeConfig) {
	t, known := gpuInstanceTypes[c.InstanceType]
	if !known || !v.ok("compute.instanceType", "compute.gpusPerTask", "compute.tasksPerInstance") {
		return
	}
	switch {
	case c.GpusPerTask > t.gpus:
		v.failWith("compute.gpusPerTask", c.GpusPerTask, fmt.Sprintf("must be at most %d, the GPUs of a %s", t.gpus, c.InstanceType))
	case c.GpusPerTask*c.TasksPerInstance > t.gpus:
		v.failWith("compute.tasksPerInstance", c.TasksPerInstance, fmt.Sprintf(
			"must be at most %d: a %s has %d GPU(s) and each task reserves compute.gpusPerTask (%d)",
			t.gpus/c.GpusPerTask, c.InstanceType, t.gpus, c.GpusPerTask))
	case t.enis > 0 && c.TasksPerInstance > t.enis-1:
		v.failWith("compute.tasksPerInstance", c.TasksPerInstance, fmt.Sprintf(
			"must be at most %d: a %s has %d network interfaces and each awsvpc task takes one besides the instance's primary one",
			t.enis-1, c.InstanceType, t.enis))
	}
}

// Notes are remarks about a valid configuration: checks that could not be made.
func (c *Config) Notes() []string {
	var notes []string
	if _, known := gpuInstanceTypes[c.Compute.InstanceType]; c.Compute.Type == ComputeEC2GPU && !known {
		notes = append(notes, fmt.Sprintf("%s:compute.instanceType = %q: not in the GPU instance table (docs/configuration.md), "+
			"so compute.gpusPerTask × compute.tasksPerInstance and the network interfaces per instance are not checked",
			Project, c.Compute.InstanceType))
	}
	return notes
}
