//! Radial attention kernels: a key's weight depends only on its distance `d = |q - k|` to the
//! query. The fused pooling loop ([`super::simd::pool_sums`]) is generic over [`Radial`], so
//! every kernel is compiled into its own copy of the loop, with no dispatch inside it.
//!
//! # Weights relative to an anchor
//! The loop never forms a score and subtracts a maximum. For a kernel that decreases with
//! distance the largest score belongs to the nearest key, at distance `dmin`, which a binary
//! search on sorted keys finds before the loop. A kernel then gives each key its weight
//! *relative to the nearest one*, `K(d) / K(dmin)`, in `[0, 1]`, computed so that no large
//! numbers cancel. For the Gaussian, `ln K(d) - ln K(dmin) = -(d - dmin)(d + dmin) w^2 / 2`, a
//! product of two accurate factors rather than the difference of two large scores.
//!
//! # Distances from a pivot
//! The loop hands a kernel `t = k - pivot`, signed. For a query inside the span of the keys
//! the pivot is the query itself (`|t| = d`). For a query outside it, every key lies on the
//! same side, and the pivot is the nearest key (`|t| = d - dmin`): `q - k` would round away
//! the digits of `k` when `q` is far out (at `q = -30`, f32 keeps 2e-6 of them), while
//! `k - k_nearest` is exact for nearby keys. A query a thousand units from the keys gets its
//! weights as accurately as a near one, where PyTorch's `score - max` keeps none of the digits
//! that tell the keys apart. The sign is the kernel's to use or drop: the Gaussian's factored
//! form needs no absolute value at all.

use super::simd::Vector;
use super::{scalar, simd};

/// One query's weighted sums over its keys, in f64: the fused kernels' running state.
///
/// With relative weights `e_j = K(d_j) / K(dmin)`: `z = sum e_j`, `v = sum e_j v_j`, and for
/// gradients `f = sum e_j f(d_j)`, `fv = sum e_j f(d_j) v_j` ([`Radial::feature`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sums {
    /// Sum of the relative weights (at least 1 when the nearest key is in the range).
    pub z: f64,
    /// Weighted sum of the values.
    pub v: f64,
    /// Weighted sum of the kernel feature.
    pub f: f64,
    /// Weighted sum of the feature times the value.
    pub fv: f64,
}

/// A kernel whose weight depends only on the distance between query and key, and does not
/// increase with it.
///
/// Implementations give the same weights in [`weight`](Radial::weight) and
/// [`weight_v`](Radial::weight_v), lane by lane, and both are exactly 0 beyond
/// [`radius`](Radial::radius).
pub trait Radial: Copy + Send + Sync {
    /// What a query's weights need besides the distance, computed once per query.
    type Anchor: Copy + Send + Sync;

    /// The constants for a query whose nearest key is `dmin` away. `side` says where the keys
    /// lie: `0` on both sides of the query (the pivot is the query), `1` all above it, `-1`
    /// all below it (the pivot is the nearest key).
    fn anchor(&self, dmin: f32, side: i8) -> Self::Anchor;

    /// `ln K(dmin)`: the log of the nearest key's unnormalized weight, in f64. The log of a
    /// query's normalizer (log-sum-exp of its scores) is this plus `ln(sum of relative weights)`.
    fn log_anchor(&self, dmin: f32) -> f64;

    /// A distance `d` beyond which every weight is exactly 0 (`f32::INFINITY`: none).
    fn radius(&self, dmin: f32) -> f32;

    /// `K(d) / K(dmin)`, in `[0, 1]`, for a key at `t = k - pivot`.
    fn weight(&self, anchor: &Self::Anchor, t: f32) -> f32;

    /// [`weight`](Radial::weight) lane by lane.
    fn weight_v(&self, anchor: &Self::Anchor, t: Vector) -> Vector;

    /// `f(d)` in `d ln K(d) / d theta = scale * f(d)`, for the kernel's parameter `theta`;
    /// gradients of pooled predictions sum weights times this.
    fn feature(&self, anchor: &Self::Anchor, t: f32) -> f32;

    /// [`feature`](Radial::feature) lane by lane.
    fn feature_v(&self, anchor: &Self::Anchor, t: Vector) -> Vector;

    /// `scale` in `d ln K(d) / d theta = scale * f(d)`.
    fn feature_scale(&self) -> f64;
}

