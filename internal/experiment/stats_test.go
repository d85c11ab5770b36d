package experiment

import (
	"math"
	"testing"
)

// Reference values in this file are R 4.2.2's output for the same inputs (Debian bookworm's
// r-base-core; the script that printed them is in the comments next to each table), with
// options(digits=15). Tolerances are 1e-9 relative unless R itself iterates (power.*.test).

func near(got, want, tol float64) bool {
	if want == 0 {
		return math.Abs(got) <= tol
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestTwoProportionZAgainstR(t *testing.T) {
	// R: prop.test(c(x1, x2), c(n1, n2), correct=FALSE)$p.value and $statistic (X² = z²).
	cases := []struct {
		x1, n1, x2, n2 int64
		p, chi2        float64
	}{
		{45, 200, 60, 200, 0.0882740962753776, 2.90556900726392},
		{83, 310, 112, 305, 0.00803787801426967, 7.02501539972455},
		{0, 50, 3, 50, 0.0786401793488284, 3.09278350515464},
		{120, 1000, 150, 1000, 0.0496403868653688, 3.85356454720617},
	}
	for _, tc := range cases {
		got := TwoProportionZ(tc.x1, tc.n1, tc.x2, tc.n2)
		if !got.Valid || !near(got.P, tc.p, 1e-9) || !near(got.Statistic*got.Statistic, tc.chi2, 1e-9) {
			t.Errorf("%d/%d vs %d/%d: z=%v p=%v, want z²=%v p=%v", tc.x1, tc.n1, tc.x2, tc.n2, got.Statistic, got.P, tc.chi2, tc.p)
		}
		if got.Statistic <= 0 {
			t.Errorf("%d/%d vs %d/%d: z=%v, want positive (the arm's rate is higher)", tc.x1, tc.n1, tc.x2, tc.n2, got.Statistic)
		}
	}
	if got := TwoProportionZ(0, 40, 0, 60); !got.Valid || got.P != 1 {
		t.Errorf("0/40 vs 0/60: %+v, want p=1", got)
	}
	if got := TwoProportionZ(1, 0, 1, 10); got.Valid {
		t.Errorf("empty control: %+v, want invalid", got)
	}
}

func TestWilsonAgainstR(t *testing.T) {
	// R: prop.test(x, n, correct=FALSE, conf.level=c)$conf.int.
	cases := []struct {
		x, n   int64
		conf   float64
		lo, hi float64
	}{
		{45, 200, 0.95, 0.172623697150891, 0.287741232356605},
		{45, 200, 0.90, 0.180287791668600, 0.277053146691527},
		{0, 50, 0.95, 0, 0.0713475991333587},
		{0, 50, 0.90, 0, 0.0513331857862701},
		{50, 50, 0.95, 0.928652400866641, 1},
		{7, 12, 0.95, 0.319511312549550, 0.806739686341243},
		{7, 12, 0.90, 0.355981014900535, 0.780022119308219},
	}
	for _, tc := range cases {
		lo, hi, ok := Wilson(tc.x, tc.n, tc.conf)
		if !ok || !near(lo, tc.lo, 1e-9) || !near(hi, tc.hi, 1e-9) {
			t.Errorf("Wilson(%d, %d, %v) = %v..%v, want %v..%v", tc.x, tc.n, tc.conf, lo, hi, tc.lo, tc.hi)
		}
	}
}

var (
	// R's sleep data set (Cushny & Peebles 1905), extra hours of sleep by drug.
	sleepGroup1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	sleepGroup2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
	revenueA    = []float64{0, 0, 0, 1200, 0, 0, 5400, 0, 0, 0, 800, 0, 0, 0, 0, 2500, 0, 0, 0, 0}
	revenueB    = []float64{0, 3100, 0, 0, 1500, 0, 0, 7200, 0, 0, 0, 0, 2200, 0, 0, 4100, 0, 0, 900, 0, 0, 0}
)

func TestWelchAgainstR(t *testing.T) {
	// R: t.test(b, a) (Welch by default): $statistic, $parameter (df), $p.value. The sleep figures
	// are also the ones printed in R's own ?t.test example (t = -1.8608, df = 17.776, p-value =
	// 0.07939 with the groups the other way round).
	cases := []struct {
		name     string
		a, b     []float64
		t, df, p float64
	}{
		{"sleep", sleepGroup1, sleepGroup2, 1.8608134674868531, 17.7764735161784984, 0.0793941401873582},
		{"revenue per lead", revenueA, revenueB, 0.757642514634729, 38.060291752470945, 0.453330596360413},
	}
	for _, tc := range cases {
		got := Welch(tc.a, tc.b)
		if !got.Valid || !near(got.Statistic, tc.t, 1e-9) || !near(got.DF, tc.df, 1e-9) || !near(got.P, tc.p, 1e-9) {
			t.Errorf("%s: t=%v df=%v p=%v, want t=%v df=%v p=%v", tc.name, got.Statistic, got.DF, got.P, tc.t, tc.df, tc.p)
		}
	}
	if got := Welch([]float64{5, 5}, []float64{5, 5, 5}); !got.Valid || got.P != 1 {
		t.Errorf("constant equal samples: %+v, want p=1", got)
	}
	if got := Welch([]float64{5}, []float64{5, 6}); got.Valid {
		t.Errorf("one-value control: %+v, want invalid", got)
	}
}

func TestMeanIntervalAgainstR(t *testing.T) {
	// R: t.test(x, conf.level=c)$conf.int.
	cases := []struct {
		xs     []float64
		conf   float64
		lo, hi float64
	}{
		{sleepGroup1, 0.95, -0.529780413526232, 2.029780413526232},
		{revenueA, 0.90, -11.378668304198, 1001.378668304198},
	}
	for _, tc := range cases {
		_, lo, hi, ok := MeanInterval(tc.xs, tc.conf)
		if !ok || !near(lo, tc.lo, 1e-9) || !near(hi, tc.hi, 1e-9) {
			t.Errorf("MeanInterval at %v = %v..%v, want %v..%v", tc.conf, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestMannWhitneyAgainstR(t *testing.T) {
	// R: wilcox.test(b, a, exact=FALSE, correct=FALSE): $statistic (W, the U of b) and $p.value.
	// The first pair is R's ?wilcox.test example (x, y there); the second has many ties.
	cases := []struct {
		name string
		a, b []float64
		u, p float64
	}{
		{"R example", []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}, []float64{1.15, 0.88, 0.90, 0.74, 1.21}, 15, 0.220671361919847},
		{"minutes with ties", []float64{30, 45, 45, 60, 90, 90, 90, 120, 180, 240, 30, 60}, []float64{20, 30, 30, 45, 45, 60, 60, 90, 15, 20, 30, 45, 120}, 39, 0.0317873478865034},
	}
	for _, tc := range cases {
		got, u, auc := MannWhitney(tc.a, tc.b)
		if !got.Valid || u != tc.u || !near(got.P, tc.p, 1e-9) {
			t.Errorf("%s: U=%v p=%v, want U=%v p=%v", tc.name, u, got.P, tc.u, tc.p)
		}
		if got.Statistic >= 0 || auc >= 0.5 {
			t.Errorf("%s: z=%v auc=%v, want both below the null (b is smaller)", tc.name, got.Statistic, auc)
		}
	}
	if got, _, _ := MannWhitney([]float64{3, 3}, []float64{3, 3, 3}); !got.Valid || got.P != 1 {
		t.Errorf("all tied: %+v, want p=1", got)
	}
}

func TestMedianInterval(t *testing.T) {
	// Order-statistic indices at 95%, from R: the largest l with pbinom(l-1, n, 0.5) <= 0.025
	// (n=5: none; 6: 1..6; 10: 2..9; 25: 8..18; 100: 40..61). With xs = 1..n the interval is the
	// indices themselves.
	cases := []struct {
		n      int
		lo, hi float64
		ok     bool
	}{
		{5, 0, 0, false},
		{6, 1, 6, true},
		{10, 2, 9, true},
		{25, 8, 18, true},
		{100, 40, 61, true},
	}
	for _, tc := range cases {
		xs := make([]float64, tc.n)
		for i := range xs {
			xs[tc.n-1-i] = float64(i + 1) // reversed: MedianInterval sorts
		}
		lo, hi, ok := MedianInterval(xs, 0.95)
		if ok != tc.ok || lo != tc.lo || hi != tc.hi {
			t.Errorf("n=%d: %v..%v ok=%v, want %v..%v ok=%v", tc.n, lo, hi, ok, tc.lo, tc.hi, tc.ok)
		}
	}
}

func TestHolmAgainstR(t *testing.T) {
	// R: p.adjust(p, "holm").
	cases := []struct{ p, want []float64 }{
		{[]float64{0.01, 0.04, 0.03}, []float64{0.03, 0.06, 0.06}},
		{[]float64{0.2, 0.001}, []float64{0.2, 0.002}},
		{[]float64{0.02, 0.02, 0.5, 0.001}, []float64{0.06, 0.06, 0.5, 0.004}},
		{[]float64{0.04}, []float64{0.04}},
	}
	for _, tc := range cases {
		got := Holm(tc.p)
		for i := range got {
			if !near(got[i], tc.want[i], 1e-12) {
				t.Errorf("Holm(%v) = %v, want %v", tc.p, got, tc.want)
				break
			}
		}
	}
}

func TestSampleSizesAgainstR(t *testing.T) {
	// R: power.prop.test(p1=, p2=, sig.level=, power=0.8)$n — solved by uniroot (tolerance about
	// 1e-4), so compared to 0.01 of a lead.
	props := []struct{ p1, p2, alpha, n float64 }{
		{0.225, 0.30, 0.05, 539.084115018385},
		{0.10, 0.12, 0.01, 5715.41654679282},
	}
	for _, tc := range props {
		if got := SampleSizeProportions(tc.p1, tc.p2, tc.alpha, 0.8); math.Abs(got-tc.n) > 0.01 {
			t.Errorf("SampleSizeProportions(%v, %v, %v) = %v, want %v", tc.p1, tc.p2, tc.alpha, got, tc.n)
		}
	}
	// R: power.t.test(delta=, sd=, sig.level=0.05, power=0.8)$n uses the noncentral t; the normal
	// formula with Guenther's correction is within 0.1 of a lead of it.
	means := []struct{ delta, sd, n float64 }{
		{1, 1, 16.7147681423283},
		{500, 2000, 252.128116122658},
	}
	for _, tc := range means {
		if got := SampleSizeMeans(tc.delta, tc.sd, tc.sd, 0.05, 0.8); math.Abs(got-tc.n) > 0.1 {
			t.Errorf("SampleSizeMeans(%v, %v) = %v, want %v ±0.1", tc.delta, tc.sd, got, tc.n)
		}
	}
	// Noether (1987): N = (1.959964 + 0.841621)² / (3 (0.6 − 0.5)²) = 261.63 in total, 130.8 per arm.
	if got := SampleSizeRanks(0.6, 0.05, 0.8); math.Abs(got-130.81) > 0.01 {
		t.Errorf("SampleSizeRanks(0.6) = %v, want 130.81", got)
	}
	for _, got := range []float64{SampleSizeProportions(0.2, 0.2, 0.05, 0.8), SampleSizeMeans(0, 1, 1, 0.05, 0.8), SampleSizeRanks(0.5, 0.05, 0.8)} {
		if !math.IsInf(got, 1) {
			t.Errorf("no difference: %v, want +Inf", got)
		}
	}
}
