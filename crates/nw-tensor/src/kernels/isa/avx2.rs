//! The AVX2 path (`x86-64-v3`): a vector in two `ymm` registers, with fused multiply-adds.
//!
//! A value of [`F32x16`] or [`F64x8`] exists only inside [`entry`], which [`super::run_on`]
//! calls only after [`super::Level::detected`] found every feature it enables (the AVX-512
//! path's entry enables them too); so each `unsafe` block below runs on a CPU with AVX2 and FMA.

#![allow(unsafe_code)]

use std::arch::x86_64::*;
use std::ops::{Add, BitAnd, Mul, Neg, Sub};

use super::{F64s, LANES, Mask, Sealed, Simd, Task};

/// Runs `task` on AVX2 vectors, compiled with the `x86-64-v3` features.
///
/// # Safety
/// The CPU must have every feature named here ([`super::Level::detected`] checks them).
#[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,f16c,movbe")]
pub(super) unsafe fn entry<T: Task>(task: T) -> T::Output {
    task.run::<F32x16>()
}

/// Sixteen f32 lanes in two `ymm` registers: lanes `0..8`, then `8..16`.
#[derive(Clone, Copy, Debug)]
pub struct F32x16([__m256; 2]);

/// A comparison's result: all ones in a lane where it holds.
#[derive(Clone, Copy, Debug)]
pub struct Mask16([__m256; 2]);

/// Eight f64 lanes in two `ymm` registers.
#[derive(Clone, Copy, Debug)]
pub struct F64x8([__m256d; 2]);

impl Sealed for F32x16 {}

macro_rules! binary {
    ($trait:ident, $method:ident, $ty:ident, $intrinsic:ident) => {
        impl $trait for $ty {
            type Output = $ty;
            #[inline(always)]
            fn $method(self, o: $ty) -> $ty {
                let [a, b] = self.0;
                let [c, d] = o.0;
                // SAFETY: AVX, detected before any value of this type exists.
                $ty(unsafe { [$intrinsic(a, c), $intrinsic(b, d)] })
            }
        }
    };
}

binary!(Add, add, F32x16, _mm256_add_ps);
binary!(Sub, sub, F32x16, _mm256_sub_ps);
binary!(Mul, mul, F32x16, _mm256_mul_ps);
binary!(BitAnd, bitand, Mask16, _mm256_and_ps);
binary!(Add, add, F64x8, _mm256_add_pd);
super::assign_ops!(F32x16, F64x8);
binary!(Mul, mul, F64x8, _mm256_mul_pd);

impl Neg for F32x16 {
    type Output = F32x16;
    #[inline(always)]
    fn neg(self) -> F32x16 {
        let [a, b] = self.0;
        // SAFETY: AVX, detected before any value of this type exists.
        unsafe {
            let sign = _mm256_set1_ps(-0.0);
            F32x16([_mm256_xor_ps(a, sign), _mm256_xor_ps(b, sign)])
        }
    }
}

impl Mask<F32x16> for Mask16 {
    #[inline(always)]
    fn select(self, t: F32x16, f: F32x16) -> F32x16 {
        let ([m0, m1], [t0, t1], [f0, f1]) = (self.0, t.0, f.0);
        // SAFETY: AVX, detected before any value of this type exists.
        F32x16(unsafe { [_mm256_blendv_ps(f0, t0, m0), _mm256_blendv_ps(f1, t1, m1)] })
    }
}

impl F32x16 {
    /// The lanes compared by predicate `P` (one of `_CMP_*`).
    #[inline(always)]
    fn cmp<const P: i32>(self, o: F32x16) -> Mask16 {
        let ([a, b], [c, d]) = (self.0, o.0);
        // SAFETY: AVX, detected before any value of this type exists.
        Mask16(unsafe { [_mm256_cmp_ps::<P>(a, c), _mm256_cmp_ps::<P>(b, d)] })
    }
}

/// The sum of eight f32 lanes: lane `i` plus lane `i + 4`, then `i + 2`, then `i + 1`.
///
/// # Safety
/// The CPU must have AVX.
#[inline(always)]
pub(super) unsafe fn reduce8(v: __m256) -> f32 {
    // SAFETY: AVX, by this function's contract.
    unsafe {
        let b = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let c = _mm_add_ps(b, _mm_movehl_ps(b, b));
        _mm_cvtss_f32(_mm_add_ss(c, _mm_shuffle_ps::<0b01>(c, c)))
    }
}

/// The sum of four f64 lanes: lane `i` plus lane `i + 2`, then `i + 1`.
///
/// # Safety
/// The CPU must have AVX.
#[inline(always)]
pub(super) unsafe fn reduce4(v: __m256d) -> f64 {
    // SAFETY: AVX, by this function's contract.
    unsafe {
        let b = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
        _mm_cvtsd_f64(_mm_add_sd(b, _mm_unpackhi_pd(b, b)))
    }
}

impl Simd for F32x16 {
    type Mask = Mask16;
    type F64 = F64x8;
    const TILE_ROWS: usize = 4;
    // SAFETY: plain bits: two `__m256` are sixteen f32 lanes.
    const ZERO: F32x16 =
        F32x16(unsafe { std::mem::transmute::<[f32; LANES], [__m256; 2]>([0.0; LANES]) });
    // SAFETY: as for `ZERO`.
    const ONE: F32x16 =
        F32x16(unsafe { std::mem::transmute::<[f32; LANES], [__m256; 2]>([1.0; LANES]) });

    #[inline(always)]
    fn splat(x: f32) -> F32x16 {
        // SAFETY: AVX, detected before any value of this type exists.
        let v = unsafe { _mm256_set1_ps(x) };
        F32x16([v, v])
    }

