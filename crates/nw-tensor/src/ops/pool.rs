//! Fused attention pooling: `y(q) = sum_j softmax_j(ln K(|q - k_j| / h)) v_j` for every query
//! in one streaming pass over the keys, never building the `queries x keys` weight matrix.
//!
//! # How
//! Keys are sorted once ([`SortedKeys`]). For each query a binary search finds the nearest
//! key, whose score is the row maximum of a radial kernel, and the range of keys whose weight
//! can be non-zero ([`Radial::radius`]). Every key then weighs at most 1 relative to the
//! largest possible weight (for the Gaussian and Laplace kernels, `K(d) / K(dmin)`: the nearest
//! key weighs exactly 1), so there is no running maximum to rescale, and the weights, the
//! weighted values and the normalizer are summed in one pass: in f32 vector lanes over a tile
//! of [`TILE`] keys, then in f64 across tiles. Memory is O(queries + keys).
//!
//! ```text
//! for each block of queries (in parallel):          plan: dmin, anchor, range lo..hi
//!   for each tile of TILE keys (in order):          the tile stays in L1
//!     for each query of the block:                  simd::pool_sums over range ∩ tile
//! y = v / z,   log-normalizer = log_scale + ln z
//! ```
//!
//! # No estimate
//! A query with no key within a compact kernel's reach gets `z = 0`: its prediction is NaN
//! and its log-normalizer `-inf`, never a number that looks like an estimate; `nw_model`
//! applies the caller's far-query policy to it. The whole-line kernels always have one (the
//! nearest key weighs 1), however far the query.
//!
//! # Determinism
//! A query's sums run over the same tiles in the same order whichever block or thread it
//! lands in, so results are the same bits on any number of threads.
//!
//! # Accuracy
//! Against an f64 computation on the same f32 inputs, each prediction is within 1e-5
//! relative (tests: up to 10^6 keys) for a query within 5 bandwidths of its nearest key, or
//! anywhere outside the span of the keys. The weights carry the error of [`scalar::exp2`]
//! (2e-7) and of their exponent, a product of two accurate factors; each f32 lane sums at
//! most `TILE / (2 LANES)` terms before the f64 sum takes over. A query deep inside a gap
//! between keys, `n` bandwidths from the nearest, depends on differences of distances that
//! the f32 subtraction `k - q` resolves only to `~1e-7 n^2` in the exponent (PyTorch's f32
//! path does no better, and statsmodels' f64 one returns NaN beyond about 37 bandwidths);
//! there the prediction stays a finite weighted average of the nearest keys' values and
//! tends to the nearest key's value as the scale grows.
//!
//! # Leave-one-out
//! [`loo`] pools every training example against all the others (its own key masked out),
//! and returns the summed squared loss and its gradient with respect to the log-bandwidth,
//! from the same pass; [`loo_cv`] the loss alone, for bandwidth selection.

use std::ops::Range;

use rayon::prelude::*;

use crate::error::{Result, TensorError};
use crate::kernels::isa::{self, Simd, Task};
use crate::kernels::radial::{Radial, Sums};
use crate::kernels::{LANES, scalar, simd};
use crate::par::Par;

/// Keys per tile: 8 KiB of keys and values, in L1 while a block of queries streams past.
/// Each f32 lane of a query's accumulators then sums at most `TILE / (2 LANES)` terms.
pub const TILE: usize = 1024;
/// Queries per parallel task: enough that each tile load is shared, few enough to balance.
pub(crate) const QUERY_BLOCK: usize = 32;
/// "No key left out".
pub(crate) const NO_SKIP: usize = usize::MAX;

/// Values up to `2^VALUE_EXP` in magnitude are summed as they are; larger ones are first
/// scaled down by a power of two (exactly) so that they fit this bound. A tile's f32 lanes
/// then sum at most `TILE` weighted values of at most `2^VALUE_EXP` each (weights are at
/// most 1), far below `f32::MAX` (`2^128`), so no partial sum can overflow.
const VALUE_EXP: i32 = 100;

