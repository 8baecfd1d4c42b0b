//! The baseline path: `wide`'s sixteen-lane vectors, as `wide` compiles them for the build's
//! target (SSE2 on x86-64, NEON on aarch64), with multiply-adds never fused.
//!
//! `wide` fuses `mul_add` only on builds with the `fma` feature; this path multiplies and
//! adds separately on every build, so its results do not depend on the build's flags.

use std::ops::{Add, BitAnd, Mul, Neg, Sub};

use wide::{f32x16, f64x8};

use super::{F64s, LANES, Mask, Sealed, Simd, tree8};

/// Sixteen f32 lanes in `wide`'s `f32x16`.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct F32x16(f32x16);

/// A comparison's result: all ones in a lane where it holds.
#[derive(Clone, Copy, Debug)]
pub struct Mask16(f32x16);

/// Eight f64 lanes in `wide`'s `f64x8`.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct F64x8(f64x8);

impl Sealed for F32x16 {}

macro_rules! binary {
    ($trait:ident, $method:ident, $ty:ident, $op:tt) => {
        impl $trait for $ty {
            type Output = $ty;
            #[inline(always)]
            fn $method(self, o: $ty) -> $ty {
                $ty(self.0 $op o.0)
            }
        }
    };
}

binary!(Add, add, F32x16, +);
binary!(Sub, sub, F32x16, -);
binary!(Mul, mul, F32x16, *);
binary!(BitAnd, bitand, Mask16, &);
binary!(Add, add, F64x8, +);
super::assign_ops!(F32x16, F64x8);
binary!(Mul, mul, F64x8, *);

impl Neg for F32x16 {
    type Output = F32x16;
    #[inline(always)]
    fn neg(self) -> F32x16 {
        F32x16(-self.0)
    }
}

impl Mask<F32x16> for Mask16 {
    #[inline(always)]
    fn select(self, t: F32x16, f: F32x16) -> F32x16 {
        F32x16(self.0.select(t.0, f.0))
    }
}

impl Simd for F32x16 {
    type Mask = Mask16;
    type F64 = F64x8;
    const TILE_ROWS: usize = 2;
    const ZERO: F32x16 = F32x16(f32x16::ZERO);
    const ONE: F32x16 = F32x16(f32x16::ONE);

    #[inline(always)]
    fn splat(x: f32) -> F32x16 {
        F32x16(f32x16::splat(x))
    }

    #[inline(always)]
    fn from_array(a: [f32; LANES]) -> F32x16 {
        F32x16(f32x16::new(a))
    }

    #[inline(always)]
    fn to_array(self) -> [f32; LANES] {
        self.0.to_array()
    }

    #[inline(always)]
    fn load(s: &[f32]) -> F32x16 {
        let head: [f32; LANES] = s[..LANES].try_into().expect("slice holds a vector");
        F32x16::from_array(head)
    }

    #[inline(always)]
    fn store(self, s: &mut [f32]) {
        s[..LANES].copy_from_slice(self.0.as_array());
    }

    #[inline(always)]
    fn mul_add(self, m: F32x16, a: F32x16) -> F32x16 {
        F32x16(self.0 * m.0 + a.0)
    }

    #[inline(always)]
    fn fast_max(self, o: F32x16) -> F32x16 {
        F32x16(self.0.fast_max(o.0))
    }

    #[inline(always)]
    fn fast_min(self, o: F32x16) -> F32x16 {
        F32x16(self.0.fast_min(o.0))
    }

    #[inline(always)]
    fn abs(self) -> F32x16 {
        F32x16(self.0.abs())
    }

    #[inline(always)]
    fn simd_lt(self, o: F32x16) -> Mask16 {
        Mask16(self.0.simd_lt(o.0))
    }

    #[inline(always)]
    fn simd_le(self, o: F32x16) -> Mask16 {
        Mask16(self.0.simd_le(o.0))
    }

    #[inline(always)]
    fn simd_gt(self, o: F32x16) -> Mask16 {
        Mask16(self.0.simd_gt(o.0))
    }

    #[inline(always)]
    fn simd_ge(self, o: F32x16) -> Mask16 {
        Mask16(self.0.simd_ge(o.0))
    }

    #[inline(always)]
    fn simd_ne(self, o: F32x16) -> Mask16 {
        Mask16(self.0.simd_ne(o.0))
    }

    #[inline(always)]
    fn shl23(self) -> F32x16 {
        F32x16(f32x16::from_bits(self.0.to_bits() << 23))
    }

    #[inline(always)]
    fn reduce_add(self) -> f32 {
        let a = self.0.to_array();
        tree8(std::array::from_fn(|i| a[i] + a[i + 8]))
    }

    #[inline(always)]
    fn widen(self) -> [F64x8; 2] {
        let a = self.0.to_array();
        [0, 8].map(|h| F64x8(f64x8::new(std::array::from_fn(|i| f64::from(a[h + i])))))
    }
}

impl F64s for F64x8 {
    const ZERO: F64x8 = F64x8(f64x8::ZERO);

    #[inline(always)]
    fn mul_add(self, m: F64x8, a: F64x8) -> F64x8 {
        F64x8(self.0 * m.0 + a.0)
    }

    #[inline(always)]
    fn reduce_add(self) -> f64 {
        tree8(self.0.to_array())
    }
}
