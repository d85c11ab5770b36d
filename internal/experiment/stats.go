package experiment

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// The tests and intervals, each the standard textbook form and checked in stats_test.go against R's
// output for the same inputs. Distributions (normal, Student's t, binomial) come from gonum's distuv;
// nothing here approximates a distribution by hand.
//
//   - Rates: the pooled two-proportion z-test (R prop.test(correct=FALSE); Agresti, Categorical Data
//     Analysis, 3rd ed., §3.1.4), and per arm the Wilson score interval (Wilson 1927; Newcombe 1998
//     method 3; R prop.test's conf.int without continuity correction). Wilson rather than Wald
//     because it stays inside [0, 1] and keeps its coverage for rates near 0 or 1 and small n.
//   - Means (revenue per lead): Welch's unequal-variance t-test with Welch–Satterthwaite degrees of
//     freedom (R t.test(var.equal=FALSE)), and per arm the one-sample t interval.
//   - Times (time to first touch): the Mann–Whitney U test, normal approximation with the tie
//     correction and no continuity correction (R wilcox.test(exact=FALSE, correct=FALSE); Hollander &
//     Wolfe, Nonparametric Statistical Methods, §4.1), and per arm the distribution-free interval for
//     the median from order statistics (Conover, Practical Nonparametric Statistics, §3.2): the
//     interval [x(l), x(n−l+1)] with the largest l such that P(Binomial(n, ½) ≤ l−1) ≤ α/2, whose
//     coverage is at least the confidence level.
//   - Several arms against the control: Holm's step-down adjustment of the k−1 p-values (Holm 1979;
//     R p.adjust(method="holm")), which controls the family-wise error rate at α without assuming
//     the comparisons are independent, and is uniformly more powerful than Bonferroni.
//   - Sample sizes at 80% power: for rates the normal-approximation formula R power.prop.test
//     solves (Fleiss, Statistical Methods for Rates and Proportions, 3rd ed., eq. 4.14 without the
//     continuity correction); for means the normal formula with Guenther's (1981) correction
//     z²(α/2)/4 for estimating the variance, which lands within a lead of R power.t.test; for
//     times Noether's (1987) formula for the Mann–Whitney test from the observed P(X < Y).

// Test is the outcome of a two-sample test of an arm against the control.
type Test struct {
	// Statistic is z, t or the z of U; positive when the arm's values are larger than the control's
	// (a higher rate or mean, or stochastically larger times).
	Statistic float64
	// DF is the degrees of freedom of a t statistic (0 for z).
	DF float64
	// P is the two-sided p-value, before any multiple-comparison adjustment.
	P float64
	// Valid is false when the data cannot be tested (an empty arm, or no variation where the test
	// needs some).
	Valid bool
}

var unitNormal = distuv.UnitNormal

// twoSidedNormal is the two-sided p-value of a standard normal statistic.
func twoSidedNormal(z float64) float64 {
	return math.Min(1, 2*unitNormal.Survival(math.Abs(z)))
}

// zCrit is the two-sided critical value of the standard normal at level conf (0.95 → 1.96).
func zCrit(conf float64) float64 { return unitNormal.Quantile(1 - (1-conf)/2) }

// TwoProportionZ tests x2/n2 (the arm) against x1/n1 (the control) with the pooled z-test.
// When both rates are 0 or both 1 the arms cannot differ: P = 1.
func TwoProportionZ(x1, n1, x2, n2 int64) Test {
	if n1 <= 0 || n2 <= 0 {
		return Test{}
	}
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	pool := float64(x1+x2) / float64(n1+n2)
	se := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return Test{Statistic: 0, P: 1, Valid: true}
	}
	z := (p2 - p1) / se
	return Test{Statistic: z, P: twoSidedNormal(z), Valid: true}
}

// Wilson is the Wilson score interval of the proportion x/n at level conf, as fractions.
func Wilson(x, n int64, conf float64) (lo, hi float64, ok bool) {
	if n <= 0 {
		return 0, 0, false
	}
	z := zCrit(conf)
	nf := float64(n)
	p := float64(x) / nf
	z2 := z * z
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, centre-half), math.Min(1, centre+half), true
}

// Welch tests the mean of b (the arm) against the mean of a (the control) with Welch's t-test.
func Welch(a, b []float64) Test {
	if len(a) < 2 || len(b) < 2 {
		return Test{}
	}
	ma, va := stat.MeanVariance(a, nil)
	mb, vb := stat.MeanVariance(b, nil)
	sa, sb := va/float64(len(a)), vb/float64(len(b))
	se2 := sa + sb
	if se2 == 0 {
		if ma == mb {
			return Test{P: 1, Valid: true}
		}
		return Test{} // two constant samples that differ: no variance to test against
	}
	t := (mb - ma) / math.Sqrt(se2)
	df := se2 * se2 / (sa*sa/float64(len(a)-1) + sb*sb/float64(len(b)-1))
	st := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	return Test{Statistic: t, DF: df, P: math.Min(1, 2*st.Survival(math.Abs(t))), Valid: true}
}

