package deployer

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// msList turns milliseconds (with up to microsecond precision) into durations.
func msList(vs ...float64) []time.Duration {
	out := make([]time.Duration, len(vs))
	for i, v := range vs {
		out[i] = time.Duration(math.Round(v*1000)) * time.Microsecond
	}
	return out
}

// The reference values below were computed with SciPy 1.10.1
// (scipy.stats.fisher_exact, mannwhitneyu and binomtest with alternative="greater",
// norm.sf and norm.isf), NumPy's default quantile, and the Wilson score formula
// in Python, on Debian 12's python3-scipy.

func TestQuantile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		xs   []time.Duration
		q    float64
		want time.Duration
	}{
		{"the median of an odd sample is its middle value", msList(7, 1, 3, 9, 4, 12, 2), 0.5, 4 * time.Millisecond},
		{"p95 interpolates between the two largest values as NumPy does", msList(7, 1, 3, 9, 4, 12, 2), 0.95, 11100 * time.Microsecond},
		{"the median of 30 values is between the 15th and 16th", msList(seq(1, 30)...), 0.5, 15500 * time.Microsecond},
		{"p95 of 30 values is between the 28th and 29th", msList(seq(1, 30)...), 0.95, 28550 * time.Microsecond},
		{"one value is every quantile", msList(5), 0.95, 5 * time.Millisecond},
		{"an empty sample has no quantile", nil, 0.5, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, quantile(tc.xs, tc.q))
		})
	}
}

func seq(from, to int) []float64 {
	var out []float64
	for i := from; i <= to; i++ {
		out = append(out, float64(i))
	}
	return out
}

func TestQuantileLeavesItsInputUnsorted(t *testing.T) {
	t.Parallel()
	xs := msList(3, 1, 2)
	quantile(xs, 0.5)
	assert.Equal(t, msList(3, 1, 2), xs)
}

var (
	randomA = msList(200.049, 212.314, 189.33, 167.369, 182.616, 164.02, 202.42, 261.481, 181.25, 176.659, 220.586, 214.797, 204.261, 166.039, 198.833,
		229.839, 152.853, 182.508, 136.739, 154.533, 138.375, 190.814, 155.218, 211.15, 206.369, 192.661, 120.9, 179.572, 198.069, 204.584)
	randomB = msList(162.001, 199.952, 180.896, 187.141, 272.001, 187.189, 218.574, 262.567, 195.764, 215.14, 224.915, 222.824, 172.193, 223.376, 288.701,
		161.451, 261.257, 225.315, 193.511, 328.229, 256.231, 173.083, 223.303, 246.896, 211.848, 252.197, 217.093, 251.408, 293.34, 192.192)
)

func TestMannWhitneyGreater(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		x, y []time.Duration
		want float64
	}{
		{"small samples without ties use the exact distribution", msList(12, 15, 11, 19, 22, 17, 14, 25), msList(9, 10, 13, 8, 11.5, 7, 12.5), 0.0029526029526029526},
		{"ties use the normal approximation with the tie correction", msList(5, 5, 6, 7, 8, 8, 9, 10), msList(4, 5, 5, 6, 6, 7, 3, 2), 0.012812289056259163},
		{"ten slower in every pair is one ordering in C(20,10)", msList(seq(11, 20)...), msList(seq(1, 10)...), 5.412544112234515e-06},
		{"seven in every pair already reach 0.001", msList(seq(8, 14)...), msList(seq(1, 7)...), 0.0002913752913752914},
		{"six in every pair cannot reach 0.001", msList(seq(7, 12)...), msList(seq(1, 6)...), 0.0010822510822510823},
		{"30 lognormal draws about 10% slower are significant", randomB, randomA, 0.0002713184660199969},
		{"the faster sample is not slower", randomA, randomB, 0.9997445438823999},
		{"an empty sample is no evidence", nil, msList(1, 2), 1},
		{"identical samples are no evidence", msList(5, 5, 5), msList(5, 5, 5), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.InDelta(t, tc.want, mannWhitneyGreater(tc.x, tc.y), tc.want*1e-9+1e-15)
		})
	}
}

