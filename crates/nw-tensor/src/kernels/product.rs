//! Product kernels in `d` dimensions: `K(u) = prod_j K1(u_j)`, one bandwidth per dimension,
//! for the fused d-dimensional pooling ([`crate::ops::pool_nd`]).
//!
//! # Scaled coordinates
//! The loops never see bandwidths. Each dimension `j` is multiplied once per call by
//! `w_j = SCALE / h_j` ([`Product::SCALE`]), so a key's offset from the query in dimension `j`
//! is one subtraction, `t_j = k_j w_j - q_j w_j`, and its score one more operation per
//! dimension ([`Product::add`]):
//!
//! ```text
//! Gaussian  w = sqrt(log2(e) / 2) / h   score = sum t_j^2  = log2(e) sum u_j^2 / 2   (an FMA)
//! Laplace   w = log2(e) / h             score = sum |t_j|  = log2(e) sum |u_j|       (an add)
//! compact   w = 1 / h                   score = max |t_j|  = max |u_j|               (a max)
//! ```
//!
//! The whole-line kernels' scores are base-2 exponents: a key weighs `2^(smin - score)`
//! relative to the nearest key, with no `log2(e)` per pair. A compact kernel weighs
//! `prod_j P(|t_j|)` ([`Profile`]) when its score (the largest `|u_j|`) is at most 1, and 0
//! otherwise; the score is also its distance for pruning and for `dmin`.
//!
//! # Dimensions known when compiled
//! The loops are generic over [`Dims`]: [`Fixed`] makes `d` a constant, so the loop over
//! dimensions unrolls and the slices it walks have lengths the compiler knows (no bounds
//! checks); [`Dyn`] serves any other `d` with the same code.

use std::marker::PhantomData;

use super::LANES;
use super::compact::{
    Biweight, Cosine, Epanechnikov, Profile, Triangular, Tricube, Triweight, Uniform,
};
use super::isa::{Mask, Simd};
use super::radial::KernelKind;
use super::scalar::{self, fma};
use super::simd;

/// The number of dimensions, as the loops see it.
pub trait Dims: Copy + Send + Sync {
    /// `d` when it is known at compile time, 0 when it is not: a `match` on it picks a kernel
    /// whose registers are sized for `d` (see [`simd::linear_sums_nd`]) and compiles only that
    /// arm.
    const FIXED: usize;

    /// `d`.
    fn get(self) -> usize;
}

/// `D` dimensions, known when the loop is compiled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fixed<const D: usize>;

impl<const D: usize> Dims for Fixed<D> {
    const FIXED: usize = D;

    #[inline(always)]
    fn get(self) -> usize {
        D
    }
}

/// Any number of dimensions, known at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dyn(pub usize);

impl Dims for Dyn {
    const FIXED: usize = 0;

    #[inline(always)]
    fn get(self) -> usize {
        self.0
    }
}

/// A product kernel on scaled coordinates (see the module docs).
///
/// `c` holds one key block's coordinates, `d` vectors of `LANES` keys (dimension-major) for
/// the vector methods and `d` numbers for the scalar ones; `q` the query's `d` scaled
/// coordinates. The scalar and vector methods take the same steps, so they agree bit for bit
/// on the score and the weight.
pub trait Product: Copy + Send + Sync + Default {
    /// Whether weights are relative to the nearest key (`2^(smin - score)`, the Gaussian and
    /// Laplace kernels) rather than absolute (`prod P`, the compact ones).
    const WHOLE_LINE: bool;
    /// `w_j = SCALE / h_j`.
    const SCALE: f64;
    /// What [`slopes`](Product::slopes) returns per `d ln K / d ln h_l`, in f64.
    const GRAD_UNIT: f64;

    /// `ln` of the factor that turns weights into `prod_j K1(u_j)`, in `d` dimensions with
    /// nearest score `smin`: a query's log-normalizer is this plus `ln(sum of weights)`.
    fn log_scale(d: usize, smin: f64) -> f64;

    /// The nearest key's scaled distance from its score: `sqrt(sum u_j^2)`, `sum |u_j|` or
    /// `max |u_j|`.
    fn distance(smin: f64) -> f64;

