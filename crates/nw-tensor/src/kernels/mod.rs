//! SIMD in one room: every kernel exists twice, with the same name, in [`scalar`] (plain Rust,
//! one element at a time) and [`simd`] (sixteen-lane vectors of [`isa`], generic over the
//! instruction set).
//!
//! The scalar twin is the specification: tests hold the vector kernel against it over sizes
//! that cross every lane and tile boundary, and the vector kernels hand their tails to it.
//! Both use the same fused multiply-add rule ([`scalar::fma`] fuses exactly when the active
//! level does), so the elementwise kernels (`exp`, `gemm_tile`) agree bit for bit on every
//! level.
//!
//! The vectors have sixteen lanes on every level ([`isa::LANES`]); [`isa`] chooses the
//! instructions at run time. The only `unsafe` code of the workspace lives in [`isa`]'s
//! AVX-512 and AVX2 modules, each block sound by the feature check that precedes it.

pub mod compact;
pub mod isa;
pub mod product;
pub mod radial;
pub mod scalar;
pub mod separable;
pub mod simd;

pub use simd::{LANES, MR, NR};
