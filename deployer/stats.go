package deployer

import (
	"math"
	"slices"
	"time"
)

// The gates judge green on small samples: 30 requests per kind in gate 1, a few
// probes a minute during the shift, a canary's share of a quiet service's
// traffic. A threshold on a point estimate alone flaps on such samples, so a
// verdict of "slower" or "fails more" also needs a one-sided test: Mann-Whitney U
// for latencies (a rank test: no assumption about their distribution, which is
// skewed and heavy-tailed) and, for error counts, Fisher's exact test and the
// binomial test with a Wilson bound (exact at any sample size; a normal
// approximation is wrong exactly where a canary is quiet). They are written here
// rather than imported: they are short, and the deployer keeps to the AWS SDK.

// quantile estimates the q-quantile (0..1) of xs by linear interpolation between
// order statistics (Hyndman and Fan's type 7, the default of R and NumPy), so a
// reader can check a figure in the evidence with the tool at hand. It does not
// modify xs; an empty sample has no quantile (0).
func quantile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	h := float64(len(s)-1) * math.Min(math.Max(q, 0), 1)
	lo := int(math.Floor(h))
	if lo+1 >= len(s) {
		return s[lo]
	}
	return s[lo] + time.Duration(math.Round((h-float64(lo))*float64(s[lo+1]-s[lo])))
}

// mannWhitneyExactLimit is the largest sample (per side) whose U distribution is
// computed exactly; beyond it, and with ties, the normal approximation is used,
// which is accurate to well under the alphas used here at that size.
const mannWhitneyExactLimit = 50

// mannWhitneyGreater is the one-sided Mann-Whitney U test of "x tends to be larger
// than y" (green slower than blue): the p-value of U_x, the number of pairs (xi, yj)
// with xi > yj (ties count one half). Without ties and with both samples of at most
// mannWhitneyExactLimit it is exact; otherwise it is the normal approximation with
// the tie correction and a continuity correction (as SciPy's mannwhitneyu with
// method "asymptotic"). An empty sample gives 1: no evidence.
func mannWhitneyGreater(x, y []time.Duration) float64 {
	m, n := len(x), len(y)
	if m == 0 || n == 0 {
		return 1
	}
	u, ties := mannWhitneyU(x, y)
	if !ties && m <= mannWhitneyExactLimit && n <= mannWhitneyExactLimit {
		return mannWhitneyExactUpper(m, n, int(math.Round(u)))
	}
	return mannWhitneyNormalUpper(x, y, u)
}

// mannWhitneyU counts the pairs with xi > yj, ties as one half, and says whether
// any value occurs more than once in the pooled sample.
func mannWhitneyU(x, y []time.Duration) (u float64, ties bool) {
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
			}
		}
	}
	pooled := append(slices.Clone(x), y...)
	slices.Sort(pooled)
	for i := 1; i < len(pooled); i++ {
		if pooled[i] == pooled[i-1] {
			ties = true
		}
	}
	return u, ties
}

// mannWhitneyExactUpper is P(U >= u) for samples of m and n without ties, from the
// distribution of U under the null hypothesis: every one of the C(m+n, m)
// orderings equally likely. By symmetry (U and mn-U are alike) it sums whichever
// tail is the smaller, from U = 0 up, where the counts are small integers that
// float64 holds exactly.
func mannWhitneyExactUpper(m, n, u int) float64 {
	mn := m * n
	switch {
	case u <= 0:
		return 1
	case u > mn:
		return 0
	}
	total := 1.0 // C(m+n, m)
	for i := 1; i <= m; i++ {
		total = total * float64(n+i) / float64(i)
	}
	if k := mn - u; k < u { // P(U >= u) = P(U <= mn-u)
		return math.Min(sumFloats(mannWhitneyCounts(m, n, k))/total, 1)
	}
	return math.Max(1-sumFloats(mannWhitneyCounts(m, n, u-1))/total, 0)
}

// mannWhitneyCounts counts the orderings of m x's and n y's with U = 0..k: the
// coefficients of the Gaussian binomial [m+n choose m]_q, the product over
// i = 1..m of (1 − q^(n+i)) / (1 − q^i), each factor applied to the polynomial cut
// at degree k (both steps only look down, so the cut changes nothing below it).
func mannWhitneyCounts(m, n, k int) []float64 {
	c := make([]float64, k+1)
	c[0] = 1
	for i := 1; i <= m; i++ {
		for j := k; j >= n+i; j-- { // × (1 − q^(n+i))
			c[j] -= c[j-n-i]
		}
		for j := i; j <= k; j++ { // ÷ (1 − q^i), i.e. × (1 + q^i + q^2i + …)
			c[j] += c[j-i]
		}
	}
	return c
}