    /// The score so far, `s`, with one more dimension at offset `t`. Never less than `s` or
    /// than `add(0, t)`, so one dimension's part bounds the score from below.
    fn add(s: f32, t: f32) -> f32;

    /// [`add`](Product::add) lane by lane.
    fn add_v<V: Simd>(s: V, t: V) -> V;

    /// The weight of a key, given the query's smallest score `smin` (unused when compact).
    fn weight(c: &[f32], q: &[f32], smin: f32) -> f32;

    /// [`weight`](Product::weight) lane by lane.
    fn weight_v<V: Simd>(c: &[f32], q: &[f32], smin: V) -> V;

    /// `out[l] = e g_l / GRAD_UNIT` for a key of weight `e`, with `g_l = d ln K / d ln h_l`:
    /// the key's share in the gradient with respect to each log-bandwidth; 0 wherever the
    /// weight is 0 by the kernel (not by rounding at the support's edge).
    fn slopes(c: &[f32], q: &[f32], e: f32, out: &mut [f32]);

    /// [`slopes`](Product::slopes) lane by lane; `buf` holds at least `2 d` vectors of
    /// scratch.
    fn slopes_v<V: Simd>(c: &[f32], q: &[f32], e: V, out: &mut [V], buf: &mut [V]);
}

/// The score of one key (`d` coordinates in `c`).
#[inline(always)]
pub fn score<K: Product>(c: &[f32], q: &[f32]) -> f32 {
    c.iter().zip(q).fold(0.0, |s, (&k, &q)| K::add(s, k - q))
}

/// [`score`] of a block of `LANES` keys, lane by lane.
#[inline(always)]
pub fn score_v<K: Product, V: Simd>(c: &[f32], q: &[f32]) -> V {
    // A loop, not a fold: no closure may hold vector operations (see `isa::Task`).
    let mut s = V::ZERO;
    for (k, &q) in c.chunks_exact(LANES).zip(q) {
        s = K::add_v(s, V::load(k) - V::splat(q));
    }
    s
}

/// `prod_j exp(-u_j^2 / 2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GaussianNd;

impl Product for GaussianNd {
    const WHOLE_LINE: bool = true;
    // sqrt(log2(e) / 2): t^2 = log2(e) u^2 / 2.
    const SCALE: f64 = 0.849_321_800_288_019_1;
    // u^2 = t^2 2 / log2(e) = 2 ln 2 t^2.
    const GRAD_UNIT: f64 = 2.0 * std::f64::consts::LN_2;

    fn log_scale(d: usize, smin: f64) -> f64 {
        -smin * std::f64::consts::LN_2 - d as f64 * 0.5 * (2.0 * std::f64::consts::PI).ln()
    }

    fn distance(smin: f64) -> f64 {
        (smin * 2.0 * std::f64::consts::LN_2).sqrt()
    }

    #[inline(always)]
    fn add(s: f32, t: f32) -> f32 {
        fma(t, t, s)
    }

    #[inline(always)]
    fn add_v<V: Simd>(s: V, t: V) -> V {
        t.mul_add(t, s)
    }

    #[inline(always)]
    fn weight(c: &[f32], q: &[f32], smin: f32) -> f32 {
        scalar::exp2(smin - score::<Self>(c, q))
    }

    #[inline(always)]
    fn weight_v<V: Simd>(c: &[f32], q: &[f32], smin: V) -> V {
        simd::exp2(smin - score_v::<Self, V>(c, q))
    }

    #[inline(always)]
    fn slopes(c: &[f32], q: &[f32], e: f32, out: &mut [f32]) {
        for ((o, &k), &q) in out.iter_mut().zip(c).zip(q) {
            let t = k - q;
            // A key whose t^2 overflowed weighs 0: 0 * inf would be NaN.
            *o = if e > 0.0 { e * (t * t) } else { 0.0 };
        }
    }

