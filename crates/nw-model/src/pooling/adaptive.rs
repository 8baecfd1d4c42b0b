//! Adaptive attention pooling (the chapter's exercise 4): a bandwidth that varies smoothly
//! with the query, learned on the leave-one-out loss.
//!
//! ```text
//! f(q) = sum_i softmax_i(ln K((q - k_i) / h(q))) v_i,    ln h(q) = a + b (q - c)
//! ```
//!
//! `c` is the mean of the training inputs (fixed), so `a` is the log-bandwidth at the middle
//! of the data and `b` how fast it changes across it. With `b = 0` it is nonparametric pooling
//! with a learned log-bandwidth, for any kernel. Data whose curvature or density changes along
//! `x` (the chapter's `2 sin x + x^0.8` is curved at the left, flatter at the right; `mcycle` is
//! flat, then violent, then calm) wants a narrow window in some places and a wide one in
//! others, which one `w` cannot give.
//!
//! # Gradients, by hand
//! With `s_ij = ln K(d_ij / h_i)` and `g_ij = d s_ij / d ln h_i` (the kernel's slope), the
//! softmax gives `d y_i / d ln h_i = sum_j a_ij g_ij (v_j - y_i)`; with `L = sum_i r_i^2`,
//! `r_i = y_i - target_i`, and `d ln h_i / da = 1`, `d ln h_i / db = x_i - c`:
//!
//! ```text
//! dL/da = sum_i 2 r_i d y_i / d ln h_i          dL/db = sum_i 2 r_i (x_i - c) d y_i / d ln h_i
//! ```
//!
//! The fused leave-one-out pass gives each `2 r_i d y_i / d ln h_i`
//! ([`nw_tensor::ops::pool::LooFit::terms`]); tests hold both sums to finite differences.

use nw_tensor::Par;
use nw_tensor::Tensor;
use nw_tensor::kernels::radial::{Adaptive, Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{self, LooFit, Pooled, SortedKeys};

use super::{Attention, PoolOptions, Pooling, assemble, check_keys};
use crate::optim::Optimizer;
use crate::{ModelError, Result, bandwidth};

/// What the sorted sweep does not cover here, for [`ModelError::Algorithm`].
pub const ADAPTIVE: &str = "a bandwidth of each query's own (adaptive pooling)";

/// `f(q) = sum_i softmax_i(ln K((q - k_i) / h(q))) v_i` with `ln h(q) = a + b (q - c)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptivePooling {
    kernel: KernelKind,
    a: f32,
    b: f32,
    c: f32,
}

impl AdaptivePooling {
    /// The pooling with `kernel` and `ln h(q) = a + b (q - c)` (all finite).
    pub fn new(kernel: KernelKind, a: f32, b: f32, c: f32) -> Result<Self> {
        for (name, value) in [("a", a), ("b", b), ("c", c)] {
            if !value.is_finite() {
                return Err(ModelError::Parameter {
                    name,
                    expected: "a finite number",
                    value: f64::from(value),
                });
            }
        }
        Ok(AdaptivePooling { kernel, a, b, c })
    }

    /// The kernel.
    pub fn kernel(&self) -> KernelKind {
        self.kernel
    }

    /// `(a, b, c)`.
    pub fn params(&self) -> (f32, f32, f32) {
        (self.a, self.b, self.c)
    }

    /// `h(q)`.
    pub fn bandwidth_at(&self, q: f32) -> f32 {
        (f64::from(self.a) + f64::from(self.b) * (f64::from(q) - f64::from(self.c))).exp() as f32
    }
}

impl Pooling for AdaptivePooling {
    fn name(&self) -> &'static str {
        "adaptive"
    }

    fn pool_with(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        options: &PoolOptions,
    ) -> Result<Attention> {
        check_keys(keys, values)?;
        crate::algorithm::direct_only(options.algorithm, ADAPTIVE)?;
        let sorted = SortedKeys::new(keys, values)?;
        let pooled = self.kernel.visit(
            1.0,
            Fused {
                params: (self.a, self.b, self.c),
                queries,
                keys: &sorted,
                diagnostics: options.diagnostics,
                par: options.par,
            },
        );
        assemble(pooled, options, queries, keys, values, || {
            self.weight_matrix(queries, keys, options.par)
        })
    }
}

impl AdaptivePooling {
    /// The attention weights, each row a softmax of `ln K((q - k_j) / h(q))` in f64.
    fn weight_matrix(&self, queries: &[f32], keys: &[f32], par: Par) -> Result<Tensor> {
        super::weight_matrix_by(
            self.kernel,
            |q| f64::from(self.bandwidth_at(q)),
            queries,
            keys,
            par,
        )
    }
}

/// The fused pooling with an adaptive kernel, for [`KernelKind::visit`].
struct Fused<'a> {
    params: (f32, f32, f32),
    queries: &'a [f32],
    keys: &'a SortedKeys,
    diagnostics: bool,
    par: Par,
}

impl KernelVisitor for Fused<'_> {
    type Output = Pooled;
    fn visit<K: Bandwidth>(self, _kernel: K) -> Pooled {
        let (a, b, c) = self.params;
        let kernel = Adaptive::<K>::new(a, b, c);
        if self.diagnostics {
            pool::pool_diagnosed(&kernel, self.queries, self.keys, self.par)
        } else {
            pool::pool(&kernel, self.queries, self.keys, self.par)
        }
    }
}

/// The fused leave-one-out pass with an adaptive kernel.
struct Loo<'a> {
    params: (f32, f32, f32),
    data: &'a SortedKeys,
    par: Par,
}

