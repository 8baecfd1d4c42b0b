//! Radial attention kernels: a key's weight depends only on its scaled distance
//! `u = |q - k| / h` to the query. The fused pooling loop ([`super::simd::pool_sums`]) is
//! generic over [`Radial`], so every kernel is compiled into its own copy of the loop, with
//! no dispatch inside it.
//!
//! # The kernels
//! [`KernelKind`] lists them with their textbook definitions ([`KernelKind::ln_k`], the log of
//! a density in `u` that integrates to 1): the chapter's Gaussian and the Laplace on the whole
//! line ([`Gaussian`], [`Laplace`]); uniform, triangular, Epanechnikov, biweight, triweight,
//! tricube and cosine on `|u| <= 1` ([`Compact`] with a [`compact`](super::compact) profile).
//!
//! # Weights relative to the nearest key
//! The loop never forms a score and subtracts a maximum. A kernel's largest weight belongs to
//! the nearest key, at distance `dmin`, which a binary search on sorted keys finds before the
//! loop. The whole-line kernels weigh each key *relative to the nearest one*,
//! `K(d) / K(dmin)` in `[0, 1]`, computed so that no large numbers cancel: for the Gaussian,
//! `ln K(d) - ln K(dmin) = -(d - dmin)(d + dmin) w^2 / 2`, a product of two accurate factors
//! rather than the difference of two large scores. The compact kernels need no anchor: their
//! weights `K(u) / K(0)` are in `[0, 1]` already, and exactly 0 outside the support.
//!
//! # Distances from a pivot
//! The loop hands a kernel `t = k - pivot`, signed. For a query inside the span of the keys
//! the pivot is the query itself (`|t| = d`). For a query outside it, every key lies on the
//! same side, and the pivot is the nearest key (`|t| = d - dmin`): `q - k` would round away
//! the digits of `k` when `q` is far out (at `q = -30`, f32 keeps 2e-6 of them), while
//! `k - k_nearest` is exact for nearby keys. A query a thousand units from the keys gets its
//! weights as accurately as a near one, where PyTorch's `score - max` keeps none of the digits
//! that tell the keys apart. Every kernel takes `|t|`, so the nearest key's distance from the
//! anchor is exactly 0 and it weighs exactly 1, however large the scale.
//!
//! # Gradients
//! Every kernel also gives `e g(u)`, its weight times `g(u) = d ln K(u/h) / d ln h`
//! ([`Radial::slope`]), so one pass gives the gradient of pooled predictions with respect to
//! the log-bandwidth for any kernel.

use super::compact::{
    Biweight, Compact, Cosine, Epanechnikov, Triangular, Tricube, Triweight, Uniform,
};
use super::isa::Simd;
use super::{scalar, simd};

/// One query's weighted sums over its keys, in f64: the fused kernels' running state.
///
/// With relative weights `e_j` and slopes `g_j` ([`Radial::slope`]): `z = sum e_j`,
/// `v = sum e_j v_j`, for gradients `f = sum e_j g_j` and `fv = sum e_j g_j v_j`, and for
/// diagnostics `e2 = sum e_j^2`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sums {
    /// Sum of the relative weights (0 when no key is within the kernel's reach).
    pub z: f64,
    /// Weighted sum of the values.
    pub v: f64,
    /// Sum of the weights times the slope.
    pub f: f64,
    /// Sum of the weights times the slope times the value.
    pub fv: f64,
    /// Sum of the squared weights.
    pub e2: f64,
}

/// One query's weighted moments for a local linear fit, in f64: the running state of
/// [`super::simd::linear_sums`].
///
/// With relative weights `e_j`, distances `t_j = k_j - pivot` and values `v_j`:
/// `s0 = sum e_j`, `s1 = sum e_j t_j`, `s2 = sum e_j t_j^2`, `t0 = sum e_j v_j`,
/// `t1 = sum e_j t_j v_j`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    /// Sum of the relative weights.
    pub s0: f64,
    /// Sum of the weights times the distance from the pivot.
    pub s1: f64,
    /// Sum of the weights times the squared distance.
    pub s2: f64,
    /// Weighted sum of the values.
    pub t0: f64,
    /// Weighted sum of the distances times the values.
    pub t1: f64,
}

/// A kernel whose weight depends only on the distance between query and key, and does not
/// increase with it.
///
/// Implementations give the same weights in [`weight`](Radial::weight) and
/// [`weight_v`](Radial::weight_v), lane by lane, and both are exactly 0 beyond
/// [`radius`](Radial::radius). The weight and slope read only the anchor, never `self`, so a
/// wrapper can give each query a kernel of its own ([`Adaptive`]).
pub trait Radial: Copy + Send + Sync {
    /// What a query's weights need besides the distance, computed once per query.
    type Anchor: Copy + Send + Sync;

