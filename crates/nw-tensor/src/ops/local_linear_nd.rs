//! Local linear regression in `d` dimensions, fused like [`super::pool_nd`]: at each query
//! `q`, the weighted least squares plane `y ~ a + b . (x - q)` through the keys, with the
//! product kernel's weights. `a` is the fit and `b` its gradient (the slopes `dy/dx_j`).
//!
//! # How
//! The same call set-up as [`super::pool_nd`] (the keys scaled once into a [`Frame`], one
//! [`dispatch`](product::dispatch) to compiled kernel and dimension types), the same plan per
//! query (exact first pass, pruning along the sort dimension), the same weights (relative to
//! the query's largest) and the same tiles in the same order. Instead of two sums, each query
//! accumulates in f64 lanes the moments measured from the query, with `t = k - q` in the
//! kernel's scaled coordinates and the regressors `x = (1, t_1, .., t_d)`:
//! `M = sum w x x^T` (`S0`, `S1_j`, `S2_jk`, the upper triangle) and `T = sum w y x`
//! ([`simd::linear_sums_nd`]). The `(d + 1) x (d + 1)` system `M beta = T` is solved in f64
//! (scaled to correlation form, then Cholesky: [`super::wls`]); `a = beta_0`, and the slope in
//! dimension `j` is `beta_j w_j`, `w_j` the scaled coordinates per input unit, so slopes are
//! in the caller's units. Measuring from the query keeps every `t` small and accurate and lets
//! nothing cancel that the keys' own spread around the query does not demand (see
//! [`super::local_linear`], whose 1-D reasoning carries over dimension by dimension); the f64
//! products and sums are there for the same reason as in 1-D.
//!
//! # No estimate
//! A query gets NaN (fit and every slope) when it is not finite, has no key in reach (a
//! compact kernel's far query), or its system is too ill-conditioned to trust: some pivot of
//! the correlation-scaled Cholesky factor is at most [`EPS`](super::local_linear::EPS). The
//! `j`-th pivot is `1 - R_j^2`, the share of column `j`'s weighted second moment not explained
//! by the earlier columns; for `d = 1` the only non-trivial pivot is `D / (S0 S2)`, the 1-D
//! rule exactly. So fewer than `d + 1` keys in general position, or keys on a line in 2-D,
//! give no estimate, as does a long extrapolation from a tight cluster.
//!
//! # Determinism
//! Fixed query blocks, tiles at fixed key positions, and a fixed order of the f64 sums: the
//! same bits on any number of threads.
//!
//! # Accuracy
//! Tested against an f64 solution of the weighted least squares (weights from
//! `KernelKind::ln_k`, solved by Gaussian elimination) on the same f32 inputs, for the
//! Gaussian, Epanechnikov and Laplace kernels in 2 and 3 dimensions, 3 to 2,100 keys crossing
//! lane and tile boundaries, queries inside and up to 2 bandwidths outside the keys:
//! `|a - a_ref| <= 1e-4 (max |y| + sum_j |b_ref,j| h_j)` and
//! `|b_j - b_ref,j| <= 1e-4 (|b_ref| + max |y| / h_j)` wherever the smallest pivot is above
//! `2 EPS` (the vector pass and the scalar twin alike; worst measured: 1.2e-6 and 6.4e-7;
//! leave-one-out fits 7.1e-8, full fits 5.9e-8, leverages 1.1e-7 absolute). The errors come from the f32 scaled coordinates (each off by `2^-24` of its
//! distance from the keys' midpoint, in bandwidths) and weights, magnified by the system's
//! conditioning, up to `1 / EPS`. A plane `y = c + b . x` is recovered to `1e-5` relative.
//!
//! # Leave-one-out
//! [`loo_linear_nd`] fits each training example without its own row (the skip index of the
//! fused pass) and, from the same moments plus its own term (`t = 0`, its own relative weight
//! `K(0)` over the anchor), its full fit and leverage ([`LooLocal`]).

use std::marker::PhantomData;

use rayon::prelude::*;

use crate::error::Result;
use crate::kernels::isa::{self, Simd, Task};
use crate::kernels::product::{self, Dims, Dyn, Product, ProductJob};
use crate::kernels::radial::KernelKind;
use crate::kernels::{LANES, scalar, simd};
use crate::ops::local_linear::{LooLocal, LooRow, loo_fit};
use crate::ops::pool::{QUERY_BLOCK, TILE, check_examples};
use crate::ops::pool_nd::{
    Frame, KeysNd, NO_SKIP, Plan, check_bandwidths, check_pool, plan, twin_plan,
};
use crate::ops::wls::{self, Factor};
use crate::par::Par;

