//! Fused attention pooling in `d` dimensions: `y(q) = sum_i softmax_i(ln K(u_i)) v_i` with a
//! product kernel `K(u) = prod_j K1(u_j)`, `u_ij = (k_ij - q_j) / h_j`, one bandwidth per
//! dimension, in streaming passes over the keys that never build the `queries x keys` matrix.
//!
//! # How
//! Keys are sorted once along one dimension ([`KeysNd`], `sort_dim`). Each call scales every
//! dimension by `w_j` (the kernel's constant over `h_j`, see [`crate::kernels::product`]) into
//! a scratch copy laid out in blocks of `LANES` keys (`d` vectors of coordinates, then one of
//! values): O(n d) work, next to the O(n m d) of the passes, and it makes a key's offset
//! `t_j = u_j w_j h_j` one subtraction and its score one more operation per dimension.
//!
//! ```text
//! for each block of queries (in parallel):
//!   pass 1, per query:  smin = min score over the keys that can hold it    (exact minimum)
//!   pass 2, for each tile of TILE keys (in order), for each query of the block:
//!       weights 2^(smin - score) (Gaussian, Laplace) or prod P(|t_j|) (compact),
//!       summed in f32 lanes within the tile, in f64 across tiles
//! y = v / z,   lse = log_scale(smin) + ln z
//! ```
//!
//! The whole-line kernels weigh every key relative to the nearest one, whose score is `smin`:
//! weights lie in `[0, 1]`, the nearest key weighs exactly 1 (both passes compute its score
//! with the same operations, so `smin - score` is exactly 0), the normalizer is never 0 and
//! there is no running maximum to rescale. Compact kernels weigh `prod_j P(|u_j|)` in `[0, 1]`
//! and need no maximum; their first pass only finds the nearest key (in `max_j |u_j|`).
//!
//! # What we prune, and why it is exact
//! A key's score is never below its sort dimension's part alone, `phi(t) = add(0, t)` (`t^2`,
//! `|t|`, `|t|`): each dimension adds a non-negative amount, and rounding is monotone. Keys are
//! sorted along that dimension, and `phi` of the computed `t = k - q` (monotone in `k`) falls,
//! then rises along them, so "`phi(t) <= bound`" is one range found by binary search.
//! - **Pass 1** takes as bound the score of the key nearest along the sort dimension (found by
//!   binary search): a key with `phi(t)` above it scores above it, so it is not the minimum.
//! - **Pass 2, whole-line kernels**: a key with `phi(t) > (smin + 64)(1 + 1e-6)` scores more
//!   than 64 above `smin`, so its base-2 exponent `smin - score` rounds below `-64`
//!   ([`scalar::EXP2_FLUSH_BELOW`]) and `exp2` returns exactly 0. The margin makes the
//!   inequality strict after rounding (64 ulps at 64).
//! - **Pass 2, compact kernels**: a key with `phi(t) > 1` has `max_j |u_j| > 1` and weighs
//!   exactly 0 (the same computed `t` decides both), and a query whose `smin > 1` has no key
//!   in reach at all.
//!
//! Every pruned key would have added an exact 0, and the loop makes that harmless: lane
//! accumulators alternate by a vector's absolute position and `x + 0 = x`, so pruning changes
//! no bit (tested against a run where nothing can be pruned).
//!
//! # No estimate
//! A query with no key within a compact kernel's reach gets `z = 0`: NaN prediction and
//! log-normalizer `-inf`, with its nearest distance still reported. A query that is not finite
//! gets NaN everywhere. A query whose scaled squared distance to every key overflows f32 (more
//! than about `1e19` bandwidths away) is treated as out of reach.
//!
//! # Determinism
//! Tiles are fixed in absolute key positions and a query's sums run over the same tiles in
//! the same order whichever block or thread it lands in; minima are exact. The results are the
//! same bits on any number of threads.
//!
//! # Accuracy
//! Against an f64 computation on the same f32 inputs, each prediction is within 1e-5 relative
//! for a query within a few bandwidths of its nearest key when the keys span at most about a
//! hundred bandwidths in each dimension (tests: every kernel, `d` up to 16). The scaled
//! coordinates are measured from the keys' midpoint and rounded once, so a key's `t_j` is off
//! by up to `2^-24` of the larger of `|k_j - c_j| / h_j` and `|q_j - c_j| / h_j`, and its
//! exponent by about `u_j` times that; the weights also carry `exp2`'s `2e-7`, and each f32 lane
//! sums at most `TILE / (2 LANES)` terms before f64 takes over. For a query far from every key,
//! `D` bandwidths from the nearest, `smin - score` is a difference of two numbers near
//! `0.72 D^2` (Gaussian) and cancels to an error of about `1e-7 D^2`; the prediction stays a
//! finite weighted average of the nearest keys' values and tends to the nearest key's value.
//! The 1-D kernel ([`super::pool`]) measures distances from a pivot and does better there.
//! The log-normalizer of a compact kernel dominated by keys at the edge of its support
//! inherits the kernel's own conditioning there (`1 - u^2` cancels): its error is about the
//! change a relative `1e-6` in the bandwidths makes (tested so).
//!
//! # Leave-one-out
//! [`loo_nd`] pools every training example against all the others, and returns the summed
//! squared loss and its gradient with respect to each log-bandwidth from the same pass.

