package deployer

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// describeAlarms reads the group's alarms (metric and composite), 100 names per call.
func (d *Deployer) describeAlarms(ctx context.Context, names []string) ([]groupAlarm, error) {
	var out []groupAlarm
	for i := 0; i < len(names); i += 100 {
		batch := names[i:min(i+100, len(names))]
		resp, err := d.c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: batch, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
		})
		if err != nil {
			return nil, readError("describe alarms "+strings.Join(batch, ","), err)
		}
		for _, a := range resp.MetricAlarms {
			ga := groupAlarm{Name: aws.ToString(a.AlarmName), Reason: aws.ToString(a.StateReason), InAlarm: a.StateValue == cwtypes.StateValueAlarm}
			if a.Period != nil {
				ga.Period = time.Duration(*a.Period) * time.Second
			}
			if a.EvaluationPeriods != nil {
				ga.EvaluationPeriods = *a.EvaluationPeriods
			}
			if a.DatapointsToAlarm != nil {
				ga.DatapointsToAlarm = *a.DatapointsToAlarm
			}
			out = append(out, ga)
		}
		for _, a := range resp.CompositeAlarms {
			out = append(out, groupAlarm{Name: aws.ToString(a.AlarmName), Reason: aws.ToString(a.StateReason), InAlarm: a.StateValue == cwtypes.StateValueAlarm})
		}
	}
	return out, nil
}

// alarmsInAlarm returns "name: reason" for each of the group's alarms in ALARM.
func (d *Deployer) alarmsInAlarm(ctx context.Context, names []string) ([]string, error) {
	alarms, err := d.describeAlarms(ctx, names)
	return firing(alarms), err
}

// readSoakMetrics reads green's metrics for the soak [start, end) over the whole
// minutes that began inside it (soakMinutes), all of them the same way, one period
// covering the window (so p99 is the window's). With no such minute yet there is
// nothing to read.
func (d *Deployer) readSoakMetrics(ctx context.Context, lbArn, tgArn string, start, end time.Time) (soakMetrics, error) {
	from, to, ok := soakMinutes(start, end)
	m := soakMetrics{From: from, To: to, Start: start, End: end}
	if !ok {
		return m, nil
	}
	period := int32(to.Sub(from) / time.Second)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(to),
		MetricDataQueries: soakQueries(lbArn, tgArn, period),
	}
	minutes := map[time.Time]*shiftMinute{}
	for {
		out, err := d.c.CloudWatch.GetMetricData(ctx, in)
		if err != nil {
			return m, readError("get metric data for "+targetGroupName(tgArn), err)
		}
		for _, r := range out.MetricDataResults {
			for i, v := range r.Values {
				// CloudWatch answers only for [from, to); an endpoint that rounds the start
				// down must not bring the minute before the soak back in.
				if i < len(r.Timestamps) && r.Timestamps[i].Before(from) {
					continue
				}
				if i < len(r.Timestamps) {
					soakMinuteFigure(minutes, aws.ToString(r.Id), r.Timestamps[i], v)
				}
				switch aws.ToString(r.Id) {
				case "requests":
					m.Requests += v
				case "errors":
					m.Target5xx += v
				case "elb5xx":
					m.ELB5xx += v
				case "connErrors":
					m.ConnErrors += v
				case "p99":
					m.P99, m.HasP99 = math.Max(m.P99, v), true
				case "recent":
					if i < len(r.Timestamps) && r.Timestamps[i].After(m.Latest) {
						m.Latest = r.Timestamps[i]
					}
				}
			}
		}
		if out.NextToken == nil {
			m.Minutes = sortedMinutes(minutes)
			return m, nil
		}
		in.NextToken = out.NextToken
	}
}

// albMetricQuery is one AWS/ApplicationELB statistic.
func albMetricQuery(id, metric, stat string, period int32, dims ...cwtypes.Dimension) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims},
		Period: aws.Int32(period), Stat: aws.String(stat),
	}}
}

// readShiftMetrics reads gate shift's per-minute figures (shiftQueries) over
// [from, to), every page.
func (d *Deployer) readShiftMetrics(ctx context.Context, lbArn, blueTG, greenTG string, from, to time.Time) ([]cwtypes.MetricDataResult, error) {
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(from), EndTime: aws.Time(to), MetricDataQueries: shiftQueries(lbArn, blueTG, greenTG, 60)}
	var out []cwtypes.MetricDataResult
	for {
		page, err := d.c.CloudWatch.GetMetricData(ctx, in)
		if err != nil {
			return nil, readError("get metric data for "+targetGroupName(greenTG)+" and "+targetGroupName(blueTG), err)
		}
		out = append(out, page.MetricDataResults...)
		if page.NextToken == nil {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}
