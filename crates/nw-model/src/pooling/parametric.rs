//! Parametric attention pooling: the chapter's learnable scale `w`, with its backward pass.

use nw_tensor::kernels::radial::KernelKind;
use nw_tensor::{Par, Tensor};

use super::{Attention, PoolOptions, Pooling, kernel_pool};
use crate::chapter;
use crate::{ModelError, Result};

/// `f(q) = sum_i softmax_i(-((q - k_i) w)^2 / 2) v_i` with a learnable `w`: the Gaussian
/// kernel with bandwidth `h = 1 / |w|`. Any other kernel takes the same scale:
/// `softmax_i(ln K((q - k_i) w))`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParametricPooling {
    w: f32,
    kernel: KernelKind,
}

impl ParametricPooling {
    /// The Gaussian pooling with scale `w` (finite; 0 gives average pooling).
    pub fn new(w: f32) -> Result<Self> {
        Self::with_kernel(KernelKind::Gaussian, w)
    }

    /// The pooling with `kernel` and scale `w` (finite; 0 weighs every key alike).
    pub fn with_kernel(kernel: KernelKind, w: f32) -> Result<Self> {
        if !w.is_finite() {
            return Err(ModelError::Parameter {
                name: "w",
                expected: "a finite number",
                value: f64::from(w),
            });
        }
        Ok(ParametricPooling { w, kernel })
    }

    /// The scale `w`.
    pub fn w(&self) -> f32 {
        self.w
    }

    /// The kernel.
    pub fn kernel(&self) -> KernelKind {
        self.kernel
    }

    /// The bandwidth this scale means, `1 / |w|` (infinite for `w = 0`).
    pub fn bandwidth(&self) -> f32 {
        1.0 / self.w.abs()
    }

    /// The chapter's forward pass over per-query rows of keys and values (Gaussian kernel
    /// only) (`n x m` each, row
    /// `i` for query `i`), keeping what [`ParametricTape::backward`] needs.
    pub fn forward_rows(
        &self,
        queries: &Tensor,
        keys: &Tensor,
        values: &Tensor,
        par: Par,
    ) -> Result<ParametricTape> {
        if self.kernel != KernelKind::Gaussian {
            return Err(ModelError::ChapterKernel(self.kernel.name()));
        }
        let (y_hat, weights) = chapter::forward(queries, keys, values, self.w, par)?;
        Ok(ParametricTape {
            w: self.w,
            queries: queries.data().to_vec(),
            keys: keys.data().to_vec(),
            values: values.data().to_vec(),
            weights: weights.into_vec(),
            y_hat: y_hat.into_vec(),
        })
    }
}

impl Pooling for ParametricPooling {
    fn name(&self) -> &'static str {
        "parametric"
    }

    fn pool_with(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        options: &PoolOptions,
    ) -> Result<Attention> {
        kernel_pool(
            self.kernel,
            self.bandwidth(),
            queries,
            keys,
            values,
            options,
        )
    }
}

/// The forward pass's state for the backward pass: inputs, weights and predictions.
#[derive(Clone, Debug)]
pub struct ParametricTape {
    w: f32,
    queries: Vec<f32>,
    keys: Vec<f32>,
    values: Vec<f32>,
    weights: Vec<f32>,
    y_hat: Vec<f32>,
}

impl ParametricTape {
    /// The predictions, one per query.
    pub fn y_hat(&self) -> &[f32] {
        &self.y_hat
    }

    /// The attention weights, row-major `n x m`.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// `dL/dw` given `dL/dy_hat`, by hand (no autograd).
    ///
    /// Forward, for query `i` and its keys `j`:
    ///
    /// ```text
    /// d_ij = q_i - k_ij     t_ij = w d_ij     s_ij = -t_ij^2 / 2
    /// a_ij = exp(s_ij) / sum_l exp(s_il)      y_i = sum_j a_ij v_ij
    /// ```
    ///
    /// Backward, with `g_i = dL/dy_i` given:
    ///
    /// ```text
    /// dL/da_ij = g_i v_ij
    /// dL/ds_ij = a_ij (dL/da_ij - sum_l a_il dL/da_il) = a_ij g_i (v_ij - y_i)   (softmax)
    /// dL/dt_ij = -t_ij dL/ds_ij
    /// dL/dw    = sum_ij d_ij dL/dt_ij = -w sum_i g_i sum_j a_ij d_ij^2 (v_ij - y_i)
    /// ```
    ///
    /// For the summed squared loss `g_i = 2 (y_i - target_i)`. The double sum runs in f64,
    /// so the cancellation between keys above and below `y_i` costs no f32 digits.
    ///
    /// Errors with [`ModelError::Gradients`] unless `dl_dyhat` holds one gradient per
    /// prediction.
    pub fn backward(&self, dl_dyhat: &[f32]) -> Result<f32> {
        if dl_dyhat.len() != self.y_hat.len() {
            return Err(ModelError::Gradients {
                op: "parametric backward",
                what: "prediction(s)",
                expected: self.y_hat.len(),
                got: dl_dyhat.len(),
            });
        }
        let m = self.weights.len() / self.y_hat.len().max(1);
        let w = f64::from(self.w);
        let mut grad = 0.0;
        for (i, (&q, &g)) in self.queries.iter().zip(dl_dyhat).enumerate() {
            let y = f64::from(self.y_hat[i]);
            let row = i * m..(i + 1) * m;
            let mut inner = 0.0;
            for ((&k, &v), &a) in self.keys[row.clone()]
                .iter()
                .zip(&self.values[row.clone()])
                .zip(&self.weights[row])
            {
                let d = f64::from(q - k);
                inner += f64::from(a) * d * d * (f64::from(v) - y);
            }
            grad += f64::from(g) * inner;
        }
        Ok((-w * grad) as f32)
    }
}