use std::marker::PhantomData;

use rayon::prelude::*;

use crate::error::{Result, TensorError};
use crate::kernels::isa::{self, Simd, Task};
use crate::kernels::product::{self, Dims, Dyn, Product, ProductJob};
use crate::kernels::radial::{KernelKind, Sums};
use crate::kernels::{LANES, scalar, simd};
use crate::ops::pool::{
    Pooled, QUERY_BLOCK, Row, TILE, ValueScale, check_examples, check_finite, nothing, sort_order,
    unzip,
};
use crate::par::Par;

/// "No key left out".
pub(crate) const NO_SKIP: usize = usize::MAX;
/// The operation, as errors name it.
const OP: &str = "pool_nd";

/// Keys in `dim` dimensions with their values, sorted along dimension `sort_dim`, stored one
/// dimension per padded column.
///
/// The sort is stable (ties keep their input order). Values larger than `2^100` are summed
/// scaled down by a power of two and predictions clamped to their range, as in
/// [`super::pool::SortedKeys`].
#[derive(Clone, Debug, PartialEq)]
pub struct KeysNd {
    dim: usize,
    sort_dim: usize,
    /// Keys per column: the number of keys rounded up to a multiple of `LANES`.
    padded: usize,
    /// `dim` columns of `padded` coordinates each, in sorted order, padded with 0.
    columns: Vec<f32>,
    /// The values in sorted order.
    values: Vec<f32>,
    /// The values scaled down, when they are large: what the f32 lanes sum.
    scaled: Option<Vec<f32>>,
    pub(crate) scale: ValueScale,
    /// Where each sorted key was in the input.
    order: Vec<usize>,
}