    #[inline(always)]
    fn slopes_v<V: Simd>(c: &[f32], q: &[f32], e: V, out: &mut [V], _buf: &mut [V]) {
        let live = e.simd_gt(V::ZERO);
        for ((o, k), &q) in out.iter_mut().zip(c.chunks_exact(LANES)).zip(q) {
            let t = V::load(k) - V::splat(q);
            *o = live.select(e * (t * t), V::ZERO);
        }
    }
}

/// `prod_j exp(-|u_j|)`: the exponential of the scaled L1 distance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LaplaceNd;

impl Product for LaplaceNd {
    const WHOLE_LINE: bool = true;
    const SCALE: f64 = std::f64::consts::LOG2_E;
    // |u| = |t| / log2(e).
    const GRAD_UNIT: f64 = std::f64::consts::LN_2;

    fn log_scale(d: usize, smin: f64) -> f64 {
        -smin * std::f64::consts::LN_2 - d as f64 * std::f64::consts::LN_2
    }

    fn distance(smin: f64) -> f64 {
        smin * std::f64::consts::LN_2
    }

    #[inline(always)]
    fn add(s: f32, t: f32) -> f32 {
        s + t.abs()
    }

    #[inline(always)]
    fn add_v<V: Simd>(s: V, t: V) -> V {
        s + t.abs()
    }

    #[inline(always)]
    fn weight(c: &[f32], q: &[f32], smin: f32) -> f32 {
        scalar::exp2(smin - score::<Self>(c, q))
    }

    #[inline(always)]
    fn weight_v<V: Simd>(c: &[f32], q: &[f32], smin: V) -> V {
        simd::exp2(smin - score_v::<Self, V>(c, q))
    }

    #[inline(always)]
    fn slopes(c: &[f32], q: &[f32], e: f32, out: &mut [f32]) {
        for ((o, &k), &q) in out.iter_mut().zip(c).zip(q) {
            *o = if e > 0.0 { e * (k - q).abs() } else { 0.0 };
        }
    }

    #[inline(always)]
    fn slopes_v<V: Simd>(c: &[f32], q: &[f32], e: V, out: &mut [V], _buf: &mut [V]) {
        let live = e.simd_gt(V::ZERO);
        for ((o, k), &q) in out.iter_mut().zip(c.chunks_exact(LANES)).zip(q) {
            let t = V::load(k) - V::splat(q);
            *o = live.select(e * t.abs(), V::ZERO);
        }
    }
}

/// `prod_j P(|u_j|)` on the cube `max_j |u_j| <= 1`, 0 outside.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CompactNd<P: Profile>(PhantomData<P>);

impl<P: Profile> Product for CompactNd<P> {
    const WHOLE_LINE: bool = false;
    const SCALE: f64 = 1.0;
    const GRAD_UNIT: f64 = 1.0;

    fn log_scale(d: usize, _smin: f64) -> f64 {
        d as f64 * P::LN_C
    }

    fn distance(smin: f64) -> f64 {
        smin
    }

    #[inline(always)]
    fn add(s: f32, t: f32) -> f32 {
        s.max(t.abs())
    }

    #[inline(always)]
    fn add_v<V: Simd>(s: V, t: V) -> V {
        s.fast_max(t.abs())
    }

    #[inline(always)]
    fn weight(c: &[f32], q: &[f32], _smin: f32) -> f32 {
        let (mut p, mut umax) = (1.0, 0.0);
        for (&k, &q) in c.iter().zip(q) {
            let t = k - q;
            umax = Self::add(umax, t);
            p *= P::p(t.abs());
        }
        // Outside the cube a profile can be anything (1 - u^2 < 0, and two of them > 0).
        if umax <= 1.0 { p } else { 0.0 }
    }

    #[inline(always)]
    fn weight_v<V: Simd>(c: &[f32], q: &[f32], _smin: V) -> V {
        let (mut p, mut umax) = (V::ONE, V::ZERO);
        for (k, &q) in c.chunks_exact(LANES).zip(q) {
            let t = V::load(k) - V::splat(q);
            umax = Self::add_v(umax, t);
            p *= P::p_v(t.abs());
        }
        umax.simd_le(V::ONE).select(p, V::ZERO)
    }