    /// The constants for query `q`, whose nearest key is `dmin` away. `side` says where the
    /// keys lie: `0` on both sides (the pivot is the query), `1` all above it, `-1` all below
    /// it (the pivot is the nearest key).
    fn anchor(&self, q: f32, dmin: f32, side: i8) -> Self::Anchor;

    /// The log of the factor that turns relative weights back into kernel values, in f64: a
    /// query's log-normalizer `ln sum_j K(u_j)` is this plus `ln(sum of relative weights)`.
    fn log_scale(&self, q: f32, dmin: f32) -> f64;

    /// A distance beyond which every weight of query `q` is exactly 0 (`f32::INFINITY`:
    /// none).
    fn radius(&self, q: f32, dmin: f32) -> f32;

    /// The relative weight, in `[0, 1]`, of a key at `t = k - pivot`.
    fn weight(&self, anchor: &Self::Anchor, t: f32) -> f32;

    /// [`weight`](Radial::weight) lane by lane.
    fn weight_v<V: Simd>(&self, anchor: &Self::Anchor, t: V) -> V;

    /// `e g(u)` for a key at `t` of relative weight `e`, with `g = d ln K(u/h) / d ln h`
    /// (`-u K'(u) / K(u)`): the key's share in a gradient with respect to the log-bandwidth.
    /// 0 wherever the weight is.
    fn slope(&self, anchor: &Self::Anchor, t: f32, e: f32) -> f32;

    /// [`slope`](Radial::slope) lane by lane.
    fn slope_v<V: Simd>(&self, anchor: &Self::Anchor, t: V, e: V) -> V;
}

/// A kernel family with a bandwidth: the member of bandwidth `h`.
pub trait Bandwidth: Radial {
    /// The kernel of bandwidth `h` (positive and finite).
    fn with_bandwidth(h: f32) -> Self;
}

/// The kernels, for choosing one at run time; each has its own compiled pooling loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelKind {
    /// `exp(-u^2 / 2) / sqrt(2 pi)`, the chapter's.
    Gaussian,
    /// `3/4 (1 - u^2)` on `|u| <= 1`: the one that minimizes the asymptotic error.
    Epanechnikov,
    /// `1/2` on `|u| <= 1` (box).
    Uniform,
    /// `1 - |u|` on `|u| <= 1`.
    Triangular,
    /// `15/16 (1 - u^2)^2` on `|u| <= 1` (quartic).
    Biweight,
    /// `35/32 (1 - u^2)^3` on `|u| <= 1`.
    Triweight,
    /// `70/81 (1 - |u|^3)^3` on `|u| <= 1`.
    Tricube,
    /// `pi/4 cos(pi u / 2)` on `|u| <= 1`.
    Cosine,
    /// `exp(-|u|) / 2` (exponential).
    Laplace,
}

impl KernelKind {
    /// Every kernel.
    pub const ALL: [KernelKind; 9] = [
        KernelKind::Gaussian,
        KernelKind::Epanechnikov,
        KernelKind::Uniform,
        KernelKind::Triangular,
        KernelKind::Biweight,
        KernelKind::Triweight,
        KernelKind::Tricube,
        KernelKind::Cosine,
        KernelKind::Laplace,
    ];

