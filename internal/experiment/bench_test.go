package experiment

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func BenchmarkSplitArm(b *testing.B) {
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprintf("3f2b9c1e-7d4a-4b8e-9f10-%012d", i)
	}
	w := []int32{1, 1}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		SplitArm(ids[i%len(ids)], "sales/spring-threshold", w)
	}
}

// BenchmarkEvaluateTimeToFirstTouch: the heaviest verdict, Mann–Whitney over 50,000 touched leads
// per arm (a sort of 100,000 values), with the order-statistic median intervals.
func BenchmarkEvaluateTimeToFirstTouch(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	arms := []ArmSample{{Name: "control"}, {Name: "b"}}
	for i := range arms {
		for j := 0; j < 50000; j++ {
			arms[i].Values = append(arms[i].Values, r.ExpFloat64()*3600*(1+0.1*float64(i)))
		}
		arms[i].N, arms[i].Leads = 50000, 50000
	}
	spec := Spec{Metric: TimeToFirstTouch, Confidence: 0.95, MinLeadsPerArm: 100, Ended: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(spec, arms, time.Time{})
	}
}
