package routing

import (
	"testing"
)

func c(name string, capacity, open int) Candidate {
	return Candidate{Name: name, Capacity: capacity, Open: open, Weight: 1, Available: true}
}

func TestChoose(t *testing.T) {
	away := func(x Candidate) Candidate { x.Available = false; return x }
	weight := func(x Candidate, w int) Candidate { x.Weight = w; return x }
	cases := []struct {
		name     string
		strategy string
		cands    []Candidate
		state    RuleState
		owner    string
		exclude  map[string]bool
		want     string
		wantFull bool
	}{
		{name: "round robin starts with the first name", strategy: RoundRobin, cands: []Candidate{c("b", 5, 0), c("a", 5, 0)}, want: "a"},
		{name: "round robin continues after the last winner", strategy: RoundRobin, cands: []Candidate{c("a", 5, 0), c("b", 5, 0), c("c", 5, 0)}, state: RuleState{Last: "a"}, want: "b"},
		{name: "round robin wraps around", strategy: RoundRobin, cands: []Candidate{c("a", 5, 0), c("b", 5, 0)}, state: RuleState{Last: "b"}, want: "a"},
		{name: "round robin skips an unavailable member", strategy: RoundRobin, cands: []Candidate{c("a", 5, 0), away(c("b", 5, 0)), c("c", 5, 0)}, state: RuleState{Last: "a"}, want: "c"},
		{name: "round robin skips a full member", strategy: RoundRobin, cands: []Candidate{c("a", 5, 0), c("b", 5, 5), c("c", 5, 0)}, state: RuleState{Last: "a"}, want: "c"},
		{name: "round robin when the last winner left the team", strategy: RoundRobin, cands: []Candidate{c("a", 5, 0), c("c", 5, 0)}, state: RuleState{Last: "b"}, want: "c"},
		{name: "capacity edge: one slot left is eligible", strategy: RoundRobin, cands: []Candidate{c("a", 5, 4)}, want: "a"},
		{name: "capacity edge: over capacity is not", strategy: LeastLoaded, cands: []Candidate{c("a", 5, 7)}, wantFull: true},
		{name: "everyone full queues", strategy: RoundRobin, cands: []Candidate{c("a", 2, 2), c("b", 3, 3)}, wantFull: true},
		{name: "everyone unavailable is not full", strategy: RoundRobin, cands: []Candidate{away(c("a", 2, 0)), away(c("b", 3, 0))}},
		{name: "empty team", strategy: LeastLoaded, cands: nil},
		{name: "least loaded takes most room", strategy: LeastLoaded, cands: []Candidate{c("a", 10, 8), c("b", 5, 1), c("c", 10, 7)}, want: "b"},
		{name: "least loaded tie on room goes to fewer open", strategy: LeastLoaded, cands: []Candidate{c("a", 10, 6), c("b", 5, 1)}, want: "b"},
		{name: "least loaded full tie goes to name order", strategy: LeastLoaded, cands: []Candidate{c("b", 5, 1), c("a", 5, 1)}, want: "a"},
		{name: "least loaded skips full and away", strategy: LeastLoaded, cands: []Candidate{c("a", 5, 5), away(c("b", 50, 0)), c("c", 5, 4)}, want: "c"},
		{name: "weighted first lead goes to the heaviest share", strategy: Weighted, cands: []Candidate{weight(c("a", 9, 0), 1), weight(c("b", 9, 0), 3)}, want: "b"},
		{name: "weighted follows the deficit", strategy: Weighted, cands: []Candidate{weight(c("a", 9, 0), 1), weight(c("b", 9, 0), 3)}, state: RuleState{Assigned: map[string]int64{"b": 3}}, want: "a"},
		{name: "weighted zero weight never wins", strategy: Weighted, cands: []Candidate{weight(c("a", 9, 0), 0), weight(c("b", 9, 0), 1)}, state: RuleState{Assigned: map[string]int64{"b": 100}}, want: "b"},
		{name: "weighted all zero picks nobody", strategy: Weighted, cands: []Candidate{weight(c("a", 9, 0), 0)}},
		{name: "account owner available", strategy: AccountOwner, cands: []Candidate{c("a", 5, 0), c("b", 5, 0)}, owner: "b", want: "b"},
		{name: "account owner full falls through", strategy: AccountOwner, cands: []Candidate{c("a", 5, 0), c("b", 5, 5)}, owner: "b"},
		{name: "account owner away falls through", strategy: AccountOwner, cands: []Candidate{c("a", 5, 0), away(c("b", 5, 0))}, owner: "b"},
		{name: "account owner not a member", strategy: AccountOwner, cands: []Candidate{c("a", 5, 0)}, owner: "z"},
		{name: "no account", strategy: AccountOwner, cands: []Candidate{c("a", 5, 0)}},
		{name: "reassignment excludes previous owners", strategy: RoundRobin, cands: []Candidate{c("a", 5, 0), c("b", 5, 0), c("c", 5, 0)}, state: RuleState{Last: "a"}, exclude: map[string]bool{"b": true}, want: "c"},
		{name: "reassignment with only previous owners left", strategy: LeastLoaded, cands: []Candidate{c("a", 5, 0)}, exclude: map[string]bool{"a": true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Choose(tc.strategy, tc.cands, tc.state, tc.owner, tc.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if p.Member != tc.want || p.Full != tc.wantFull {
				t.Fatalf("got member %q full %v; want %q full %v (considered %+v)", p.Member, p.Full, tc.want, tc.wantFull, p.Considered)
			}
			if len(p.Considered) != len(tc.cands) {
				t.Fatalf("considered %d members, want all %d in the audit trail", len(p.Considered), len(tc.cands))
			}
		})
	}
}

func TestChooseUnknownStrategy(t *testing.T) {
	if _, err := Choose("Random", []Candidate{c("a", 1, 0)}, RuleState{}, "", nil); err == nil {
		t.Fatal("want an error for an unknown strategy")
	}
}

// TestRoundRobinIsFair hands out 300 leads and checks the even split a sales manager expects.
func TestRoundRobinIsFair(t *testing.T) {
	cands := []Candidate{c("a", 1000, 0), c("b", 1000, 0), c("c", 1000, 0)}
	var st RuleState
	got := map[string]int{}
	for i := 0; i < 300; i++ {
		p, _ := Choose(RoundRobin, cands, st, "", nil)
		st = p.State
		got[p.Member]++
	}
	if got["a"] != 100 || got["b"] != 100 || got["c"] != 100 {
		t.Fatalf("round robin split %v, want 100 each", got)
	}
}

// TestWeightedMatchesWeights hands out 600 leads to weights 1:2:3.
func TestWeightedMatchesWeights(t *testing.T) {
	cands := []Candidate{{Name: "a", Capacity: 1000, Weight: 1, Available: true}, {Name: "b", Capacity: 1000, Weight: 2, Available: true}, {Name: "c", Capacity: 1000, Weight: 3, Available: true}}
	var st RuleState
	for i := 0; i < 600; i++ {
		p, _ := Choose(Weighted, cands, st, "", nil)
		st = p.State
	}
	if st.Assigned["a"] != 100 || st.Assigned["b"] != 200 || st.Assigned["c"] != 300 {
		t.Fatalf("weighted split %v, want 100/200/300", st.Assigned)
	}
}