impl KernelVisitor for Loo<'_> {
    type Output = nw_tensor::Result<LooFit>;
    fn visit<K: Bandwidth>(self, _kernel: K) -> Self::Output {
        let (a, b, c) = self.params;
        pool::loo(&Adaptive::<K>::new(a, b, c), self.data, self.par)
    }
}

/// The leave-one-out loss of adaptive pooling at `(a, b)` and its gradient `(dL/da, dL/db)`.
///
/// `a`, `b` and `c` must be finite, as for [`AdaptivePooling::new`].
pub fn loss_grad(
    kernel: KernelKind,
    data: &SortedKeys,
    (a, b, c): (f32, f32, f32),
    par: Par,
) -> Result<(f64, f64, f64)> {
    AdaptivePooling::new(kernel, a, b, c)?;
    let fit = kernel.visit(
        1.0,
        Loo {
            params: (a, b, c),
            data,
            par,
        },
    )?;
    if fit.far > 0 {
        return Err(ModelError::Isolated {
            count: fit.far,
            bandwidth: a.exp(),
        });
    }
    // `terms` are in the input order, as are the inputs `order` maps back to.
    let mut x = vec![0.0f32; data.len()];
    for (sorted, &original) in data.order().iter().enumerate() {
        x[original] = data.keys()[sorted];
    }
    let grad_a: f64 = fit.terms.iter().sum();
    let grad_b: f64 = fit
        .terms
        .iter()
        .zip(&x)
        .map(|(t, &xi)| t * (f64::from(xi) - f64::from(c)))
        .sum();
    Ok((fit.loss, grad_a, grad_b))
}

/// What to learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Learn {
    /// `a` only (`b = 0`): one log-bandwidth.
    LogBandwidth,
    /// `a` and `b`: a bandwidth that varies with `x`.
    Adaptive,
}

/// One epoch of adaptive training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaptiveEpoch {
    /// 1-based.
    pub epoch: usize,
    /// The summed leave-one-out loss before the step (f64, like every summed loss).
    pub loss: f64,
    /// `dL/da` before the step.
    pub grad_a: f64,
    /// `dL/db` before the step (0 when only `a` is learned).
    pub grad_b: f64,
    /// `a` after the step.
    pub a: f32,
    /// `b` after the step.
    pub b: f32,
}

/// The whole run.
#[derive(Clone, Debug, PartialEq)]
pub struct AdaptiveReport {
    /// One record per epoch.
    pub epochs: Vec<AdaptiveEpoch>,
    /// What makes the trained model doubtful, if anything ([`crate::train::diagnose`]).
    pub warnings: Vec<crate::train::TrainWarning>,
    /// The trained pooling.
    pub pooling: AdaptivePooling,
}

/// Trains [`AdaptivePooling`] with `kernel` on the leave-one-out loss of `(x, y)`: `a` starts
/// at the log of Silverman's bandwidth and `b` at 0, `c` is the mean of `x`; `optimizer`
/// steps `[a, b]` (or `[a]`) once per epoch.
#[allow(clippy::too_many_arguments)]
pub fn train_adaptive(
    x: &[f32],
    y: &[f32],
    kernel: KernelKind,
    learn: Learn,
    epochs: usize,
    optimizer: &mut dyn Optimizer,
    par: Par,
    observe: &mut dyn FnMut(&AdaptiveEpoch),
) -> Result<AdaptiveReport> {
    let data = crate::loo::prepare(x, y)?;
    let c = (x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64) as f32;
    let mut a = bandwidth::silverman(x, kernel)?.ln();
    let mut b = 0.0f32;
    // Grown as epochs run (see `train::train_with`).
    let mut records = Vec::new();
    for epoch in 1..=epochs {
        let (loss, grad_a, grad_b) = loss_grad(kernel, &data, (a, b, c), par)?;
        for (what, value) in [("the loss", loss), ("dL/da", grad_a), ("dL/db", grad_b)] {
            if !value.is_finite() {
                return Err(ModelError::Diverged { epoch, what, value });
            }
        }
        match learn {
            Learn::LogBandwidth => {
                let mut p = [a];
                optimizer.step(&mut p, &[grad_a])?;
                a = p[0];
            }
            Learn::Adaptive => {
                let mut p = [a, b];
                optimizer.step(&mut p, &[grad_a, grad_b])?;
                [a, b] = p;
            }
        }
        for (what, value) in [("a", a), ("b", b)] {
            if !value.is_finite() || value.abs() > 80.0 {
                return Err(ModelError::Diverged {
                    epoch,
                    what,
                    value: f64::from(value),
                });
            }
        }
        let record = AdaptiveEpoch {
            epoch,
            loss,
            grad_a,
            grad_b: if learn == Learn::Adaptive {
                grad_b
            } else {
                0.0
            },
            a,
            b,
        };
        observe(&record);
        records.push(record);
    }
    let pooling = AdaptivePooling::new(kernel, a, b, c)?;
    // h(x) is monotone in x: its extremes are at the ends of the inputs.
    let (lo, hi) = x
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let (h_a, h_b) = (
        f64::from(pooling.bandwidth_at(lo)),
        f64::from(pooling.bandwidth_at(hi)),
    );
    let losses: Vec<f64> = records.iter().map(|r| r.loss).collect();
    Ok(AdaptiveReport {
        // Training starts at the rule of thumb, so it is no yardstick here.
        warnings: crate::train::diagnose(&losses, (h_a.min(h_b), h_a.max(h_b)), x, None),
        epochs: records,
        pooling,
    })
}