impl KeysNd {
    /// `keys` row-major `n x dim`; `values` length n. Errors (TensorError): shape mismatch,
    /// dim == 0, sort_dim >= dim, non-finite key/value (NotFinite with its index), span
    /// overflow like SortedKeys.
    pub fn new(keys: &[f32], dim: usize, values: &[f32], sort_dim: usize) -> Result<KeysNd> {
        if dim == 0 {
            return Err(TensorError::Rank {
                op: "pool_nd (keys)",
                expected: "at least 1 dimension",
                shape: vec![values.len(), dim],
            });
        }
        if !keys.len().is_multiple_of(dim) || keys.len() / dim != values.len() {
            return Err(TensorError::ShapeMismatch {
                op: "pool_nd (keys, values)",
                lhs: vec![keys.len()],
                rhs: vec![values.len(), dim],
            });
        }
        let n = values.len();
        if sort_dim >= dim {
            return Err(TensorError::Axis {
                op: "pool_nd (sort_dim)",
                axis: sort_dim,
                shape: vec![n, dim],
            });
        }
        check_finite(OP, "keys", keys)?;
        check_finite(OP, "values", values)?;
        let column = |j: usize| keys.iter().skip(j).step_by(dim).copied();
        let order = sort_order(&column(sort_dim).collect::<Vec<_>>());
        let padded = n.next_multiple_of(LANES);
        let mut columns = Vec::with_capacity(padded * dim);
        for j in 0..dim {
            let (lo, hi) = span(column(j));
            // Every offset the loops take is a difference of two coordinates in f32.
            if n > 0 && f64::from(hi) - f64::from(lo) > f64::from(f32::MAX) {
                return Err(TensorError::Span { op: OP, lo, hi });
            }
            columns.extend(order.iter().map(|&i| keys[i * dim + j]));
            columns.resize(padded * (j + 1), 0.0);
        }
        let sorted: Vec<f32> = order.iter().map(|&i| values[i]).collect();
        let scale = ValueScale::new(values);
        Ok(KeysNd {
            dim,
            sort_dim,
            padded,
            columns,
            scaled: scale.scaled(&sorted),
            values: sorted,
            scale,
            order,
        })
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True if there are no keys.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The number of dimensions.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The dimension the keys are sorted along.
    pub fn sort_dim(&self) -> usize {
        self.sort_dim
    }

    /// `order()[i]` = input position of the i-th key in sorted order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Dimension j of the keys, in sorted order (unpadded).
    ///
    /// # Panics
    /// If `j >= dim()`.
    pub fn column(&self, j: usize) -> &[f32] {
        assert!(
            j < self.dim,
            "column {j} of keys in {} dimensions",
            self.dim
        );
        &self.columns[j * self.padded..j * self.padded + self.len()]
    }

    /// The values in sorted order (unpadded).
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The values as the lanes sum them (scaled down when large).
    pub(crate) fn summed_values(&self) -> &[f32] {
        self.scaled.as_deref().unwrap_or(&self.values)
    }
}

/// The least and greatest of `x` (`(inf, -inf)` when empty).
fn span(x: impl Iterator<Item = f32>) -> (f32, f32) {
    x.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// The keys of one call in scaled coordinates: `t_j = (k_j - c_j) w_j`, measured from each
/// dimension's midpoint `c_j` and rounded once from f64, in blocks of `LANES` keys (`d`
/// vectors of coordinates, then the values).
pub(crate) struct Frame {
    pub(crate) d: usize,
    sort_dim: usize,
    pub(crate) panels: Vec<f32>,
    /// The scaled sort dimension, contiguous, for the binary searches.
    sort: Vec<f32>,
    center: Vec<f64>,
    /// `w_j`: scaled coordinates per unit of input.
    pub(crate) w: Vec<f64>,
}

impl Frame {
    pub(crate) fn new<K: Product>(keys: &KeysNd, bandwidths: &[f32]) -> Result<Frame> {
        let (d, n) = (keys.dim, keys.len());
        let stride = (d + 1) * LANES;
        let mut panels = vec![0.0; keys.padded / LANES * stride];
        let (mut center, mut w) = (Vec::with_capacity(d), Vec::with_capacity(d));
        for (j, &h) in bandwidths.iter().enumerate() {
            let col = keys.column(j);
            let (lo, hi) = span(col.iter().copied());
            let (c, wj) = (
                (f64::from(lo) + f64::from(hi)) / 2.0,
                K::SCALE / f64::from(h),
            );
            // Key-to-key offsets must stay finite: the loops subtract scaled coordinates.
            let bandwidths = (f64::from(hi) - f64::from(lo)) / f64::from(h);
            if (f64::from(hi) - f64::from(lo)) * wj > f64::from(f32::MAX) {
                return Err(TensorError::OutOfScale {
                    op: OP,
                    dim: j,
                    span: hi - lo,
                    bandwidth: h,
                    bandwidths,
                });
            }
            for (i, &k) in col.iter().enumerate() {
                panels[i / LANES * stride + j * LANES + i % LANES] =
                    ((f64::from(k) - c) * wj) as f32;
            }
            center.push(c);
            w.push(wj);
        }
        for (i, &v) in keys.summed_values().iter().enumerate() {
            panels[i / LANES * stride + d * LANES + i % LANES] = v;
        }
        let s = keys.sort_dim;
        let sort = (0..n)
            .map(|i| panels[i / LANES * stride + s * LANES + i % LANES])
            .collect();
        Ok(Frame {
            d,
            sort_dim: s,
            panels,
            sort,
            center,
            w,
        })
    }

    /// The scaled coordinates of query `q` into `out`; false if `q` is not finite.
    pub(crate) fn scale_query(&self, q: &[f32], out: &mut [f32]) -> bool {
        for (((o, &x), &c), &w) in out.iter_mut().zip(q).zip(&self.center).zip(&self.w) {
            *o = ((f64::from(x) - c) * w) as f32;
        }
        q.iter().all(|x| x.is_finite())
    }

    /// Key `i`'s scaled coordinates into `out`, exactly as the loops read them.
    pub(crate) fn key(&self, i: usize, out: &mut [f32]) {
        let stride = (self.d + 1) * LANES;
        for (j, o) in out.iter_mut().enumerate() {
            *o = self.panels[i / LANES * stride + j * LANES + i % LANES];
        }
    }
}

/// What a query's second pass needs: its smallest score and the keys that can weigh anything.
pub(crate) struct Plan {
    pub(crate) smin: f32,
    pub(crate) lo: usize,
    pub(crate) hi: usize,
}

/// The keys (of sorted `sort`) whose sort-dimension part `phi(k - qs)` is at most `bound`: one
/// range, since `phi` of the computed offset falls, then rises along sorted keys.
fn window<K: Product>(sort: &[f32], qs: f32, bound: f64) -> (usize, usize) {
    let phi = |k: f32| f64::from(K::add(0.0, k - qs));
    let lo = sort.partition_point(|&k| k - qs < 0.0 && phi(k) > bound);
    let hi = sort.partition_point(|&k| k - qs < 0.0 || phi(k) <= bound);
    (lo, hi)
}

/// The plan of the query at scaled coordinates `q`, leaving out key `skip`: the first pass
/// over the keys that can hold its minimum, then the range of the second (see the module
/// docs); `None` when no key is left. `scratch` holds `d` numbers.
pub(crate) fn plan<K: Product, D: Dims>(
    dims: D,
    f: &Frame,
    q: &[f32],
    skip: usize,
    scratch: &mut [f32],
) -> Option<Plan> {
    let n = f.sort.len();
    let qs = q[f.sort_dim];
    let p = f.sort.partition_point(|&k| k < qs);
    let below = (0..p).rev().find(|&j| j != skip);
    let above = (p..n).find(|&j| j != skip);
    if below.is_none() && above.is_none() {
        return None;
    }
    // An upper bound on the smallest score: the score of an actual key.
    let s_up = [below, above]
        .into_iter()
        .flatten()
        .map(|j| scalar::min_score_nd::<K, _>(dims, &f.panels, q, (j, j + 1), NO_SKIP, scratch))
        .fold(f32::INFINITY, f32::min);
    let range = window::<K>(&f.sort, qs, f64::from(s_up));
    let smin = isa::run(MinScore::<K, D> {
        dims,
        panels: &f.panels,
        q,
        range,
        skip,
        kernel: PhantomData,
    });
    let (lo, hi) = if !smin.is_finite() {
        (0, 0)
    } else if K::WHOLE_LINE {
        let flush = f64::from(-scalar::EXP2_FLUSH_BELOW);
        window::<K>(&f.sort, qs, (f64::from(smin) + flush) * (1.0 + 1e-6))
    } else if smin > 1.0 {
        (0, 0)
    } else {
        window::<K>(&f.sort, qs, 1.0)
    };
    Some(Plan { smin, lo, hi })
}

/// The plan of the scalar twin: the smallest score over every key, and every key.
pub(crate) fn twin_plan<K: Product>(
    f: &Frame,
    q: &[f32],
    skip: usize,
    scratch: &mut [f32],
) -> Option<Plan> {
    let n = f.sort.len();
    if n == 0 || (n == 1 && skip == 0) {
        return None;
    }
    let smin = scalar::min_score_nd::<K, _>(Dyn(f.d), &f.panels, q, (0, n), skip, scratch);
    let hi = if smin.is_finite() { n } else { 0 };
    Some(Plan { smin, lo: 0, hi })
}

/// A query's `(y, lse, dmin, effective)` from its sums.
fn finish<K: Product>(plan: Option<&Plan>, s: &Sums, d: usize, keys: &KeysNd) -> Row {
    match plan {
        Some(p) if s.z > 0.0 => (
            keys.scale.unscale(s.v / s.z) as f32,
            (K::log_scale(d, f64::from(p.smin)) + s.z.ln()) as f32,
            K::distance(f64::from(p.smin)) as f32,
            (s.z * s.z / s.e2) as f32,
        ),
        Some(p) => (
            f32::NAN,
            f32::NEG_INFINITY,
            K::distance(f64::from(p.smin)) as f32,
            f32::NAN,
        ),
        None => (f32::NAN, f32::NAN, f32::NAN, f32::NAN),
    }
}

/// The second pass of a block of planned queries (scaled coordinates `qs`, `d` each),
/// streaming the keys tile by tile; query `i` leaves out key `skip_base + i`. With `GRAD`,
/// `grads` holds `2 d` sums per query.
#[allow(clippy::too_many_arguments)]
fn stream<K: Product, D: Dims, const GRAD: bool, const SQUARES: bool>(
    dims: D,
    f: &Frame,
    qs: &[f32],
    plans: &[Option<Plan>],
    skip_base: usize,
    sums: &mut [Sums],
    grads: &mut [f64],
) {
    isa::run(Stream::<K, D, GRAD, SQUARES> {
        dims,
        f,
        qs,
        plans,
        skip_base,
        sums,
        grads,
        kernel: PhantomData,
    });
}

/// [`simd::min_score_nd`] of one query, as one dispatch.
struct MinScore<'a, K, D> {
    dims: D,
    panels: &'a [f32],
    q: &'a [f32],
    range: (usize, usize),
    skip: usize,
    kernel: PhantomData<K>,
}

impl<K: Product, D: Dims> Task for MinScore<'_, K, D> {
    type Output = f32;

