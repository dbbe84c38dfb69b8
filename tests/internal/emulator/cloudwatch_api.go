package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (e *Emulator) cloudWatchService() *service {
	return &service{
		name:          "cloudwatch",
		signingName:   "monitoring",
		targetPrefix:  "GraniteServiceVersion20100801",
		queryVersion:  "2010-08-01",
		queryNS:       "http://monitoring.amazonaws.com/doc/2010-08-01/",
		internalShape: "InternalServiceFault",
		ops: map[string]operation{
			"GetMetricData":  op(e.getMetricData),
			"DescribeAlarms": op(e.describeAlarms),
			"SetAlarmState":  op(e.setAlarmStateAPI),
			"PutMetricAlarm": op(e.putMetricAlarmAPI),
			"DeleteAlarms":   op(e.deleteAlarms),
		},
	}
}

type metric struct {
	Namespace  string
	MetricName string
	Dimensions []Dimension
}

type metricStat struct {
	Metric metric
	Period int
	Stat   string
	Unit   string `json:",omitempty"`
}

type metricDataQuery struct {
	Id         string
	MetricStat *metricStat `json:",omitempty"`
	Expression string      `json:",omitempty"`
	Label      string      `json:",omitempty"`
	ReturnData *bool       `json:",omitempty"`
	Period     int         `json:",omitempty"`
}

type getMetricDataInput struct {
	MetricDataQueries []metricDataQuery
	StartTime         awsTime
	EndTime           awsTime
	ScanBy            string
	MaxDatapoints     int
	NextToken         string
}

type messageData struct {
	Code  string
	Value string
}

type metricDataResult struct {
	Id         string
	Label      string
	Timestamps []awsTime
	Values     []float64
	StatusCode string
	Messages   []messageData
}

type getMetricDataOutput struct {
	MetricDataResults []metricDataResult
	Messages          []messageData
	NextToken         string `json:",omitempty"`
}

// maxDatapoints is GetMetricData's page when MaxDatapoints is absent (its documented default).
const maxDatapoints = 100_800

// pageDatapoints keeps the page of every result's datapoints that the token starts, MaxDatapoints
// in all, counted across the results in order; a result cut short is PartialData.
func pageDatapoints(out *getMetricDataOutput, token string, size int) error {
	if size <= 0 {
		size = maxDatapoints
	}
	total := 0
	for _, r := range out.MetricDataResults {
		total += len(r.Values)
	}
	from, next, ok := pageOf(make([]struct{}, total), token, size)
	if !ok {
		return queryErr("InvalidNextToken", "InvalidNextToken", http.StatusBadRequest, "The NextToken %q is not valid.", token)
	}
	start, _ := strconv.Atoi(token)
	end := start + len(from)
	seen := 0
	for i := range out.MetricDataResults {
		r := &out.MetricDataResults[i]
		n := len(r.Values)
		lo, hi := min(max(start-seen, 0), n), min(max(end-seen, 0), n)
		if hi < n {
			r.StatusCode = "PartialData"
		}
		r.Timestamps, r.Values = r.Timestamps[lo:hi], r.Values[lo:hi]
		seen += n
	}
	out.NextToken = next
	return nil
}

