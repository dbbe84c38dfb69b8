package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// awsTime is a timestamp on the wire in each protocol's default format: epoch seconds (a JSON
// number) for JSON 1.x, CBOR tag 1 with epoch seconds for rpcv2-CBOR, and ISO 8601 for Query/XML.
// Optional timestamps are *awsTime: newTime turns a zero time into nil, which the encoders leave out.
type awsTime struct{ time.Time }

func newTime(t time.Time) *awsTime {
	if t.IsZero() {
		return nil
	}
	return &awsTime{t}
}

func (t awsTime) epoch() float64 {
	return float64(t.UnixMilli()) / 1e3
}

// MarshalJSON writes epoch seconds with millisecond precision.
func (t awsTime) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(t.epoch(), 'f', -1, 64)), nil
}

// UnmarshalJSON accepts epoch seconds or an ISO 8601 string.
func (t *awsTime) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		return t.parseEpoch(string(n))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	return t.parseText(s)
}

// MarshalCBOR writes tag 1 around epoch seconds as a float, as Smithy rpcv2-CBOR requires.
func (t awsTime) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: t.epoch()})
}

// UnmarshalCBOR accepts tag 1 around an integer or a float.
func (t *awsTime) UnmarshalCBOR(b []byte) error {
	var tag cbor.Tag
	if err := cbor.Unmarshal(b, &tag); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	switch v := tag.Content.(type) {
	case uint64:
		t.Time = time.Unix(int64(v), 0).UTC()
	case int64:
		t.Time = time.Unix(v, 0).UTC()
	case float64:
		t.Time = epochToTime(v)
	case float32:
		t.Time = epochToTime(float64(v))
	default:
		return fmt.Errorf("timestamp: unexpected tag content %T", tag.Content)
	}
	return nil
}

// MarshalText writes ISO 8601 in UTC with milliseconds, as the Query protocols do.
func (t awsTime) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

func (t *awsTime) parseEpoch(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", s, err)
	}
	t.Time = epochToTime(f)
	return nil
}

// parseText accepts what Query and JSON clients send: ISO 8601 or epoch seconds.
func (t *awsTime) parseText(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return t.parseEpoch(s)
}

func epochToTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC()
}
