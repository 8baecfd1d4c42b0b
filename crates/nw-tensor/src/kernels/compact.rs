//! The compactly supported kernels: `K(u) = C P(u)` on `|u| <= 1` and 0 outside, with
//! `P(0) = 1`. One [`Profile`] per kernel says what `P` and its slope `-u P'(u)` are; one
//! [`Compact`] turns any profile into a [`Radial`] kernel for the fused loop.
//!
//! Their weights need no anchor: `P(u)` is in `[0, 1]` already. A query with no key inside
//! the support gets no weight at all (`z = 0`): it has no kernel estimate, and the caller
//! decides what that means (see `nw_model`'s far-query policy).

use std::marker::PhantomData;

use super::isa::{Mask, Simd};
use super::radial::{Bandwidth, Radial};
use super::scalar::fma;

/// The shape of a compact kernel on `0 <= u <= 1`.
pub trait Profile: Copy + Send + Sync + Default {
    /// `ln C`: `K(u) = C P(u)` integrates to 1.
    const LN_C: f64;
    /// `P(u)`, with `P(0) = 1`.
    fn p(u: f32) -> f32;
    /// [`p`](Profile::p) lane by lane.
    fn p_v<V: Simd>(u: V) -> V;
    /// `-u P'(u)`: `P(u)` times `d ln K(u/h) / d ln h`.
    fn slope(u: f32) -> f32;
    /// [`slope`](Profile::slope) lane by lane.
    fn slope_v<V: Simd>(u: V) -> V;
}

/// A compact kernel of bandwidth `h` with profile `P`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Compact<P: Profile> {
    inv_h: f32,
    profile: PhantomData<P>,
}

/// A compact kernel's per-query constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompactAnchor {
    /// `1 / h`.
    inv_h: f32,
    /// `d = |t| + to_d`: 0 when the pivot is the query, `dmin` when it is the nearest key.
    to_d: f32,
}

impl<P: Profile> Bandwidth for Compact<P> {
    fn with_bandwidth(h: f32) -> Self {
        Compact {
            inv_h: 1.0 / h,
            profile: PhantomData,
        }
    }
}

impl<P: Profile> Compact<P> {
    /// `u` of a key at `t`.
    #[inline(always)]
    fn u(a: &CompactAnchor, t: f32) -> f32 {
        (t.abs() + a.to_d) * a.inv_h
    }

    /// [`u`](Self::u) lane by lane.
    #[inline(always)]
    fn u_v<V: Simd>(a: &CompactAnchor, t: V) -> V {
        (t.abs() + V::splat(a.to_d)) * V::splat(a.inv_h)
    }
}

impl<P: Profile> Radial for Compact<P> {
    type Anchor = CompactAnchor;

    #[inline]
    fn anchor(&self, _q: f32, dmin: f32, side: i8) -> CompactAnchor {
        let to_d = if side == 0 { 0.0 } else { dmin };
        CompactAnchor {
            inv_h: self.inv_h,
            to_d,
        }
    }

    fn log_scale(&self, _q: f32, _dmin: f32) -> f64 {
        P::LN_C
    }

    fn radius(&self, _q: f32, _dmin: f32) -> f32 {
        // The weight itself decides at u = 1; the margin keeps keys whose distance rounds
        // differently in the range search.
        (1.0 / f64::from(self.inv_h) * (1.0 + 1e-6)) as f32
    }

    #[inline(always)]
    fn weight(&self, a: &CompactAnchor, t: f32) -> f32 {
        let u = Self::u(a, t);
        if u <= 1.0 { P::p(u) } else { 0.0 }
    }

    #[inline(always)]
    fn weight_v<V: Simd>(&self, a: &CompactAnchor, t: V) -> V {
        let u = Self::u_v(a, t);
        u.simd_le(V::ONE).select(P::p_v(u), V::ZERO)
    }