    #[inline(always)]
    fn run<V: Simd>(self) -> f32 {
        simd::min_score_nd::<V, K, D>(self.dims, self.panels, self.q, self.range, self.skip)
    }
}

/// [`stream`]'s arguments: the work of one dispatch.
struct Stream<'a, K, D, const GRAD: bool, const SQUARES: bool> {
    dims: D,
    f: &'a Frame,
    qs: &'a [f32],
    plans: &'a [Option<Plan>],
    skip_base: usize,
    sums: &'a mut [Sums],
    grads: &'a mut [f64],
    kernel: PhantomData<K>,
}

impl<K: Product, D: Dims, const GRAD: bool, const SQUARES: bool> Task
    for Stream<'_, K, D, GRAD, SQUARES>
{
    type Output = ();

    #[inline(always)]
    fn run<V: Simd>(self) {
        let Stream {
            dims,
            f,
            qs,
            plans,
            skip_base,
            sums,
            grads,
            ..
        } = self;
        let d = dims.get();
        let mut scratch = vec![V::ZERO; if GRAD { 5 * d } else { 0 }];
        let (lo, hi) = plans
            .iter()
            .flatten()
            .fold((usize::MAX, 0), |(lo, hi), p| (lo.min(p.lo), hi.max(p.hi)));
        if lo >= hi {
            return;
        }
        // Tiles are fixed in absolute key positions: a query's sums do not depend on its block.
        for t0 in (lo - lo % TILE..hi).step_by(TILE) {
            let t1 = t0 + TILE;
            for (i, (p, s)) in plans.iter().zip(sums.iter_mut()).enumerate() {
                let Some(p) = p else { continue };
                let range = (p.lo.max(t0), p.hi.min(t1));
                if range.0 >= range.1 {
                    continue;
                }
                let g: &mut [f64] = if GRAD {
                    &mut grads[i * 2 * d..(i + 1) * 2 * d]
                } else {
                    &mut []
                };
                simd::pool_sums_nd::<V, K, D, GRAD, SQUARES>(
                    dims,
                    &f.panels,
                    &qs[i * d..(i + 1) * d],
                    p.smin,
                    range,
                    skip_base.checked_add(i).unwrap_or(NO_SKIP),
                    s,
                    g,
                    &mut scratch,
                );
            }
        }
    }
}