    /// The lower-case name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Gaussian => "gaussian",
            KernelKind::Epanechnikov => "epanechnikov",
            KernelKind::Uniform => "uniform",
            KernelKind::Triangular => "triangular",
            KernelKind::Biweight => "biweight",
            KernelKind::Triweight => "triweight",
            KernelKind::Tricube => "tricube",
            KernelKind::Cosine => "cosine",
            KernelKind::Laplace => "laplace",
        }
    }

    /// The kernel named `name` (as [`name`](Self::name) spells it).
    pub fn from_name(name: &str) -> Option<KernelKind> {
        KernelKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// `ln K(u)`, the textbook definition: the log of a density in `u` that integrates to 1,
    /// `-inf` outside a compact kernel's support. In f64, for references and documentation.
    pub fn ln_k(self, u: f64) -> f64 {
        use std::f64::consts::PI;
        let a = u.abs();
        if self.support().is_some_and(|s| a > s) {
            return f64::NEG_INFINITY;
        }
        match self {
            KernelKind::Gaussian => -u * u / 2.0 - (2.0 * PI).sqrt().ln(),
            KernelKind::Epanechnikov => (0.75 * (1.0 - u * u)).ln(),
            KernelKind::Uniform => 0.5f64.ln(),
            KernelKind::Triangular => (1.0 - a).ln(),
            KernelKind::Biweight => (15.0 / 16.0 * (1.0 - u * u).powi(2)).ln(),
            KernelKind::Triweight => (35.0 / 32.0 * (1.0 - u * u).powi(3)).ln(),
            KernelKind::Tricube => (70.0 / 81.0 * (1.0 - a.powi(3)).powi(3)).ln(),
            KernelKind::Cosine => (PI / 4.0 * (PI * u / 2.0).cos()).ln(),
            KernelKind::Laplace => -a - 2f64.ln(),
        }
    }

    /// The largest `|u|` with `K(u) > 0`, or `None` for a kernel on the whole line.
    pub fn support(self) -> Option<f64> {
        match self {
            KernelKind::Gaussian | KernelKind::Laplace => None,
            _ => Some(1.0),
        }
    }

    /// `mu_2 = int u^2 K(u) du`, the kernel's variance.
    pub fn variance(self) -> f64 {
        use std::f64::consts::PI;
        match self {
            KernelKind::Gaussian => 1.0,
            KernelKind::Epanechnikov => 1.0 / 5.0,
            KernelKind::Uniform => 1.0 / 3.0,
            KernelKind::Triangular => 1.0 / 6.0,
            KernelKind::Biweight => 1.0 / 7.0,
            KernelKind::Triweight => 1.0 / 9.0,
            KernelKind::Tricube => 35.0 / 243.0,
            KernelKind::Cosine => 1.0 - 8.0 / (PI * PI),
            KernelKind::Laplace => 2.0,
        }
    }

    /// `R(K) = int K(u)^2 du`, the kernel's roughness.
    pub fn roughness(self) -> f64 {
        use std::f64::consts::PI;
        match self {
            KernelKind::Gaussian => 1.0 / (2.0 * PI.sqrt()),
            KernelKind::Epanechnikov => 3.0 / 5.0,
            KernelKind::Uniform => 1.0 / 2.0,
            KernelKind::Triangular => 2.0 / 3.0,
            KernelKind::Biweight => 5.0 / 7.0,
            KernelKind::Triweight => 350.0 / 429.0,
            KernelKind::Tricube => 175.0 / 247.0,
            KernelKind::Cosine => PI * PI / 16.0,
            KernelKind::Laplace => 1.0 / 4.0,
        }
    }

    /// The factor that turns a Gaussian bandwidth into this kernel's equivalent one (the same
    /// asymptotic bias and variance): the ratio of canonical bandwidths
    /// `(R(K) / mu_2(K)^2)^(1/5)` (Marron and Nolan, 1988).
    pub fn gaussian_equivalent(self) -> f64 {
        let canonical = |k: KernelKind| (k.roughness() / (k.variance() * k.variance())).powf(0.2);
        canonical(self) / canonical(KernelKind::Gaussian)
    }

    /// Calls `visitor` with the kernel of this kind and bandwidth `h`: the one place where a
    /// run-time choice becomes a compiled type.
    pub fn visit<V: KernelVisitor>(self, h: f32, visitor: V) -> V::Output {
        match self {
            KernelKind::Gaussian => visitor.visit(Gaussian::with_bandwidth(h)),
            KernelKind::Epanechnikov => visitor.visit(Compact::<Epanechnikov>::with_bandwidth(h)),
            KernelKind::Uniform => visitor.visit(Compact::<Uniform>::with_bandwidth(h)),
            KernelKind::Triangular => visitor.visit(Compact::<Triangular>::with_bandwidth(h)),
            KernelKind::Biweight => visitor.visit(Compact::<Biweight>::with_bandwidth(h)),
            KernelKind::Triweight => visitor.visit(Compact::<Triweight>::with_bandwidth(h)),
            KernelKind::Tricube => visitor.visit(Compact::<Tricube>::with_bandwidth(h)),
            KernelKind::Cosine => visitor.visit(Compact::<Cosine>::with_bandwidth(h)),
            KernelKind::Laplace => visitor.visit(Laplace::with_bandwidth(h)),
        }
    }
}

/// Work to do with a kernel whose type is known only at run time ([`KernelKind::visit`]).
pub trait KernelVisitor {
    /// What the work returns.
    type Output;
    /// Does the work with `kernel`, compiled once per kernel type.
    fn visit<K: Bandwidth>(self, kernel: K) -> Self::Output;
}

