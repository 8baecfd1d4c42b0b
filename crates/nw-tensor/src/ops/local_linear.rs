//! Local linear regression in the fused 1-D pass: at each query `q`, the weighted least
//! squares line `y ~ a + b (k - q)` through the keys, with the kernel's weights. `a` is the
//! fit and `b` its slope (an estimate of the regression function's derivative).
//!
//! # How
//! With weights `w_j` and `t_j = k_j - q`, the moments `S0 = sum w`, `S1 = sum w t`,
//! `S2 = sum w t^2`, `T0 = sum w y`, `T1 = sum w t y` give
//! `a = (S2 T0 - S1 T1) / D`, `b = (S0 T1 - S1 T0) / D`, `D = S0 S2 - S1^2`.
//! The moments ride on the same pass as Nadaraya-Watson's sums ([`super::pool`]): the same
//! plan per query (nearest key, pivot, anchor, range), the same tiles in the same order, f32
//! lanes for the weights and distances ([`simd::linear_sums`]) but f64 lanes for the products
//! and sums, so a query's result is the same bits on any number of threads. The weights are
//! the 1-D kernel's relative ones (up to 1); their common factor cancels in `a` and `b`.
//!
//! # Why the moments are f64
//! `D` and the numerators of `a` and `b` are differences of products of moments, and they
//! cancel by `S0 S2 / D`, up to `1 / EPS` = 1000 before a query declines. With few keys in
//! reach and a query far from most of them (weights falling by orders of magnitude across
//! the keys) that is the common case, not a corner. Moments summed in f32 lanes, each product
//! and sum rounded to `2^-24`, carry up to `~3e-5 S0 S2` of error into `D`: the slope was off
//! by `1.5e-4` of its scale with two keys in reach, with FMA or without (the portable build's
//! test data merely happened to land there first). Rounding the products and sums in f64
//! instead leaves `n 2^-51 S0 S2` over `n` keys in reach (see [`EPS`]); the f32 weights and
//! distances are the inputs' own rounding.
//!
//! # Measured from the query, not from the origin
//! The lanes sum `t = k - pivot`, where the pivot is the query itself for a query inside the
//! span of the keys: every `t` is a small, accurate number, and `D`, a difference of
//! products, cancels only as much as the keys' own spread around the query demands. Summing
//! `k`, `k^2` about the origin instead and shifting afterwards would subtract numbers of size
//! `k^2` to get a spread of size `h^2`: with keys near `1e4` and a bandwidth of `1`, f32 sums
//! would keep no digit of `D`, and f64 ones only half of theirs; `k - q` of two nearby f32
//! keys is exact. For a query outside the span the pivot is the nearest key (as in
//! [`super::pool`]); the system is solved about the pivot, where its conditioning is
//! the keys' own, and the line is then carried to the query in f64: with `c = pivot - q`,
//! `t = t' + c`, so `b = b'` and `a = a' - c b'`. This is the same as shifting the moments
//! to the query and solving there, without the `c^2` terms that would cancel in `D`.
//!
//! # No estimate
//! A query gets NaN for both `a` and `b` when it has no key in reach (a compact kernel's far
//! query, as in [`super::pool`]), when it is not finite, or when its system is singular or
//! too ill-conditioned to trust: fewer than two distinct keys with a weight, or
//! `D <= EPS S0 S2` about the pivot, with `EPS` = [`EPS`] (see there for why).
//!
//! # Accuracy
//! Tested against an f64 solution of the weighted least squares (weights from
//! `KernelKind::ln_k`) on the same f32 inputs, for the Gaussian, Epanechnikov and Laplace
//! kernels, 2 to 5,000 keys crossing lane and tile boundaries, bandwidths from a few keys in
//! reach to most of the span, queries inside and up to 3 bandwidths outside the span:
//! `|a - a_ref| <= 5e-5 (max |y| + |b_ref| h)` and `|b - b_ref| <= 1e-4 (|b_ref| + max |y| / h)`,
//! also for 2 to 6 keys with queries far from most of them, down to `D = 2 EPS S0 S2`
//! (worst measured: 7.5e-7 and 7.3e-7, from the f32 weights and distances; the vector pass
//! and the scalar twin alike). The vector pass and the twin compute each key's terms to the
//! bit and differ only in the order of their f64 sums, so their results are the same f32 or
//! neighbours. A straight line is recovered to 1e-5 relative by every kernel. Keys below
//! `2^-64` of the nearest key's weight count as out of reach, as in [`super::pool`]; only
//! such a key could have made a system regular, and then with a weight of `1e-20`.
//!
//! # Leave-one-out
//! [`loo_linear`] fits each training example without its own row (the skip index of the
//! fused pass), in the same single pass, and sums the squared errors. From the same moments
//! plus the example's own term (`t = x_i - pivot`, weight `K(0)` relative to the anchor) it
//! also gives each example's full fit and leverage ([`LooLocal`]), solved by the shared
//! correlation-scaled Cholesky of [`super::wls`] (its rule is this module's `EPS` rule).

