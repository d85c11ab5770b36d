package roster

import (
	"strings"
	"testing"
	"time"
)

func TestOverCapacity(t *testing.T) {
	week := 7 * 24 * time.Hour
	cases := []struct {
		name       string
		f          Flow
		over       bool
		reason     string
		wantSubstr string
	}{
		{"idle team", Flow{Capacity: 40, Window: week}, false, "WithinCapacity", "received 0 leads and closed out 0"},
		{"keeping up", Flow{Open: 10, Capacity: 40, In: 70, Out: 70, Window: week}, false, "WithinCapacity", "closed out 70"},
		{"inflow outruns but room left", Flow{Open: 30, Capacity: 40, In: 84, Out: 70, Window: week}, false, "WithinCapacity", "+2.0 per day"},
		{"exactly at capacity is not over", Flow{Open: 40, Capacity: 40, In: 7, Out: 7, Window: week}, false, "WithinCapacity", ""},
		{"load above capacity", Flow{Open: 45, Capacity: 40, In: 140, Out: 70, Window: week}, true, "LoadAboveCapacity", "45 open leads against a capacity of 40; over the last 7 days the team received 140 leads and closed out 70 (+10.0 per day)"},
		{"queued leads", Flow{Open: 40, Capacity: 40, Queued: 12, In: 100, Out: 30, Window: week}, true, "LeadsQueued", "12 leads wait for a member with room; over the last 7 days the team received 100 leads and closed out 30 (+10.0 per day)"},
		{"no capacity at all and leads open", Flow{Open: 3, Capacity: 0, Window: week}, true, "LoadAboveCapacity", ""},
		{"one-day window", Flow{Queued: 1, In: 5, Out: 1, Window: 24 * time.Hour}, true, "LeadsQueued", "over the last day"},
		{"shrinking backlog", Flow{Queued: 2, In: 7, Out: 21, Window: week}, true, "LeadsQueued", "(-2.0 per day)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := OverCapacity(tc.f)
			if v.Over != tc.over || v.Reason != tc.reason {
				t.Fatalf("got %+v, want over=%v reason=%s", v, tc.over, tc.reason)
			}
			if tc.wantSubstr != "" && !strings.Contains(v.Message, tc.wantSubstr) {
				t.Fatalf("message %q does not contain %q", v.Message, tc.wantSubstr)
			}
		})
	}
}