/// Keys and their values, sorted by key, padded for whole-vector loads.
///
/// Sorting lets each query find its nearest key and its range by binary search. The sort is
/// stable (ties keep their order), so equal inputs give the same sums on every run.
///
/// # Large values
/// A weighted mean of finite values is finite and lies between their least and greatest,
/// but the f32 lane sums of the fused loop are not normalized: a tile of keys with values
/// near `1e37` would overflow them. Values larger than `2^100` in magnitude are therefore
/// summed scaled down by a power of two (exact, and undone in f64 when the sums are
/// divided); every prediction is also clamped to the values' range, which only ever
/// corrects rounding. Ordinary values are summed exactly as given.
#[derive(Clone, Debug, PartialEq)]
pub struct SortedKeys {
    /// Sorted keys, then padding up to a multiple of `LANES` (masked, never counted).
    keys: Vec<f32>,
    /// Values in the keys' order, then padding.
    values: Vec<f32>,
    /// The values scaled by `2^-shift`, when they are large: what the f32 lanes sum.
    scaled: Option<Vec<f32>>,
    /// How the values were scaled, and their range.
    scale: ValueScale,
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
        if let (Some(&first), Some(&last)) = (order.first(), order.last()) {
            // Every distance the loop takes is a difference of two keys (or of a query and a
            // key) in f32: keys further apart than f32's range would make it infinite.
            let (lo, hi) = (keys[first], keys[last]);
            if f64::from(hi) - f64::from(lo) > f64::from(f32::MAX) {
                return Err(TensorError::Span { op: "pool", lo, hi });
            }
        }
        let padded = keys.len().next_multiple_of(LANES);
        let mut sorted_keys = Vec::with_capacity(padded);
        let mut sorted_values = Vec::with_capacity(padded);
        sorted_keys.extend(order.iter().map(|&i| keys[i]));
        sorted_values.extend(order.iter().map(|&i| values[i]));
        sorted_keys.resize(padded, 0.0);
        sorted_values.resize(padded, 0.0);
        let scale = ValueScale::new(values);
        Ok(SortedKeys {
            keys: sorted_keys,
            scaled: scale.scaled(&sorted_values),
            values: sorted_values,
            scale,
            order,
        })
    }

    /// The values as the fused loop sums them (scaled down when large; see the type's docs),
    /// padded like the keys.
    pub(crate) fn summed_values(&self) -> &[f32] {
        self.scaled.as_deref().unwrap_or(&self.values)
    }

    /// A ratio of sums of [`summed_values`](Self::summed_values) as a value: scaled back up
    /// and kept within the values' range, which only rounding could have left.
    fn unscale(&self, ratio: f64) -> f64 {
        self.scale.unscale(ratio)
    }

    /// The keys with their padding: what the vector loops load.
    pub(crate) fn padded_keys(&self) -> &[f32] {
        &self.keys
    }

    /// The power of two the summed values were scaled down by (0: not scaled).
    pub(crate) fn value_shift(&self) -> i32 {
        self.scale.shift
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
    ///
    /// Errors with [`TensorError::Range`] if `range` runs backwards or past [`len`](Self::len).
    pub fn slice(&self, range: Range<usize>) -> Result<SortedKeys> {
        if range.start > range.end || range.end > self.len() {
            return Err(TensorError::Range {
                op: "SortedKeys::slice",
                start: range.start,
                end: range.end,
                len: self.len(),
            });
        }
        SortedKeys::new(&self.keys()[range.clone()], &self.values()[range])
    }
}

/// How a set of values is summed by the fused loops (see [`SortedKeys`]' "Large values"):
/// scaled down by `2^shift` when large, and the bounds any weighted mean of them lies in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ValueScale {
    /// The power of two the values are scaled down by (0: not scaled).
    pub(crate) shift: i32,
    /// The least and greatest value.
    range: (f32, f32),
}

impl ValueScale {
    /// The scale of `values` (finite).
    pub(crate) fn new(values: &[f32]) -> Self {
        let range = values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        ValueScale {
            shift: value_shift(values),
            range,
        }
    }

