package emulator

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/ai-bluegreen/ai-bluegreen/tests/emulator/dataplane"
)

// Alarm states.
const (
	AlarmOK               = "OK"
	AlarmAlarm            = "ALARM"
	AlarmInsufficientData = "INSUFFICIENT_DATA"
)

// Dimension is a CloudWatch metric dimension (LoadBalancer=app/name/id, TargetGroup=targetgroup/name/id).
type Dimension struct {
	Name  string
	Value string
}

// MetricAlarmInput is PutMetricAlarm's input for a single-metric alarm; the field names are
// CloudWatch's. Period is in AWS seconds and is divided by the time scale when evaluating.
type MetricAlarmInput struct {
	AlarmName               string
	AlarmDescription        string      `json:",omitempty"`
	ActionsEnabled          *bool       `json:",omitempty"`
	OKActions               []string    `json:",omitempty"`
	AlarmActions            []string    `json:",omitempty"`
	InsufficientDataActions []string    `json:",omitempty"`
	Namespace               string      `json:",omitempty"`
	MetricName              string      `json:",omitempty"`
	Dimensions              []Dimension `json:",omitempty"`
	Statistic               string      `json:",omitempty"` // Sum, Average, Minimum, Maximum, SampleCount
	ExtendedStatistic       string      `json:",omitempty"` // p99 ...
	Period                  int         `json:",omitempty"`
	Unit                    string      `json:",omitempty"`
	EvaluationPeriods       int         `json:",omitempty"`
	DatapointsToAlarm       int         `json:",omitempty"`
	Threshold               float64
	ComparisonOperator      string `json:",omitempty"`
	TreatMissingData        string `json:",omitempty"` // missing (default), notBreaching, breaching, ignore
}

type cwState struct {
	alarms []*metricAlarm
}

func (s *cwState) init() {}

type metricAlarm struct {
	spec          MetricAlarmInput
	arn           string
	state         string
	reason        string
	reasonData    string
	stateUpdated  time.Time
	transitioned  time.Time
	configUpdated time.Time
	nextEval      time.Time
}

func cwInvalid(format string, args ...any) *awsError {
	return queryErr("InvalidParameterValueException", "InvalidParameterValue", http.StatusBadRequest, format, args...)
}

// PutMetricAlarm creates or replaces a metric alarm; it starts in INSUFFICIENT_DATA and is
// evaluated every (scaled) period against the data plane's metrics.
func (e *Emulator) PutMetricAlarm(in MetricAlarmInput) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, err := e.putMetricAlarm(in)
	if err != nil {
		return "", fmt.Errorf("put metric alarm %s: %w", in.AlarmName, err)
	}
	return a.arn, nil
}

func (e *Emulator) putMetricAlarm(in MetricAlarmInput) (*metricAlarm, error) {
	switch {
	case in.AlarmName == "":
		return nil, queryErr("MissingRequiredParameterException", "MissingParameter", http.StatusBadRequest,
			"The parameter AlarmName is required.")
	case in.MetricName == "" || in.Namespace == "":
		return nil, cwInvalid("The emulator supports single-metric alarms: MetricName and Namespace are required.")
	case (in.Statistic == "") == (in.ExtendedStatistic == ""):
		return nil, queryErr("InvalidParameterCombinationException", "InvalidParameterCombination", http.StatusBadRequest,
			"Exactly one of Statistic and ExtendedStatistic must be specified.")
	case in.Period < 1 || in.EvaluationPeriods < 1:
		return nil, cwInvalid("Period and EvaluationPeriods must be at least 1.")
	case !containsString([]string{"GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
		"LessThanOrEqualToThreshold"}, in.ComparisonOperator):
		return nil, cwInvalid("Invalid ComparisonOperator %q.", in.ComparisonOperator)
	}
	if in.DatapointsToAlarm == 0 {
		in.DatapointsToAlarm = in.EvaluationPeriods
	}
	if in.TreatMissingData == "" {
		in.TreatMissingData = "missing"
	}
	now := time.Now()
	a := e.alarmByName(in.AlarmName)
	if a == nil {
		a = &metricAlarm{arn: e.arn("cloudwatch", "alarm:"+in.AlarmName), state: AlarmInsufficientData,
			reason: "Unchecked: Initial alarm creation", stateUpdated: now, transitioned: now}
		e.cw.alarms = append(e.cw.alarms, a)
	}
	a.spec, a.configUpdated, a.nextEval = in, now, now.Add(e.d(float64(in.Period)))
	return a, nil
}