    #[inline(always)]
    fn from_array(a: [f32; LANES]) -> F32x16 {
        F32x16::load(&a)
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        let mut a = [0.0; LANES];
        self.store(&mut a);
        a
    }

    #[inline(always)]
    fn load(s: &[f32]) -> F32x16 {
        let s = &s[..LANES];
        // SAFETY: AVX as above; `s` holds sixteen f32 (checked by the slice).
        F32x16(unsafe {
            [
                _mm256_loadu_ps(s.as_ptr()),
                _mm256_loadu_ps(s.as_ptr().add(8)),
            ]
        })
    }

    #[inline(always)]
    fn store(self, s: &mut [f32]) {
        let s = &mut s[..LANES];
        // SAFETY: AVX as above; `s` holds sixteen f32 (checked by the slice).
        unsafe {
            _mm256_storeu_ps(s.as_mut_ptr(), self.0[0]);
            _mm256_storeu_ps(s.as_mut_ptr().add(8), self.0[1]);
        }
    }

    #[inline(always)]
    fn mul_add(self, m: F32x16, a: F32x16) -> F32x16 {
        let ([x0, x1], [m0, m1], [a0, a1]) = (self.0, m.0, a.0);
        // SAFETY: FMA, detected before any value of this type exists.
        F32x16(unsafe { [_mm256_fmadd_ps(x0, m0, a0), _mm256_fmadd_ps(x1, m1, a1)] })
    }

    #[inline(always)]
    fn fast_max(self, o: F32x16) -> F32x16 {
        let ([a, b], [c, d]) = (self.0, o.0);
        // SAFETY: AVX, detected before any value of this type exists.
        F32x16(unsafe { [_mm256_max_ps(a, c), _mm256_max_ps(b, d)] })
    }

    #[inline(always)]
    fn fast_min(self, o: F32x16) -> F32x16 {
        let ([a, b], [c, d]) = (self.0, o.0);
        // SAFETY: AVX, detected before any value of this type exists.
        F32x16(unsafe { [_mm256_min_ps(a, c), _mm256_min_ps(b, d)] })
    }

    #[inline(always)]
    fn abs(self) -> F32x16 {
        let [a, b] = self.0;
        // SAFETY: AVX, detected before any value of this type exists.
        unsafe {
            let sign = _mm256_set1_ps(-0.0);
            F32x16([_mm256_andnot_ps(sign, a), _mm256_andnot_ps(sign, b)])
        }
    }

    #[inline(always)]
    fn simd_lt(self, o: F32x16) -> Mask16 {
        self.cmp::<_CMP_LT_OQ>(o)
    }

    #[inline(always)]
    fn simd_le(self, o: F32x16) -> Mask16 {
        self.cmp::<_CMP_LE_OQ>(o)
    }

    #[inline(always)]
    fn simd_gt(self, o: F32x16) -> Mask16 {
        self.cmp::<_CMP_GT_OQ>(o)
    }

    #[inline(always)]
    fn simd_ge(self, o: F32x16) -> Mask16 {
        self.cmp::<_CMP_GE_OQ>(o)
    }

    #[inline(always)]
    fn simd_ne(self, o: F32x16) -> Mask16 {
        self.cmp::<_CMP_NEQ_UQ>(o)
    }

    #[inline(always)]
    fn shl23(self) -> F32x16 {
        let [a, b] = self.0;
        // SAFETY: AVX2, detected before any value of this type exists.
        unsafe {
            let a = _mm256_slli_epi32::<23>(_mm256_castps_si256(a));
            let b = _mm256_slli_epi32::<23>(_mm256_castps_si256(b));
            F32x16([_mm256_castsi256_ps(a), _mm256_castsi256_ps(b)])
        }
    }

    #[inline(always)]
    fn reduce_add(self) -> f32 {
        // SAFETY: AVX, detected before any value of this type exists.
        unsafe { reduce8(_mm256_add_ps(self.0[0], self.0[1])) }
    }

    #[inline(always)]
    fn widen(self) -> [F64x8; 2] {
        let [a, b] = self.0;
        // SAFETY: AVX, detected before any value of this type exists.
        unsafe {
            let (a_hi, b_hi) = (_mm256_extractf128_ps::<1>(a), _mm256_extractf128_ps::<1>(b));
            [
                F64x8([
                    _mm256_cvtps_pd(_mm256_castps256_ps128(a)),
                    _mm256_cvtps_pd(a_hi),
                ]),
                F64x8([
                    _mm256_cvtps_pd(_mm256_castps256_ps128(b)),
                    _mm256_cvtps_pd(b_hi),
                ]),
            ]
        }
    }
}

impl F64s for F64x8 {
    // SAFETY: plain bits: two `__m256d` are eight f64 lanes.
    const ZERO: F64x8 = F64x8(unsafe { std::mem::transmute::<[f64; 8], [__m256d; 2]>([0.0; 8]) });

    #[inline(always)]
    fn mul_add(self, m: F64x8, a: F64x8) -> F64x8 {
        let ([x0, x1], [m0, m1], [a0, a1]) = (self.0, m.0, a.0);
        // SAFETY: FMA, detected before any value of this type exists.
        F64x8(unsafe { [_mm256_fmadd_pd(x0, m0, a0), _mm256_fmadd_pd(x1, m1, a1)] })
    }

    #[inline(always)]
    fn reduce_add(self) -> f64 {
        // SAFETY: AVX, detected before any value of this type exists.
        unsafe { reduce4(_mm256_add_pd(self.0[0], self.0[1])) }
    }
}
