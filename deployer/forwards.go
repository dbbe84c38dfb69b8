package deployer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// forward is one target group of a weighted forward action.
type forward struct {
	TargetGroupArn string `json:"targetGroupArn"`
	Weight         int32  `json:"weight"`
}

// actionForwards extracts the forwards of the first forward action. A plain
// forward (TargetGroupArn only) has weight 1, as ELB documents.
func actionForwards(actions []elbv2types.Action) []forward {
	for _, a := range actions {
		if a.Type != elbv2types.ActionTypeEnumForward {
			continue
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			var out []forward
			for _, tg := range a.ForwardConfig.TargetGroups {
				w := int32(1)
				if tg.Weight != nil {
					w = *tg.Weight
				}
				out = append(out, forward{TargetGroupArn: aws.ToString(tg.TargetGroupArn), Weight: w})
			}
			return out
		}
		if a.TargetGroupArn != nil {
			return []forward{{TargetGroupArn: *a.TargetGroupArn, Weight: 1}}
		}
	}
	return nil
}

// ruleForwards returns the forwards of the highest-priority rule that forwards.
func ruleForwards(rules []elbv2types.Rule) []forward {
	sorted := append([]elbv2types.Rule(nil), rules...)
	sort.SliceStable(sorted, func(i, j int) bool { return rulePriority(sorted[i]) < rulePriority(sorted[j]) })
	for _, rule := range sorted {
		if fw := actionForwards(rule.Actions); len(fw) > 0 {
			return fw
		}
	}
	return nil
}

func rulePriority(r elbv2types.Rule) int {
	var n int
	if _, err := fmt.Sscanf(aws.ToString(r.Priority), "%d", &n); err != nil {
		return 1 << 30 // "default"
	}
	return n
}

// assessLiveTargetGroup picks the target group that serves a listener: the one
// with the highest weight. CodeDeploy swaps groups each release and leaves the old
// one at weight 0, so names and positions mean nothing. A tie (50/50 mid-shift) has
// no single live group.
func assessLiveTargetGroup(fw []forward) (string, error) {
	if len(fw) == 0 {
		return "", fmt.Errorf("listener has no forward action")
	}
	sorted := append([]forward(nil), fw...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Weight > sorted[j].Weight })
	if sorted[0].Weight <= 0 {
		return "", fmt.Errorf("every target group has weight 0")
	}
	if len(sorted) > 1 && sorted[1].Weight == sorted[0].Weight {
		return "", fmt.Errorf("traffic is split evenly between %s and %s", sorted[0].TargetGroupArn, sorted[1].TargetGroupArn)
	}
	return sorted[0].TargetGroupArn, nil
}

// formatForwards renders weights as "name=90 name=10".
func formatForwards(fw []forward) string {
	parts := make([]string, len(fw))
	for i, f := range fw {
		parts[i] = fmt.Sprintf("%s=%d", targetGroupName(f.TargetGroupArn), f.Weight)
	}
	return strings.Join(parts, " ")
}

// targetGroupName extracts the name from a target group ARN
// (arn:…:targetgroup/NAME/ID); anything else is returned unchanged.
func targetGroupName(arn string) string {
	_, res, ok := strings.Cut(arn, ":targetgroup/")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(res, "/")
	return name
}

// arnResource returns what CloudWatch calls the dimension value for an ELB ARN:
// "targetgroup/name/id" for a target group, "app/name/id" for a load balancer.
func arnResource(arn string) string {
	i := strings.LastIndex(arn, ":")
	res := arn[i+1:]
	return strings.TrimPrefix(res, "loadbalancer/")
}