func sumFloats(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// mannWhitneyNormalUpper is the normal approximation of P(U >= u): mean mn/2,
// variance mn/12·((N+1) − Σ(t³−t)/(N(N−1))) over the tie groups t, and a
// continuity correction of one half.
func mannWhitneyNormalUpper(x, y []time.Duration, u float64) float64 {
	m, n := float64(len(x)), float64(len(y))
	total := m + n
	pooled := append(slices.Clone(x), y...)
	slices.Sort(pooled)
	var tieSum float64
	for i := 0; i < len(pooled); {
		j := i
		for j < len(pooled) && pooled[j] == pooled[i] {
			j++
		}
		t := float64(j - i)
		tieSum += t*t*t - t
		i = j
	}
	variance := m * n / 12 * ((total + 1) - tieSum/(total*(total-1)))
	if variance <= 0 { // every value the same: no ordering to test
		return 1
	}
	z := (u - m*n/2 - 0.5) / math.Sqrt(variance)
	return normalUpper(z)
}

// normalUpper is P(Z >= z) for a standard normal Z.
func normalUpper(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// normalUpperQuantile is the z with P(Z >= z) = p, for 0 < p < 1, by bisection
// on normalUpper (which falls as z grows) to well below float64's resolution of
// the p-values used here.
func normalUpperQuantile(p float64) float64 {
	lo, hi := -40.0, 40.0
	for i := 0; i < 200 && hi-lo > 1e-12; i++ {
		mid := (lo + hi) / 2
		if normalUpper(mid) > p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// wilsonUpper is the upper end of the one-sided Wilson score interval for a rate
// of k in n at confidence 1-alpha: how high the true rate may be, given what was
// seen. Unlike k/n ± a normal error it stays inside [0, 1] and is not 0 for no
// failures (0 of 10 at 97.5 %: 0.28). No observation (n 0) bounds nothing: 1.
func wilsonUpper(k, n int, alpha float64) float64 {
	if n <= 0 {
		return 1
	}
	z := normalUpperQuantile(alpha)
	p, nf := float64(k)/float64(n), float64(n)
	centre := p + z*z/(2*nf)
	spread := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf))
	return math.Min((centre+spread)/(1+z*z/nf), 1)
}

// fisherGreater is the one-sided Fisher exact test that the first group fails more
// often than the second: with a of n1 failing in the first and b of n2 in the
// second, the probability, when both fail alike, that the first group gets a or
// more of the a+b failures (the hypergeometric upper tail). Counts are whole
// requests; CloudWatch's sums are rounded by the caller.
func fisherGreater(a, n1, b, n2 int) float64 {
	if a <= 0 || n1 <= 0 {
		return 1
	}
	total, failed := n1+n2, a+b
	lo, hi := max(0, n1-(total-failed)), min(failed, n1)
	logPMF := func(x int) float64 {
		return logChoose(failed, x) + logChoose(total-failed, n1-x) - logChoose(total, n1)
	}
	up := func(x int) float64 { // log f(x+1)/f(x)
		return math.Log(float64((failed-x)*(n1-x))) - math.Log(float64((x+1)*(total-failed-n1+x+1)))
	}
	down := func(x int) float64 { // log f(x-1)/f(x)
		return math.Log(float64(x*(total-failed-n1+x))) - math.Log(float64((failed-x+1)*(n1-x+1)))
	}
	mode := int(math.Floor(float64(failed+1) * float64(n1+1) / float64(total+2)))
	return upperTail(a, lo, hi, mode, logPMF, up, down)
}

// binomialGreater is the one-sided binomial test that a rate is above p0: with k
// of n failing, the probability of k or more failures if each failed with
// probability p0.
func binomialGreater(k, n int, p0 float64) float64 {
	switch {
	case k <= 0:
		return 1
	case p0 <= 0 || k > n:
		return 0
	case p0 >= 1:
		return 1
	}
	odds := math.Log(p0) - math.Log1p(-p0)
	logPMF := func(x int) float64 { return logChoose(n, x) + float64(x)*math.Log(p0) + float64(n-x)*math.Log1p(-p0) }
	up := func(x int) float64 { return math.Log(float64(n-x)) - math.Log(float64(x+1)) + odds }
	down := func(x int) float64 { return math.Log(float64(x)) - math.Log(float64(n-x+1)) - odds }
	return upperTail(k, 0, n, int(math.Floor(float64(n+1)*p0)), logPMF, up, down)
}

// upperTail is P(X >= k) for a unimodal distribution on [lo, hi] with its mode
// at mode, given log f(x) and the log ratios to the next value up and down. It
// sums whichever tail lies away from the mode, from k outwards, so that the terms
// only shrink and the sum stops once they no longer count: past the mode
// P(X >= k) itself, else 1 − P(X <= k-1), which is then at most about a half and
// loses nothing to the subtraction.
func upperTail(k, lo, hi, mode int, logPMF, up, down func(int) float64) float64 {
	if k <= lo {
		return 1
	}
	if k > hi {
		return 0
	}
	x, step, next := k, 1, up
	if k <= mode {
		x, step, next = k-1, -1, down
	}
	var sum float64
	for l := logPMF(x); x >= lo && x <= hi; x += step {
		term := math.Exp(l)
		if sum += term; term == 0 || term < sum*1e-17 {
			break
		}
		l += next(x)
	}
	if step < 0 {
		return math.Min(math.Max(1-sum, 0), 1)
	}
	return math.Min(sum, 1)
}

// logChoose is log C(n, k).
func logChoose(n, k int) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