use rayon::prelude::*;

use crate::error::Result;
use crate::kernels::isa::{self, Simd};
use crate::kernels::radial::{Moments, Radial};
use crate::kernels::{scalar, simd};
use crate::ops::pool::{NO_SKIP, Plan, QUERY_BLOCK, SortedKeys, TileTerms, Tiles, check_loo, plan};
use crate::ops::wls;
use crate::par::Par;

/// The smallest `D / (S0 S2)` (about the pivot) for which a query gets an estimate.
///
/// `D / (S0 S2) = 1 - S1^2 / (S0 S2)` is in `[0, 1]` (Cauchy-Schwarz): the share of the
/// weighted second moment that is spread rather than offset. It rejects a fit whose keys in
/// reach are spread over less than `~3%` of their distance from the pivot: a long
/// extrapolation from a tight cluster, whose slope is the cluster's noise magnified
/// `~1 / sqrt(EPS) = 32` times. It is not a limit of the arithmetic: the moments are f64 sums
/// of f64 products ([`simd::linear_sums`]), within `gamma ~ n 2^-53` relative over `n` keys in
/// reach, so `|error of D| <= 2 gamma S0 S2 + 2 gamma |S1| sum w |t| <= 4 gamma S0 S2`
/// (`(sum w |t|)^2 <= S0 S2`): at the threshold `2.2e-9` of `D` for 5,000 keys, `4.4e-7`
/// for a million. The f32 distances `t = fl(k - pivot)`, off by up to `2^-24 |t|`, move the
/// spread by up to `2^-24 / sqrt(D / (S0 S2))` of itself: `1.9e-6` at the threshold, inside
/// the stated accuracy (module docs).
pub const EPS: f64 = 1e-3;

/// The local linear fit at each query, in query order.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// The fit `a(q)`; NaN where there is no estimate (see the module docs).
    pub y: Vec<f32>,
    /// The slope `b(q)`, the local estimate of `dy/dq`; NaN where there is no estimate.
    pub slope: Vec<f32>,
}

/// The leave-one-out fit of a training set by a local polynomial ([`loo_linear`], and the
/// d-dimensional and quadratic fits of [`super::local_linear_nd`] and
/// [`super::local_quadratic`]): each example fitted without its own row, with what the
/// corrected AIC and confidence bands need from the full fit.
#[derive(Clone, Debug, PartialEq)]
pub struct LooLocal {
    /// `sum_i (y_hat_i - y_i)^2` over the examples with an estimate, in f64.
    pub loss: f64,
    /// Each example's leave-one-out fit, in the input order (NaN without an estimate).
    pub y_hat: Vec<f32>,
    /// How many examples have no leave-one-out estimate (too few other keys in reach, or
    /// ill-conditioned).
    pub far: usize,
    /// Each example's full fit, its own row included, in the input order (NaN without an
    /// estimate).
    pub fit: Vec<f32>,
    /// Each example's leverage `H_ii = w_self (M^-1)_00`: its own weight in its full fit, the
    /// diagonal of the smoother matrix (summed: the fit's degrees of freedom). Input order,
    /// NaN without an estimate.
    pub leverage: Vec<f64>,
}

/// Fits a local line at every query over `keys` with `kernel`, in one streaming pass (see the
/// module docs).
pub fn pool_linear<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys, par: Par) -> Linear {
    unzip(pool_local::<LineFit, K>(kernel, queries, keys, par))
}

/// The scalar twin of [`pool_linear`]: the same plan per query, then every key of the range
/// in order, in f64 ([`scalar::linear_sums`]), with no tiles and no threads.
pub fn pool_linear_scalar<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys) -> Linear {
    unzip(pool_local_scalar::<LineFit, K>(kernel, queries, keys))
}