/// Checks the bandwidths against `dim`.
pub(crate) fn check_bandwidths(bandwidths: &[f32], dim: usize) -> Result<()> {
    if bandwidths.len() != dim {
        return Err(TensorError::ShapeMismatch {
            op: "pool_nd (bandwidths, keys)",
            lhs: vec![bandwidths.len()],
            rhs: vec![dim],
        });
    }
    match bandwidths
        .iter()
        .position(|h| !(h.is_finite() && *h >= f32::MIN_POSITIVE))
    {
        Some(index) => Err(TensorError::Bandwidth {
            op: OP,
            index,
            value: bandwidths[index],
        }),
        None => Ok(()),
    }
}

/// Checks the shapes of a pooling call.
pub(crate) fn check_pool(bandwidths: &[f32], queries: &[f32], keys: &KeysNd) -> Result<()> {
    check_bandwidths(bandwidths, keys.dim)?;
    if !queries.len().is_multiple_of(keys.dim) {
        return Err(TensorError::ShapeMismatch {
            op: "pool_nd (queries, keys)",
            lhs: vec![queries.len()],
            rhs: vec![keys.dim],
        });
    }
    Ok(())
}

/// Pools `queries` (row-major m x dim) over `keys`; bandwidths.len() == dim, each positive,
/// finite, >= f32::MIN_POSITIVE. Returns `pool::Pooled` in query order: y (NaN: no estimate),
/// lse = ln sum_keys prod_j K1(u_j) (K1 the textbook 1-D density in u, as KernelKind::ln_k),
/// dmin = the nearest key's scaled distance (Gaussian: sqrt(sum u_j^2); Laplace: sum |u_j|;
/// compact: max_j |u_j|), effective = (sum w)^2 / sum w^2 when `diagnostics`.
pub fn pool_nd(
    kind: KernelKind,
    bandwidths: &[f32],
    queries: &[f32],
    keys: &KeysNd,
    diagnostics: bool,
    par: Par,
) -> Result<Pooled> {
    check_pool(bandwidths, queries, keys)?;
    if keys.is_empty() {
        return Ok(nothing(queries.len() / keys.dim, diagnostics));
    }
    product::dispatch(
        kind,
        keys.dim,
        PoolJob {
            bandwidths,
            queries,
            keys,
            diagnostics,
            par,
        },
    )
}