    #[inline(always)]
    fn slope(&self, a: &CompactAnchor, t: f32, _e: f32) -> f32 {
        let u = Self::u(a, t);
        if u <= 1.0 { P::slope(u) } else { 0.0 }
    }

    #[inline(always)]
    fn slope_v<V: Simd>(&self, a: &CompactAnchor, t: V, _e: V) -> V {
        let u = Self::u_v(a, t);
        u.simd_le(V::ONE).select(P::slope_v(u), V::ZERO)
    }
}

/// `1/2` on `|u| <= 1`: every key in reach weighs the same.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Uniform;

impl Profile for Uniform {
    const LN_C: f64 = -std::f64::consts::LN_2;
    fn p(_u: f32) -> f32 {
        1.0
    }
    #[inline(always)]
    fn p_v<V: Simd>(_u: V) -> V {
        V::ONE
    }
    fn slope(_u: f32) -> f32 {
        0.0
    }
    #[inline(always)]
    fn slope_v<V: Simd>(_u: V) -> V {
        V::ZERO
    }
}

/// `1 - |u|`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Triangular;

impl Profile for Triangular {
    const LN_C: f64 = 0.0;
    fn p(u: f32) -> f32 {
        1.0 - u
    }
    #[inline(always)]
    fn p_v<V: Simd>(u: V) -> V {
        V::ONE - u
    }
    fn slope(u: f32) -> f32 {
        u
    }
    #[inline(always)]
    fn slope_v<V: Simd>(u: V) -> V {
        u
    }
}

/// `3/4 (1 - u^2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Epanechnikov;

impl Profile for Epanechnikov {
    const LN_C: f64 = -0.287_682_072_451_780_9; // ln(3/4)
    fn p(u: f32) -> f32 {
        fma(-u, u, 1.0)
    }
    #[inline(always)]
    fn p_v<V: Simd>(u: V) -> V {
        (-u).mul_add(u, V::ONE)
    }
    fn slope(u: f32) -> f32 {
        2.0 * (u * u)
    }
    #[inline(always)]
    fn slope_v<V: Simd>(u: V) -> V {
        V::splat(2.0) * (u * u)
    }
}

/// `15/16 (1 - u^2)^2` (quartic).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Biweight;

impl Profile for Biweight {
    const LN_C: f64 = -0.064_538_521_137_571_18; // ln(15/16)
    fn p(u: f32) -> f32 {
        let a = fma(-u, u, 1.0);
        a * a
    }
    #[inline(always)]
    fn p_v<V: Simd>(u: V) -> V {
        let a = (-u).mul_add(u, V::ONE);
        a * a
    }
    fn slope(u: f32) -> f32 {
        let s = u * u;
        4.0 * s * fma(-u, u, 1.0)
    }
    #[inline(always)]
    fn slope_v<V: Simd>(u: V) -> V {
        let s = u * u;
        V::splat(4.0) * s * (-u).mul_add(u, V::ONE)
    }
}

/// `35/32 (1 - u^2)^3`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Triweight;

impl Profile for Triweight {
    const LN_C: f64 = 0.089_612_158_689_687_14; // ln(35/32)
    fn p(u: f32) -> f32 {
        let a = fma(-u, u, 1.0);
        a * a * a
    }
    #[inline(always)]
    fn p_v<V: Simd>(u: V) -> V {
        let a = (-u).mul_add(u, V::ONE);
        a * a * a
    }
    fn slope(u: f32) -> f32 {
        let a = fma(-u, u, 1.0);
        6.0 * (u * u) * (a * a)
    }
    #[inline(always)]
    fn slope_v<V: Simd>(u: V) -> V {
        let a = (-u).mul_add(u, V::ONE);
        V::splat(6.0) * (u * u) * (a * a)
    }
}

/// `70/81 (1 - |u|^3)^3`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tricube;