// SetAlarmState sets an alarm's state until its next evaluation, as the API does.
func (e *Emulator) SetAlarmState(name, state, reason string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.alarmByName(name)
	if a == nil {
		return fmt.Errorf("set alarm state: alarm %s not found", name)
	}
	e.setAlarmState(a, state, reason, "")
	return nil
}

// AlarmState returns an alarm's current state.
func (e *Emulator) AlarmState(name string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.alarmByName(name)
	if a == nil {
		return "", fmt.Errorf("alarm %s not found", name)
	}
	return a.state, nil
}

func (e *Emulator) setAlarmState(a *metricAlarm, state, reason, data string) {
	now := time.Now()
	if a.state != state {
		a.transitioned = now
		e.log.Info("cloudwatch alarm state", "alarm", a.spec.AlarmName, "state", state, "reason", reason)
	}
	a.state, a.reason, a.reasonData, a.stateUpdated = state, reason, data, now
}

func (e *Emulator) alarmByName(name string) *metricAlarm {
	for _, a := range e.cw.alarms {
		if a.spec.AlarmName == name {
			return a
		}
	}
	return nil
}

// evaluateAlarms evaluates each alarm once per (scaled) period.
func (e *Emulator) evaluateAlarms() {
	defer e.wg.Done()
	for e.sleep(e.supervisorTick()) {
		e.mu.Lock()
		now := time.Now()
		for _, a := range e.cw.alarms {
			if now.Before(a.nextEval) {
				continue
			}
			a.nextEval = now.Add(e.d(float64(a.spec.Period)))
			e.evaluateAlarm(a, now)
		}
		e.mu.Unlock()
	}
}

// evaluateAlarm applies CloudWatch's M-out-of-N rule over the last EvaluationPeriods periods,
// with TreatMissingData deciding what periods without data count as.
func (e *Emulator) evaluateAlarm(a *metricAlarm, now time.Time) {
	s := a.spec
	period := e.d(float64(s.Period))
	stat := s.Statistic
	if stat == "" {
		stat = s.ExtendedStatistic
	}
	start := now.Add(-time.Duration(s.EvaluationPeriods) * period)
	_, values := e.queryMetric(s.Namespace, s.MetricName, s.Dimensions, stat, start, now, period)
	present := len(values)
	missing := max(s.EvaluationPeriods-present, 0)
	breaching := 0
	for _, v := range values {
		if compare(s.ComparisonOperator, v, s.Threshold) {
			breaching++
		}
	}
	switch s.TreatMissingData {
	case "breaching":
		breaching += missing
		present += missing
	case "notBreaching":
		present += missing
	case "ignore":
		if present == 0 {
			return
		}
	default:
		if present == 0 {
			e.setAlarmState(a, AlarmInsufficientData, "Insufficient Data: no datapoints were received for "+
				fmt.Sprint(s.EvaluationPeriods)+" periods.", "")
			return
		}
	}
	state := AlarmOK
	if breaching >= s.DatapointsToAlarm {
		state = AlarmAlarm
	}
	verb := "was not"
	if state == AlarmAlarm {
		verb = "was"
	}
	reason := fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints %s %s the threshold (%s) "+
		"(minimum %d datapoint for OK -> ALARM transition).", breaching, s.EvaluationPeriods, verb,
		comparisonWords(s.ComparisonOperator), formatFloat(s.Threshold), s.DatapointsToAlarm)
	if state != a.state || a.reason != reason {
		e.setAlarmState(a, state, reason, "")
	}
}