/// [`pool_nd`]'s arguments, waiting for their compiled types.
struct PoolJob<'a> {
    bandwidths: &'a [f32],
    queries: &'a [f32],
    keys: &'a KeysNd,
    diagnostics: bool,
    par: Par,
}

impl ProductJob for PoolJob<'_> {
    type Output = Result<Pooled>;

    fn run<K: Product, D: Dims>(self, dims: D) -> Result<Pooled> {
        let f = Frame::new::<K>(self.keys, self.bandwidths)?;
        Ok(if self.diagnostics {
            pool_with::<K, D, true>(dims, &f, self.queries, self.keys, self.par)
        } else {
            pool_with::<K, D, false>(dims, &f, self.queries, self.keys, self.par)
        })
    }
}

fn pool_with<K: Product, D: Dims, const SQUARES: bool>(
    dims: D,
    f: &Frame,
    queries: &[f32],
    keys: &KeysNd,
    par: Par,
) -> Pooled {
    let d = dims.get();
    let m = queries.len() / d;
    let mut rows: Vec<Row> = vec![(0.0, 0.0, 0.0, 0.0); m];
    let block = |(q, out): (&[f32], &mut [Row])| {
        let mut qs = vec![0.0; q.len()];
        let mut scratch = vec![0.0; d];
        let plans: Vec<Option<Plan>> = q
            .chunks_exact(d)
            .zip(qs.chunks_exact_mut(d))
            .map(|(q, qs)| {
                f.scale_query(q, qs)
                    .then(|| plan::<K, D>(dims, f, qs, NO_SKIP, &mut scratch))
                    .flatten()
            })
            .collect();
        let mut sums = vec![Sums::default(); plans.len()];
        stream::<K, D, false, SQUARES>(dims, f, &qs, &plans, NO_SKIP, &mut sums, &mut []);
        for (o, (p, s)) in out.iter_mut().zip(plans.iter().zip(&sums)) {
            *o = finish::<K>(p.as_ref(), s, d, keys);
        }
    };
    if par.is_parallel() && m > QUERY_BLOCK {
        queries
            .par_chunks(QUERY_BLOCK * d)
            .zip(rows.par_chunks_mut(QUERY_BLOCK))
            .for_each(block);
    } else {
        queries
            .chunks(QUERY_BLOCK * d)
            .zip(rows.chunks_mut(QUERY_BLOCK))
            .for_each(block);
    }
    unzip(rows, SQUARES)
}

/// The scalar twin (f64 sums, every key in order, no tiles, no threads; `effective` always
/// Some).
pub fn pool_nd_scalar(
    kind: KernelKind,
    bandwidths: &[f32],
    queries: &[f32],
    keys: &KeysNd,
) -> Result<Pooled> {
    check_pool(bandwidths, queries, keys)?;
    if keys.is_empty() {
        return Ok(nothing(queries.len() / keys.dim, true));
    }
    product::dispatch(
        kind,
        keys.dim,
        TwinJob {
            bandwidths,
            queries,
            keys,
        },
    )
}

/// [`pool_nd_scalar`]'s arguments.
struct TwinJob<'a> {
    bandwidths: &'a [f32],
    queries: &'a [f32],
    keys: &'a KeysNd,
}

