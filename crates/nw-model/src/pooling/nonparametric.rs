//! Nonparametric attention pooling: the Nadaraya-Watson estimator, with the chapter's
//! Gaussian kernel or any other.

use nw_tensor::kernels::radial::KernelKind;

use super::{Attention, PoolOptions, Pooling, kernel_pool};
use crate::Result;
use crate::kernel::check_bandwidth;

/// `f(q) = sum_i softmax_i(ln K((q - k_i) / h)) v_i`: with the Gaussian kernel,
/// `softmax_i(-((q - k_i) / h)^2 / 2)`, the chapter's `h = 1` by default and `h` as the
/// hyperparameter of its exercise 3.
///
/// Nothing is learned: the keys and values are the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonparametricPooling {
    kernel: KernelKind,
    bandwidth: f32,
}

impl Default for NonparametricPooling {
    fn default() -> Self {
        NonparametricPooling {
            kernel: KernelKind::Gaussian,
            bandwidth: 1.0,
        }
    }
}

impl NonparametricPooling {
    /// The Gaussian estimator with bandwidth `h` (positive and finite).
    pub fn new(h: f32) -> Result<Self> {
        Self::with_kernel(KernelKind::Gaussian, h)
    }

    /// The estimator with `kernel` and bandwidth `h` (positive and finite).
    pub fn with_kernel(kernel: KernelKind, h: f32) -> Result<Self> {
        Ok(NonparametricPooling {
            kernel,
            bandwidth: check_bandwidth(h)?,
        })
    }

    /// The bandwidth `h`.
    pub fn bandwidth(&self) -> f32 {
        self.bandwidth
    }

    /// The kernel.
    pub fn kernel(&self) -> KernelKind {
        self.kernel
    }
}

impl Pooling for NonparametricPooling {
    fn name(&self) -> &'static str {
        "nonparametric"
    }

    fn pool_with(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        options: &PoolOptions,
    ) -> Result<Attention> {
        kernel_pool(self.kernel, self.bandwidth, queries, keys, values, options)
    }
}