/// The chapter's Gaussian kernel with scale `w`: `K(d) = exp(-(d w)^2 / 2)`, bandwidth
/// `1 / |w|`. The parameter for gradients is `w`: `d ln K / dw = -w d^2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gaussian {
    w: f32,
    /// `w^2 log2(e) / 2`: the exponent of the relative weight in base 2 is `-c (d^2 - dmin^2)`.
    c: f32,
}

impl Gaussian {
    /// The kernel `exp(-(d w)^2 / 2)`. Any finite `w` is allowed; `w = 0` weighs every key
    /// alike (average pooling).
    pub fn new(w: f32) -> Self {
        let c = (f64::from(w) * f64::from(w) * std::f64::consts::LOG2_E / 2.0) as f32;
        Gaussian { w, c }
    }

    /// The scale `w`.
    pub fn w(&self) -> f32 {
        self.w
    }
}

/// The Gaussian's per-query constants: with `t = k - pivot`, the base-2 exponent of the
/// relative weight is `(t - near) (t + far) (-c)`, which is `(d - dmin)(d + dmin)(-c)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianAnchor {
    /// `dmin` when the pivot is the query; 0 when it is the nearest key (`|t| = d - dmin`).
    near: f32,
    /// `dmin` when the pivot is the query (`(t - dmin)(t + dmin) = d^2 - dmin^2` whatever the
    /// sign of `t`), or `+-2 dmin` when it is the nearest key, toward the query.
    far: f32,
    /// `-c`.
    neg_c: f32,
    /// `-c far`, so that `(t + far)(-c)` is one fused multiply-add.
    neg_c_far: f32,
    /// `d = |t + to_d|`: 0, or `-+dmin`.
    to_d: f32,
}

impl Radial for Gaussian {
    type Anchor = GaussianAnchor;

    #[inline]
    fn anchor(&self, dmin: f32, side: i8) -> GaussianAnchor {
        // Keys above the query (side 1): t = k - a >= 0, d = t + dmin, d^2 - dmin^2 =
        // t (t + 2 dmin). Below (side -1): t <= 0, d = dmin - t, d^2 - dmin^2 = t (t - 2 dmin).
        let (near, far, to_d) = match side {
            0 => (dmin, dmin, 0.0),
            1 => (0.0, 2.0 * dmin, dmin),
            _ => (0.0, -2.0 * dmin, -dmin),
        };
        GaussianAnchor {
            near,
            far,
            neg_c: -self.c,
            neg_c_far: -self.c * far,
            to_d,
        }
    }

    fn log_anchor(&self, dmin: f32) -> f64 {
        let t = f64::from(self.w) * f64::from(dmin);
        -t * t / 2.0
    }

    fn radius(&self, dmin: f32) -> f32 {
        if self.c == 0.0 {
            return f32::INFINITY;
        }
        // Beyond, the base-2 exponent is below exp2's flush point and the weight is exactly
        // 0; the margin covers rounding, and keys inside it are flushed by the loop itself.
        let d2 = f64::from(-scalar::EXP2_FLUSH_BELOW) / f64::from(self.c)
            + f64::from(dmin) * f64::from(dmin);
        (d2.sqrt() * (1.0 + 1e-4)) as f32
    }

    #[inline(always)]
    fn weight(&self, a: &GaussianAnchor, t: f32) -> f32 {
        // Two accurate factors of one sign, so x <= 0 and nothing large cancels.
        let x = (t - a.near) * scalar::fma(t, a.neg_c, a.neg_c_far);
        scalar::exp2(x)
    }

    #[inline(always)]
    fn weight_v(&self, a: &GaussianAnchor, t: Vector) -> Vector {
        let near = t - Vector::splat(a.near);
        let far = t.mul_add(Vector::splat(a.neg_c), Vector::splat(a.neg_c_far));
        simd::exp2(near * far)
    }

    #[inline(always)]
    fn feature(&self, a: &GaussianAnchor, t: f32) -> f32 {
        let d = t + a.to_d;
        d * d
    }

    #[inline(always)]
    fn feature_v(&self, a: &GaussianAnchor, t: Vector) -> Vector {
        let d = t + Vector::splat(a.to_d);
        d * d
    }

    fn feature_scale(&self) -> f64 {
        -f64::from(self.w)
    }
}
