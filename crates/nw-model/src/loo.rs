//! Leave-one-out loss and gradient of parametric pooling in O(n) memory: each training input
//! attends to all the other training examples in one fused pass
//! ([`nw_tensor::ops::pool::loo`]), with no `(n, n - 1)` matrix.
//!
//! For query `i` the weights are `a_ij ∝ exp(s_ij)` over `j != i`. With the sums
//! `Z = sum e`, `S_v = sum e y_j`, `S_d = sum e d^2`, `S_dv = sum e d^2 y_j` (`e_ij` the weight
//! relative to the nearest other example, `d = x_i - x_j`), the prediction is `S_v / Z` and,
//! by the derivation on [`crate::pooling::ParametricTape::backward`],
//!
//! ```text
//! dy_i/dw = -w (S_dv / Z - y_i S_d / Z)          L = sum_i r_i^2,  r_i = y_i - target_i
//! dL/dw   = sum_i 2 r_i dy_i/dw
//! ```
//!
//! The kernel's lanes sum in f32 over a tile and in f64 across tiles, so the result agrees
//! with the materialized chapter path to f32 rounding (tested), and the per-example terms
//! are added in a fixed order, so it is the same bits on any thread count.
//!
//! The same loss and `dL/d ln h` come from sorted sweeps over prefix sums
//! ([`nw_tensor::ops::sweep::loo_sweep_grad`]) when the [`Algorithm`] says so
//! ([`crate::algorithm`]): on many examples at a wide bandwidth, in near-linear time.

use nw_tensor::Par;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{self, LooFit, SortedKeys};

use crate::algorithm::{self, Algorithm};
use crate::{ModelError, Result};

/// Loss and gradient of the chapter's leave-one-out objective at one value of `w`.
///
/// Both are f64: a summed squared error of f32 targets can exceed f32's range (targets near
/// `1e20` already do) while every prediction in it is an ordinary number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossGrad {
    /// `sum_i (y_hat_i - y_i)^2` with `y_hat_i` computed without example `i`.
    pub loss: f64,
    /// `dL/dw`.
    pub grad: f64,
}

/// The training set sorted for the fused pass: build it once, evaluate it at many `w`.
pub fn prepare(x: &[f32], y: &[f32]) -> Result<SortedKeys> {
    if x.len() != y.len() {
        return Err(ModelError::InputsTargets {
            inputs: x.len(),
            targets: y.len(),
        });
    }
    if x.len() < 2 {
        return Err(ModelError::TooFewExamples(x.len()));
    }
    Ok(SortedKeys::new(x, y)?)
}

/// The leave-one-out summed squared loss of parametric pooling at `w`, and `dL/dw` (the
/// algorithm by the cost model, [`Algorithm::Auto`]).
pub fn loss_grad(x: &[f32], y: &[f32], w: f32, par: Par) -> Result<LossGrad> {
    loss_grad_prepared(&prepare(x, y)?, w, par)
}

/// [`loss_grad`] on a training set already [`prepare`]d.
pub fn loss_grad_prepared(data: &SortedKeys, w: f32, par: Par) -> Result<LossGrad> {
    loss_grad_kernel(data, KernelKind::Gaussian, w, Algorithm::Auto, par)
}

/// [`loss_grad_prepared`] with any kernel at scale `w` (bandwidth `1 / |w|`), summed by
/// `algorithm`.
///
/// The pass gives `dL/d ln h`; with `h = 1 / |w|`, `dL/dw = -(1 / w) dL/d ln h`, and at
/// `w = 0` the loss is even in `w`, so `dL/dw = 0`. `w` must be finite, as for
/// [`ParametricPooling`](crate::ParametricPooling); at `w = 0` (an infinite bandwidth) only
/// the direct pass applies.
pub fn loss_grad_kernel(
    data: &SortedKeys,
    kind: KernelKind,
    w: f32,
    algorithm: Algorithm,
    par: Par,
) -> Result<LossGrad> {
    if !w.is_finite() {
        return Err(ModelError::Parameter {
            name: "w",
            expected: "a finite number",
            value: f64::from(w),
        });
    }
    let h = 1.0 / w.abs();
    let fit = loo_grad(kind, data, h, algorithm, par)?;
    if fit.far > 0 {
        return Err(ModelError::Isolated {
            count: fit.far,
            bandwidth: h,
        });
    }
    let grad = if w == 0.0 {
        0.0
    } else {
        -fit.grad / f64::from(w)
    };
    Ok(LossGrad {
        loss: fit.loss,
        grad,
    })
}

/// The leave-one-out loss of `kind` at bandwidth `h` with `dL/d ln h` and each example's term
/// of it, by the direct pass or the sorted sweep as `algorithm` chooses.
pub(crate) fn loo_grad(
    kind: KernelKind,
    data: &SortedKeys,
    h: f32,
    algorithm: Algorithm,
    par: Par,
) -> Result<LooFit> {
    // Every example is a query of the leave-one-out pass.
    if algorithm::sweeps(algorithm, kind, h, data, data.len(), None)? {
        return Ok(nw_tensor::ops::sweep::loo_sweep_grad(kind, h, data, par)?);
    }
    Ok(kind.visit(h, Loo { data, par })?)
}

/// The fused leave-one-out pass, for [`KernelKind::visit`].
struct Loo<'a> {
    /// The training set.
    data: &'a SortedKeys,
    /// Threads.
    par: Par,
}

impl KernelVisitor for Loo<'_> {
    type Output = nw_tensor::Result<LooFit>;
    fn visit<K: Bandwidth>(self, kernel: K) -> Self::Output {
        pool::loo(&kernel, self.data, self.par)
    }
}
