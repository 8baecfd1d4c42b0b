//! Fused attention pooling: `y(q) = sum_j softmax_j(ln K(|q - k_j|)) v_j` for every query in
//! one streaming pass over the keys, never building the `queries x keys` weight matrix.
//!
//! # How
//! Keys are sorted once ([`SortedKeys`]). For each query a binary search finds the nearest
//! key, whose score is the row maximum of a radial kernel, and the range of keys whose weight
//! can be non-zero ([`Radial::radius`]). Then every key weighs `K(d) / K(dmin)` in `[0, 1]`,
//! so there is no running maximum to rescale, the nearest key's weight is exactly 1 (the
//! normalizer is never 0, and there is no NaN), and the weights, the weighted values and the
//! normalizer are summed in one pass: in f32 vector lanes over a tile of [`TILE`] keys, then
//! in f64 across tiles. Memory is O(queries + keys).
//!
//! ```text
//! for each block of queries (in parallel):          plan: dmin, anchor, range lo..hi
//!   for each tile of TILE keys (in order):          the tile stays in L1
//!     for each query of the block:                  simd::pool_sums over range ∩ tile
//! y = v / z,   log-normalizer = ln K(dmin) + ln z
//! ```
//!
//! # Determinism
//! A query's sums run over the same tiles in the same order whichever block or thread it
//! lands in, so results are the same bits on any number of threads.
//!
//! # Accuracy
//! Against an f64 computation on the same f32 inputs, each prediction is within 1e-5
//! relative (tests: up to 10^6 keys). The weights carry the error of [`scalar::exp2`]
//! (2e-7) and of their exponent, a product of two accurate factors (a few f32 ulps of the
//! exponent itself, small for the keys that matter, however far the query is); each f32 lane
//! sums at most `TILE / (2 LANES)` terms before the f64 sum takes over.
//!
//! # Leave-one-out
//! [`loo`] pools every training example against all the others (its own key masked out),
//! and returns the summed squared loss and its gradient with respect to the kernel's
//! parameter, from the same pass.

use std::ops::Range;

use rayon::prelude::*;

use crate::error::{Result, TensorError};
use crate::kernels::radial::{Radial, Sums};
use crate::kernels::{LANES, scalar, simd};
use crate::par::Par;

/// Keys per tile: 8 KiB of keys and values, in L1 while a block of queries streams past.
/// Each f32 lane of a query's accumulators then sums at most `TILE / (2 LANES)` terms.
pub const TILE: usize = 1024;
/// Queries per parallel task: enough that each tile load is shared, few enough to balance.
const QUERY_BLOCK: usize = 32;
/// "No key left out".
const NO_SKIP: usize = usize::MAX;

/// Keys and their values, sorted by key, padded for whole-vector loads.
///
/// Sorting lets each query find its nearest key and its range by binary search. The sort is
/// stable (ties keep their order), so equal inputs give the same sums on every run.
#[derive(Clone, Debug, PartialEq)]
pub struct SortedKeys {
    /// Sorted keys, then padding up to a multiple of `LANES` (masked, never counted).
    keys: Vec<f32>,
    /// Values in the keys' order, then padding.
    values: Vec<f32>,
    /// Where each sorted key was in the input.
    order: Vec<usize>,
}

