// Package dataplane is the real-traffic half of the local AWS emulator: simulated model-server tasks
// that are real HTTP servers on loopback, ELBv2-style target groups that health-check them, listeners
// that proxy real requests by weight to healthy targets, and a Recorder that answers the questions
// CloudWatch's AWS/ApplicationELB namespace would.
//
// The package knows nothing about AWS wire formats or ARNs; the control plane in tests/internal/emulator maps
// API calls onto it. Every AWS-configured duration is divided by a Scale (AWS seconds per real second)
// so that a release that takes minutes in AWS takes seconds here.
package dataplane