    /// `values` as the f32 lanes should sum them, when they must be scaled (`None`: as given).
    pub(crate) fn scaled(&self, values: &[f32]) -> Option<Vec<f32>> {
        (self.shift > 0).then(|| {
            // 2^-shift, exactly (shift <= 28).
            let s = f32::from_bits(((127 - self.shift) as u32) << 23);
            values.iter().map(|&v| v * s).collect()
        })
    }

    /// A ratio of sums of scaled values as a value: scaled back up and kept within the
    /// values' range, which only rounding could have left.
    pub(crate) fn unscale(&self, ratio: f64) -> f64 {
        let (lo, hi) = self.range;
        (ratio * 2f64.powi(self.shift)).clamp(f64::from(lo), f64::from(hi))
    }
}

/// The power of two that brings every value to at most `2^VALUE_EXP` in magnitude (0 when
/// they are there already).
fn value_shift(values: &[f32]) -> i32 {
    let largest = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    // The binary exponent of the largest value: it is below 2^(e + 1).
    let e = ((largest.to_bits() >> 23) & 0xff) as i32 - 127;
    (e + 1 - VALUE_EXP).max(0)
}

/// The positions of `keys` in ascending order, ties in input order (a stable sort).
///
/// Each key becomes a `u64`: its bits mapped to an unsigned integer of the same order, then
/// its position, so one unstable sort of plain integers (no random access into `keys` to
/// compare) gives the stable order; several times faster than sorting indices by key.
pub(crate) fn sort_order(keys: &[f32]) -> Vec<usize> {
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
    /// The prediction `sum_j a_j v_j`; NaN for a query with no kernel estimate (no key within
    /// a compact kernel's reach, no keys at all, or a query that is not finite).
    pub y: Vec<f32>,
    /// The log of the normalizer, `ln sum_j K(u_j)`: the log-sum-exp of the scores `ln K(u_j)`
    /// (`-inf` when no key has a weight).
    pub lse: Vec<f32>,
    /// The distance from the query to its nearest key (NaN without one).
    pub dmin: Vec<f32>,
    /// The effective number of keys, `(sum_j K_j)^2 / sum_j K_j^2`, when asked for
    /// ([`pool_diagnosed`]); NaN without an estimate.
    pub effective: Option<Vec<f32>>,
}

/// Pools `queries` over `keys` with `kernel`, in one streaming pass (see the module docs).
pub fn pool<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys, par: Par) -> Pooled {
    pool_with::<K, false>(kernel, queries, keys, par)
}

/// [`pool`], also counting each query's effective number of keys (one more multiply-add per
/// pair).
pub fn pool_diagnosed<K: Radial>(
    kernel: &K,
    queries: &[f32],
    keys: &SortedKeys,
    par: Par,
) -> Pooled {
    pool_with::<K, true>(kernel, queries, keys, par)
}

/// A query's results: `(y, lse, dmin, effective)`.
pub(crate) type Row = (f32, f32, f32, f32);

