//! Learning one log-bandwidth per input by gradient steps on the leave-one-out loss: the
//! chapter's training of `w`, generalized to several inputs (`nw train --model
//! log-bandwidth`).
//!
//! The loss is the summed squared leave-one-out error `L = sum_i (y_hat_{-i} - y_i)^2`, and
//! one fused pass gives it with `dL / d ln h_j` for every input
//! ([`NadarayaWatson::cross_validate`]). The parameters are `ln h_j` in each input's units,
//! so a step is a relative change of a bandwidth, whatever the input's scale.

use super::NadarayaWatson;
use crate::optim::Optimizer;
use crate::{ModelError, Result};

/// One epoch of learning the log-bandwidths.
#[derive(Clone, Debug, PartialEq)]
pub struct BandwidthEpoch {
    /// 1-based.
    pub epoch: usize,
    /// The summed leave-one-out loss before the step.
    pub loss: f64,
    /// `dL / d ln h_j` before the step, one per input.
    pub grads: Vec<f64>,
    /// `ln h_j` after the step, in each input's units.
    pub log_h: Vec<f32>,
}

impl NadarayaWatson {
    /// Steps the log-bandwidths with `optimizer` for `epochs` epochs from the model's own
    /// bandwidths, calling `observe` after each; returns the epochs (the last holds the
    /// learned `ln h`).
    ///
    /// Errors with [`ModelError::Diverged`] when the loss, a gradient or a parameter stops
    /// being finite (or a bandwidth leaves `e^±80`), and with [`ModelError::Isolated`] when an
    /// example has no other within a compact kernel's reach (its loss is undefined).
    pub fn learn_bandwidths(
        &self,
        epochs: usize,
        optimizer: &mut dyn Optimizer,
        observe: &mut dyn FnMut(&BandwidthEpoch),
    ) -> Result<Vec<BandwidthEpoch>> {
        if self.degree > 0 {
            return Err(ModelError::GradientDegree(self.degree));
        }
        let mut log_h: Vec<f32> = self.bandwidths.iter().map(|h| h.ln() as f32).collect();
        let mut records = Vec::new();
        for epoch in 1..=epochs {
            let h: Vec<f64> = log_h.iter().map(|&l| f64::from(l).exp()).collect();
            let loo = self.cross_validate(&h)?;
            if loo.isolated > 0 {
                return Err(ModelError::Isolated {
                    count: loo.isolated,
                    bandwidth: h[0] as f32,
                });
            }
            if !loo.loss.is_finite() {
                return Err(ModelError::Diverged {
                    epoch,
                    what: "the loss",
                    value: loo.loss,
                });
            }
            if let Some(&g) = loo.grad.iter().find(|g| !g.is_finite()) {
                return Err(ModelError::Diverged {
                    epoch,
                    what: "a gradient",
                    value: g,
                });
            }
            optimizer.step(&mut log_h, &loo.grad)?;
            if let Some(&l) = log_h.iter().find(|l| !l.is_finite() || l.abs() > 80.0) {
                return Err(ModelError::Diverged {
                    epoch,
                    what: "a log-bandwidth",
                    value: f64::from(l),
                });
            }
            let record = BandwidthEpoch {
                epoch,
                loss: loo.loss,
                grads: loo.grad,
                log_h: log_h.clone(),
            };
            observe(&record);
            records.push(record);
        }
        Ok(records)
    }
}