func compare(op string, v, threshold float64) bool {
	switch op {
	case "GreaterThanThreshold":
		return v > threshold
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

func comparisonWords(op string) string {
	switch op {
	case "GreaterThanThreshold":
		return "greater than"
	case "GreaterThanOrEqualToThreshold":
		return "greater than or equal to"
	case "LessThanThreshold":
		return "less than"
	}
	return "less than or equal to"
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprint(f)
}

// queryMetric answers an AWS/ApplicationELB metric from the data plane Recorder: the TargetGroup
// dimension selects a group; a LoadBalancer dimension alone aggregates the load balancer's
// listeners. Other namespaces have no data.
func (e *Emulator) queryMetric(namespace, metric string, dims []Dimension, stat string, start, end time.Time,
	period time.Duration) ([]time.Time, []float64) {
	if namespace != "AWS/ApplicationELB" || period <= 0 {
		return nil, nil
	}
	q := dataplane.MetricQuery{Metric: metric, Stat: stat, Start: start, End: end, Period: period}
	var lb *loadBalancer
	for _, d := range dims {
		switch d.Name {
		case "TargetGroup":
			g := e.targetGroupBySuffix(d.Value)
			if g == nil {
				return nil, nil
			}
			q.Group = g.dp
		case "LoadBalancer":
			if lb = e.loadBalancerBySuffix(d.Value); lb == nil {
				return nil, nil
			}
		}
	}
	if q.Group != nil || lb == nil || len(e.elb.lbs) == 1 {
		return e.recorder.Query(q)
	}
	return e.queryListeners(q, e.listenersOf(lb))
}

// queryListeners merges one query over several listeners: sums and counts add, extremes combine;
// averages and percentiles are weighted by request counts (an approximation for percentiles).
func (e *Emulator) queryListeners(q dataplane.MetricQuery, ls []*listener) ([]time.Time, []float64) {
	type acc struct{ v, w float64 }
	merged := map[time.Time]*acc{}
	var order []time.Time
	for _, l := range ls {
		q.Listener = l.dp
		ts, vs := e.recorder.Query(q)
		wq := q
		wq.Metric, wq.Stat = "RequestCount", "Sum"
		wts, wvs := e.recorder.Query(wq)
		weights := map[time.Time]float64{}
		for i, t := range wts {
			weights[t] = wvs[i]
		}
		for i, t := range ts {
			a, ok := merged[t]
			if !ok {
				a = &acc{v: math.NaN()}
				merged[t] = a
				order = append(order, t)
			}
			a.v, a.w = mergeStat(q.Stat, a.v, a.w, vs[i], weights[t])
		}
	}
	sortTimes(order)
	values := make([]float64, len(order))
	for i, t := range order {
		values[i] = merged[t].v
	}
	return order, values
}

func mergeStat(stat string, have, haveW, v, w float64) (float64, float64) {
	if math.IsNaN(have) {
		return v, w
	}
	switch {
	case stat == "Sum" || stat == "SampleCount":
		return have + v, haveW + w
	case stat == "Minimum":
		return math.Min(have, v), haveW + w
	case stat == "Maximum":
		return math.Max(have, v), haveW + w
	case haveW+w == 0:
		return (have + v) / 2, 0
	}
	return (have*haveW + v*w) / (haveW + w), haveW + w
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// alarmOutcome returns the stop a deployment's alarm configuration calls for: any alarm in
// ALARM stops it (rolled back on DEPLOYMENT_STOP_ON_ALARM); an alarm that cannot be read stops it
// too unless ignorePollAlarmFailure.
func (e *Emulator) alarmOutcome(d *deployment) *outcome {
	cfg := d.group.alarmConfig()
	if d.alarmOverride != nil {
		cfg = *d.alarmOverride
	}
	if !cfg.Enabled || d.creator == "codeDeployRollback" {
		return nil
	}
	var firing []string
	for _, al := range cfg.Alarms {
		a := e.alarmByName(al.Name)
		if a == nil {
			if cfg.IgnorePollAlarmFailure {
				continue
			}
			return &outcome{status: statusStopped, code: "ALARM_ACTIVE", rollbackEvent: "DEPLOYMENT_STOP_ON_ALARM",
				message: "The deployment was stopped because the state of alarm " + al.Name + " could not be retrieved from CloudWatch."}
		}
		if a.state == AlarmAlarm {
			firing = append(firing, al.Name)
		}
	}
	if len(firing) == 0 {
		return nil
	}
	return &outcome{status: statusStopped, code: "ALARM_ACTIVE", rollbackEvent: "DEPLOYMENT_STOP_ON_ALARM",
		message: "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, " +
			"and the affected deployments have been stopped. Activated alarms: <" + strings.Join(firing, ", ") + ">"}
}
