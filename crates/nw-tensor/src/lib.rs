//! `nw-tensor`: the numeric core of `nw`, the Nadaraya-Watson attention-pooling workspace.
//!
//! Attention pooling is a row softmax followed by a weighted sum:
//! `f(x) = sum_i softmax_i(-(x - x_i)^2 / 2) y_i`. This crate holds the pieces: a small row-major
//! [`Tensor`], batched matrix multiplication ([`Tensor::bmm`], [`ops::matmul`]) and row
//! softmax ([`Tensor::softmax`], [`ops::softmax`]), hand-written on SIMD vectors; and
//! the same pooling fused into one streaming pass that never builds the weight matrix
//! ([`ops::pool`], generic over the kernel in [`kernels::radial`]), and in `d` dimensions with
//! product kernels and one bandwidth per dimension ([`ops::pool_nd`], [`kernels::product`]).
//!
//! ```
//! use nw_tensor::{Par, Tensor};
//!
//! // The chapter's weighted average as a batched matmul: (2, 1, 10) x (2, 10, 1).
//! let weights = Tensor::full(&[2, 10], 0.1)?.unsqueeze(1)?;
//! let values = Tensor::arange(20)?.reshape(&[2, 10])?.unsqueeze(2)?;
//! let avg = weights.bmm(&values, Par::Seq)?;
//! assert_eq!(avg.shape(), &[2, 1, 1]);
//! assert!((avg.data()[0] - 4.5).abs() < 1e-5 && (avg.data()[1] - 14.5).abs() < 1e-5);
//! # Ok::<(), nw_tensor::TensorError>(())
//! ```
//!
//! ```
//! use nw_tensor::Par;
//! use nw_tensor::kernels::radial::Gaussian;
//! use nw_tensor::ops::pool::{SortedKeys, pool};
//!
//! // The chapter's nonparametric pooling (w = 1), fused: O(queries + keys) memory.
//! let keys = SortedKeys::new(&[0.0, 1.0, 2.0], &[0.0, 1.0, 4.0])?;
//! let out = pool(&Gaussian::new(1.0), &[1.0], &keys, Par::Seq);
//! let a = (-0.5f32).exp() / (1.0 + 2.0 * (-0.5f32).exp());
//! assert!((out.y[0] - ((1.0 - 2.0 * a) + 4.0 * a)).abs() < 1e-6);
//! # Ok::<(), nw_tensor::TensorError>(())
//! ```
//!
//! # Numerics
//! Everything is f32, as in the chapter. Each kernel states its error bound against an f64
//! computation on the same inputs, and the tests hold it there: see [`ops::matmul::gemm`],
//! [`ops::softmax`], [`ops::pool`], [`kernels::scalar::exp`] and [`kernels::scalar::exp2`].
//!
//! # SIMD
//! Every vector kernel in [`kernels::simd`] has a scalar twin in [`kernels::scalar`]. The
//! vector kernels are compiled for AVX-512, AVX2 with FMA and the baseline, and the level is
//! chosen once, at run time ([`kernels::isa::Level::active`], capped by `NW_SIMD`): no build
//! flags needed. The AVX-512 and AVX2 levels give the same bits; the baseline, which has no
//! fused multiply-add, differs from them within each kernel's stated error bound.
//!
//! # Errors
//! Shape checks return [`TensorError`], naming the operation and the shapes. Storage whose
//! size comes from the arguments is reserved with `try_reserve_exact`, so a tensor too large
//! for memory (or for `isize::MAX` bytes) is [`TensorError::TooLarge`], not a panic or an
//! abort. The slice-level kernels in [`ops::matmul`], [`ops::softmax`] and [`kernels`] take
//! lengths on trust and document, under `# Panics`, the mismatches they refuse.
//!
//! # Parallelism
//! Every operation takes a [`Par`]: `Par::Seq` runs on the calling thread, `Par::Rayon` on the
//! current rayon pool. Work splits by batch entry or row block and reductions run in a fixed
//! order, so the result is the same bits whatever the thread count.

pub mod error;
pub mod kernels;
pub mod ops;
pub mod par;
pub mod tensor;

pub use error::{Result, TensorError};
pub use par::Par;
pub use tensor::Tensor;