fn pool_with<K: Radial, const SQUARES: bool>(
    kernel: &K,
    queries: &[f32],
    keys: &SortedKeys,
    par: Par,
) -> Pooled {
    if keys.is_empty() {
        return nothing(queries.len(), SQUARES);
    }
    let mut rows: Vec<Row> = vec![(0.0, 0.0, 0.0, 0.0); queries.len()];
    let block = |(q, out): (&[f32], &mut [Row])| {
        let plans: Vec<Option<Plan<K>>> = q
            .iter()
            .map(|&qi| plan(kernel, qi, keys.keys(), NO_SKIP))
            .collect();
        let sums = stream::<K, false, SQUARES>(kernel, &plans, keys, NO_SKIP);
        for (o, (p, s)) in out.iter_mut().zip(plans.iter().zip(&sums)) {
            *o = finish(p.as_ref(), s, keys);
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
    unzip(rows, SQUARES)
}

/// The scalar twin of [`pool_diagnosed`]: the same plan per query, then every key of the
/// range in order, in f64 ([`scalar::pool_sums`]), with no tiles and no threads.
pub fn pool_scalar<K: Radial>(kernel: &K, queries: &[f32], keys: &SortedKeys) -> Pooled {
    if keys.is_empty() {
        return nothing(queries.len(), true);
    }
    let rows = queries
        .iter()
        .map(|&q| {
            let p = plan(kernel, q, keys.keys(), NO_SKIP);
            let mut s = Sums::default();
            if let Some(p) = &p {
                scalar::pool_sums::<K, false, true>(
                    kernel,
                    &p.anchor,
                    p.pivot,
                    keys.keys(),
                    keys.summed_values(),
                    (p.lo, p.hi),
                    NO_SKIP,
                    &mut s,
                );
            }
            finish(p.as_ref(), &s, keys)
        })
        .collect();
    unzip(rows, true)
}

/// The pooling over no keys: no prediction, and the log of an empty sum.
pub(crate) fn nothing(queries: usize, effective: bool) -> Pooled {
    unzip(
        vec![(f32::NAN, f32::NEG_INFINITY, f32::NAN, f32::NAN); queries],
        effective,
    )
}

/// Columns from rows.
pub(crate) fn unzip(rows: Vec<Row>, effective: bool) -> Pooled {
    let mut out = Pooled {
        y: Vec::with_capacity(rows.len()),
        lse: Vec::with_capacity(rows.len()),
        dmin: Vec::with_capacity(rows.len()),
        effective: effective.then(|| Vec::with_capacity(rows.len())),
    };
    for (y, lse, dmin, eff) in rows {
        out.y.push(y);
        out.lse.push(lse);
        out.dmin.push(dmin);
        if let Some(e) = &mut out.effective {
            e.push(eff);
        }
    }
    out
}

/// Combines the pooling of the same queries over two disjoint sets of keys into the pooling
/// over their union: `lse = ln(e^lse_a + e^lse_b)`, `y = (e^lse_a y_a + e^lse_b y_b) / e^lse`,
/// and the nearer of the two nearest keys. Effective key counts are not merged (`None`).
///
/// A side without weight (`lse = -inf`) is the identity, whatever its `y`. Computed in f64.
///
/// # Panics
/// If the two hold different numbers of queries.
pub fn merge(a: &Pooled, b: &Pooled) -> Pooled {
    assert_eq!(a.y.len(), b.y.len(), "merge: different numbers of queries");
    let rows = (0..a.y.len())
        .map(|i| {
            let dmin = if b.dmin[i] < a.dmin[i] || a.dmin[i].is_nan() {
                b.dmin[i]
            } else {
                a.dmin[i]
            };
            let (la, lb) = (f64::from(a.lse[i]), f64::from(b.lse[i]));
            if la == f64::NEG_INFINITY {
                return (b.y[i], b.lse[i], dmin, f32::NAN);
            }
            if lb == f64::NEG_INFINITY {
                return (a.y[i], a.lse[i], dmin, f32::NAN);
            }
            let m = la.max(lb);
            let (wa, wb) = ((la - m).exp(), (lb - m).exp());
            let y = (wa * f64::from(a.y[i]) + wb * f64::from(b.y[i])) / (wa + wb);
            (y as f32, (m + (wa + wb).ln()) as f32, dmin, f32::NAN)
        })
        .collect();
    unzip(rows, false)
}

/// The leave-one-out fit of a kernel on a training set: each example pooled over all the
/// others.
#[derive(Clone, Debug, PartialEq)]
pub struct LooFit {
    /// `sum_i (y_hat_i - y_i)^2` over the examples with an estimate, in f64.
    pub loss: f64,
    /// `d loss / d ln h`, the gradient with respect to the log-bandwidth (0 from [`loo_cv`]).
    pub grad: f64,
    /// Each example's share of `grad`, `2 (y_hat_i - y_i) d y_hat_i / d ln h`, in the input
    /// order, for parameters that move each example's bandwidth differently (empty from
    /// [`loo_cv`]).
    pub terms: Vec<f64>,
    /// The leave-one-out prediction of each example, in the input order (NaN without an
    /// estimate).
    pub y_hat: Vec<f32>,
    /// How many examples have no estimate: no other example within a compact kernel's reach.
    pub far: usize,
}

/// Leave-one-out pooling of the training set `data` (keys are inputs, values are targets):
/// example `i` attends to every example but itself (equal inputs stay in; only row `i` is
/// left out), in one fused pass that also gives the summed squared loss and its gradient
/// with respect to the log-bandwidth.
///
/// With `a_ij` the weights, `y_hat_i = sum_j a_ij y_j`, and the kernel's slope
/// `g = d ln K / d ln h` ([`Radial::slope`]), the softmax's derivative gives
/// `d y_hat_i / d ln h = sum_j a_ij g_ij y_j - y_hat_i sum_j a_ij g_ij`, and
/// `d loss / d ln h = sum_i 2 (y_hat_i - y_i) d y_hat_i / d ln h`.
///
/// Needs at least 2 examples (else an example has nothing to attend to).
pub fn loo<K: Radial>(kernel: &K, data: &SortedKeys, par: Par) -> Result<LooFit> {
    loo_with::<K, true>(kernel, data, par)
}

/// [`loo`] without the gradient: the loss alone, for cross-validation (a little faster).
pub fn loo_cv<K: Radial>(kernel: &K, data: &SortedKeys, par: Par) -> Result<LooFit> {
    loo_with::<K, false>(kernel, data, par)
}

/// One example's results: `(y_hat, loss term, gradient term)`.
type LooRow = (f32, f64, f64);

fn loo_with<K: Radial, const GRAD: bool>(
    kernel: &K,
    data: &SortedKeys,
    par: Par,
) -> Result<LooFit> {
    check_loo(data)?;
    let n = data.len();
    let xs = data.keys();
    let mut rows: Vec<LooRow> = vec![(0.0, 0.0, 0.0); n];
    let block = |(b, out): (usize, &mut [LooRow])| {
        let start = b * QUERY_BLOCK;
        // Every example has another to attend to (n >= 2), so every plan exists.
        let plans: Vec<Option<Plan<K>>> = (0..out.len())
            .map(|i| plan(kernel, xs[start + i], xs, start + i))
            .collect();
        let sums = stream::<K, GRAD, false>(kernel, &plans, data, start);
        for (i, s) in sums.iter().enumerate() {
            out[i] = loo_row(s, data.values()[start + i], data);
        }
    };
    if par.is_parallel() && n > QUERY_BLOCK {
        rows.par_chunks_mut(QUERY_BLOCK).enumerate().for_each(block);
    } else {
        rows.chunks_mut(QUERY_BLOCK).enumerate().for_each(block);
    }
    Ok(loo_fit(rows, data, GRAD))
}

/// The scalar twin of [`loo`]: the same plans, every key in order in f64, sequential.
pub fn loo_scalar<K: Radial>(kernel: &K, data: &SortedKeys) -> Result<LooFit> {
    check_loo(data)?;
    let xs = data.keys();
    let rows = (0..data.len())
        .map(|i| {
            let mut s = Sums::default();
            if let Some(p) = plan(kernel, xs[i], xs, i) {
                scalar::pool_sums::<K, true, false>(
                    kernel,
                    &p.anchor,
                    p.pivot,
                    xs,
                    data.summed_values(),
                    (p.lo, p.hi),
                    i,
                    &mut s,
                );
            }
            loo_row(&s, data.values()[i], data)
        })
        .collect();
    Ok(loo_fit(rows, data, true))
}

pub(crate) fn check_loo(data: &SortedKeys) -> Result<()> {
    check_examples("leave-one-out pooling", vec![data.len()])
}

/// A leave-one-out fit needs at least 2 examples (the first axis of `shape`): with one, the
/// example has nothing to attend to.
pub(crate) fn check_examples(op: &'static str, shape: Vec<usize>) -> Result<()> {
    if shape.first().is_none_or(|&n| n < 2) {
        return Err(TensorError::Rank {
            op,
            expected: "at least 2 examples",
            shape,
        });
    }
    Ok(())
}

/// An example's prediction, squared error and gradient term from its sums (NaN and zeros
/// when it has no estimate). The error and gradient are in f64 on the unscaled values, so
/// neither overflows for any finite f32 targets.
fn loo_row(s: &Sums, target: f32, data: &SortedKeys) -> LooRow {
    if s.z <= 0.0 {
        return (f32::NAN, 0.0, 0.0);
    }
    let y_hat = data.unscale(s.v / s.z);
    let r = y_hat - f64::from(target);
    // The derivative is a difference of two scaled means, scaled back as one.
    let dy = (s.fv / s.z - (s.v / s.z) * s.f / s.z) * 2f64.powi(data.scale.shift);
    (y_hat as f32, r * r, 2.0 * r * dy)
}

/// Sums the rows in sorted order (whatever the threads did) and puts predictions back in
/// the input order.
fn loo_fit(rows: Vec<LooRow>, data: &SortedKeys, grad: bool) -> LooFit {
    let n = rows.len();
    let far = rows.iter().filter(|r| r.0.is_nan()).count();
    let loss = rows.iter().map(|r| r.1).sum();
    let mut y_hat = vec![0.0; n];
    let mut terms = if grad { vec![0.0; n] } else { Vec::new() };
    for (sorted, &original) in data.order().iter().enumerate() {
        y_hat[original] = rows[sorted].0;
        if grad {
            terms[original] = rows[sorted].2;
        }
    }
    LooFit {
        loss,
        grad: if grad {
            rows.iter().map(|r| r.2).sum()
        } else {
            0.0
        },
        terms,
        y_hat,
        far,
    }
}

/// What a query's pass needs: its nearest distance, the kernel's constants and the range of
/// sorted keys with a non-zero weight.
pub(crate) struct Plan<K: Radial> {
    pub(crate) dmin: f32,
    /// `ln` of the factor that turns relative weights into kernel values.
    pub(crate) log_scale: f64,
    /// Where distances are measured from: the query, or for a query outside the span of the
    /// keys, its nearest key (see [`crate::kernels::radial`]).
    pub(crate) pivot: f32,
    pub(crate) anchor: K::Anchor,
    pub(crate) lo: usize,
    pub(crate) hi: usize,
}

/// The plan of query `q` over sorted `keys`, leaving out index `skip`; `None` when no key is
/// left or `q` is not finite.
pub(crate) fn plan<K: Radial>(kernel: &K, q: f32, keys: &[f32], skip: usize) -> Option<Plan<K>> {
    if !q.is_finite() {
        return None;
    }
    // The distances |q - k| fall, then rise, along sorted keys (f32 subtraction is monotone),
    // so the nearest key is the last one below q or the first one at or above it, skipping
    // the left-out index.
    // A leave-one-out query is a key itself: its searches start there, a few steps each,
    // instead of over all the keys (the same answers).
    let from = if keys.get(skip) == Some(&q) {
        skip
    } else {
        keys.partition_point(|&k| k < q)
    };
    let p = gallop(keys, from, |k| k < q);
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
    let r = kernel.radius(q, dmin);
    let lo = gallop(keys, p, |k| q - k > r);
    let hi = gallop(keys, p, |k| k - q <= r);
    Some(Plan {
        dmin,
        log_scale: kernel.log_scale(q, dmin),
        pivot: if side == 0 { q } else { keys[nearest] },
        anchor: kernel.anchor(q, dmin, side),
        lo,
        hi,
    })
}

/// A query's `(y, lse, dmin, effective)` from its sums over `keys`.
fn finish<K: Radial>(plan: Option<&Plan<K>>, s: &Sums, keys: &SortedKeys) -> Row {
    match plan {
        Some(p) if s.z > 0.0 => (
            keys.unscale(s.v / s.z) as f32,
            (p.log_scale + s.z.ln()) as f32,
            p.dmin,
            (s.z * s.z / s.e2) as f32,
        ),
        // Keys, but none within the kernel's reach: no estimate, and no weight at all.
        Some(p) => (f32::NAN, f32::NEG_INFINITY, p.dmin, f32::NAN),
        None => (f32::NAN, f32::NAN, f32::NAN, f32::NAN),
    }
}

/// The sums of a block of planned queries, streaming the keys tile by tile; query `i` of the
/// block leaves out key `skip_base + i` (`NO_SKIP`: none).
fn stream<K: Radial, const GRAD: bool, const SQUARES: bool>(
    kernel: &K,
    plans: &[Option<Plan<K>>],
    keys: &SortedKeys,
    skip_base: usize,
) -> Vec<Sums> {
    isa::run(Tiles {
        kernel,
        plans,
        keys,
        skip_base,
        terms: PoolTerms::<GRAD, SQUARES>,
    })
}

/// The Nadaraya-Watson sums ([`simd::pool_sums`]), with slopes if `GRAD` and squared weights
/// if `SQUARES`.
#[derive(Clone, Copy)]
struct PoolTerms<const GRAD: bool, const SQUARES: bool>;

impl<K: Radial, const GRAD: bool, const SQUARES: bool> TileTerms<K> for PoolTerms<GRAD, SQUARES> {
    type Acc = Sums;

    #[inline(always)]
    fn add<V: Simd>(
        self,
        kernel: &K,
        p: &Plan<K>,
        keys: &SortedKeys,
        range: (usize, usize),
        skip: usize,
        s: &mut Sums,
    ) {
        simd::pool_sums::<V, K, GRAD, SQUARES>(
            kernel,
            &p.anchor,
            p.pivot,
            &keys.keys,
            keys.summed_values(),
            range,
            skip,
            s,
        );
    }
}

/// What a fused 1-D pass adds for one query over a range of keys: its vector kernel.
///
/// A trait rather than a closure, so the kernel is compiled inside the level's dispatch
/// (see [`isa::Task`]).
pub(crate) trait TileTerms<K: Radial>: Copy {
    /// One query's running sums.
    type Acc: Default + Clone;

    /// Adds the terms of keys `range` (leaving out `skip`) for plan `p` to `acc`.
    #[allow(clippy::too_many_arguments)]
    fn add<V: Simd>(
        self,
        kernel: &K,
        p: &Plan<K>,
        keys: &SortedKeys,
        range: (usize, usize),
        skip: usize,
        acc: &mut Self::Acc,
    );
}

/// The tile loop shared by the fused passes, as one dispatch: for each tile of [`TILE`] keys
/// in order, `terms` adds each planned query's terms over its range within the tile (leaving
/// out key `skip_base + i` for query `i`) to that query's accumulator.
pub(crate) struct Tiles<'a, K: Radial, T> {
    /// The kernel.
    pub(crate) kernel: &'a K,
    /// One plan per query of the block.
    pub(crate) plans: &'a [Option<Plan<K>>],
    /// The keys.
    pub(crate) keys: &'a SortedKeys,
    /// Query `i` leaves out key `skip_base + i`.
    pub(crate) skip_base: usize,
    /// The terms to add.
    pub(crate) terms: T,
}

impl<K: Radial, T: TileTerms<K>> Task for Tiles<'_, K, T> {
    type Output = Vec<T::Acc>;

    #[inline(always)]
    fn run<V: Simd>(self) -> Vec<T::Acc> {
        let Tiles {
            kernel,
            plans,
            keys,
            skip_base,
            terms,
        } = self;
        let mut sums = vec![T::Acc::default(); plans.len()];
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
                terms.add::<V>(kernel, p, keys, range, skip, s);
            }
        }
        sums
    }
}

/// The first index of sorted `x` where `below` turns false (`below` is true, then false,
/// along `x`), searched outward from `from`: a few steps when the answer is near.
pub(crate) fn gallop(x: &[f32], from: usize, below: impl Fn(f32) -> bool) -> usize {
    let n = x.len();
    let from = from.min(n);
    if from < n && below(x[from]) {
        // Forward: x[lo] is below; find a bound that is not.
        let (mut lo, mut step) = (from, 1);
        while lo + step < n && below(x[lo + step]) {
            lo += step;
            step *= 2;
        }
        let end = (lo + step).min(n);
        lo + 1 + x[lo + 1..end].partition_point(|&k| below(k))
    } else {
        // Backward: everything from `from` on is not below.
        let (mut hi, mut step) = (from, 1);
        while hi >= step && !below(x[hi - step]) {
            hi -= step;
            step *= 2;
        }
        let start = hi.saturating_sub(step);
        start + x[start..hi].partition_point(|&k| below(k))
    }
}

/// Every value of `values` is finite.
pub(crate) fn check_finite(op: &'static str, what: &'static str, values: &[f32]) -> Result<()> {
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
