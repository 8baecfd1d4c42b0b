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
//! fused pass), in the same single pass, and sums the squared errors.

use rayon::prelude::*;

use crate::error::Result;
use crate::kernels::radial::{Moments, Radial};
use crate::kernels::{scalar, simd};
use crate::ops::pool::{NO_SKIP, Plan, QUERY_BLOCK, SortedKeys, check_loo, plan, tiles};
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

/// The leave-one-out local linear fit of a training set: each example fitted without its own
/// row.
#[derive(Clone, Debug, PartialEq)]
pub struct LooLinear {
    /// `sum_i (y_hat_i - y_i)^2` over the examples with an estimate, in f64.
    pub loss: f64,
    /// Each example's leave-one-out fit, in the input order (NaN without an estimate).
    pub y_hat: Vec<f32>,
    /// How many examples have no estimate (too few other keys in reach, or ill-conditioned).
    pub far: usize,
}

/// Fits a local line at every query over `keys` with `kernel`, in one streaming pass (see the
/// module docs).
pub fn pool_linear<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys, par: Par) -> Linear {
    let mut rows = vec![(f32::NAN, f32::NAN); queries.len()];
    if keys.is_empty() {
        return unzip(rows);
    }
    let block = |(q, out): (&[f32], &mut [(f32, f32)])| {
        let plans: Vec<Option<Plan<K>>> = q
            .iter()
            .map(|&qi| plan(kernel, qi, keys.keys(), NO_SKIP))
            .collect();
        let moments = stream(kernel, &plans, keys, NO_SKIP);
        for ((o, &qi), (p, m)) in out.iter_mut().zip(q).zip(plans.iter().zip(&moments)) {
            *o = solve(p.as_ref(), m, qi, keys.value_shift());
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
    unzip(rows)
}

/// The scalar twin of [`pool_linear`]: the same plan per query, then every key of the range
/// in order, in f64 ([`scalar::linear_sums`]), with no tiles and no threads.
pub fn pool_linear_scalar<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys) -> Linear {
    if keys.is_empty() {
        return unzip(vec![(f32::NAN, f32::NAN); queries.len()]);
    }
    let rows = queries
        .iter()
        .map(|&q| {
            let p = plan(kernel, q, keys.keys(), NO_SKIP);
            let m = scalar_moments(kernel, p.as_ref(), keys, NO_SKIP);
            solve(p.as_ref(), &m, q, keys.value_shift())
        })
        .collect();
    unzip(rows)
}

/// Leave-one-out local linear fits of the training set `data` (keys are inputs, values are
/// targets): example `i` is fitted on every row but its own (equal inputs stay in), in one
/// fused pass, with the summed squared loss.
///
/// Needs at least 2 examples.
pub fn loo_linear<K: Radial>(kernel: &K, data: &SortedKeys, par: Par) -> Result<LooLinear> {
    check_loo(data)?;
    let n = data.len();
    let xs = data.keys();
    let mut rows = vec![(f32::NAN, 0.0); n];
    let block = |(b, out): (usize, &mut [(f32, f64)])| {
        let start = b * QUERY_BLOCK;
        let plans: Vec<Option<Plan<K>>> = (0..out.len())
            .map(|i| plan(kernel, xs[start + i], xs, start + i))
            .collect();
        let moments = stream(kernel, &plans, data, start);
        for (i, (p, m)) in plans.iter().zip(&moments).enumerate() {
            out[i] = loo_row(p.as_ref(), m, data, start + i);
        }
    };
    if par.is_parallel() && n > QUERY_BLOCK {
        rows.par_chunks_mut(QUERY_BLOCK).enumerate().for_each(block);
    } else {
        rows.chunks_mut(QUERY_BLOCK).enumerate().for_each(block);
    }
    Ok(loo_fit(rows, data))
}

/// The scalar twin of [`loo_linear`]: the same plans, every key in order in f64, sequential.
pub fn loo_linear_scalar<K: Radial>(kernel: &K, data: &SortedKeys) -> Result<LooLinear> {
    check_loo(data)?;
    let xs = data.keys();
    let rows = (0..data.len())
        .map(|i| {
            let p = plan(kernel, xs[i], xs, i);
            let m = scalar_moments(kernel, p.as_ref(), data, i);
            loo_row(p.as_ref(), &m, data, i)
        })
        .collect();
    Ok(loo_fit(rows, data))
}

/// The moments of a block of planned queries, tile by tile (see [`tiles`]).
fn stream<K: Radial>(
    kernel: &K,
    plans: &[Option<Plan<K>>],
    keys: &SortedKeys,
    skip_base: usize,
) -> Vec<Moments> {
    tiles(plans, skip_base, |p, range, skip, m: &mut Moments| {
        simd::linear_sums(
            kernel,
            &p.anchor,
            p.pivot,
            keys.padded_keys(),
            keys.summed_values(),
            range,
            skip,
            m,
        );
    })
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

/// A query's `(y, slope)` in f32 (NaN without an estimate).
fn solve<K: Radial>(p: Option<&Plan<K>>, m: &Moments, q: f32, shift: i32) -> (f32, f32) {
    line(p, m, q, shift).map_or((f32::NAN, f32::NAN), |(a, b)| (a as f32, b as f32))
}

/// Example `i`'s (sorted position) leave-one-out fit and squared error (NaN and 0 without an
/// estimate); the error is taken in f64 before the fit is rounded.
fn loo_row<K: Radial>(p: Option<&Plan<K>>, m: &Moments, data: &SortedKeys, i: usize) -> (f32, f64) {
    match line(p, m, data.keys()[i], data.value_shift()) {
        Some((a, _)) => {
            let r = a - f64::from(data.values()[i]);
            (a as f32, r * r)
        }
        None => (f32::NAN, 0.0),
    }
}

/// Sums the squared errors in sorted order (whatever the threads did) and puts the fits back
/// in the input order.
fn loo_fit(rows: Vec<(f32, f64)>, data: &SortedKeys) -> LooLinear {
    let mut y_hat = vec![0.0; rows.len()];
    for (sorted, &original) in data.order().iter().enumerate() {
        y_hat[original] = rows[sorted].0;
    }
    LooLinear {
        loss: rows.iter().map(|r| r.1).sum(),
        far: rows.iter().filter(|r| r.0.is_nan()).count(),
        y_hat,
    }
}

/// Columns from rows.
fn unzip(rows: Vec<(f32, f32)>) -> Linear {
    let (y, slope) = rows.into_iter().unzip();
    Linear { y, slope }
}