    /// `slope(u_l) prod_{m != l} P(u_m)`, as a prefix product times a suffix product (no
    /// division by `P(u_l)`, which is 0 at the edge of the support).
    #[inline(always)]
    fn slopes(c: &[f32], q: &[f32], _e: f32, out: &mut [f32]) {
        let mut umax = 0.0;
        let mut pre = 1.0;
        for ((o, &k), &q) in out.iter_mut().zip(c).zip(q) {
            let t = k - q;
            umax = Self::add(umax, t);
            *o = pre;
            pre *= P::p(t.abs());
        }
        let mut suf = 1.0;
        for ((o, &k), &q) in out.iter_mut().zip(c).zip(q).rev() {
            let u = (k - q).abs();
            *o = *o * suf * P::slope(u);
            suf *= P::p(u);
        }
        if umax > 1.0 {
            out.fill(0.0);
        }
    }

    #[inline(always)]
    fn slopes_v<V: Simd>(c: &[f32], q: &[f32], _e: V, out: &mut [V], buf: &mut [V]) {
        let d = q.len();
        let (us, ps) = buf[..2 * d].split_at_mut(d);
        let mut umax = V::ZERO;
        let mut pre = V::ONE;
        for ((((o, k), &q), u), p) in out
            .iter_mut()
            .zip(c.chunks_exact(LANES))
            .zip(q)
            .zip(us.iter_mut())
            .zip(ps.iter_mut())
        {
            let t = V::load(k) - V::splat(q);
            umax = Self::add_v(umax, t);
            *u = t.abs();
            *p = P::p_v(*u);
            *o = pre;
            pre *= *p;
        }
        let inside = umax.simd_le(V::ONE);
        let mut suf = V::ONE;
        for ((o, u), p) in out.iter_mut().zip(us.iter()).zip(ps.iter()).rev() {
            *o = inside.select(*o * suf * P::slope_v(*u), V::ZERO);
            suf *= *p;
        }
    }
}

/// Work to do with a product kernel and a number of dimensions known only at run time
/// ([`dispatch`]).
pub trait ProductJob {
    /// What the work returns.
    type Output;
    /// Does the work, compiled once per kernel and dimension type.
    fn run<K: Product, D: Dims>(self, dims: D) -> Self::Output;
}

/// Runs `job` with the product kernel of `kind` in `d` dimensions: the one place where the
/// run-time choice becomes compiled types. `d` in 1..=4 and 8 get loops compiled for their
/// `d` (unrolled, no bounds checks); the rest share one loop over a run-time `d`.
pub fn dispatch<J: ProductJob>(kind: KernelKind, d: usize, job: J) -> J::Output {
    match kind {
        KernelKind::Gaussian => with_dims::<GaussianNd, J>(d, job),
        KernelKind::Laplace => with_dims::<LaplaceNd, J>(d, job),
        KernelKind::Epanechnikov => with_dims::<CompactNd<Epanechnikov>, J>(d, job),
        KernelKind::Uniform => with_dims::<CompactNd<Uniform>, J>(d, job),
        KernelKind::Triangular => with_dims::<CompactNd<Triangular>, J>(d, job),
        KernelKind::Biweight => with_dims::<CompactNd<Biweight>, J>(d, job),
        KernelKind::Triweight => with_dims::<CompactNd<Triweight>, J>(d, job),
        KernelKind::Tricube => with_dims::<CompactNd<Tricube>, J>(d, job),
        KernelKind::Cosine => with_dims::<CompactNd<Cosine>, J>(d, job),
    }
}

fn with_dims<K: Product, J: ProductJob>(d: usize, job: J) -> J::Output {
    match d {
        1 => job.run::<K, _>(Fixed::<1>),
        2 => job.run::<K, _>(Fixed::<2>),
        3 => job.run::<K, _>(Fixed::<3>),
        4 => job.run::<K, _>(Fixed::<4>),
        8 => job.run::<K, _>(Fixed::<8>),
        _ => job.run::<K, _>(Dyn(d)),
    }
}