/// Leave-one-out local linear fits of the training set `data` (keys are inputs, values are
/// targets): example `i` is fitted on every row but its own (equal inputs stay in), in one
/// fused pass, with the summed squared loss.
///
/// Needs at least 2 examples.
pub fn loo_linear<K: Radial>(kernel: &K, data: &SortedKeys, par: Par) -> Result<LooLocal> {
    loo_local::<LineFit, K>(kernel, data, par)
}

/// The scalar twin of [`loo_linear`]: the same plans, every key in order in f64, sequential.
pub fn loo_linear_scalar<K: Radial>(kernel: &K, data: &SortedKeys) -> Result<LooLocal> {
    loo_local_scalar::<LineFit, K>(kernel, data)
}

/// A local polynomial fit with one input on the 1-D fused pass: its moments (vector pass and
/// scalar twin), its solve, and its leave-one-out row. The drivers below run the plans, query
/// blocks, threads and leave-one-out bookkeeping that every such fit shares.
pub(crate) trait Local1d {
    /// One query's moments.
    type Moments: Send;
    /// The moments of a block of planned queries, tile by tile.
    fn stream<K: Radial>(
        kernel: &K,
        plans: &[Option<Plan<K>>],
        keys: &SortedKeys,
        skip_base: usize,
    ) -> Vec<Self::Moments>;
    /// One query's moments in f64, key by key (the scalar twin).
    fn scalar_moments<K: Radial>(
        kernel: &K,
        p: Option<&Plan<K>>,
        keys: &SortedKeys,
        skip: usize,
    ) -> Self::Moments;
    /// `(y, slope)` in f64 at query `q`, values scaled back by `2^shift`; `None` without an
    /// estimate.
    fn fit<K: Radial>(
        p: Option<&Plan<K>>,
        m: &Self::Moments,
        q: f32,
        shift: i32,
    ) -> Option<(f64, f64)>;
    /// Example `i`'s (sorted position) leave-one-out row, with its full fit and leverage.
    fn loo_row<K: Radial>(
        kernel: &K,
        p: Option<&Plan<K>>,
        m: &Self::Moments,
        data: &SortedKeys,
        i: usize,
    ) -> LooRow;
}

/// A query's `(y, slope)` in f32 (NaN without an estimate).
fn rounded(fit: Option<(f64, f64)>) -> (f32, f32) {
    fit.map_or((f32::NAN, f32::NAN), |(a, b)| (a as f32, b as f32))
}

/// Fit `F` at every query in one streaming pass, in fixed blocks of queries (the same bits on
/// any number of threads).
pub(crate) fn pool_local<F: Local1d, K: Radial>(
    kernel: &K,
    queries: &[f32],
    keys: &SortedKeys,
    par: Par,
) -> Vec<(f32, f32)> {
    let mut rows = vec![(f32::NAN, f32::NAN); queries.len()];
    if keys.is_empty() {
        return rows;
    }
    let block = |(q, out): (&[f32], &mut [(f32, f32)])| {
        let plans: Vec<Option<Plan<K>>> = q
            .iter()
            .map(|&qi| plan(kernel, qi, keys.keys(), NO_SKIP))
            .collect();
        let moments = F::stream(kernel, &plans, keys, NO_SKIP);
        for ((o, &qi), (p, m)) in out.iter_mut().zip(q).zip(plans.iter().zip(&moments)) {
            *o = rounded(F::fit(p.as_ref(), m, qi, keys.value_shift()));
        }
    };
    if par.is_parallel() && queries.len() > QUERY_BLOCK {
        queries
            .par_chunks(QUERY_BLOCK)
            .zip(rows.par_chunks_mut(QUERY_BLOCK))
            .for_each(block);
    } else {
        queries
            .chunks(QUERY_BLOCK)
            .zip(rows.chunks_mut(QUERY_BLOCK))
            .for_each(block);
    }
    rows
}

/// The scalar twin of [`pool_local`]: the same plan per query, every key of its range in
/// order in f64, no tiles, no threads.
pub(crate) fn pool_local_scalar<F: Local1d, K: Radial>(
    kernel: &K,
    queries: &[f32],
    keys: &SortedKeys,
) -> Vec<(f32, f32)> {
    if keys.is_empty() {
        return vec![(f32::NAN, f32::NAN); queries.len()];
    }
    queries
        .iter()
        .map(|&q| {
            let p = plan(kernel, q, keys.keys(), NO_SKIP);
            let m = F::scalar_moments(kernel, p.as_ref(), keys, NO_SKIP);
            rounded(F::fit(p.as_ref(), &m, q, keys.value_shift()))
        })
        .collect()
}