/// The local linear fit at each query in `d` dimensions, in query order.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearNd {
    /// The fit `a(q)`; NaN where there is no estimate (see the module docs).
    pub y: Vec<f32>,
    /// The slopes `dy/dx_j` in the inputs' units, row-major `queries x d`; NaN where there is
    /// no estimate.
    pub slopes: Vec<f32>,
}

/// Fits a local plane at every query (row-major `m x d`) over `keys` with the product kernel
/// `kind`, one bandwidth per dimension, in one fused pass (see the module docs).
///
/// Errors as [`super::pool_nd::pool_nd`]: bandwidths not one per dimension, or not positive
/// and finite; queries not a whole number of rows; keys spanning too many bandwidths.
pub fn pool_linear_nd(
    kind: KernelKind,
    bandwidths: &[f32],
    queries: &[f32],
    keys: &KeysNd,
    par: Par,
) -> Result<LinearNd> {
    check_pool(bandwidths, queries, keys)?;
    let job = PoolJob {
        bandwidths,
        queries,
        keys,
        par: Some(par),
    };
    product::dispatch(kind, keys.dim(), job)
}

/// The scalar twin of [`pool_linear_nd`]: the same plans' smallest scores, then every key in
/// order in f64 ([`scalar::linear_sums_nd`]), with no tiles and no threads.
pub fn pool_linear_nd_scalar(
    kind: KernelKind,
    bandwidths: &[f32],
    queries: &[f32],
    keys: &KeysNd,
) -> Result<LinearNd> {
    check_pool(bandwidths, queries, keys)?;
    let job = PoolJob {
        bandwidths,
        queries,
        keys,
        par: None,
    };
    product::dispatch(kind, keys.dim(), job)
}

/// Leave-one-out local linear fits of the training set `data` (keys are inputs, values are
/// targets): example `i` is fitted on every row but its own (equal inputs stay in), in one
/// fused pass, with the summed squared loss, and each example's full fit and leverage.
///
/// Needs at least 2 examples.
pub fn loo_linear_nd(
    kind: KernelKind,
    bandwidths: &[f32],
    data: &KeysNd,
    par: Par,
) -> Result<LooLocal> {
    check_bandwidths(bandwidths, data.dim())?;
    check_examples(
        "local_linear_nd leave-one-out",
        vec![data.len(), data.dim()],
    )?;
    let job = LooJob {
        bandwidths,
        data,
        par: Some(par),
    };
    product::dispatch(kind, data.dim(), job)
}

/// The scalar twin of [`loo_linear_nd`]: every key in order in f64, sequential.
pub fn loo_linear_nd_scalar(
    kind: KernelKind,
    bandwidths: &[f32],
    data: &KeysNd,
) -> Result<LooLocal> {
    check_bandwidths(bandwidths, data.dim())?;
    check_examples(
        "local_linear_nd leave-one-out",
        vec![data.len(), data.dim()],
    )?;
    let job = LooJob {
        bandwidths,
        data,
        par: None,
    };
    product::dispatch(kind, data.dim(), job)
}

/// The pooling calls' arguments; `par: None` is the scalar twin.
struct PoolJob<'a> {
    bandwidths: &'a [f32],
    queries: &'a [f32],
    keys: &'a KeysNd,
    par: Option<Par>,
}

