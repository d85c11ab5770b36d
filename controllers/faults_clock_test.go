package controllers

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	leadopsv1 "github.com/leadops/leadops/api/v1alpha1"
	"github.com/leadops/leadops/internal/store"
)

// TestClockJumpForwardAnHour: leads are routed every five minutes for an hour, so their first-touch
// deadlines spread over the next hour; then the clock jumps forward an hour at once (an NTP step, a
// VM resumed from suspend). Every breach due in the gap is recorded exactly once, with the deadline
// it missed, not the time of the jump; leads routed after the jump are not breached.
func TestClockJumpForwardAnHour(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			const (
				groups = 12 // one every 5 minutes: deadlines from +60m to +115m
				size   = 50
			)
			e := startEnv(t, backend, testNow)
			mustCreate(t, e.ns, bulkTeam)
			mustCreate(t, e.ns, faultPolicy)
			eventuallyCondition(t, e.policy("bulk"), leadopsv1.ConditionReady, "True", leadopsv1.ReasonReconciled)
			ctx := context.Background()
			drain := func() {
				t.Helper()
				NewWithT(t).Eventually(func() int {
					p, err := e.store.PendingLeads(ctx, store.PendingCursor{}, 10)
					if err != nil {
						t.Fatal(err)
					}
					return len(p)
				}).WithTimeout(time.Minute).WithPolling(20 * time.Millisecond).Should(BeZero())
			}
			for g := 0; g < groups; g++ {
				e.clock.Set(testNow.Add(time.Duration(g) * 5 * time.Minute))
				if _, err := e.store.UpsertLeads(ctx, faultLeads("jump", g*size, (g+1)*size), "test"); err != nil {
					t.Fatal(err)
				}
				drain()
			}
			// Nothing is due yet: the first deadline is testNow+60m, the clock at +55m.
			if n := len(e.audit(mustLead(t, e.store, "jump-00001"), "breached")); n != 0 {
				t.Fatalf("%d breaches before any deadline", n)
			}
			jumped := time.Now()
			e.clock.Step(time.Hour) // +55m → +1h55m: every deadline (+60m … +115m) falls in the gap
			// One qualified lead of each group (index 1 of the group) shows when its breach is in.
			NewWithT(t).Eventually(func() int {
				missing := 0
				for g := 0; g < groups; g++ {
					l, err := e.store.GetLeadByExternalID(ctx, fmt.Sprintf("jump-%05d", g*size+1))
					if err != nil {
						t.Fatal(err)
					}
					if l.FirstTouchBreachedAt == nil {
						missing++
					}
				}
				return missing
			}).WithTimeout(30*time.Second).WithPolling(20*time.Millisecond).Should(BeZero(), "breaches not recorded after the jump")
			recorded := time.Since(jumped)
			// Routed after the jump: due an hour later, not breached.
			if _, err := e.store.UpsertLeads(ctx, faultLeads("jump", groups*size, (groups+1)*size), "test"); err != nil {
				t.Fatal(err)
			}
			drain()
			time.Sleep(time.Second) // room for a duplicate breach to appear
			breached := checkStreamDecidedOnce(t, e.store, "jump", (groups+1)*size, e.clock.Now())
			if want := groups * size * 9 / 10; breached != want {
				t.Fatalf("%d breaches recorded, want %d (every qualified lead routed before the jump)", breached, want)
			}
			t.Logf("%s: clock jump +1h: %d breaches due in the gap recorded once with their deadlines, all within %v of the jump",
				backend, breached, recorded.Round(time.Millisecond))
			if recorded > 10*time.Second {
				t.Fatalf("breaches took %v after the jump; want within 10s", recorded)
			}
		})
	}
}

func mustLead(t *testing.T, st store.Backend, externalID string) string {
	t.Helper()
	l, err := st.GetLeadByExternalID(context.Background(), externalID)
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}
