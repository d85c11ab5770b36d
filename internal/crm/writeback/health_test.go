package writeback

import (
	"strings"
	"testing"
	"time"
)

func TestHealthEvaluate(t *testing.T) {
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		h       Health
		reason  string
		contain []string
	}{
		{"caught up", Health{Connections: []string{"hs"}, Written: 3}, ReasonHealthy, []string{"hs", "caught up", "3 owners written"}},
		{"pending under the threshold", Health{Connections: []string{"hs"}, PendingSince: now.Add(-2 * time.Minute)}, ReasonHealthy, []string{"2m"}},
		{"lagging", Health{Connections: []string{"hs"}, Written: 1, PendingSince: now.Add(-6 * time.Minute)}, ReasonLagging,
			[]string{"6m", "threshold 5m", "1 owner written"}},
		{"blocked", Health{Connections: []string{"sf"}, Blocked: "connection sf: HTTP 500", PendingSince: now.Add(-time.Minute)}, ReasonFailing,
			[]string{"HTTP 500", "1m"}},
		{"recent failure", Health{Connections: []string{"sf"}, Written: 4, Failed: 2, LastFailure: "ENTITY_IS_DELETED", LastFailureAt: now.Add(-10 * time.Minute)},
			ReasonFailing, []string{"ENTITY_IS_DELETED", "2 owners given up on", "10m ago"}},
		{"old failure", Health{Connections: []string{"sf"}, Written: 4, Failed: 2, LastFailure: "ENTITY_IS_DELETED", LastFailureAt: now.Add(-20 * time.Minute)},
			ReasonHealthy, []string{"2 owners given up on"}},
	} {
		v := tc.h.Evaluate(now, DefaultThresholds)
		if v.Reason != tc.reason || v.Healthy != (tc.reason == ReasonHealthy) {
			t.Errorf("%s: verdict %+v, want reason %s", tc.name, v, tc.reason)
		}
		for _, s := range tc.contain {
			if !strings.Contains(v.Message, s) {
				t.Errorf("%s: message %q lacks %q", tc.name, v.Message, s)
			}
		}
	}
}

func TestRegistryAggregatesConnections(t *testing.T) {
	r := NewRegistry()
	r.Pending("ns/p", "hs", t0.Add(time.Minute))
	r.Pending("ns/p", "sf", t0)
	r.Written("ns/p", "hs", 2)
	r.Failed("ns/p", "sf", "ENTITY_IS_DELETED", t0.Add(2*time.Minute))
	r.Blocked("ns/p", "sf", "connection sf: HTTP 503")
	select {
	case <-r.Changed():
	default:
		t.Error("no change signalled")
	}
	h, ok := r.Health("ns/p")
	if !ok || strings.Join(h.Connections, ",") != "hs,sf" || h.Written != 2 || h.Failed != 1 || !h.PendingSince.Equal(t0) || h.Blocked == "" {
		t.Errorf("health = %+v, %v", h, ok)
	}
	r.Settled("ns/p", "sf")
	if h, _ := r.Health("ns/p"); h.Blocked != "" || !h.PendingSince.Equal(t0.Add(time.Minute)) {
		t.Errorf("after sf settled: %+v, want hs's pending time and nothing blocked", h)
	}
	if _, ok := r.Health("ns/other"); ok {
		t.Error("a policy without reports has health")
	}
}