impl SortedKeys {
    /// Sorts `keys` and `values` together by key.
    ///
    /// Both must be finite (a NaN key has no place in the order, and a non-finite value
    /// would poison every prediction), and of equal length.
    pub fn new(keys: &[f32], values: &[f32]) -> Result<Self> {
        if keys.len() != values.len() {
            return Err(TensorError::ShapeMismatch {
                op: "pool (keys, values)",
                lhs: vec![keys.len()],
                rhs: vec![values.len()],
            });
        }
        check_finite("pool", "keys", keys)?;
        check_finite("pool", "values", values)?;
        let order = sort_order(keys);
        let padded = keys.len().next_multiple_of(LANES);
        let mut sorted_keys = Vec::with_capacity(padded);
        let mut sorted_values = Vec::with_capacity(padded);
        sorted_keys.extend(order.iter().map(|&i| keys[i]));
        sorted_values.extend(order.iter().map(|&i| values[i]));
        sorted_keys.resize(padded, 0.0);
        sorted_values.resize(padded, 0.0);
        Ok(SortedKeys {
            keys: sorted_keys,
            values: sorted_values,
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

    /// The keys, ascending.
    pub fn keys(&self) -> &[f32] {
        &self.keys[..self.len()]
    }

    /// The values, in the order of [`keys`](Self::keys).
    pub fn values(&self) -> &[f32] {
        &self.values[..self.len()]
    }

    /// `order()[i]` is the input position of the `i`-th smallest key.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The keys `range` (of the sorted order) on their own, for pooling over part of them.
    pub fn slice(&self, range: Range<usize>) -> Result<SortedKeys> {
        SortedKeys::new(&self.keys()[range.clone()], &self.values()[range])
    }
}

/// The positions of `keys` in ascending order, ties in input order (a stable sort).
///
/// Each key becomes a `u64`: its bits mapped to an unsigned integer of the same order, then
/// its position, so one unstable sort of plain integers (no random access into `keys` to
/// compare) gives the stable order; several times faster than sorting indices by key.
fn sort_order(keys: &[f32]) -> Vec<usize> {
    if keys.is_sorted() {
        return (0..keys.len()).collect();
    }
    let Ok(n) = u32::try_from(keys.len()) else {
        // Beyond 2^32 keys the position does not fit beside the key: sort indices instead.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
        return order;
    };
    let mut packed: Vec<u64> = (0..n)
        .map(|i| {
            let bits = keys[i as usize].to_bits();
            // Negative floats order backwards as integers: flip them all; positives go above.
            let ordered = if bits >> 31 == 1 {
                !bits
            } else {
                bits | 1 << 31
            };
            u64::from(ordered) << 32 | u64::from(i)
        })
        .collect();
    packed.sort_unstable();
    packed.iter().map(|&p| (p & 0xFFFF_FFFF) as usize).collect()
}

/// What pooling returns for each query, in query order.
#[derive(Clone, Debug, PartialEq)]
pub struct Pooled {
    /// The prediction `sum_j a_j v_j`.
    pub y: Vec<f32>,
    /// The log of the normalizer, `ln sum_j K(|q - k_j|)`: the log-sum-exp of the scores
    /// (`-inf` for no keys at all).
    pub lse: Vec<f32>,
}

/// Pools `queries` over `keys` with `kernel`, in one streaming pass (see the module docs).
///
/// A query that is NaN or infinite gets NaN (there is no nearest key to it); with no keys at
/// all every prediction is NaN and every log-normalizer `-inf`.
pub fn pool<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys, par: Par) -> Pooled {
    if keys.is_empty() {
        return nothing(queries.len());
    }
    let mut y = vec![0.0; queries.len()];
    let mut lse = vec![0.0; queries.len()];
    let block = |((q, y), lse): ((&[f32], &mut [f32]), &mut [f32])| {
        let plans: Vec<Option<Plan<K>>> = q
            .iter()
            .map(|&qi| plan(kernel, qi, keys.keys(), NO_SKIP))
            .collect();
        let sums = stream::<K, false>(kernel, &plans, keys, NO_SKIP);
        for (i, (p, s)) in plans.iter().zip(&sums).enumerate() {
            (y[i], lse[i]) = finish(kernel, p.as_ref(), s);
        }
    };
    if par.is_parallel() && queries.len() > QUERY_BLOCK {
        queries
            .par_chunks(QUERY_BLOCK)
            .zip(y.par_chunks_mut(QUERY_BLOCK))
            .zip(lse.par_chunks_mut(QUERY_BLOCK))
            .for_each(block);
    } else {
        queries
            .chunks(QUERY_BLOCK)
            .zip(y.chunks_mut(QUERY_BLOCK))
            .zip(lse.chunks_mut(QUERY_BLOCK))
            .for_each(block);
    }
    Pooled { y, lse }
}

/// The scalar twin of [`pool`]: the same plan per query, then every key of the range in
/// order, in f64 ([`scalar::pool_sums`]), with no tiles and no threads.
pub fn pool_scalar<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys) -> Pooled {
    if keys.is_empty() {
        return nothing(queries.len());
    }
    let (y, lse) = queries
        .iter()
        .map(|&q| {
            let p = plan(kernel, q, keys.keys(), NO_SKIP);
            let mut s = Sums::default();
            if let Some(p) = &p {
                scalar::pool_sums::<K, false>(
                    kernel,
                    &p.anchor,
                    p.pivot,
                    keys.keys(),
                    keys.values(),
                    (p.lo, p.hi),
                    NO_SKIP,
                    &mut s,
                );
            }
            finish(kernel, p.as_ref(), &s)
        })
        .unzip();
    Pooled { y, lse }
}

/// Combines the pooling of the same queries over two disjoint sets of keys into the pooling
/// over their union: `lse = ln(e^lse_a + e^lse_b)`, `y = (e^lse_a y_a + e^lse_b y_b) / e^lse`.
///
/// An empty side (`lse = -inf`) is the identity, whatever its `y`. Computed in f64.
///
/// # Panics
/// If the two hold different numbers of queries.
pub fn merge(a: &Pooled, b: &Pooled) -> Pooled {
    assert_eq!(a.y.len(), b.y.len(), "merge: different numbers of queries");
    let (y, lse) = (0..a.y.len())
        .map(|i| {
            let (la, lb) = (f64::from(a.lse[i]), f64::from(b.lse[i]));
            if la == f64::NEG_INFINITY {
                return (b.y[i], b.lse[i]);
            }
            if lb == f64::NEG_INFINITY {
                return (a.y[i], a.lse[i]);
            }
            let m = la.max(lb);
            let (wa, wb) = ((la - m).exp(), (lb - m).exp());
            let y = (wa * f64::from(a.y[i]) + wb * f64::from(b.y[i])) / (wa + wb);
            (y as f32, (m + (wa + wb).ln()) as f32)
        })
        .unzip();
    Pooled { y, lse }
}

/// The leave-one-out fit of a kernel on a training set: each example pooled over all the
/// others.
#[derive(Clone, Debug, PartialEq)]
pub struct LooFit {
    /// `sum_i (y_hat_i - y_i)^2`, in f64.
    pub loss: f64,
    /// `d loss / d theta` for the kernel's parameter `theta` ([`Radial::feature_scale`]).
    pub grad: f64,
    /// The leave-one-out prediction of each example, in the input order.
    pub y_hat: Vec<f32>,
}

/// Leave-one-out pooling of the training set `data` (keys are inputs, values are targets):
/// example `i` attends to every example but itself (equal inputs stay in; only row `i` is
/// left out), in one fused pass that also gives the summed squared loss and its gradient.
///
/// With `a_ij` the weights, `y_hat_i = sum_j a_ij y_j`, and the kernel's
/// `d ln K(d) / d theta = s f(d)`, the softmax's derivative gives
/// `d y_hat_i / d theta = s (sum_j a_ij f_ij y_j - y_hat_i sum_j a_ij f_ij)`, and
/// `d loss / d theta = sum_i 2 (y_hat_i - y_i) d y_hat_i / d theta`.
///
/// Needs at least 2 examples (else an example has nothing to attend to).
pub fn loo<K: Radial>(kernel: &K, data: &SortedKeys, par: Par) -> Result<LooFit> {
    let n = data.len();
    if n < 2 {
        return Err(TensorError::Rank {
            op: "leave-one-out pooling",
            expected: "at least 2 examples",
            shape: vec![n],
        });
    }
    let xs = data.keys();
    // Per example, in sorted order: (y_hat, loss term, gradient term).
    let mut terms = vec![(0.0f32, 0.0f64, 0.0f64); n];
    let scale = kernel.feature_scale();
    let block = |(b, out): (usize, &mut [(f32, f64, f64)])| {
        let start = b * QUERY_BLOCK;
        let q = &xs[start..start + out.len()];
        // Every example has another to attend to (n >= 2), so every plan exists.
        let plans: Vec<Option<Plan<K>>> = (0..out.len())
            .map(|i| plan(kernel, q[i], xs, start + i))
            .collect();
        let sums = stream::<K, true>(kernel, &plans, data, start);
        for (i, s) in sums.iter().enumerate() {
            let y_hat = s.v / s.z;
            let r = y_hat - f64::from(data.values()[start + i]);
            let dy = scale * (s.fv / s.z - y_hat * s.f / s.z);
            out[i] = (y_hat as f32, r * r, 2.0 * r * dy);
        }
    };
    if par.is_parallel() && n > QUERY_BLOCK {
        terms
            .par_chunks_mut(QUERY_BLOCK)
            .enumerate()
            .for_each(block);
    } else {
        terms.chunks_mut(QUERY_BLOCK).enumerate().for_each(block);
    }
    // Summed in index order, whatever the threads did.
    let loss = terms.iter().map(|t| t.1).sum();
    let grad = terms.iter().map(|t| t.2).sum();
    let mut y_hat = vec![0.0; n];
    for (sorted, &original) in data.order().iter().enumerate() {
        y_hat[original] = terms[sorted].0;
    }
    Ok(LooFit { loss, grad, y_hat })
}

/// The scalar twin of [`loo`]: the same plans, every key in order in f64, sequential.
pub fn loo_scalar<K: Radial>(kernel: &K, data: &SortedKeys) -> Result<LooFit> {
    let n = data.len();
    if n < 2 {
        return Err(TensorError::Rank {
            op: "leave-one-out pooling",
            expected: "at least 2 examples",
            shape: vec![n],
        });
    }
    let (xs, ys) = (data.keys(), data.values());
    let scale = kernel.feature_scale();
    let (mut loss, mut grad) = (0.0, 0.0);
    let mut y_hat = vec![0.0; n];
    for i in 0..n {
        let p = plan(kernel, xs[i], xs, i).expect("n >= 2: another example exists");
        let mut s = Sums::default();
        scalar::pool_sums::<K, true>(kernel, &p.anchor, p.pivot, xs, ys, (p.lo, p.hi), i, &mut s);
        let yh = s.v / s.z;
        let r = yh - f64::from(ys[i]);
        loss += r * r;
        grad += 2.0 * r * scale * (s.fv / s.z - yh * s.f / s.z);
        y_hat[data.order()[i]] = yh as f32;
    }
    Ok(LooFit { loss, grad, y_hat })
}

/// What a query's pass needs: its nearest distance, the kernel's constants and the range of
/// sorted keys with a non-zero weight.
struct Plan<K: Radial> {
    dmin: f32,
    /// Where distances are measured from: the query, or for a query outside the span of the
    /// keys, its nearest key (see [`crate::kernels::radial`]).
    pivot: f32,
    anchor: K::Anchor,
    lo: usize,
    hi: usize,
}

/// The plan of query `q` over sorted `keys`, leaving out index `skip`; `None` when no key is
/// left or `q` is not finite.
fn plan<K: Radial>(kernel: &K, q: f32, keys: &[f32], skip: usize) -> Option<Plan<K>> {
    if !q.is_finite() {
        return None;
    }
    // The distances |q - k| fall, then rise, along sorted keys (f32 subtraction is monotone),
    // so the nearest key is the last one below q or the first one at or above it, skipping
    // the left-out index.
    let p = keys.partition_point(|&k| k < q);
    let below = (0..p).rev().find(|&j| j != skip);
    let above = (p..keys.len()).find(|&j| j != skip);
    let (nearest, dmin) = [below, above]
        .into_iter()
        .flatten()
        .map(|j| (j, (q - keys[j]).abs()))
        .reduce(|a, b| if b.1 < a.1 { b } else { a })?;
    let side = match (below, above) {
        (Some(_), Some(_)) => 0,
        (None, _) => 1,
        (_, None) => -1,
    };
    let r = kernel.radius(dmin);
    let lo = keys.partition_point(|&k| q - k > r);
    let hi = keys.partition_point(|&k| k - q <= r);
    Some(Plan {
        dmin,
        pivot: if side == 0 { q } else { keys[nearest] },
        anchor: kernel.anchor(dmin, side),
        lo,
        hi,
    })
}

/// The pooling over no keys: no prediction, and the log of an empty sum.
fn nothing(queries: usize) -> Pooled {
    Pooled {
        y: vec![f32::NAN; queries],
        lse: vec![f32::NEG_INFINITY; queries],
    }
}

/// `(y, lse)` from a query's sums.
fn finish<K: Radial>(kernel: &K, plan: Option<&Plan<K>>, s: &Sums) -> (f32, f32) {
    match plan {
        // The nearest key weighs exactly 1, so z >= 1.
        Some(p) => (
            (s.v / s.z) as f32,
            (kernel.log_anchor(p.dmin) + s.z.ln()) as f32,
        ),
        None => (f32::NAN, f32::NAN),
    }
}

/// The sums of a block of planned queries, streaming the keys tile by tile; query `i` of the
/// block
/// leaves out key `skip_base + i` (`NO_SKIP`: none).
fn stream<K: Radial, const GRAD: bool>(
    kernel: &K,
    plans: &[Option<Plan<K>>],
    keys: &SortedKeys,
    skip_base: usize,
) -> Vec<Sums> {
    let mut sums = vec![Sums::default(); plans.len()];
    let (lo, hi) = plans
        .iter()
        .flatten()
        .fold((usize::MAX, 0), |(lo, hi), p| (lo.min(p.lo), hi.max(p.hi)));
    if lo >= hi {
        return sums;
    }
    // Tiles are fixed in absolute key positions, so a query's sums do not depend on its
    // block: the same tiles, in the same order.
    for t0 in (lo - lo % TILE..hi).step_by(TILE) {
        let t1 = t0 + TILE;
        for (i, (p, s)) in plans.iter().zip(&mut sums).enumerate() {
            let Some(p) = p else { continue };
            let range = (p.lo.max(t0), p.hi.min(t1));
            let skip = skip_base.checked_add(i).unwrap_or(NO_SKIP);
            simd::pool_sums::<K, GRAD>(
                kernel,
                &p.anchor,
                p.pivot,
                &keys.keys,
                &keys.values,
                range,
                skip,
                s,
            );
        }
    }
    sums
}

/// Every value of `values` is finite.
fn check_finite(op: &'static str, what: &'static str, values: &[f32]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(TensorError::NotFinite {
            op,
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}