func TestMannWhitneyNormalApproximationMatchesSciPy(t *testing.T) {
	t.Parallel()
	x, y := msList(12, 15, 11, 19, 22, 17, 14, 25), msList(9, 10, 13, 8, 11.5, 7, 12.5)
	u, _ := mannWhitneyU(x, y)
	assert.InDelta(t, 0.004608898673527463, mannWhitneyNormalUpper(x, y, u), 1e-12)
	u, _ = mannWhitneyU(randomA, randomB)
	assert.InDelta(t, 0.9996543741537077, mannWhitneyNormalUpper(randomA, randomB, u), 1e-12)
}

// The exact distribution is checked against brute force: every way of choosing
// which m of the m+n ranks are x's, counted.
func TestMannWhitneyExactMatchesEnumeration(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{1, 1}, {2, 3}, {4, 5}, {6, 4}, {7, 7}} {
		m, n := size[0], size[1]
		counts, total := map[int]int{}, 0
		for mask := 0; mask < 1<<(m+n); mask++ {
			if popcount(mask) != m {
				continue
			}
			total++
			u, ys := 0, 0
			for r := 0; r < m+n; r++ { // ranks ascending: an x beats every y below it
				if mask&(1<<r) != 0 {
					u += ys
				} else {
					ys++
				}
			}
			counts[u]++
		}
		for u := 0; u <= m*n+1; u++ {
			tail := 0
			for k, c := range counts {
				if k >= u {
					tail += c
				}
			}
			assert.InDelta(t, float64(tail)/float64(total), mannWhitneyExactUpper(m, n, u), 1e-12, fmt.Sprintf("m=%d n=%d u=%d", m, n, u))
		}
	}
}

// The counts of the larger sizes are checked against the distribution built
// another way: the recurrence on the largest pooled value, which is either an x
// (then it beats all n y's) or a y, P(m, n, u) = m/(m+n)·P(m-1, n, u-n) +
// n/(m+n)·P(m, n-1, u), in probabilities: slower, but only additions of
// positive numbers.
var recurrenceSizes = [][2]int{{10, 10}, {12, 30}, {30, 30}, {20, 50}, {50, 50}}

func TestMannWhitneyExactMatchesTheRecurrence(t *testing.T) {
	t.Parallel()
	for _, size := range recurrenceSizes {
		m, n := size[0], size[1]
		dist := mannWhitneyByRecurrence(m, n)
		tail := 0.0
		for u := m * n; u >= 0; u-- {
			tail += dist[u]
			got := mannWhitneyExactUpper(m, n, u)
			if !assert.InEpsilon(t, tail, got, 1e-9, "m=%d n=%d u=%d", m, n, u) {
				return
			}
		}
	}
}

func mannWhitneyByRecurrence(m, n int) []float64 {
	prev := make([][]float64, n+1) // the distributions for (i-1, j)
	for j := range prev {
		prev[j] = []float64{1}
	}
	for i := 1; i <= m; i++ {
		cur := make([][]float64, n+1)
		cur[0] = []float64{1}
		for j := 1; j <= n; j++ {
			d := make([]float64, i*j+1)
			for k, p := range prev[j] {
				d[k+j] += float64(i) / float64(i+j) * p
			}
			for k, p := range cur[j-1] {
				d[k] += float64(j) / float64(i+j) * p
			}
			cur[j] = d
		}
		prev = cur
	}
	return prev[n]
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func TestFisherGreater(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		a, n1, b, n2 int
		want         float64
	}{
		{"Fisher's tea-tasting table", 3, 4, 1, 4, 0.24285714285714283},
		{"a small table with a clear difference", 8, 10, 1, 6, 0.024475524475524483},
		{"3 of a canary's 20 requests failing against none of blue's 180 is significant at 0.001", 3, 20, 0, 180, 0.0008679762448606671},
		{"2 of 20 against none of 180 is not", 2, 20, 0, 180, 0.009547738693467337},
		{"one failure among a quiet canary's 3 requests is no evidence", 1, 3, 0, 27, 0.1},
		{"every one of 5 requests failing is evidence even so", 5, 5, 0, 45, 4.719741735732221e-07},
		{"4 of 10 probes failing against none of 60 in gate 1", 4, 10, 0, 60, 0.0002290338588387983},
		{"3 of 10 probes failing against none of 60 in gate 1", 3, 10, 0, 60, 0.0021921812203142123},
		{"0.3% against blue's 0.1% over a canary minute at 2,500 requests a second", 30, 10000, 90, 90000, 1.8592175042212106e-06},
		{"1.5% against 1% at the same volume", 150, 10000, 900, 90000, 6.1759661545968386e-06},
		{"0.2% against 0.011%", 20, 10000, 10, 90000, 1.0889023671692449e-13},
		{"a tail far below float64's smallest normal number still sums", 60, 900, 0, 8100, 1.6293618970441536e-61},
		{"no failure in the first group is no evidence", 0, 100, 5, 100, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.InDelta(t, tc.want, fisherGreater(tc.a, tc.n1, tc.b, tc.n2), tc.want*1e-9)
		})
	}
}