impl Profile for Tricube {
    const LN_C: f64 = -0.145_953_912_623_079_83; // ln(70/81)
    fn p(u: f32) -> f32 {
        let a = fma(-(u * u), u, 1.0);
        a * a * a
    }
    #[inline(always)]
    fn p_v<V: Simd>(u: V) -> V {
        let a = (-(u * u)).mul_add(u, V::ONE);
        a * a * a
    }
    fn slope(u: f32) -> f32 {
        let c = u * u * u;
        let a = 1.0 - c;
        9.0 * c * (a * a)
    }
    #[inline(always)]
    fn slope_v<V: Simd>(u: V) -> V {
        let c = u * u * u;
        let a = V::ONE - c;
        V::splat(9.0) * c * (a * a)
    }
}

/// `pi/4 cos(pi u / 2)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cosine;

/// `cos(pi u / 2)` as a polynomial in `s = u^2`, highest degree first: its Taylor series to
/// `s^7`, whose first neglected term is under 7e-11 on `|u| <= 1`.
const COS: [f32; 8] = [
    -6.386_603e-9,
    4.710_874_8e-7,
    -2.520_204_2e-5,
    9.192_602_7e-4,
    -2.086_348e-2,
    0.253_669_5,
    -1.233_700_6,
    1.0,
];
/// `(pi u / 2) sin(pi u / 2) / s` as a polynomial in `s = u^2`, highest degree first.
const USIN: [f32; 8] = [
    -1.050_554_1e-9,
    8.941_244e-8,
    -5.653_05e-6,
    2.520_204_2e-4,
    -7.354_082e-3,
    0.125_180_88,
    -1.014_678,
    2.467_401,
];

impl Profile for Cosine {
    const LN_C: f64 = -0.241_564_475_270_490_5; // ln(pi/4)
    fn p(u: f32) -> f32 {
        horner(&COS, u * u)
    }
    #[inline(always)]
    fn p_v<V: Simd>(u: V) -> V {
        horner_v(&COS, u * u)
    }
    fn slope(u: f32) -> f32 {
        let s = u * u;
        s * horner(&USIN, s)
    }
    #[inline(always)]
    fn slope_v<V: Simd>(u: V) -> V {
        let s = u * u;
        s * horner_v(&USIN, s)
    }
}

/// `sum c_k s^k` with the coefficients highest degree first.
#[inline(always)]
fn horner(c: &[f32], s: f32) -> f32 {
    c[1..].iter().fold(c[0], |p, &ck| fma(p, s, ck))
}

/// [`horner`] lane by lane.
#[inline(always)]
fn horner_v<V: Simd>(c: &[f32], s: V) -> V {
    // A loop, not a fold: a closure holding vector operations could be left out of line,
    // without the level's instructions (see `isa::Task`).
    let mut p = V::splat(c[0]);
    for &ck in &c[1..] {
        p = p.mul_add(s, V::splat(ck));
    }
    p
}

#[cfg(test)]
mod tests {
    use std::f64::consts::PI;

    use super::*;

    #[test]
    fn the_log_constants_are_the_normalizers() {
        let cases = [
            (Uniform::LN_C, 0.5),
            (Triangular::LN_C, 1.0),
            (Epanechnikov::LN_C, 0.75),
            (Biweight::LN_C, 15.0 / 16.0),
            (Triweight::LN_C, 35.0 / 32.0),
            (Tricube::LN_C, 70.0 / 81.0),
            (Cosine::LN_C, PI / 4.0),
        ];
        for (ln_c, c) in cases {
            assert!((ln_c - f64::ln(c)).abs() < 1e-15, "{ln_c} vs ln {c}");
        }
    }

    #[test]
    fn the_cosine_series_is_cos_and_its_slope() {
        for i in 0..=1000 {
            let u = i as f32 / 1000.0;
            let x = PI * f64::from(u) / 2.0;
            assert!((f64::from(Cosine::p(u)) - x.cos()).abs() < 2e-7, "u {u}");
            assert!(
                (f64::from(Cosine::slope(u)) - x * x.sin()).abs() < 4e-7,
                "u {u}"
            );
        }
    }
}
