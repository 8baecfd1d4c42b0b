//! The fast Gauss transform of the sorted sweeps ([`super::sweep`]): Gaussian sums
//! `sum_k w_k e^{-(q - k)^2 / (2 h^2)}` at many queries in O(keys + queries) work, with an
//! error bound.
//!
//! # How (Greengard and Strain, 1991, on a grid of half-bandwidth cells)
//! In bandwidth units, cut the line into cells of width `1/2` on a grid. A key `b` from its
//! cell's centre and a query `alpha` from its own cell's centre are both within `1/4`; the
//! centres are `D` apart (a multiple of `1/2`), so the query-key distance is
//! `x - b` with `x = D + alpha`. With the Hermite functions `h_n(x) = He_n(x) e^{-x^2/2}`:
//!
//! - **Source moments**: `e^{-(x - b)^2 / 2} = sum_l (b^l / l!) h_l(x)`, so a cell's keys act
//!   through `A_l = sum_k w_k b_k^l / l!`, `l < P`.
//! - **Target Taylor series**: `h_l(D + alpha) = sum_m (alpha^m / m!) (-1)^m h_{l+m}(D)`, so a
//!   target cell's sum is the polynomial `sum_m B_m alpha^m` with
//!   `B_m = (-1)^m / m! sum_cells sum_l A_l h_{l+m}(D)`, `m < P`.
//!
//! A query then costs one polynomial of degree `P - 1`; each target cell costs `P^2` per source
//! cell within reach (`|D| <= 10.74`: a query within [`GAUSS_NEAREST`] bandwidths of its
//! nearest key reaches no further), with `h_n(D)` from a
//! table of the 43 possible offsets. The slope `u^2 e^{-u^2/2} = h_2(u) + h_0(u)` (for
//! gradients) comes from the same moments with `h_{l+m+2} + h_{l+m}`.
//!
//! # Error bound
//! By Cramér's inequality `|h_n(x)| <= 1.0865 sqrt(n!) e^{-x^2/4}`, every term left out (some
//! `l` or `m` at least `P`) is at most `1.0865 (1/4)^(l+m) sqrt((l+m)!) / (l! m!)` times the
//! cell's total weight times `e^{-(|D| - 1/4)^2 / 4}`; summed, with
//! `sum_{l+m=n} 1/(l! m!) = 2^n / n!`, the cut loses at most
//! `1.0865 sum_{n >= P} 2^-n / sqrt(n!) <= FGT_TRUNCATION` of each cell's *envelope*
//! `W e^{-(|D| - 1/4)^2 / 4}`. The envelope sums are computed with the series, so each query
//! knows its own bound; where it is not small beside the query's sum (a query in a sparse
//! stretch, or a leave-one-out rest that is small beside the row's own weight), the sweep
//! sums that query directly in f64.

use super::sweep::Groups;

/// The nearest key may be this many bandwidths from a query the transform serves: such a
/// query reaches keys up to `sqrt(64 * 2 ln 2 + 4^2) = 10.24` bandwidths away (beyond, a key
/// weighs under `2^-64` of the nearest one), and its sum is at least `e^-8` of the nearest
/// key's weight, so the bound below stays small beside it. A query further from every key
/// is summed directly.
pub(crate) const GAUSS_NEAREST: f64 = 4.0;

/// Terms of each expansion.
pub(crate) const P: usize = 16;
/// Hermite functions needed: `h_{l+m}` and, for slopes, `h_{l+m+2}`.
const NH: usize = 2 * P + 1;
/// Cell width in bandwidths.
const WIDTH: f64 = 0.5;
/// Source cells within this many cells of a target take part: `sqrt(64 * 2 ln 2 + 4^2)`
/// bandwidths plus a half cell each side, over the cell width.
const CELLS: i64 = 22;
/// `1.0865 sum_{n >= 16} 2^-n / sqrt(n!)` (= 3.5e-12), rounded up, plus the slope's
/// `sqrt((n+1)(n+2))` factor for `h_{n+2}` (19x at n = 16): a bound for both sums.
pub(crate) const FGT_TRUNCATION: f64 = 1e-10;

/// The source moments of every occupied cell at one bandwidth, and the Hermite table.
pub(crate) struct Expansions {
    /// The grid's origin (the least input) and cell width, in input units.
    x0: f64,
    width: f64,
    h: f64,
    /// Occupied cells' grid indices, ascending.
    idx: Vec<i64>,
    /// `A_l` of counts and of value sums, `P` per cell.
    az: Vec<f64>,
    av: Vec<f64>,
    /// Each cell's total count and sum of `|value|` bounds (for the envelope).
    weight: Vec<f64>,
    vabs: Vec<f64>,
    /// `h_n(d / 2)` for `d` in `-CELLS..=CELLS`, `NH` per offset.
    table: Vec<f64>,
    /// `e^{-(|d/2| - 1/4)^2 / 4}` per offset.
    envelope: Vec<f64>,
}

/// A target cell's polynomials in `alpha`: weights, values, and (with slopes) their slope
/// sums, with the envelopes that bound their errors.
pub(crate) struct Target {
    pub(crate) cell: i64,
    bz: [f64; P],
    bv: [f64; P],
    cz: [f64; P],
    cv: [f64; P],
    /// `sum W e^{...}` and `sum V e^{...}` over the source cells.
    pub(crate) envelope_z: f64,
    pub(crate) envelope_v: f64,
}

