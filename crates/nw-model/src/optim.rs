//! Optimizers for learnable poolings: plain SGD as in the chapter, and Adam.

use crate::{ModelError, Result};

/// Updates parameters in place from their gradients.
///
/// Gradients are f64: the gradient of a summed squared loss scales with the targets squared
/// and outgrows f32 long before the parameters do.
pub trait Optimizer {
    /// One step: `params` moves against `grads`.
    ///
    /// Errors with [`ModelError::Gradients`], naming both lengths and touching nothing, when
    /// `grads` is not one gradient per parameter.
    fn step(&mut self, params: &mut [f32], grads: &[f64]) -> Result<()>;
}

/// One gradient per parameter, or the error that names both counts.
fn check(op: &'static str, params: &[f32], grads: &[f64]) -> Result<()> {
    if params.len() == grads.len() {
        Ok(())
    } else {
        Err(ModelError::Gradients {
            op,
            what: "parameter(s)",
            expected: params.len(),
            got: grads.len(),
        })
    }
}

/// `p <- p - lr * g`, the chapter's `torch.optim.SGD`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    /// Learning rate (the chapter uses 0.5).
    pub lr: f32,
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [f32], grads: &[f64]) -> Result<()> {
        check("sgd step", params, grads)?;
        for (p, &g) in params.iter_mut().zip(grads) {
            // In f32, as PyTorch steps the chapter's f32 parameter; a gradient beyond f32 makes
            // an infinite step, which training reports as divergence.
            *p -= self.lr * g as f32;
        }
        Ok(())
    }
}

/// Adam (Kingma and Ba, 2015) with bias correction, the defaults of `torch.optim.Adam`.
///
/// Each step moves a parameter by about `lr` whatever the gradient's scale, which suits a
/// bandwidth whose gradient spans orders of magnitude as it trains. The moments are kept in
/// f64, so a gradient near `1e60` (targets near `1e30`) steps as well as one near 1.
///
/// The moment estimates belong to one parameter vector: a step with a different number of
/// parameters than the last starts them afresh, as a new optimizer would.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam {
    /// Learning rate.
    pub lr: f32,
    /// Decay of the first-moment estimate.
    pub beta1: f32,
    /// Decay of the second-moment estimate.
    pub beta2: f32,
    /// Added to the root of the second moment so a zero gradient divides safely.
    pub eps: f32,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Adam with learning rate `lr` and PyTorch's defaults (0.9, 0.999, 1e-8).
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [f32], grads: &[f64]) -> Result<()> {
        check("adam step", params, grads)?;
        if self.m.len() != params.len() {
            self.m = vec![0.0; params.len()];
            self.v = vec![0.0; params.len()];
            self.t = 0;
        }
        // Past 2^31 steps the bias corrections are 1 to the last bit; saturating keeps them so.
        self.t = self.t.saturating_add(1);
        let (b1, b2) = (f64::from(self.beta1), f64::from(self.beta2));
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        for ((p, &g), (m, v)) in params
            .iter_mut()
            .zip(grads)
            .zip(self.m.iter_mut().zip(self.v.iter_mut()))
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            let step = f64::from(self.lr) * (*m / c1) / ((*v / c2).sqrt() + f64::from(self.eps));
            *p = (f64::from(*p) - step) as f32;
        }
        Ok(())
    }
}
