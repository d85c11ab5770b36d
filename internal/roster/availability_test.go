package roster

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t0 := time.Date(2027, 1, 11, 10, 0, 0, 0, time.UTC)
	h := time.Hour
	away := func(from, to time.Duration) []Period { return []Period{{Start: t0.Add(from), End: t0.Add(to)}} }
	cases := []struct {
		name          string
		members       []Member
		wantAvailable int32
		wantCapacity  int32
		wantNext      time.Time
	}{
		{name: "empty team"},
		{
			name:          "all enabled, none away",
			members:       []Member{{Name: "a", Capacity: 5, Enabled: true}, {Name: "b", Capacity: 7, Enabled: true}},
			wantAvailable: 2, wantCapacity: 12,
		},
		{
			name:          "disabled member does not count and schedules nothing",
			members:       []Member{{Name: "a", Capacity: 5, Enabled: false, Away: away(h, 2*h)}},
			wantAvailable: 0, wantCapacity: 0,
		},
		{
			name:          "currently away until +2h",
			members:       []Member{{Name: "a", Capacity: 5, Enabled: true, Away: away(-h, 2*h)}},
			wantAvailable: 0, wantCapacity: 0, wantNext: t0.Add(2 * h),
		},
		{
			name:          "away starts exactly now (start is inclusive)",
			members:       []Member{{Name: "a", Capacity: 5, Enabled: true, Away: away(0, h)}},
			wantAvailable: 0, wantNext: t0.Add(h),
		},
		{
			name:          "away ended exactly now (end is exclusive)",
			members:       []Member{{Name: "a", Capacity: 5, Enabled: true, Away: away(-h, 0)}},
			wantAvailable: 1, wantCapacity: 5,
		},
		{
			name: "next change is the earliest future edge across members",
			members: []Member{
				{Name: "a", Capacity: 5, Enabled: true, Away: away(3*h, 4*h)},
				{Name: "b", Capacity: 3, Enabled: true, Away: away(-h, 90*time.Minute)},
			},
			wantAvailable: 1, wantCapacity: 5, wantNext: t0.Add(90 * time.Minute),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.members, t0)
			if s.Members != int32(len(tc.members)) || s.Available != tc.wantAvailable || s.Capacity != tc.wantCapacity || !s.NextChange.Equal(tc.wantNext) {
				t.Fatalf("got %+v, want available=%d capacity=%d next=%v", s, tc.wantAvailable, tc.wantCapacity, tc.wantNext)
			}
		})
	}
}