// getMetricData answers MetricStat queries from the data plane and evaluates arithmetic
// expressions over them. Periods and times are AWS time, like the caller's (an in-process deployer
// runs on the emulator's clock). Like CloudWatch it rounds the start down to the period's clock
// boundary (a whole minute for minute periods) and returns nothing newer than the publish delay: a
// request made a moment ago is not in CloudWatch yet.
func (e *Emulator) getMetricData(_ context.Context, in *getMetricDataInput) (*getMetricDataOutput, error) {
	if len(in.MetricDataQueries) == 0 {
		return nil, queryErr("MissingRequiredParameterException", "MissingParameter", http.StatusBadRequest,
			"The parameter MetricDataQueries is required.")
	}
	if !in.EndTime.After(in.StartTime.Time) {
		return nil, cwInvalid("The parameter StartTime must be less than the parameter EndTime.")
	}
	series, err := e.metricStatSeries(in)
	if err != nil {
		return nil, err
	}
	out := &getMetricDataOutput{MetricDataResults: []metricDataResult{}, Messages: []messageData{}}
	for _, q := range in.MetricDataQueries {
		r := metricDataResult{Id: q.Id, Label: q.Label, StatusCode: "Complete", Timestamps: []awsTime{},
			Values: []float64{}, Messages: []messageData{}}
		s := series[q.Id]
		if q.MetricStat != nil && r.Label == "" {
			r.Label = q.MetricStat.Metric.MetricName
		}
		if q.MetricStat == nil {
			if q.Expression == "" {
				return nil, cwInvalid("The query %s needs a MetricStat or an Expression.", q.Id)
			}
			if s, err = evalExpression(q.Expression, series); err != nil {
				return nil, cwInvalid("Error in expression %s: %v", q.Id, err)
			}
			series[q.Id] = s
			if r.Label == "" {
				r.Label = q.Id
			}
		}
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		times := s.times()
		if in.ScanBy != "TimestampAscending" {
			sort.Slice(times, func(i, j int) bool { return times[i].After(times[j]) })
		}
		for _, t := range times {
			r.Timestamps = append(r.Timestamps, awsTime{t})
			r.Values = append(r.Values, s[t])
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, pageDatapoints(out, in.NextToken, in.MaxDatapoints)
}

// metricStatSeries answers each MetricStat query of a GetMetricData request, by query id.
func (e *Emulator) metricStatSeries(in *getMetricDataInput) (map[string]timeSeries, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	published := e.now().Add(-seconds(e.publishDelay))
	series := map[string]timeSeries{}
	for _, q := range in.MetricDataQueries {
		if q.MetricStat == nil {
			continue
		}
		p := q.MetricStat.Period
		if !validQueryPeriod(p) {
			return nil, cwInvalid("The parameter MetricDataQueries.member.MetricStat.Period must be 1, 5, 10, 20, 30 or a multiple of 60.")
		}
		m := q.MetricStat.Metric
		period := time.Duration(p) * time.Second
		start := in.StartTime.Truncate(min(period, time.Minute))
		end := in.EndTime.Time
		if end.After(published) {
			end = published
		}
		// Nothing older than CloudWatch keeps is in an answer; without this, a start years back
		// made the data plane allocate a bucket per period of the whole range.
		if oldest := end.Add(-metricRetention(p)); start.Before(oldest) {
			start = oldest.Truncate(min(period, time.Minute))
		}
		var ts []time.Time
		var vs []float64
		if standardResolution(m.Namespace, p) && end.After(start) {
			ts, vs = e.queryMetric(m, q.MetricStat.Stat, q.MetricStat.Unit, start, end, period)
		}
		series[q.Id] = newTimeSeries(ts, vs)
	}
	return series, nil
}

// metricRetention is how long CloudWatch keeps datapoints of a period: under a minute 3 hours,
// one minute 15 days, five minutes 63 days, an hour 455 days (CloudWatch concepts, metrics retention).
func metricRetention(period int) time.Duration {
	const day = 24 * time.Hour
	switch {
	case period < 60:
		return 3 * time.Hour
	case period < 300:
		return 15 * day
	case period < 3600:
		return 63 * day
	}
	return 455 * day
}

type describeAlarmsInput struct {
	AlarmNames      []string
	AlarmNamePrefix string
	AlarmTypes      []string
	StateValue      string
	MaxRecords      int
	NextToken       string
}

type metricAlarmDescription struct {
	AlarmName                          string
	AlarmArn                           string
	AlarmDescription                   string `json:",omitempty"`
	AlarmConfigurationUpdatedTimestamp *awsTime
	ActionsEnabled                     bool
	OKActions                          []string
	AlarmActions                       []string
	InsufficientDataActions            []string
	StateValue                         string
	StateReason                        string
	StateReasonData                    string `json:",omitempty"`
	StateUpdatedTimestamp              *awsTime
	MetricName                         string
	Namespace                          string
	Statistic                          string `json:",omitempty"`
	ExtendedStatistic                  string `json:",omitempty"`
	Dimensions                         []Dimension
	Period                             int
	Unit                               string `json:",omitempty"`
	EvaluationPeriods                  int
	DatapointsToAlarm                  int
	Threshold                          float64
	ComparisonOperator                 string
	TreatMissingData                   string
	EvaluateLowSampleCountPercentile   string `json:",omitempty"`
	StateTransitionedTimestamp         *awsTime
}

type describeAlarmsOutput struct {
	MetricAlarms    []metricAlarmDescription
	CompositeAlarms []struct{}
	NextToken       string `json:",omitempty"`
}

func (a *metricAlarm) describe() metricAlarmDescription {
	s := a.spec
	return metricAlarmDescription{AlarmName: s.AlarmName, AlarmArn: a.arn, AlarmDescription: s.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: newTime(a.configUpdated), ActionsEnabled: s.ActionsEnabled == nil || *s.ActionsEnabled,
		OKActions: nonNil(s.OKActions), AlarmActions: nonNil(s.AlarmActions),
		InsufficientDataActions: nonNil(s.InsufficientDataActions), StateValue: a.state, StateReason: a.reason,
		StateReasonData: a.reasonData, StateUpdatedTimestamp: newTime(a.stateUpdated), MetricName: s.MetricName,
		Namespace: s.Namespace, Statistic: s.Statistic, ExtendedStatistic: s.ExtendedStatistic,
		Dimensions: nonNil(s.Dimensions), Period: s.Period, Unit: s.Unit, EvaluationPeriods: s.EvaluationPeriods,
		DatapointsToAlarm: s.DatapointsToAlarm, Threshold: s.Threshold, ComparisonOperator: s.ComparisonOperator,
		TreatMissingData: s.TreatMissingData, EvaluateLowSampleCountPercentile: s.EvaluateLowSampleCountPercentile,
		StateTransitionedTimestamp: newTime(a.transitioned)}
}

func (e *Emulator) describeAlarms(_ context.Context, in *describeAlarmsInput) (*describeAlarmsOutput, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := &describeAlarmsOutput{MetricAlarms: []metricAlarmDescription{}, CompositeAlarms: []struct{}{}}
	if len(in.AlarmTypes) > 0 && !containsString(in.AlarmTypes, "MetricAlarm") {
		return out, nil
	}
	list := append([]*metricAlarm(nil), e.cw.alarms...)
	sort.Slice(list, func(i, j int) bool { return list[i].spec.AlarmName < list[j].spec.AlarmName })
	for _, a := range list {
		switch {
		case len(in.AlarmNames) > 0 && !containsString(in.AlarmNames, a.spec.AlarmName),
			in.AlarmNamePrefix != "" && !strings.HasPrefix(a.spec.AlarmName, in.AlarmNamePrefix),
			in.StateValue != "" && a.state != in.StateValue:
			continue
		}
		out.MetricAlarms = append(out.MetricAlarms, a.describe())
	}
	// CloudWatch documents MaxRecords as 1-100 but not its default: 50 is an estimate.
	n, ok := pageSize(in.MaxRecords, 50, 1, 100)
	if !ok {
		return nil, cwInvalid("The parameter MaxRecords must be between 1 and 100.")
	}
	if out.MetricAlarms, out.NextToken, ok = pageOf(out.MetricAlarms, in.NextToken, n); !ok {
		return nil, queryErr("InvalidNextToken", "InvalidNextToken", http.StatusBadRequest, "The NextToken %q is not valid.", in.NextToken)
	}
	return out, nil
}

type setAlarmStateInput struct {
	AlarmName       string
	StateValue      string
	StateReason     string
	StateReasonData string
}

func (e *Emulator) setAlarmStateAPI(_ context.Context, in *setAlarmStateInput) (*empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.alarmByName(in.AlarmName)
	if a == nil {
		return nil, queryErr("ResourceNotFound", "ResourceNotFound", http.StatusNotFound, "Alarm %s not found", in.AlarmName)
	}
	if !containsString([]string{AlarmOK, AlarmAlarm, AlarmInsufficientData}, in.StateValue) {
		return nil, cwInvalid("Invalid StateValue %q.", in.StateValue)
	}
	if in.StateReasonData != "" && !json.Valid([]byte(in.StateReasonData)) {
		return nil, queryErr("InvalidFormatFault", "InvalidFormat", http.StatusBadRequest, "StateReasonData is not valid JSON.")
	}
	e.setAlarmState(a, in.StateValue, in.StateReason, in.StateReasonData)
	return &empty{}, nil
}

func (e *Emulator) putMetricAlarmAPI(_ context.Context, in *MetricAlarmInput) (*empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.putMetricAlarm(*in); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type deleteAlarmsInput struct {
	AlarmNames []string
}

func (e *Emulator) deleteAlarms(_ context.Context, in *deleteAlarmsInput) (*empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range in.AlarmNames {
		if e.alarmByName(n) == nil {
			return nil, queryErr("ResourceNotFound", "ResourceNotFound", http.StatusNotFound, "Alarm %s not found", n)
		}
	}
	keep := e.cw.alarms[:0]
	for _, a := range e.cw.alarms {
		if !containsString(in.AlarmNames, a.spec.AlarmName) {
			keep = append(keep, a)
		}
	}
	e.cw.alarms = keep
	return &empty{}, nil
}
