//! Nonparametric attention pooling: the Nadaraya-Watson estimator with a Gaussian kernel.

use nw_tensor::Par;

use super::{Attention, Pooling, gaussian_pool};
use crate::Result;
use crate::kernel::check_bandwidth;

/// `f(q) = sum_i softmax_i(-((q - k_i) / h)^2 / 2) v_i`, with the chapter's `h = 1` by
/// default and `h` as the hyperparameter of its exercise 3.
///
/// Nothing is learned: the keys and values are the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonparametricPooling {
    bandwidth: f32,
}

impl Default for NonparametricPooling {
    fn default() -> Self {
        NonparametricPooling { bandwidth: 1.0 }
    }
}

impl NonparametricPooling {
    /// The estimator with bandwidth `h` (positive and finite).
    pub fn new(h: f32) -> Result<Self> {
        Ok(NonparametricPooling {
            bandwidth: check_bandwidth(h)?,
        })
    }

    /// The bandwidth `h`.
    pub fn bandwidth(&self) -> f32 {
        self.bandwidth
    }
}

impl Pooling for NonparametricPooling {
    fn name(&self) -> &'static str {
        "nonparametric"
    }

    fn pool(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        weights: bool,
        par: Par,
    ) -> Result<Attention> {
        // Scaling by 1/h rather than dividing keeps one score function for every pooling;
        // for the chapter's h = 1 the scores are exact either way.
        gaussian_pool(queries, keys, values, 1.0 / self.bandwidth, weights, par)
    }
}
