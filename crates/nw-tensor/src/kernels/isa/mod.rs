//! The instruction sets the vector kernels are compiled for, and the one place that picks one
//! at run time.
//!
//! Every vector kernel in [`super::simd`] is written once, generic over a [`Simd`] vector of
//! [`LANES`] f32 lanes, and compiled three times on x86-64: for AVX-512 (`x86-64-v4`), for
//! AVX2 with FMA (`x86-64-v3`), and for the baseline (SSE2, through `wide`). [`Level::active`]
//! detects the CPU's features once; a dispatch point ([`run`]) enters the generic code through
//! a function compiled with that level's `#[target_feature]`, and everything below it is
//! `#[inline(always)]`, so it is compiled with the same features. `NW_SIMD=avx2` (or
//! `baseline`) caps the level, so the lower paths can be tested on an AVX-512 machine. Other
//! architectures (aarch64) run the `wide` path, as `wide` compiles it for them.
//!
//! All three have sixteen lanes: AVX2 holds a vector in two registers and the baseline in
//! four, as `wide`'s `f32x16` does. So data layouts do not depend on the level, and every
//! reduction adds the same lanes in the same order on every path. The AVX-512 and AVX2 paths
//! both fuse multiply-adds and give the same bits; the baseline path never fuses (x86-64 has
//! no FMA before `x86-64-v3`) and differs from them only by that rounding
//! ([`Level::fused`]; the scalar twins follow the active level's rule).

use std::ops::{Add, AddAssign, BitAnd, Mul, MulAssign, Neg, Sub};
use std::sync::OnceLock;

// The vector types are `pub` in private modules: nameable only here, so no code outside
// can make one without passing through `run`.
#[cfg(target_arch = "x86_64")]
#[allow(unreachable_pub)]
mod avx2;
#[cfg(target_arch = "x86_64")]
#[allow(unreachable_pub)]
mod avx512;
#[allow(unreachable_pub)]
mod portable;

/// f32 lanes in every [`Simd`] vector, on every level.
pub const LANES: usize = 16;

/// The name of the environment variable that caps the level: `avx512`, `avx2` or `baseline`.
pub const ENV: &str = "NW_SIMD";