/// The chapter's Gaussian kernel with scale `w`: `K(d) = exp(-(d w)^2 / 2)`, bandwidth
/// `1 / |w|`.
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

impl Bandwidth for Gaussian {
    fn with_bandwidth(h: f32) -> Self {
        Gaussian::new(1.0 / h)
    }
}

/// The Gaussian's per-query constants: with `t = k - pivot`, the base-2 exponent of the
/// relative weight is `(|t| - near) (|t| + far) (-c)`, which is `(d - dmin)(d + dmin)(-c)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianAnchor {
    /// `dmin` when the pivot is the query; 0 when it is the nearest key (`|t| = d - dmin`).
    near: f32,
    /// `-c`.
    neg_c: f32,
    /// `-c far`, with `far` = `dmin` (pivot at the query) or `2 dmin` (pivot at the nearest
    /// key), so that `(|t| + far)(-c)` is one fused multiply-add.
    neg_c_far: f32,
    /// `w`.
    w: f32,
    /// `d = |t| + to_d`: 0, or `dmin`.
    to_d: f32,
}

impl Radial for Gaussian {
    type Anchor = GaussianAnchor;

    #[inline]
    fn anchor(&self, _q: f32, dmin: f32, side: i8) -> GaussianAnchor {
        // Pivot at the query: d = |t|. At the nearest key (all keys on one side): d = |t| + dmin,
        // and d^2 - dmin^2 = |t| (|t| + 2 dmin).
        let (near, far, to_d) = if side == 0 {
            (dmin, dmin, 0.0)
        } else {
            (0.0, 2.0 * dmin, dmin)
        };
        // An astronomically large w would overflow `c far` and turn the nearest key's 0 into
        // 0 * inf = NaN; capped, the nearest key still weighs 1 and the rest 0, the
        // nearest-neighbour limit the kernel tends to anyway.
        let c = self.c.min(f32::MAX / (4.0 * far.max(1.0)));
        GaussianAnchor {
            near,
            neg_c: -c,
            neg_c_far: -c * far,
            w: self.w,
            to_d,
        }
    }

    fn log_scale(&self, _q: f32, dmin: f32) -> f64 {
        let t = f64::from(self.w) * f64::from(dmin);
        -t * t / 2.0 - 0.5 * (2.0 * std::f64::consts::PI).ln()
    }

    fn radius(&self, _q: f32, dmin: f32) -> f32 {
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
        // Two accurate factors, `|t| - near >= 0` and `(|t| + far)(-c) <= 0`, so x <= 0 and
        // nothing large cancels. For the nearest key the first factor is exactly 0 (its |t|
        // is the very value dmin was taken from), so it weighs exactly 1 whatever c is.
        let d = t.abs();
        let x = (d - a.near) * scalar::fma(d, a.neg_c, a.neg_c_far);
        scalar::exp2(x)
    }

    #[inline(always)]
    fn weight_v<V: Simd>(&self, a: &GaussianAnchor, t: V) -> V {
        let d = t.abs();
        let near = d - V::splat(a.near);
        let far = d.mul_add(V::splat(a.neg_c), V::splat(a.neg_c_far));
        simd::exp2(near * far)
    }

    /// `g(u) = u^2 = (w d)^2`.
    #[inline(always)]
    fn slope(&self, a: &GaussianAnchor, t: f32, e: f32) -> f32 {
        let u = (t.abs() + a.to_d) * a.w;
        e * (u * u)
    }

    #[inline(always)]
    fn slope_v<V: Simd>(&self, a: &GaussianAnchor, t: V, e: V) -> V {
        let u = (t.abs() + V::splat(a.to_d)) * V::splat(a.w);
        e * (u * u)
    }
}

/// The Laplace (exponential) kernel of bandwidth `h`: `K(u) = exp(-|u|) / 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Laplace {
    inv_h: f32,
    /// `log2(e) / h`: the relative weight is `2^(-(d - dmin) c)`.
    c: f32,
}

/// The Laplace kernel's per-query constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LaplaceAnchor {
    /// `dmin` when the pivot is the query, 0 when it is the nearest key.
    near: f32,
    /// `-c`.
    neg_c: f32,
    /// `1 / h`.
    inv_h: f32,
    /// `d = |t| + to_d`: 0, or `dmin`.
    to_d: f32,
}

impl Bandwidth for Laplace {
    fn with_bandwidth(h: f32) -> Self {
        Laplace {
            inv_h: 1.0 / h,
            c: (std::f64::consts::LOG2_E / f64::from(h)) as f32,
        }
    }
}