// MeanInterval is the mean of xs and its t interval at level conf.
func MeanInterval(xs []float64, conf float64) (mean, lo, hi float64, ok bool) {
	if len(xs) == 0 {
		return 0, 0, 0, false
	}
	if len(xs) == 1 {
		return xs[0], 0, 0, false
	}
	m, sd := stat.MeanStdDev(xs, nil)
	st := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}
	half := st.Quantile(1-(1-conf)/2) * sd / math.Sqrt(float64(len(xs)))
	return m, m - half, m + half, true
}

// MannWhitney tests b (the arm) against a (the control) with the Mann–Whitney U test, normal
// approximation with tie correction and no continuity correction. U is the U of b (the number of
// pairs in which b's value is larger, ties counting ½); AUC = U/(n_a n_b) estimates P(B > A) + ½P(B = A).
func MannWhitney(a, b []float64) (t Test, u, auc float64) {
	na, nb := float64(len(a)), float64(len(b))
	if len(a) == 0 || len(b) == 0 {
		return Test{}, 0, 0
	}
	type obs struct {
		v   float64
		inB bool
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, false})
	}
	for _, v := range b {
		all = append(all, obs{v, true})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	n := na + nb
	var rankSumB, tieTerm float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		mid := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].inB {
				rankSumB += mid
			}
		}
		tc := float64(j - i)
		tieTerm += tc*tc*tc - tc
		i = j
	}
	u = rankSumB - nb*(nb+1)/2
	auc = u / (na * nb)
	variance := na * nb / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	if variance <= 0 {
		return Test{P: 1, Valid: true}, u, auc // every value tied
	}
	z := (u - na*nb/2) / math.Sqrt(variance)
	return Test{Statistic: z, P: twoSidedNormal(z), Valid: true}, u, auc
}

// MedianInterval is the distribution-free interval for the median of xs at level conf (see the
// package comment); ok is false when xs is too small for any order-statistic interval to reach the
// level (fewer than 6 values at 95%). xs is sorted in place.
func MedianInterval(xs []float64, conf float64) (lo, hi float64, ok bool) {
	n := len(xs)
	if n == 0 {
		return 0, 0, false
	}
	sort.Float64s(xs)
	bin := distuv.Binomial{N: float64(n), P: 0.5}
	alpha2 := (1 - conf) / 2
	l := 0
	for j := 1; j <= (n+1)/2; j++ {
		if bin.CDF(float64(j-1)) <= alpha2 {
			l = j
		} else {
			break
		}
	}
	if l == 0 {
		return 0, 0, false
	}
	return xs[l-1], xs[n-l], true
}

// Holm adjusts p-values for multiple comparisons by Holm's step-down method, in the input order.
func Holm(p []float64) []float64 {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return p[idx[i]] < p[idx[j]] })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range idx {
		adj := math.Min(1, float64(m-rank)*p[i])
		running = math.Max(running, adj) // monotone: never below a smaller p's adjustment
		out[i] = running
	}
	return out
}

// zPower is the one-sided normal quantile of the power (0.80 → 0.8416).
func zPower(power float64) float64 { return unitNormal.Quantile(power) }

// SampleSizeProportions is the leads per arm needed to detect p1 against p2 with a two-sided test at
// level alpha and the given power (R power.prop.test's n, strict=FALSE). +Inf when p1 == p2.
func SampleSizeProportions(p1, p2, alpha, power float64) float64 {
	d := math.Abs(p1 - p2)
	if d == 0 {
		return math.Inf(1)
	}
	za, zb := unitNormal.Quantile(1-alpha/2), zPower(power)
	pbar := (p1 + p2) / 2
	num := za*math.Sqrt(2*pbar*(1-pbar)) + zb*math.Sqrt(p1*(1-p1)+p2*(1-p2))
	return num * num / (d * d)
}

// SampleSizeMeans is the values per arm needed to detect a difference delta between two means with
// standard deviations sd1 and sd2, two-sided at level alpha with the given power: the normal formula
// (z(α/2) + z(β))² (sd1² + sd2²) / δ² plus Guenther's correction z(α/2)²/4. +Inf when delta == 0.
func SampleSizeMeans(delta, sd1, sd2, alpha, power float64) float64 {
	if delta == 0 {
		return math.Inf(1)
	}
	za, zb := unitNormal.Quantile(1-alpha/2), zPower(power)
	return (za+zb)*(za+zb)*(sd1*sd1+sd2*sd2)/(delta*delta) + za*za/4
}

// SampleSizeRanks is the values per arm (equal arms) needed for the Mann–Whitney test to detect
// P(B > A) = auc, two-sided at level alpha with the given power, by Noether's formula
// N = (z(α/2) + z(β))² / (3 (auc − ½)²) in total. +Inf when auc == ½.
func SampleSizeRanks(auc, alpha, power float64) float64 {
	d := auc - 0.5
	if d == 0 {
		return math.Inf(1)
	}
	za, zb := unitNormal.Quantile(1-alpha/2), zPower(power)
	return (za + zb) * (za + zb) / (3 * d * d) / 2
}