func TestFisherGreaterOfEqualRatesIsAboutAHalf(t *testing.T) {
	t.Parallel()
	assert.InDelta(t, 0.5156079286558635, fisherGreater(100, 10000, 900, 90000), 1e-9)
}

func TestBinomialGreater(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		k, n int
		p0   float64
		want float64
	}{
		{"3 failures in 20 against a 1% limit is just short of 0.001", 3, 20, 0.01, 0.0010035761681001167},
		{"one failure in 20 is no evidence against 1%", 1, 20, 0.01, 0.18209306240276915},
		{"5 in 100", 5, 100, 0.01, 0.0034323215877545207},
		{"1.5% of 1,000 is not significantly above 1%", 15, 1000, 0.01, 0.08241231951608856},
		{"2% of 1,000 is, at 0.01", 20, 1000, 0.01, 0.0032883597877274573},
		{"1.3% of 10,000", 130, 10000, 0.01, 0.002175091348918604},
		{"1.5% of 20,000", 300, 20000, 0.01, 2.100800977776872e-11},
		{"ten heads in ten tosses", 10, 10, 0.5, 0.0009765625},
		{"no failure is no evidence", 0, 10, 0.01, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.InDelta(t, tc.want, binomialGreater(tc.k, tc.n, tc.p0), tc.want*1e-9)
		})
	}
}

func TestNormalUpper(t *testing.T) {
	t.Parallel()
	assert.InDelta(t, 0.5, normalUpper(0), 1e-15)
	assert.InDelta(t, 0.022750131948179195, normalUpper(2), 1e-15)
	assert.InDelta(t, 0.9986501019683699, normalUpper(-3), 1e-15)
}

func TestNormalUpperQuantile(t *testing.T) {
	t.Parallel()
	assert.InDelta(t, 3.090232306167813, normalUpperQuantile(0.001), 1e-9)
	assert.InDelta(t, 2.3263478740408408, normalUpperQuantile(0.01), 1e-9)
	assert.InDelta(t, 1.9599639845400545, normalUpperQuantile(0.025), 1e-9)
	assert.InDelta(t, 0, normalUpperQuantile(0.5), 1e-9)
}

func TestWilsonUpper(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		k, n  int
		alpha float64
		want  float64
	}{
		{"no failure in 10 may still be a 28% rate (97.5%)", 0, 10, 0.025, 0.27753279986288926},
		{"the textbook 5 in 10 (97.5%)", 5, 10, 0.025, 0.763406909487436},
		{"blue's 27 in 5,400 at 99.9%", 27, 5400, 0.001, 0.00896348857469741},
		{"9 in 300 at 99.9%", 9, 300, 0.001, 0.07778544849136361},
		{"nothing seen bounds nothing", 0, 0, 0.001, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.InDelta(t, tc.want, wilsonUpper(tc.k, tc.n, tc.alpha), 1e-9)
		})
	}
}