/// An instruction set the vector kernels are compiled for, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The target's baseline through `wide` (SSE2 on x86-64, NEON on aarch64): no fused
    /// multiply-add.
    Baseline,
    /// AVX2 and FMA (with BMI1/2, LZCNT, F16C: the `x86-64-v3` set), two registers a vector.
    Avx2,
    /// AVX-512 F, BW, CD, DQ and VL (the `x86-64-v4` set), one register a vector.
    Avx512,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Level::Baseline, Level::Avx2, Level::Avx512];

    /// The level's name, as `NW_SIMD` takes it and `nw info` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// The level named `s` (see [`Level::name`]).
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == s)
    }

    /// Whether the level's kernels fuse multiply-adds.
    pub fn fused(self) -> bool {
        self != Level::Baseline
    }

    /// The highest level this CPU runs.
    pub fn detected() -> Level {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            let v3 = has!("avx2")
                && has!("fma")
                && has!("bmi1")
                && has!("bmi2")
                && has!("lzcnt")
                && has!("f16c")
                && has!("movbe");
            let v4 = has!("avx512f")
                && has!("avx512bw")
                && has!("avx512cd")
                && has!("avx512dq")
                && has!("avx512vl");
            if v3 && v4 {
                return Level::Avx512;
            }
            if v3 {
                return Level::Avx2;
            }
        }
        Level::Baseline
    }

    /// The level `NW_SIMD` asks for: `Ok(None)` when it is unset, an error naming the value
    /// when it names no level.
    pub fn requested() -> Result<Option<Level>, String> {
        match std::env::var(ENV) {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(v)) => Err(format!("{v:?}")),
            Ok(v) => Level::parse(v.trim()).map(Some).ok_or(v),
        }
    }

    /// The level the kernels run on: the detected one, capped by `NW_SIMD` (a value that
    /// names no level caps nothing; `nw` refuses it before it gets here). Chosen once per
    /// process.
    pub fn active() -> Level {
        static ACTIVE: OnceLock<Level> = OnceLock::new();
        *ACTIVE.get_or_init(|| {
            let cpu = Level::detected_cached();
            match Level::requested() {
                Ok(Some(cap)) => cpu.min(cap),
                _ => cpu,
            }
        })
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `+=` and `*=` on a level's f32 vector and `+=` on its f64 one, from its `+` and `*`: the
/// same on every level.
macro_rules! assign_ops {
    ($f32:ty, $f64:ty) => {
        impl std::ops::AddAssign for $f32 {
            #[inline(always)]
            fn add_assign(&mut self, o: $f32) {
                *self = *self + o;
            }
        }

        impl std::ops::MulAssign for $f32 {
            #[inline(always)]
            fn mul_assign(&mut self, o: $f32) {
                *self = *self * o;
            }
        }

        impl std::ops::AddAssign for $f64 {
            #[inline(always)]
            fn add_assign(&mut self, o: $f64) {
                *self = *self + o;
            }
        }
    };
}
use assign_ops;

mod sealed {
    pub trait Sealed {}
}
use sealed::Sealed;

/// A vector of [`LANES`] f32 lanes on one instruction set: the operations the kernels use.
///
/// Implemented only inside this module (sealed), by types that exist only on a CPU that has
/// their instruction set: generic code is instantiated with them only under [`run`].
pub trait Simd:
    Copy
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + MulAssign
    + Sealed
{
    /// A lane-by-lane comparison's result.
    type Mask: Mask<Self>;
    /// Eight f64 lanes: half a vector, widened.
    type F64: F64s;
    /// Rows of the matmul tile ([`super::simd::gemm_tile`]) that keep their accumulators in
    /// registers: all 8 rows of two vectors with AVX-512's 32 registers; fewer, one vector of
    /// columns at a time, where a vector takes two (AVX2) or four (SSE2) of 16 registers.
    const TILE_ROWS: usize;
    /// Every lane 0.
    const ZERO: Self;
    /// Every lane 1.
    const ONE: Self;

    /// Every lane `x`.
    fn splat(x: f32) -> Self;
    /// Lane `i` is `a[i]`.
    fn from_array(a: [f32; LANES]) -> Self;
    /// The lanes in order.
    fn to_array(self) -> [f32; LANES];
    /// The first [`LANES`] values of `s`.
    ///
    /// # Panics
    /// If `s` holds fewer.
    fn load(s: &[f32]) -> Self;
    /// Writes the lanes to the first [`LANES`] values of `s`.
    ///
    /// # Panics
    /// If `s` holds fewer.
    fn store(self, s: &mut [f32]);
    /// `self * m + a`, fused exactly when the level fuses ([`Level::fused`]).
    fn mul_add(self, m: Self, a: Self) -> Self;
    /// The larger lane; when either is NaN, `o` (x86's rule: put a constant first).
    fn fast_max(self, o: Self) -> Self;
    /// The smaller lane; when either is NaN, `o`.
    fn fast_min(self, o: Self) -> Self;
    /// `|x|`, lane by lane (clears the sign bit).
    fn abs(self) -> Self;
    /// `self < o` (false for NaN).
    fn simd_lt(self, o: Self) -> Self::Mask;
    /// `self <= o` (false for NaN).
    fn simd_le(self, o: Self) -> Self::Mask;
    /// `self > o` (false for NaN).
    fn simd_gt(self, o: Self) -> Self::Mask;
    /// `self >= o` (false for NaN).
    fn simd_ge(self, o: Self) -> Self::Mask;
    /// `self != o` (true for NaN).
    fn simd_ne(self, o: Self) -> Self::Mask;
    /// The f32 whose bits are lane `i`'s bits shifted left by 23: `2^n` from `n + 127` held
    /// in the low mantissa bits (the exponential's last step).
    fn shl23(self) -> Self;
    /// The sum of the lanes, as a tree: lane `i` plus lane `i + 8`, then `i + 4`, `i + 2`,
    /// `i + 1`; the same order on every level.
    fn reduce_add(self) -> f32;
    /// Lanes `0..8` and `8..16` widened to f64, exactly.
    fn widen(self) -> [Self::F64; 2];
}

/// A lane-by-lane comparison's result for vectors `V`.
pub trait Mask<V>: Copy + BitAnd<Output = Self> {
    /// Lane `i` of `t` where the mask is set, of `f` where it is not.
    fn select(self, t: V, f: V) -> V;
}

/// Eight f64 lanes: half a [`Simd`] vector, widened.
pub trait F64s: Copy + Add<Output = Self> + Mul<Output = Self> + AddAssign {
    /// Every lane 0.
    const ZERO: Self;
    /// `self * m + a`, fused exactly when the f32 lanes' level fuses ([`Level::fused`]).
    fn mul_add(self, m: Self, a: Self) -> Self;
    /// The sum of the lanes, as a tree: lane `i` plus lane `i + 4`, then `i + 2`, `i + 1`.
    fn reduce_add(self) -> f64;
}

/// The sum of 8 values, as [`Simd::reduce_add`] adds its lanes after the first halving.
#[inline(always)]
fn tree8<T: Copy + Add<Output = T>>(a: [T; 8]) -> T {
    let b: [T; 4] = std::array::from_fn(|i| a[i] + a[i + 4]);
    let c = [b[0] + b[2], b[1] + b[3]];
    c[0] + c[1]
}

/// Work to be run on the active level: the generic half of a dispatch point.
///
/// `run` is `#[inline(always)]` in every implementation, and so is everything it calls that
/// touches vectors, and no closure in it holds a vector operation: each is then compiled
/// inside the level's `#[target_feature]` entry, with that level's instructions. (A closure
/// is a function of its own, which LLVM may leave out of line, without the features.)
pub trait Task {
    /// What the work returns.
    type Output;
    /// The work, on vectors `V`.
    fn run<V: Simd>(self) -> Self::Output;
}

/// Runs `task` on the active level's vectors.
#[inline]
pub fn run<T: Task>(task: T) -> T::Output {
    run_on(Level::active(), task)
}

/// Runs `task` on `level`'s vectors, or the highest level below it that the CPU runs.
#[inline]
#[allow(unsafe_code)]
pub fn run_on<T: Task>(level: Level, task: T) -> T::Output {
    match level.min(Level::detected_cached()) {
        // SAFETY: the level is at most the detected one, and `Level::detected` returns
        // `Avx512` only when the CPU has every feature `avx512::entry` enables.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512::entry(task) },
        // SAFETY: as above: `Avx2` or higher was detected, so every feature of `avx2::entry`.
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2::entry(task) },
        _ => task.run::<portable::F32x16>(),
    }
}

impl Level {
    /// [`Level::detected`], detected once per process.
    fn detected_cached() -> Level {
        static DETECTED: OnceLock<Level> = OnceLock::new();
        *DETECTED.get_or_init(Level::detected)
    }
}