impl ProductJob for PoolJob<'_> {
    type Output = Result<LinearNd>;

    fn run<K: Product, D: Dims>(self, dims: D) -> Result<LinearNd> {
        let d = dims.get();
        let m = self.queries.len() / d;
        let mut out = LinearNd {
            y: vec![f32::NAN; m],
            slopes: vec![f32::NAN; m * d],
        };
        if self.keys.is_empty() {
            return Ok(out);
        }
        let f = Frame::new::<K>(self.keys, self.bandwidths)?;
        let shift = self.keys.scale.shift;
        let block = |((q, y), slopes): ((&[f32], &mut [f32]), &mut [f32])| {
            let mut qs = vec![0.0; q.len()];
            let mut scratch = vec![0.0; 2 * d];
            let plans: Vec<Option<Plan>> = q
                .chunks_exact(d)
                .zip(qs.chunks_exact_mut(d))
                .map(|(q, qs)| {
                    let finite = f.scale_query(q, qs);
                    match self.par {
                        Some(_) => finite
                            .then(|| plan::<K, D>(dims, &f, qs, NO_SKIP, &mut scratch))
                            .flatten(),
                        None => finite
                            .then(|| twin_plan::<K>(&f, qs, NO_SKIP, &mut scratch))
                            .flatten(),
                    }
                })
                .collect();
            let moments = if self.par.is_some() {
                stream::<K, D>(dims, &f, &qs, &plans, NO_SKIP)
            } else {
                twin_moments::<K>(&f, &qs, &plans, NO_SKIP)
            };
            let len = scalar::linear_nd_len(d);
            for (i, (y, s)) in y.iter_mut().zip(slopes.chunks_exact_mut(d)).enumerate() {
                if plans[i].is_some() {
                    solve(&moments[i * len..(i + 1) * len], &f.w, shift, y, s);
                }
            }
        };
        let rows = (&mut out.y, &mut out.slopes);
        match self.par {
            Some(par) if par.is_parallel() && m > QUERY_BLOCK => self
                .queries
                .par_chunks(QUERY_BLOCK * d)
                .zip(rows.0.par_chunks_mut(QUERY_BLOCK))
                .zip(rows.1.par_chunks_mut(QUERY_BLOCK * d))
                .for_each(block),
            _ => self
                .queries
                .chunks(QUERY_BLOCK * d)
                .zip(rows.0.chunks_mut(QUERY_BLOCK))
                .zip(rows.1.chunks_mut(QUERY_BLOCK * d))
                .for_each(block),
        }
        Ok(out)
    }
}

/// The leave-one-out calls' arguments; `par: None` is the scalar twin.
struct LooJob<'a> {
    bandwidths: &'a [f32],
    data: &'a KeysNd,
    par: Option<Par>,
}

impl ProductJob for LooJob<'_> {
    type Output = Result<LooLocal>;

    fn run<K: Product, D: Dims>(self, dims: D) -> Result<LooLocal> {
        let (n, d) = (self.data.len(), dims.get());
        let f = Frame::new::<K>(self.data, self.bandwidths)?;
        let data = self.data;
        let mut rows = vec![LooRow::default(); n];
        let block = |(b, out): (usize, &mut [LooRow])| {
            let start = b * QUERY_BLOCK;
            let mut qs = vec![0.0; out.len() * d];
            let mut scratch = vec![0.0; 2 * d];
            // An example's query is its own key, exactly as the loops read it.
            let plans: Vec<Option<Plan>> = qs
                .chunks_exact_mut(d)
                .enumerate()
                .map(|(i, q)| {
                    f.key(start + i, q);
                    match self.par {
                        Some(_) => plan::<K, D>(dims, &f, q, start + i, &mut scratch),
                        None => twin_plan::<K>(&f, q, start + i, &mut scratch),
                    }
                })
                .collect();
            let moments = if self.par.is_some() {
                stream::<K, D>(dims, &f, &qs, &plans, start)
            } else {
                twin_moments::<K>(&f, &qs, &plans, start)
            };
            let len = scalar::linear_nd_len(d);
            for (i, o) in out.iter_mut().enumerate() {
                if let Some(p) = &plans[i] {
                    *o = loo_row::<K>(&moments[i * len..(i + 1) * len], p, d, data, start + i);
                }
            }
        };
        match self.par {
            Some(par) if par.is_parallel() && n > QUERY_BLOCK => {
                rows.par_chunks_mut(QUERY_BLOCK).enumerate().for_each(block)
            }
            _ => rows.chunks_mut(QUERY_BLOCK).enumerate().for_each(block),
        }
        Ok(loo_fit(&rows, data.order()))
    }
}

/// The moments of a block of planned queries (scaled coordinates `qs`, `d` each), streaming
/// the keys tile by tile; query `i` leaves out key `skip_base + i`. Row-major, one
/// [`scalar::linear_nd_len`] row per query.
fn stream<K: Product, D: Dims>(
    dims: D,
    f: &Frame,
    qs: &[f32],
    plans: &[Option<Plan>],
    skip_base: usize,
) -> Vec<f64> {
    isa::run(Stream::<K, D> {
        dims,
        f,
        qs,
        plans,
        skip_base,
        kernel: PhantomData,
    })
}

/// [`stream`]'s arguments: the work of one dispatch.
struct Stream<'a, K, D> {
    dims: D,
    f: &'a Frame,
    qs: &'a [f32],
    plans: &'a [Option<Plan>],
    skip_base: usize,
    kernel: PhantomData<K>,
}

