//! The AVX-512 path (`x86-64-v4`): one `zmm` register a vector.
//!
//! A value of [`F32x16`] or [`F64x8`] exists only inside [`entry`], which [`super::run_on`]
//! calls only after [`super::Level::detected`] found every feature it enables; so each
//! `unsafe` block below runs on a CPU with AVX-512 F, BW, CD, DQ and VL.

#![allow(unsafe_code)]

use std::arch::x86_64::*;
use std::ops::{Add, BitAnd, Mul, Neg, Sub};

use super::{F64s, LANES, Mask, Sealed, Simd, Task};

/// Runs `task` on AVX-512 vectors, compiled with the `x86-64-v4` features.
///
/// # Safety
/// The CPU must have every feature named here ([`super::Level::detected`] checks them).
#[target_feature(enable = "avx512f,avx512bw,avx512cd,avx512dq,avx512vl")]
#[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,f16c,movbe")]
pub(super) unsafe fn entry<T: Task>(task: T) -> T::Output {
    task.run::<F32x16>()
}

/// Sixteen f32 lanes in one `zmm` register.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct F32x16(__m512);

/// A comparison's result: one bit a lane, in a `k` register.
#[derive(Clone, Copy, Debug)]
pub struct Mask16(__mmask16);

/// Eight f64 lanes in one `zmm` register.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct F64x8(__m512d);

impl Sealed for F32x16 {}

macro_rules! binary {
    ($trait:ident, $method:ident, $ty:ident, $intrinsic:ident) => {
        impl $trait for $ty {
            type Output = $ty;
            #[inline(always)]
            fn $method(self, o: $ty) -> $ty {
                // SAFETY: AVX-512F, detected before any value of this type exists.
                $ty(unsafe { $intrinsic(self.0, o.0) })
            }
        }
    };
}

binary!(Add, add, F32x16, _mm512_add_ps);
binary!(Sub, sub, F32x16, _mm512_sub_ps);
binary!(Mul, mul, F32x16, _mm512_mul_ps);
binary!(Add, add, F64x8, _mm512_add_pd);
super::assign_ops!(F32x16, F64x8);
binary!(Mul, mul, F64x8, _mm512_mul_pd);

impl Neg for F32x16 {
    type Output = F32x16;
    #[inline(always)]
    fn neg(self) -> F32x16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe {
            _mm512_castsi512_ps(_mm512_xor_si512(
                _mm512_castps_si512(self.0),
                _mm512_set1_epi32(i32::MIN),
            ))
        })
    }
}

impl BitAnd for Mask16 {
    type Output = Mask16;
    #[inline(always)]
    fn bitand(self, o: Mask16) -> Mask16 {
        Mask16(self.0 & o.0)
    }
}

impl Mask<F32x16> for Mask16 {
    #[inline(always)]
    fn select(self, t: F32x16, f: F32x16) -> F32x16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe { _mm512_mask_blend_ps(self.0, f.0, t.0) })
    }
}

impl F32x16 {
    /// The lanes compared by predicate `P` (one of `_CMP_*`).
    #[inline(always)]
    fn cmp<const P: i32>(self, o: F32x16) -> Mask16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        Mask16(unsafe { _mm512_cmp_ps_mask::<P>(self.0, o.0) })
    }
}

impl Simd for F32x16 {
    type Mask = Mask16;
    type F64 = F64x8;
    const TILE_ROWS: usize = 8;
    // SAFETY: plain bits: an `__m512` is sixteen f32 lanes.
    const ZERO: F32x16 =
        F32x16(unsafe { std::mem::transmute::<[f32; LANES], __m512>([0.0; LANES]) });
    // SAFETY: as for `ZERO`.
    const ONE: F32x16 =
        F32x16(unsafe { std::mem::transmute::<[f32; LANES], __m512>([1.0; LANES]) });

    #[inline(always)]
    fn splat(x: f32) -> F32x16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe { _mm512_set1_ps(x) })
    }

    #[inline(always)]
    fn from_array(a: [f32; LANES]) -> F32x16 {
        // SAFETY: AVX-512F as above; `a` holds sixteen f32.
        F32x16(unsafe { _mm512_loadu_ps(a.as_ptr()) })
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        let mut a = [0.0; LANES];
        // SAFETY: AVX-512F as above; `a` holds sixteen f32.
        unsafe { _mm512_storeu_ps(a.as_mut_ptr(), self.0) };
        a
    }

    #[inline(always)]
    fn load(s: &[f32]) -> F32x16 {
        let s = &s[..LANES];
        // SAFETY: AVX-512F as above; `s` holds sixteen f32 (checked by the slice).
        F32x16(unsafe { _mm512_loadu_ps(s.as_ptr()) })
    }

    #[inline(always)]
    fn store(self, s: &mut [f32]) {
        let s = &mut s[..LANES];
        // SAFETY: AVX-512F as above; `s` holds sixteen f32 (checked by the slice).
        unsafe { _mm512_storeu_ps(s.as_mut_ptr(), self.0) }
    }

    #[inline(always)]
    fn mul_add(self, m: F32x16, a: F32x16) -> F32x16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe { _mm512_fmadd_ps(self.0, m.0, a.0) })
    }

    #[inline(always)]
    fn fast_max(self, o: F32x16) -> F32x16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe { _mm512_max_ps(self.0, o.0) })
    }

    #[inline(always)]
    fn fast_min(self, o: F32x16) -> F32x16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe { _mm512_min_ps(self.0, o.0) })
    }

    #[inline(always)]
    fn abs(self) -> F32x16 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe { _mm512_abs_ps(self.0) })
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
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F32x16(unsafe { _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_castps_si512(self.0))) })
    }

    #[inline(always)]
    fn reduce_add(self) -> f32 {
        // SAFETY: AVX-512F, detected before any value of this type exists (and AVX, SSE3
        // with it for the narrower halves).
        unsafe {
            let lo = _mm512_castps512_ps256(self.0);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(self.0)));
            super::avx2::reduce8(_mm256_add_ps(lo, hi))
        }
    }

    #[inline(always)]
    fn widen(self) -> [F64x8; 2] {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        unsafe {
            let lo = _mm512_castps512_ps256(self.0);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(self.0)));
            [F64x8(_mm512_cvtps_pd(lo)), F64x8(_mm512_cvtps_pd(hi))]
        }
    }
}

impl F64s for F64x8 {
    // SAFETY: plain bits: an `__m512d` is eight f64 lanes.
    const ZERO: F64x8 = F64x8(unsafe { std::mem::transmute::<[f64; 8], __m512d>([0.0; 8]) });

    #[inline(always)]
    fn mul_add(self, m: F64x8, a: F64x8) -> F64x8 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        F64x8(unsafe { _mm512_fmadd_pd(self.0, m.0, a.0) })
    }

    #[inline(always)]
    fn reduce_add(self) -> f64 {
        // SAFETY: AVX-512F, detected before any value of this type exists.
        unsafe {
            let lo = _mm512_castpd512_pd256(self.0);
            let hi = _mm512_extractf64x4_pd::<1>(self.0);
            super::avx2::reduce4(_mm256_add_pd(lo, hi))
        }
    }
}