impl Expansions {
    /// The moments of `groups` at bandwidth `h`.
    pub(crate) fn new(groups: &Groups, h: f64) -> Expansions {
        let x0 = groups.x.first().map_or(0.0, |&x| f64::from(x));
        let width = WIDTH * h;
        let mut e = Expansions {
            x0,
            width,
            h,
            idx: Vec::new(),
            az: Vec::new(),
            av: Vec::new(),
            weight: Vec::new(),
            vabs: Vec::new(),
            table: Vec::with_capacity((2 * CELLS as usize + 1) * NH),
            envelope: Vec::new(),
        };
        let mut powers = [0.0; P];
        for g in 0..groups.x.len() {
            let x = f64::from(groups.x[g]);
            let cell = e.cell_of(x);
            if e.idx.last() != Some(&cell) {
                e.idx.push(cell);
                e.az.extend([0.0; P]);
                e.av.extend([0.0; P]);
                e.weight.push(0.0);
                e.vabs.push(0.0);
            }
            let s = e.idx.len() - 1;
            let b = (x - e.centre(cell)) / h;
            // b^l / l!.
            let mut t = 1.0;
            for (l, p) in powers.iter_mut().enumerate() {
                *p = t;
                t *= b / (l + 1) as f64;
            }
            let (c, v) = (groups.count[g], groups.sum[g]);
            let (az, av) = (&mut e.az[s * P..(s + 1) * P], &mut e.av[s * P..(s + 1) * P]);
            for ((z, w), &p) in az.iter_mut().zip(av.iter_mut()).zip(&powers) {
                *z += c * p;
                *w += v * p;
            }
            e.weight[s] += c;
            e.vabs[s] += c * groups.vmax[g];
        }
        for d in -CELLS..=CELLS {
            let x = d as f64 * WIDTH;
            let mut prev = 0.0;
            let mut cur = (-0.5 * x * x).exp();
            for n in 0..NH {
                e.table.push(cur);
                let next = x * cur - n as f64 * prev;
                (prev, cur) = (cur, next);
            }
            let far = (x.abs() - 0.5 * WIDTH).max(0.0);
            e.envelope.push((-0.25 * far * far).exp());
        }
        e
    }

    /// The grid cell of input `x`.
    #[inline(always)]
    pub(crate) fn cell_of(&self, x: f64) -> i64 {
        ((x - self.x0) / self.width).floor() as i64
    }

    #[inline(always)]
    fn centre(&self, cell: i64) -> f64 {
        self.x0 + (cell as f64 + 0.5) * self.width
    }

    /// The polynomials of target cell `cell`, with the slope sums when `grad`.
    #[inline(always)]
    pub(crate) fn target(&self, cell: i64, grad: bool) -> Target {
        let mut t = Target {
            cell,
            bz: [0.0; P],
            bv: [0.0; P],
            cz: [0.0; P],
            cv: [0.0; P],
            envelope_z: 0.0,
            envelope_v: 0.0,
        };
        let from = self.idx.partition_point(|&c| c < cell - CELLS);
        let to = self.idx.partition_point(|&c| c <= cell + CELLS);
        for s in from..to {
            let d = (cell - self.idx[s] + CELLS) as usize;
            let hn = &self.table[d * NH..(d + 1) * NH];
            let (az, av) = (&self.az[s * P..(s + 1) * P], &self.av[s * P..(s + 1) * P]);
            for m in 0..P {
                let (mut z, mut v) = (0.0, 0.0);
                for l in 0..P {
                    z += az[l] * hn[l + m];
                    v += av[l] * hn[l + m];
                }
                t.bz[m] += z;
                t.bv[m] += v;
                if grad {
                    let (mut z, mut v) = (0.0, 0.0);
                    for l in 0..P {
                        let k = hn[l + m + 2] + hn[l + m];
                        z += az[l] * k;
                        v += av[l] * k;
                    }
                    t.cz[m] += z;
                    t.cv[m] += v;
                }
            }
            t.envelope_z += self.weight[s] * self.envelope[d];
            t.envelope_v += self.vabs[s] * self.envelope[d];
        }
        // The Taylor factors (-1)^m / m!.
        let mut f = 1.0;
        for m in 0..P {
            t.bz[m] *= f;
            t.bv[m] *= f;
            t.cz[m] *= f;
            t.cv[m] *= f;
            f *= -1.0 / (m + 1) as f64;
        }
        t
    }

    /// `(z, v, f, fv)` at query `q` of target cell `t`, and the bounds of `z` and `v`.
    #[inline(always)]
    pub(crate) fn eval(&self, t: &Target, q: f32) -> ([f64; 4], f64, f64) {
        let alpha = (f64::from(q) - self.centre(t.cell)) / self.h;
        let horner = |c: &[f64; P]| c.iter().rev().fold(0.0, |acc, &b| acc * alpha + b);
        let sums = [horner(&t.bz), horner(&t.bv), horner(&t.cz), horner(&t.cv)];
        // The cut series, and rounding: a few hundred units in the last place of the
        // envelope (the terms of the double sums are bounded by it).
        let rel = FGT_TRUNCATION + 512.0 * f64::EPSILON;
        (sums, rel * t.envelope_z, rel * t.envelope_v)
    }
}

/// Whether the transform serves a query whose nearest key is `umin` bandwidths away.
pub(crate) fn serves(umin: f64) -> bool {
    umin <= GAUSS_NEAREST
}
