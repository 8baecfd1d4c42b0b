//! Leave-one-out loss and gradient in O(n) memory: each training input attends to all the
//! other training examples, one query at a time, with no `(n, n - 1)` matrix.
//!
//! For query `i` the weights are `a_ij ∝ exp(s_ij)` over `j != i`. With `e_ij = exp(s_ij - max)`
//! and the sums `Z = sum e`, `S_v = sum e y_j`, `S_d = sum e d^2`, `S_dv = sum e d^2 y_j`
//! (`d = x_i - x_j`), the prediction is `S_v / Z` and, by the derivation on
//! [`crate::pooling::ParametricTape::backward`],
//!
//! ```text
//! dy_i/dw = -w (S_dv / Z - y_i S_d / Z)          L = sum_i r_i^2,  r_i = y_i - target_i
//! dL/dw   = sum_i 2 r_i dy_i/dw
//! ```
//!
//! Scores are the same f32 values as the chapter's; the sums run in f64, so the result
//! agrees with the materialized path to f32 rounding (tested).

use nw_tensor::Par;
use rayon::prelude::*;

use crate::kernel::gaussian_score;
use crate::{ModelError, Result};

/// Loss and gradient of the chapter's leave-one-out objective at one value of `w`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossGrad {
    /// `sum_i (y_hat_i - y_i)^2` with `y_hat_i` computed without example `i`.
    pub loss: f32,
    /// `dL/dw`.
    pub grad: f32,
}

/// Queries per parallel task.
const GRAIN: usize = 16;

/// The leave-one-out summed squared loss of parametric pooling at `w`, and `dL/dw`.
pub fn loss_grad(x: &[f32], y: &[f32], w: f32, par: Par) -> Result<LossGrad> {
    if x.len() != y.len() {
        return Err(ModelError::InputsTargets {
            inputs: x.len(),
            targets: y.len(),
        });
    }
    if x.len() < 2 {
        return Err(ModelError::TooFewExamples(x.len()));
    }
    let one = |i: usize| -> (f64, f64) {
        let xi = x[i];
        let others = || (0..x.len()).filter(move |&j| j != i);
        let max = others()
            .map(|j| gaussian_score(xi, x[j], w))
            .fold(f32::NEG_INFINITY, f32::max);
        let (mut z, mut sv, mut sd, mut sdv) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for j in others() {
            let e = f64::from(gaussian_score(xi, x[j], w) - max).exp();
            let d = f64::from(xi - x[j]);
            let yj = f64::from(y[j]);
            z += e;
            sv += e * yj;
            sd += e * d * d;
            sdv += e * d * d * yj;
        }
        let y_hat = sv / z;
        let r = y_hat - f64::from(y[i]);
        let dy_dw = -f64::from(w) * (sdv - y_hat * sd) / z;
        (r * r, 2.0 * r * dy_dw)
    };
    // Per-query terms are summed in query order whatever the split, so the bits do not
    // depend on the thread count.
    let terms: Vec<(f64, f64)> = if par.is_parallel() {
        (0..x.len())
            .into_par_iter()
            .with_min_len(GRAIN)
            .map(one)
            .collect()
    } else {
        (0..x.len()).map(one).collect()
    };
    let (loss, grad) = terms
        .iter()
        .fold((0.0, 0.0), |(l, g), &(dl, dg)| (l + dl, g + dg));
    Ok(LossGrad {
        loss: loss as f32,
        grad: grad as f32,
    })
}