/// Leave-one-out fits `F` of the training set `data`, in one fused pass with each example's
/// own key skipped. Needs at least 2 examples.
pub(crate) fn loo_local<F: Local1d, K: Radial>(
    kernel: &K,
    data: &SortedKeys,
    par: Par,
) -> Result<LooLocal> {
    check_loo(data)?;
    let n = data.len();
    let xs = data.keys();
    let mut rows = vec![LooRow::default(); n];
    let block = |(b, out): (usize, &mut [LooRow])| {
        let start = b * QUERY_BLOCK;
        let plans: Vec<Option<Plan<K>>> = (0..out.len())
            .map(|i| plan(kernel, xs[start + i], xs, start + i))
            .collect();
        let moments = F::stream(kernel, &plans, data, start);
        for (i, (p, m)) in plans.iter().zip(&moments).enumerate() {
            out[i] = F::loo_row(kernel, p.as_ref(), m, data, start + i);
        }
    };
    if par.is_parallel() && n > QUERY_BLOCK {
        rows.par_chunks_mut(QUERY_BLOCK).enumerate().for_each(block);
    } else {
        rows.chunks_mut(QUERY_BLOCK).enumerate().for_each(block);
    }
    Ok(loo_fit(&rows, data.order()))
}

/// The scalar twin of [`loo_local`]: the same plans, every key in order in f64, sequential.
pub(crate) fn loo_local_scalar<F: Local1d, K: Radial>(
    kernel: &K,
    data: &SortedKeys,
) -> Result<LooLocal> {
    check_loo(data)?;
    let xs = data.keys();
    let rows: Vec<LooRow> = (0..data.len())
        .map(|i| {
            let p = plan(kernel, xs[i], xs, i);
            let m = F::scalar_moments(kernel, p.as_ref(), data, i);
            F::loo_row(kernel, p.as_ref(), &m, data, i)
        })
        .collect();
    Ok(loo_fit(&rows, data.order()))
}

/// The local line, for the drivers.
struct LineFit;

impl Local1d for LineFit {
    type Moments = Moments;

    fn stream<K: Radial>(
        kernel: &K,
        plans: &[Option<Plan<K>>],
        keys: &SortedKeys,
        skip_base: usize,
    ) -> Vec<Moments> {
        stream(kernel, plans, keys, skip_base)
    }

    fn scalar_moments<K: Radial>(
        kernel: &K,
        p: Option<&Plan<K>>,
        keys: &SortedKeys,
        skip: usize,
    ) -> Moments {
        scalar_moments(kernel, p, keys, skip)
    }

    fn fit<K: Radial>(p: Option<&Plan<K>>, m: &Moments, q: f32, shift: i32) -> Option<(f64, f64)> {
        line(p, m, q, shift)
    }

    fn loo_row<K: Radial>(
        kernel: &K,
        p: Option<&Plan<K>>,
        m: &Moments,
        data: &SortedKeys,
        i: usize,
    ) -> LooRow {
        loo_row(kernel, p, m, data, i)
    }
}

/// The moments of a block of planned queries, tile by tile (see [`tiles`]).
fn stream<K: Radial>(
    kernel: &K,
    plans: &[Option<Plan<K>>],
    keys: &SortedKeys,
    skip_base: usize,
) -> Vec<Moments> {
    isa::run(Tiles {
        kernel,
        plans,
        keys,
        skip_base,
        terms: Terms,
    })
}

/// The moments ([`simd::linear_sums`]).
#[derive(Clone, Copy)]
struct Terms;

impl<K: Radial> TileTerms<K> for Terms {
    type Acc = Moments;

    #[inline(always)]
    fn add<V: Simd>(
        self,
        kernel: &K,
        p: &Plan<K>,
        keys: &SortedKeys,
        range: (usize, usize),
        skip: usize,
        m: &mut Moments,
    ) {
        simd::linear_sums::<V, K>(
            kernel,
            &p.anchor,
            p.pivot,
            keys.padded_keys(),
            keys.summed_values(),
            range,
            skip,
            m,
        );
    }
}

/// One query's moments in f64, key by key.
fn scalar_moments<K: Radial>(
    kernel: &K,
    p: Option<&Plan<K>>,
    keys: &SortedKeys,
    skip: usize,
) -> Moments {
    let mut m = Moments::default();
    if let Some(p) = p {
        scalar::linear_sums(
            kernel,
            &p.anchor,
            p.pivot,
            keys.keys(),
            keys.summed_values(),
            (p.lo, p.hi),
            skip,
            &mut m,
        );
    }
    m
}

