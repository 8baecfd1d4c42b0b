//! SIMD in one room: every kernel exists twice, with the same name and signature, in
//! [`scalar`] (plain Rust, one element at a time) and [`simd`] (`wide` vectors).
//!
//! The scalar twin is the specification: tests hold the vector kernel against it over sizes
//! that cross every lane and tile boundary, and the vector kernels hand their tails to it.
//! Both use the same fused multiply-add rule ([`scalar::fma`] fuses exactly when `wide` does),
//! so the elementwise kernels (`exp`, `gemm_tile`) agree bit for bit on every build.
//!
//! The vector width is fixed when the crate is compiled, because `wide` selects its
//! instructions at compile time: 16 lanes with AVX-512, 8 with AVX, 4 otherwise.

pub mod compact;
pub mod isa;
pub mod product;
pub mod radial;
pub mod scalar;
pub mod separable;
pub mod simd;

pub use simd::{LANES, MR, NR};
