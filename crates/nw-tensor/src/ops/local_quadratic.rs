//! Local quadratic regression with one input, in the fused 1-D pass: at each query `q`, the
//! weighted least squares parabola `y ~ a + b (k - q) + e (k - q)^2` through the keys, with
//! the kernel's weights. `a` is the fit and `b` its slope; the curvature term removes the
//! local linear fit's bias where the regression function bends (at peaks and valleys).
//!
//! # How
//! The same plan per query as [`super::local_linear`] (nearest key, pivot, anchor, range),
//! the same tiles in the same order; the lanes sum, in f64, the moments about the pivot
//! `Sk = sum w t^k` (`k = 0..4`) and `Tk = sum w t^k y` (`k = 0..2`), `t = k - pivot`
//! ([`simd::quadratic_sums`]). The 3 x 3 system is solved in f64 by the correlation-scaled
//! Cholesky of [`super::wls`]. For a query outside the span of the keys the pivot is the
//! nearest key; the parabola is solved there and carried to the query in f64: with
//! `c = pivot - q`, `y = a - b c + e c^2` and `slope = b - 2 e c`.
//!
//! # No estimate
//! NaN (fit and slope) for a query that is not finite, has no key in reach, or whose system
//! has a pivot of the correlation-scaled Cholesky factor at most
//! [`EPS`](super::local_linear::EPS) (fewer than three distinct keys with a weight, or keys
//! too bunched to tell a curvature).
//!
//! # Accuracy
//! Tested against an f64 solution of the weighted least squares (weights from
//! `KernelKind::ln_k`) on the same f32 inputs, Gaussian, Epanechnikov and Laplace kernels, 3 to
//! 2,100 keys, queries inside and up to 2 bandwidths outside the span:
//! `|y - y_ref| <= 1e-4 (max |y| + |b_ref| h + |e_ref| h^2)`, and the slope within `1e-4` of
//! that scale over `h`, the vector pass and the scalar twin alike (the bound is the 1-D and
//! d-dimensional fits' one; the worst cases were not separately recorded). A parabola is
//! recovered to 1e-5 relative.
//!
//! # Leave-one-out
//! [`loo_quadratic`] as [`super::local_linear::loo_linear`]: each example without its row,
//! and its full fit and leverage ([`LooLocal`]).

use crate::error::Result;
use crate::kernels::isa::{self, Simd};
use crate::kernels::radial::Radial;
use crate::kernels::{scalar, simd};
use crate::ops::local_linear::{
    Local1d, LooLocal, LooRow, loo_local, loo_local_scalar, pool_local, pool_local_scalar,
};
use crate::ops::pool::{Plan, SortedKeys, TileTerms, Tiles};
use crate::ops::wls::{self, Factor};
use crate::par::Par;

/// `[S0, S1, S2, S3, S4, T0, T1, T2]` about the pivot.
type Moments = [f64; 8];

/// The local quadratic fit at each query, in query order.
#[derive(Clone, Debug, PartialEq)]
pub struct Quadratic {
    /// The fit at the query; NaN where there is no estimate (see the module docs).
    pub y: Vec<f32>,
    /// The slope at the query, the local estimate of `dy/dq`; NaN where there is no
    /// estimate.
    pub slope: Vec<f32>,
}

/// Fits a local parabola at every query over `keys` with `kernel`, in one streaming pass.
pub fn pool_quadratic<K: Radial>(
    kernel: &K,
    queries: &[f32],
    keys: &SortedKeys,
    par: Par,
) -> Quadratic {
    unzip(pool_local::<ParabolaFit, K>(kernel, queries, keys, par))
}

/// The scalar twin of [`pool_quadratic`]: the same plans, every key of the range in order in
/// f64 ([`scalar::quadratic_sums`]), no tiles, no threads.
pub fn pool_quadratic_scalar<K: Radial>(
    kernel: &K,
    queries: &[f32],
    keys: &SortedKeys,
) -> Quadratic {
    unzip(pool_local_scalar::<ParabolaFit, K>(kernel, queries, keys))
}

/// Leave-one-out local quadratic fits of the training set `data`: example `i` fitted on every
/// row but its own (equal inputs stay in), with the summed squared loss and each example's
/// full fit and leverage. Needs at least 2 examples.
pub fn loo_quadratic<K: Radial>(kernel: &K, data: &SortedKeys, par: Par) -> Result<LooLocal> {
    loo_local::<ParabolaFit, K>(kernel, data, par)
}

/// The scalar twin of [`loo_quadratic`]: the same plans, every key in order in f64,
/// sequential.
pub fn loo_quadratic_scalar<K: Radial>(kernel: &K, data: &SortedKeys) -> Result<LooLocal> {
    loo_local_scalar::<ParabolaFit, K>(kernel, data)
}

/// The local parabola, for the shared drivers of [`super::local_linear`].
struct ParabolaFit;

impl Local1d for ParabolaFit {
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
        solve(p, m, q, shift)
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

/// The moments of a block of planned queries, tile by tile.
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

/// The moments ([`simd::quadratic_sums`]).
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
        simd::quadratic_sums::<V, K>(
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
    let mut m = [0.0; 8];
    if let Some(p) = p {
        scalar::quadratic_sums(
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

/// The system's packed matrix (columns `1, t, t^2`) and right-hand side.
fn system(m: &Moments) -> ([f64; 6], [f64; 3]) {
    ([m[0], m[1], m[2], m[2], m[3], m[4]], [m[5], m[6], m[7]])
}

/// `(y, slope)` in f64 at query `q` from moments about the plan's pivot, values scaled back
/// by `2^shift`; `None` without an estimate.
fn solve<K: Radial>(p: Option<&Plan<K>>, m: &Moments, q: f32, shift: i32) -> Option<(f64, f64)> {
    let p = p?;
    let (packed, mut beta) = system(m);
    Factor::new(&packed, 3)?.solve(&mut beta);
    let [a, b, e] = beta;
    // The parabola about the pivot, read at the query: t = t' + c.
    let c = f64::from(p.pivot) - f64::from(q);
    let scale = 2f64.powi(shift);
    Some(((a - b * c + e * c * c) * scale, (b - 2.0 * e * c) * scale))
}

/// Example `i`'s (sorted position) leave-one-out row, with its full fit and leverage (its own
/// term at `t = x - pivot`, weighing `K(0)` relative to the anchor).
fn loo_row<K: Radial>(
    kernel: &K,
    p: Option<&Plan<K>>,
    m: &Moments,
    data: &SortedKeys,
    i: usize,
) -> LooRow {
    let x = data.keys()[i];
    let shift = data.value_shift();
    let mut row = LooRow::from_loo(solve(p, m, x, shift).map(|s| s.0), data.values()[i]);
    if let Some(p) = p {
        let w_self = (kernel.log_scale(x, 0.0) - p.log_scale).exp();
        let t = f64::from(x) - f64::from(p.pivot);
        let (packed, rhs) = system(m);
        let y = f64::from(data.summed_values()[i]);
        row.set_full(
            wls::full_fit(&packed, &rhs, &[1.0, t, t * t], w_self, y),
            shift,
        );
    }
    row
}

/// Columns from rows.
fn unzip(rows: Vec<(f32, f32)>) -> Quadratic {
    let (y, slope) = rows.into_iter().unzip();
    Quadratic { y, slope }
}
