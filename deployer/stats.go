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
// skewed and heavy-tailed) and Fisher's exact test for error counts (exact at any
// sample size; a normal approximation is wrong exactly where a canary is quiet).
// Both are written here rather than imported: they are short, and the deployer
// keeps to the AWS SDK.

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
// orderings equally likely. It uses the recurrence on the largest pooled value,
// which is either an x (then it beats all n y's) or a y:
// P(m, n, u) = m/(m+n)·P(m-1, n, u-n) + n/(m+n)·P(m, n-1, u),
// in probabilities rather than counts, so nothing overflows.
func mannWhitneyExactUpper(m, n, u int) float64 {
	// prev[j] is the distribution for (i-1, j), cur[j] for (i, j).
	prev := make([][]float64, n+1)
	for j := range prev {
		prev[j] = []float64{1} // zero x's: U is 0
	}
	for i := 1; i <= m; i++ {
		cur := make([][]float64, n+1)
		cur[0] = []float64{1} // zero y's: U is 0
		for j := 1; j <= n; j++ {
			d := make([]float64, i*j+1)
			px, py := float64(i)/float64(i+j), float64(j)/float64(i+j)
			for k, p := range prev[j] {
				d[k+j] += px * p
			}
			for k, p := range cur[j-1] {
				d[k] += py * p
			}
			cur[j] = d
		}
		prev = cur
	}
	dist := prev[n]
	var p float64
	for k := max(u, 0); k < len(dist); k++ {
		p += dist[k]
	}
	return math.Min(p, 1)
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
	top := min(failed, n1)
	logDenom := logChoose(total, n1)
	var p float64
	mode := int(math.Floor(float64((failed+1)*(n1+1)) / float64(total+2)))
	for k := a; k <= top; k++ {
		term := math.Exp(logChoose(failed, k) + logChoose(total-failed, n1-k) - logDenom)
		p += term
		// Past the mode the terms only shrink: stop once they no longer count.
		if k > mode && term < p*1e-17 {
			break
		}
	}
	return math.Min(p, 1)
}

// binomialGreater is the one-sided binomial test that a rate is above p0: with k
// of n failing, the probability of k or more failures if each failed with
// probability p0. The shift gate uses it only when there is no blue traffic to
// compare green with, against the rate green may not exceed.
func binomialGreater(k, n int, p0 float64) float64 {
	switch {
	case k <= 0:
		return 1
	case p0 <= 0 || k > n:
		return 0
	case p0 >= 1:
		return 1
	}
	lp, lq := math.Log(p0), math.Log1p(-p0)
	mode := int(math.Floor(float64(n+1) * p0))
	var p float64
	for i := k; i <= n; i++ {
		term := math.Exp(logChoose(n, i) + float64(i)*lp + float64(n-i)*lq)
		p += term
		if i > mode && term < p*1e-17 {
			break
		}
	}
	return math.Min(p, 1)
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
