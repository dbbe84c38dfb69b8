package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"
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
// CloudWatch's. Period is in AWS seconds, on the emulator's AWS clock like every period.
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
	// EvaluateLowSampleCountPercentile is ignore or evaluate (the default): what a percentile alarm
	// does with a period holding too few samples to be significant (see assessAlarm).
	EvaluateLowSampleCountPercentile string `json:",omitempty"`
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
	evaluatedTo   time.Time // end of the newest period evaluated
}

func cwInvalid(format string, args ...any) *awsError {
	return queryErr("InvalidParameterValueException", "InvalidParameterValue", http.StatusBadRequest, format, args...)
}

// PutMetricAlarm creates or replaces a metric alarm; it starts in INSUFFICIENT_DATA and is
// evaluated once per period (AWS time) against the data plane's metrics (see evaluateAlarm).
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
	case !validAlarmPeriod(in.Period):
		return nil, cwInvalid("The parameter Period must be 10, 20, 30 or a multiple of 60.")
	case in.EvaluationPeriods < 1:
		return nil, cwInvalid("EvaluationPeriods must be at least 1.")
	case !containsString([]string{"GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
		"LessThanOrEqualToThreshold"}, in.ComparisonOperator):
		return nil, cwInvalid("Invalid ComparisonOperator %q.", in.ComparisonOperator)
	case !containsString([]string{"", lowSampleEvaluate, lowSampleIgnore}, in.EvaluateLowSampleCountPercentile):
		return nil, cwInvalid("EvaluateLowSampleCountPercentile must be %s or %s, not %q.", lowSampleEvaluate,
			lowSampleIgnore, in.EvaluateLowSampleCountPercentile)
	}
	if in.DatapointsToAlarm == 0 {
		in.DatapointsToAlarm = in.EvaluationPeriods
	}
	if in.TreatMissingData == "" {
		in.TreatMissingData = "missing"
	}
	now := e.now()
	a := e.alarmByName(in.AlarmName)
	if a == nil {
		a = &metricAlarm{arn: e.arn("cloudwatch", "alarm:"+in.AlarmName), state: AlarmInsufficientData,
			reason: "Unchecked: Initial alarm creation", stateUpdated: now, transitioned: now}
		e.cw.alarms = append(e.cw.alarms, a)
	}
	a.spec, a.configUpdated, a.evaluatedTo = in, now, time.Time{}
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
	now := e.now()
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

// alarmOutcome returns the stop a deployment's alarm configuration calls for: any alarm in
// ALARM stops it (rolled back on DEPLOYMENT_STOP_ON_ALARM); an alarm that cannot be read stops it
// too unless ignorePollAlarmFailure. CodeDeploy watches from the deployment's start, so an alarm
// still in ALARM from an earlier burst (say the 503s ALB answers while a new service's first tasks
// start) stops a deployment created within its evaluation window at once.
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