impl ProductJob for TwinJob<'_> {
    type Output = Result<Pooled>;

    fn run<K: Product, D: Dims>(self, _dims: D) -> Result<Pooled> {
        let f = Frame::new::<K>(self.keys, self.bandwidths)?;
        let d = f.d;
        let mut qs = vec![0.0; d];
        let mut scratch = vec![0.0; 2 * d];
        let rows = self
            .queries
            .chunks_exact(d)
            .map(|q| {
                let p = f
                    .scale_query(q, &mut qs)
                    .then(|| twin_plan::<K>(&f, &qs, NO_SKIP, &mut scratch))
                    .flatten();
                let mut s = Sums::default();
                if let Some(p) = &p {
                    scalar::pool_sums_nd::<K, Dyn, false, true>(
                        Dyn(d),
                        &f.panels,
                        &qs,
                        p.smin,
                        (p.lo, p.hi),
                        NO_SKIP,
                        &mut s,
                        &mut [],
                        &mut scratch,
                    );
                }
                finish::<K>(p.as_ref(), &s, d, self.keys)
            })
            .collect();
        Ok(unzip(rows, true))
    }
}

/// Leave-one-out fit: each example pooled over all others (only its own row left out; equal
/// inputs stay).
#[derive(Clone, Debug, PartialEq)]
pub struct LooNd {
    /// Sum of squared errors over examples with an estimate, f64.
    pub loss: f64,
    /// d loss / d ln h_j, one per dimension; empty when not asked.
    pub grad: Vec<f64>,
    /// Input order, NaN w/o estimate.
    pub y_hat: Vec<f32>,
    /// Examples without an estimate.
    pub far: usize,
}

/// Leave-one-out pooling of the training set `data` (keys are inputs, values targets), with
/// the loss and, when `grad`, its gradient with respect to each log-bandwidth, from one pass.
///
/// With `a_ij` the weights and `g_ij^(l) = d ln K_ij / d ln h_l` (Gaussian `u_l^2`, Laplace
/// `|u_l|`, compact `-u P'(u) / P(u)` at `u_l`), `d y_hat_i / d ln h_l =
/// sum_j a_ij g_ij^(l) (y_j - y_hat_i)` and `d loss / d ln h_l =
/// sum_i 2 (y_hat_i - y_i) d y_hat_i / d ln h_l`. Needs at least 2 examples.
pub fn loo_nd(
    kind: KernelKind,
    bandwidths: &[f32],
    data: &KeysNd,
    grad: bool,
    par: Par,
) -> Result<LooNd> {
    check_bandwidths(bandwidths, data.dim)?;
    check_examples("pool_nd leave-one-out", vec![data.len(), data.dim])?;
    product::dispatch(
        kind,
        data.dim,
        LooJob {
            bandwidths,
            data,
            grad,
            par,
        },
    )
}

/// [`loo_nd`]'s arguments.
struct LooJob<'a> {
    bandwidths: &'a [f32],
    data: &'a KeysNd,
    grad: bool,
    par: Par,
}

impl ProductJob for LooJob<'_> {
    type Output = Result<LooNd>;

    fn run<K: Product, D: Dims>(self, dims: D) -> Result<LooNd> {
        let f = Frame::new::<K>(self.data, self.bandwidths)?;
        Ok(if self.grad {
            loo_with::<K, D, true>(dims, &f, self.data, self.par)
        } else {
            loo_with::<K, D, false>(dims, &f, self.data, self.par)
        })
    }
}

/// One example's `(y_hat, squared error)`.
type LooRow = (f32, f64);

fn loo_with<K: Product, D: Dims, const GRAD: bool>(
    dims: D,
    f: &Frame,
    data: &KeysNd,
    par: Par,
) -> LooNd {
    let (n, d) = (data.len(), dims.get());
    let mut rows: Vec<LooRow> = vec![(0.0, 0.0); n];
    // Each example's gradient terms, one per dimension (filled only with GRAD).
    let mut terms = vec![0.0; n * d];
    let block = |(b, (out, terms)): (usize, (&mut [LooRow], &mut [f64]))| {
        let start = b * QUERY_BLOCK;
        let mut qs = vec![0.0; out.len() * d];
        let mut scratch = vec![0.0; d];
        // An example's query is its own key, exactly as the loops read it.
        let plans: Vec<Option<Plan>> = qs
            .chunks_exact_mut(d)
            .enumerate()
            .map(|(i, q)| {
                f.key(start + i, q);
                plan::<K, D>(dims, f, q, start + i, &mut scratch)
            })
            .collect();
        let mut sums = vec![Sums::default(); out.len()];
        let mut grads = vec![0.0; if GRAD { out.len() * 2 * d } else { 0 }];
        stream::<K, D, GRAD, false>(dims, f, &qs, &plans, start, &mut sums, &mut grads);
        for (i, (o, t)) in out.iter_mut().zip(terms.chunks_exact_mut(d)).enumerate() {
            let g = if GRAD { &grads[i * 2 * d..] } else { &[][..] };
            *o = loo_row::<K>(&sums[i], g, data.values()[start + i], data, t);
        }
    };
    if par.is_parallel() && n > QUERY_BLOCK {
        rows.par_chunks_mut(QUERY_BLOCK)
            .zip(terms.par_chunks_mut(QUERY_BLOCK * d))
            .enumerate()
            .for_each(block);
    } else {
        rows.chunks_mut(QUERY_BLOCK)
            .zip(terms.chunks_mut(QUERY_BLOCK * d))
            .enumerate()
            .for_each(block);
    }
    loo_fit(&rows, &terms, data, GRAD)
}