/// `(a, b)` in f64 at query `q` from moments about the plan's pivot, values scaled back by
/// `2^shift`; `None` without an estimate.
fn line<K: Radial>(p: Option<&Plan<K>>, m: &Moments, q: f32, shift: i32) -> Option<(f64, f64)> {
    let p = p?;
    let d = m.s0 * m.s2 - m.s1 * m.s1;
    // Written so that a NaN fails: no weight, one distinct key (D = 0 up to rounding), or a
    // system too ill-conditioned to be worth an estimate (see EPS).
    if !(m.s0 > 0.0 && d > EPS * m.s0 * m.s2) {
        return None;
    }
    let a = (m.s2 * m.t0 - m.s1 * m.t1) / d;
    let b = (m.s0 * m.t1 - m.s1 * m.t0) / d;
    // t = t' + c about the query: the same line, read at the query.
    let c = f64::from(p.pivot) - f64::from(q);
    let scale = 2f64.powi(shift);
    Some(((a - c * b) * scale, b * scale))
}

/// Example `i`'s (sorted position) leave-one-out fit and squared error, and its full fit and
/// leverage ([`LooRow`]); the error is taken in f64 before the fit is rounded.
fn loo_row<K: Radial>(
    kernel: &K,
    p: Option<&Plan<K>>,
    m: &Moments,
    data: &SortedKeys,
    i: usize,
) -> LooRow {
    let x = data.keys()[i];
    let shift = data.value_shift();
    let mut row = LooRow::from_loo(line(p, m, x, shift).map(|l| l.0), data.values()[i]);
    if let Some(p) = p {
        // The example's own term: at t = x - pivot, weighing K(0) relative to the anchor.
        let w_self = (kernel.log_scale(x, 0.0) - p.log_scale).exp();
        let r = [1.0, f64::from(x) - f64::from(p.pivot)];
        let y = f64::from(data.summed_values()[i]);
        let full = wls::full_fit(&[m.s0, m.s1, m.s2], &[m.t0, m.t1], &r, w_self, y);
        row.set_full(full, shift);
    }
    row
}

/// One example's leave-one-out results, in sorted order (see [`LooLocal`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LooRow {
    y_hat: f32,
    /// The squared error (0 without an estimate).
    sq: f64,
    fit: f32,
    leverage: f64,
}

impl Default for LooRow {
    fn default() -> Self {
        LooRow {
            y_hat: f32::NAN,
            sq: 0.0,
            fit: f32::NAN,
            leverage: f64::NAN,
        }
    }
}

impl LooRow {
    /// A row from the leave-one-out fit in f64 (already scaled back), without the full fit.
    pub(crate) fn from_loo(y_hat: Option<f64>, target: f32) -> LooRow {
        match y_hat {
            Some(a) => {
                let r = a - f64::from(target);
                LooRow {
                    y_hat: a as f32,
                    sq: r * r,
                    ..LooRow::default()
                }
            }
            None => LooRow::default(),
        }
    }

    /// Sets the full fit and leverage from [`wls::full_fit`]'s answer, the fit scaled back by
    /// `2^shift`.
    pub(crate) fn set_full(&mut self, full: Option<(f64, f64)>, shift: i32) {
        if let Some((fit, leverage)) = full {
            self.fit = (fit * 2f64.powi(shift)) as f32;
            self.leverage = leverage;
        }
    }
}

/// Sums the squared errors in sorted order (whatever the threads did) and puts the rows back
/// in the input order (`order[sorted] = input position`).
pub(crate) fn loo_fit(rows: &[LooRow], order: &[usize]) -> LooLocal {
    let n = rows.len();
    let (mut y_hat, mut fit, mut leverage) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for (r, &original) in rows.iter().zip(order) {
        y_hat[original] = r.y_hat;
        fit[original] = r.fit;
        leverage[original] = r.leverage;
    }
    LooLocal {
        loss: rows.iter().map(|r| r.sq).sum(),
        far: rows.iter().filter(|r| r.y_hat.is_nan()).count(),
        y_hat,
        fit,
        leverage,
    }
}

/// Columns from rows.
fn unzip(rows: Vec<(f32, f32)>) -> Linear {
    let (y, slope) = rows.into_iter().unzip();
    Linear { y, slope }
}
