package deployer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMinutesJudged(t *testing.T) {
	t.Parallel()
	at := func(hms string) time.Time {
		tm, err := time.Parse("15:04:05", hms)
		if err != nil {
			panic(err)
		}
		return time.Date(2026, 1, 2, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
	}
	cases := []struct {
		name               string
		start, end, latest time.Time
		want               int
	}{
		{"a 5-minute soak whose last minute was published judged 5", at("12:00:30"), at("12:05:30"), at("12:05:00"), 5},
		{"the minute the gate began in is not its own", at("12:00:30"), at("12:02:00"), at("12:01:00"), 1},
		{"a gate that began on the minute judges that minute", at("12:00:00"), at("12:02:00"), at("12:01:00"), 2},
		{"minutes not yet published were not judged", at("12:00:30"), at("12:05:30"), at("12:03:00"), 3},
		{"a later datapoint than the window counts only the window", at("12:00:30"), at("12:05:30"), at("12:09:00"), 5},
		{"no datapoint at all judged nothing", at("12:00:30"), at("12:05:30"), time.Time{}, 0},
		{"a datapoint from before the window judged nothing", at("12:00:30"), at("12:05:30"), at("12:00:00"), 0},
		{"a gate shorter than a minute judged no whole minute", at("12:00:10"), at("12:00:50"), at("12:00:00"), 0},
		{"a latest inside its minute counts that minute", at("12:00:30"), at("12:05:30"), at("12:02:59"), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, minutesJudged(tc.start, tc.end, tc.latest))
		})
	}
}