/// An example's prediction and squared error from its sums, and its gradient terms into
/// `terms` (from `grads`, `2 d` slope sums; empty: none). No estimate: NaN and zeros.
fn loo_row<K: Product>(
    s: &Sums,
    grads: &[f64],
    target: f32,
    data: &KeysNd,
    terms: &mut [f64],
) -> LooRow {
    terms.fill(0.0);
    if s.z <= 0.0 {
        return (f32::NAN, 0.0);
    }
    let y_hat = data.scale.unscale(s.v / s.z);
    let r = y_hat - f64::from(target);
    let unit = K::GRAD_UNIT * 2f64.powi(data.scale.shift);
    for (t, g) in terms.iter_mut().zip(grads.chunks_exact(2)) {
        // The softmax's derivative: a difference of two scaled means, scaled back as one.
        let dy = (g[1] / s.z - (s.v / s.z) * (g[0] / s.z)) * unit;
        *t = 2.0 * r * dy;
    }
    (y_hat as f32, r * r)
}

/// Sums the rows in sorted order (whatever the threads did) and puts predictions back in the
/// input order.
fn loo_fit(rows: &[LooRow], terms: &[f64], data: &KeysNd, grad: bool) -> LooNd {
    let d = data.dim;
    let mut y_hat = vec![0.0; rows.len()];
    for (sorted, &original) in data.order().iter().enumerate() {
        y_hat[original] = rows[sorted].0;
    }
    let grad = if grad {
        (0..d)
            .map(|l| terms.iter().skip(l).step_by(d).sum())
            .collect()
    } else {
        Vec::new()
    };
    LooNd {
        loss: rows.iter().map(|r| r.1).sum(),
        grad,
        y_hat,
        far: rows.iter().filter(|r| r.0.is_nan()).count(),
    }
}

/// The scalar twin of [`loo_nd`], with the gradient: every key in order, f64, sequential.
pub fn loo_nd_scalar(kind: KernelKind, bandwidths: &[f32], data: &KeysNd) -> Result<LooNd> {
    check_bandwidths(bandwidths, data.dim)?;
    check_examples("pool_nd leave-one-out", vec![data.len(), data.dim])?;
    product::dispatch(kind, data.dim, LooTwinJob { bandwidths, data })
}

/// [`loo_nd_scalar`]'s arguments.
struct LooTwinJob<'a> {
    bandwidths: &'a [f32],
    data: &'a KeysNd,
}

impl ProductJob for LooTwinJob<'_> {
    type Output = Result<LooNd>;

    fn run<K: Product, D: Dims>(self, _dims: D) -> Result<LooNd> {
        let f = Frame::new::<K>(self.data, self.bandwidths)?;
        let (n, d) = (self.data.len(), f.d);
        let mut q = vec![0.0; d];
        let mut scratch = vec![0.0; 2 * d];
        let mut grads = vec![0.0; 2 * d];
        let mut terms = vec![0.0; n * d];
        let rows: Vec<LooRow> = terms
            .chunks_exact_mut(d)
            .enumerate()
            .map(|(i, t)| {
                f.key(i, &mut q);
                let mut s = Sums::default();
                grads.fill(0.0);
                if let Some(p) = twin_plan::<K>(&f, &q, i, &mut scratch) {
                    scalar::pool_sums_nd::<K, Dyn, true, false>(
                        Dyn(d),
                        &f.panels,
                        &q,
                        p.smin,
                        (p.lo, p.hi),
                        i,
                        &mut s,
                        &mut grads,
                        &mut scratch,
                    );
                }
                loo_row::<K>(&s, &grads, self.data.values()[i], self.data, t)
            })
            .collect();
        Ok(loo_fit(&rows, &terms, self.data, true))
    }
}
