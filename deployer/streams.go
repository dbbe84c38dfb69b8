package deployer

import (
	"fmt"
	"time"
)

// ECS's container stop timeout: 30 s when the task definition sets none, and at
// most 120 s on Fargate.
const (
	ecsDefaultStopTimeout = 30 * time.Second
	fargateMaxStopTimeout = 120 * time.Second
)

// streamSettings are the live settings that decide whether a long request or a
// stream survives the cutover, each named in warnings by the stack key that sets
// it.
type streamSettings struct {
	MaxRequest          time.Duration // service.maxRequestSeconds (stack output maxRequestSeconds); 0: not set, nothing to check
	DeregistrationDelay time.Duration // loadBalancer.deregistrationDelay: the drained target group's deregistration_delay.timeout_seconds
	StopTimeout         time.Duration // service.stopTimeout: the container's stopTimeout; 0: unset, ECS's default 30 s
	IdleTimeout         time.Duration // loadBalancer.idleTimeout: the load balancer's idle_timeout.timeout_seconds
	Fargate             bool          // the stop timeout cannot exceed 120 s
}

// assessStreamSettings warns, naming the stack keys, when the live settings
// would cut a request or stream of service.maxRequestSeconds at the cutover:
//   - when blue's targets are deregistered, the load balancer lets in-flight
//     requests finish for the deregistration delay and then cuts them;
//   - ECS then stops the task: SIGTERM, and SIGKILL a stop timeout later, which
//     is all a request still running at SIGTERM gets (on Fargate at most 120 s,
//     so beyond that only the drain can cover it, and no warning asks for more);
//   - the load balancer closes a connection on which nothing was sent for its
//     idle timeout: an answer that takes longer than that before its first byte
//     is cut, and a stream survives only if it sends something more often.
//
// With service.maxRequestSeconds unset there is nothing to compare: no warnings.
func assessStreamSettings(s streamSettings) []string {
	if s.MaxRequest <= 0 {
		return nil
	}
	longest := fmt.Sprintf("service.maxRequestSeconds %s", stackSeconds(s.MaxRequest))
	var out []string
	if s.DeregistrationDelay < s.MaxRequest {
		out = append(out, fmt.Sprintf("loadBalancer.deregistrationDelay %s is shorter than %s: when blue's targets are deregistered after the cutover, "+
			"a request or stream still open at the end of the drain is cut; set loadBalancer.deregistrationDelay to at least %s",
			stackSeconds(s.DeregistrationDelay), longest, stackSeconds(s.MaxRequest)))
	}
	stop, which := s.StopTimeout, ""
	if stop <= 0 {
		stop, which = ecsDefaultStopTimeout, " (unset: ECS's default)"
	}
	want := s.MaxRequest
	if s.Fargate {
		want = min(want, fargateMaxStopTimeout)
	}
	if stop < want {
		hint := stackSeconds(want)
		if s.Fargate && want == fargateMaxStopTimeout {
			hint += " (Fargate's maximum)"
		}
		out = append(out, fmt.Sprintf("service.stopTimeout %s%s is shorter than %s: a task told to stop while it still serves a request is killed %s after SIGTERM; "+
			"set service.stopTimeout to %s", stackSeconds(stop), which, longest, stackSeconds(stop), hint))
	}
	if s.IdleTimeout > 0 && s.IdleTimeout < s.MaxRequest {
		out = append(out, fmt.Sprintf("loadBalancer.idleTimeout %s is shorter than %s: the load balancer cuts a connection on which nothing is sent for %s, "+
			"so an answer that takes longer before its first byte fails (504) and a stream survives only if it sends something at least every %s; "+
			"set loadBalancer.idleTimeout to at least %s, or stream", stackSeconds(s.IdleTimeout), longest, stackSeconds(s.IdleTimeout), stackSeconds(s.IdleTimeout), stackSeconds(s.MaxRequest)))
	}
	return out
}

// stackSeconds renders a duration as the stack keys take it: "300s".
func stackSeconds(d time.Duration) string { return fmt.Sprintf("%gs", d.Seconds()) }