impl<K: Product, D: Dims> Task for Stream<'_, K, D> {
    type Output = Vec<f64>;

    #[inline(always)]
    fn run<V: Simd>(self) -> Vec<f64> {
        let Stream {
            dims,
            f,
            qs,
            plans,
            skip_base,
            ..
        } = self;
        let d = dims.get();
        let len = scalar::linear_nd_len(d);
        let mut moments = vec![0.0; plans.len() * len];
        let mut scratch = vec![[0.0; LANES]; 2 * len + 2 * (d + 1)];
        let (lo, hi) = plans
            .iter()
            .flatten()
            .fold((usize::MAX, 0), |(lo, hi), p| (lo.min(p.lo), hi.max(p.hi)));
        if lo >= hi {
            return moments;
        }
        // Tiles are fixed in absolute key positions: a query's sums do not depend on its block.
        for t0 in (lo - lo % TILE..hi).step_by(TILE) {
            let t1 = t0 + TILE;
            for (i, p) in plans.iter().enumerate() {
                let Some(p) = p else { continue };
                let range = (p.lo.max(t0), p.hi.min(t1));
                if range.0 >= range.1 {
                    continue;
                }
                simd::linear_sums_nd::<V, K, D>(
                    dims,
                    &f.panels,
                    &qs[i * d..(i + 1) * d],
                    p.smin,
                    range,
                    skip_base.checked_add(i).unwrap_or(NO_SKIP),
                    &mut moments[i * len..(i + 1) * len],
                    &mut scratch,
                );
            }
        }
        moments
    }
}

/// The scalar twin's moments: every key of each plan's range, in order, in f64.
fn twin_moments<K: Product>(
    f: &Frame,
    qs: &[f32],
    plans: &[Option<Plan>],
    skip_base: usize,
) -> Vec<f64> {
    let d = f.d;
    let len = scalar::linear_nd_len(d);
    let mut moments = vec![0.0; plans.len() * len];
    let mut scratch = vec![0.0; d];
    let mut xs = vec![0.0; 2 * (d + 1)];
    for (i, p) in plans.iter().enumerate() {
        let Some(p) = p else { continue };
        scalar::linear_sums_nd::<K, Dyn>(
            Dyn(d),
            &f.panels,
            &qs[i * d..(i + 1) * d],
            p.smin,
            (p.lo, p.hi),
            skip_base.checked_add(i).unwrap_or(NO_SKIP),
            &mut moments[i * len..(i + 1) * len],
            &mut scratch,
            &mut xs,
        );
    }
    moments
}

/// `beta` in f64 from one query's moments (the packed `M`, then `T`); `None` without an
/// estimate.
fn beta(m: &[f64], p: usize) -> Option<Vec<f64>> {
    let (packed, t) = m.split_at(wls::packed_len(p));
    let f = Factor::new(packed, p)?;
    let mut b = t.to_vec();
    f.solve(&mut b);
    Some(b)
}

/// A query's fit into `y` and slopes (in input units) into `slopes`, values scaled back by
/// `2^shift`; left NaN without an estimate.
fn solve(m: &[f64], w: &[f64], shift: i32, y: &mut f32, slopes: &mut [f32]) {
    let Some(b) = beta(m, w.len() + 1) else {
        return;
    };
    let scale = 2f64.powi(shift);
    *y = (b[0] * scale) as f32;
    for ((s, bj), wj) in slopes.iter_mut().zip(&b[1..]).zip(w) {
        *s = (bj * wj * scale) as f32;
    }
}

/// Example `i`'s (sorted position) leave-one-out fit and squared error, and its full fit and
/// leverage from the same moments plus its own term (`t = 0`, weight `K(0)` relative to the
/// anchor: `2^smin` for the whole-line kernels, 1 for the compact ones).
fn loo_row<K: Product>(m: &[f64], p: &Plan, d: usize, data: &KeysNd, i: usize) -> LooRow {
    let shift = data.scale.shift;
    let scale = 2f64.powi(shift);
    let y_hat = beta(m, d + 1).map(|b| b[0] * scale);
    let mut row = LooRow::from_loo(y_hat, data.values()[i]);
    let w_self = (K::log_scale(d, 0.0) - K::log_scale(d, f64::from(p.smin))).exp();
    let mut r = vec![0.0; d + 1];
    r[0] = 1.0;
    let (packed, t) = m.split_at(wls::packed_len(d + 1));
    let y = f64::from(data.summed_values()[i]);
    row.set_full(wls::full_fit(packed, t, &r, w_self, y), shift);
    row
}