impl Radial for Laplace {
    type Anchor = LaplaceAnchor;

    #[inline]
    fn anchor(&self, _q: f32, dmin: f32, side: i8) -> LaplaceAnchor {
        let (near, to_d) = if side == 0 { (dmin, 0.0) } else { (0.0, dmin) };
        LaplaceAnchor {
            near,
            neg_c: -self.c,
            inv_h: self.inv_h,
            to_d,
        }
    }

    fn log_scale(&self, _q: f32, dmin: f32) -> f64 {
        -std::f64::consts::LN_2 - f64::from(dmin) * f64::from(self.inv_h)
    }

    fn radius(&self, _q: f32, dmin: f32) -> f32 {
        let reach = f64::from(-scalar::EXP2_FLUSH_BELOW) / f64::from(self.c);
        ((f64::from(dmin) + reach) * (1.0 + 1e-4)) as f32
    }

    #[inline(always)]
    fn weight(&self, a: &LaplaceAnchor, t: f32) -> f32 {
        scalar::exp2((t.abs() - a.near) * a.neg_c)
    }

    #[inline(always)]
    fn weight_v<V: Simd>(&self, a: &LaplaceAnchor, t: V) -> V {
        simd::exp2((t.abs() - V::splat(a.near)) * V::splat(a.neg_c))
    }

    /// `g(u) = |u|`.
    #[inline(always)]
    fn slope(&self, a: &LaplaceAnchor, t: f32, e: f32) -> f32 {
        e * ((t.abs() + a.to_d) * a.inv_h)
    }

    #[inline(always)]
    fn slope_v<V: Simd>(&self, a: &LaplaceAnchor, t: V, e: V) -> V {
        e * ((t.abs() + V::splat(a.to_d)) * V::splat(a.inv_h))
    }
}

/// A kernel whose bandwidth varies smoothly with the query: `h(q) = exp(a + b (q - c))`.
///
/// Each query gets the kernel `K` at its own bandwidth through its anchor (computed once per
/// query); the loop is the same. With `b = 0` it is `K` at bandwidth `e^a`: a learnable
/// log-bandwidth. The slopes ([`Radial::slope`]) are with respect to `ln h(q)`, so the
/// leave-one-out gradient terms give `dL/da = sum_i t_i` and `dL/db = sum_i (x_i - c) t_i`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptive<K: Bandwidth> {
    a: f32,
    b: f32,
    c: f32,
    /// `K` at bandwidth 1, whose weight functions read only the anchor they are given.
    base: K,
}

impl<K: Bandwidth> Adaptive<K> {
    /// The kernel with `ln h(q) = a + b (q - c)`.
    pub fn new(a: f32, b: f32, c: f32) -> Self {
        Adaptive {
            a,
            b,
            c,
            base: K::with_bandwidth(1.0),
        }
    }

    /// `h(q)`, in f64 then rounded.
    pub fn bandwidth_at(&self, q: f32) -> f32 {
        let ln_h = f64::from(self.a) + f64::from(self.b) * (f64::from(q) - f64::from(self.c));
        ln_h.exp() as f32
    }

    /// The kernel of query `q`.
    fn at(&self, q: f32) -> K {
        K::with_bandwidth(self.bandwidth_at(q))
    }
}

impl<K: Bandwidth> Radial for Adaptive<K> {
    type Anchor = K::Anchor;

    fn anchor(&self, q: f32, dmin: f32, side: i8) -> K::Anchor {
        self.at(q).anchor(q, dmin, side)
    }

    fn log_scale(&self, q: f32, dmin: f32) -> f64 {
        self.at(q).log_scale(q, dmin)
    }

    fn radius(&self, q: f32, dmin: f32) -> f32 {
        self.at(q).radius(q, dmin)
    }

    #[inline(always)]
    fn weight(&self, anchor: &K::Anchor, t: f32) -> f32 {
        self.base.weight(anchor, t)
    }

    #[inline(always)]
    fn weight_v<V: Simd>(&self, anchor: &K::Anchor, t: V) -> V {
        self.base.weight_v(anchor, t)
    }

    #[inline(always)]
    fn slope(&self, anchor: &K::Anchor, t: f32, e: f32) -> f32 {
        self.base.slope(anchor, t, e)
    }

    #[inline(always)]
    fn slope_v<V: Simd>(&self, anchor: &K::Anchor, t: V, e: V) -> V {
        self.base.slope_v(anchor, t, e)
    }
}
