//! Training parametric pooling as the chapter does: leave-one-out keys and values, summed
//! squared loss, a gradient step per epoch on the whole training set.

use nw_tensor::{Par, Tensor};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::loss::{squared_loss, squared_loss_grad};
use crate::optim::Optimizer;
use crate::pooling::ParametricPooling;
use crate::{KernelKind, ModelError, Result, chapter, loo};

/// Where the first `w` comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// This value.
    Value(f32),
    /// Uniform on [0, 1) from a seeded generator, like the chapter's `torch.rand((1,))`.
    Uniform {
        /// The generator's seed.
        seed: u64,
    },
}

impl Init {
    /// The initial `w`.
    pub fn value(self) -> f32 {
        match self {
            Init::Value(w) => w,
            Init::Uniform { seed } => ChaCha8Rng::seed_from_u64(seed).random::<f32>(),
        }
    }
}

/// How each epoch's loss and gradient are computed; both give the same numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The chapter's tensors: `(n, n - 1)` leave-one-out keys and values, the weight matrix,
    /// `bmm`, then the hand-derived backward pass. O(n^2) memory; the reference.
    Chapter,
    /// One fused streaming pass per epoch ([`loo::loss_grad`]): O(n) memory, the default.
    Fused,
}

/// What happened in one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord {
    /// 1-based, as the chapter prints it.
    pub epoch: usize,
    /// `w` when the epoch started.
    pub w_before: f32,
    /// The summed loss at `w_before`, before the step (what the chapter prints).
    pub loss: f32,
    /// `dL/dw` at `w_before`.
    pub grad: f32,
    /// `w` after the epoch's step.
    pub w: f32,
}

/// The whole run: one record per epoch and the trained pooling.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingReport {
    /// One record per epoch, in order.
    pub epochs: Vec<EpochRecord>,
    /// The trained pooling (its `w` is the last epoch's).
    pub pooling: ParametricPooling,
}

/// Trains [`ParametricPooling`] on `(x, y)` for `epochs` steps of `optimizer` from `init`.
///
/// Each epoch evaluates the leave-one-out loss and gradient at the current `w` (each
/// training input attends to every other example), records them, then steps.
pub fn train(
    x: &[f32],
    y: &[f32],
    init: Init,
    epochs: usize,
    optimizer: &mut dyn Optimizer,
    path: Path,
    par: Par,
) -> Result<TrainingReport> {
    train_observed(x, y, init, epochs, optimizer, path, par, &mut |_| {})
}

/// [`train`], calling `observe` after each epoch (for progress reports).
#[allow(clippy::too_many_arguments)]
pub fn train_observed(
    x: &[f32],
    y: &[f32],
    init: Init,
    epochs: usize,
    optimizer: &mut dyn Optimizer,
    path: Path,
    par: Par,
    observe: &mut dyn FnMut(&EpochRecord),
) -> Result<TrainingReport> {
    train_with(
        x,
        y,
        KernelKind::Gaussian,
        init,
        epochs,
        optimizer,
        path,
        par,
        observe,
    )
}

/// [`train_observed`] with any kernel at the learned scale `w` (bandwidth `1 / |w|`); the
/// chapter's tensor path is for the Gaussian kernel only.
#[allow(clippy::too_many_arguments)]
pub fn train_with(
    x: &[f32],
    y: &[f32],
    kernel: KernelKind,
    init: Init,
    epochs: usize,
    optimizer: &mut dyn Optimizer,
    path: Path,
    par: Par,
    observe: &mut dyn FnMut(&EpochRecord),
) -> Result<TrainingReport> {
    if path == Path::Chapter && kernel != KernelKind::Gaussian {
        return Err(ModelError::ChapterKernel(kernel.name()));
    }
    if x.len() != y.len() {
        return Err(ModelError::InputsTargets {
            inputs: x.len(),
            targets: y.len(),
        });
    }
    if x.len() < 2 {
        return Err(ModelError::TooFewExamples(x.len()));
    }
    // Neither the chapter's leave-one-out tensors nor the sorted training set change between
    // epochs: build them once.
    enum Prepared {
        Chapter(Tensor, Tensor, Tensor),
        Fused(nw_tensor::ops::pool::SortedKeys),
    }
    let prepared = match path {
        Path::Chapter => Prepared::Chapter(
            Tensor::from_slice(x),
            chapter::leave_one_out(x)?,
            chapter::leave_one_out(y)?,
        ),
        Path::Fused => Prepared::Fused(loo::prepare(x, y)?),
    };
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(f64::from(v)), hi.max(f64::from(v)))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut w = init.value();
    // Grown as epochs run, not reserved from `epochs`: a huge count is the caller's to stop,
    // not an allocation to fail before the first epoch.
    let mut records = Vec::new();
    for epoch in 1..=epochs {
        let w_before = w;
        let (loss, grad) = match &prepared {
            Prepared::Chapter(queries, keys, values) => {
                let tape = ParametricPooling::new(w)?.forward_rows(queries, keys, values, par)?;
                let loss = squared_loss(tape.y_hat(), y)?;
                (loss, tape.backward(&squared_loss_grad(tape.y_hat(), y)?)?)
            }
            Prepared::Fused(data) => {
                let lg = loo::loss_grad_kernel(data, kernel, w, par)?;
                (lg.loss, lg.grad)
            }
        };
        for (what, value) in [("the loss", loss), ("the gradient", grad)] {
            if !value.is_finite() {
                return Err(ModelError::Diverged { epoch, what, value });
            }
        }
        let mut params = [w];
        optimizer.step(&mut params, &[grad])?;
        w = params[0];
        // A bandwidth under a millionth of the data's span leaves every example attending to
        // its nearest neighbour alone: the model has collapsed, and the gradient is 0 there,
        // so training would never come back. That is divergence, reported as such.
        if !w.is_finite() || f64::from(w.abs()) * span > 1e6 {
            return Err(ModelError::Diverged {
                epoch,
                what: "w",
                value: w,
            });
        }
        let record = EpochRecord {
            epoch,
            w_before,
            loss,
            grad,
            w,
        };
        observe(&record);
        records.push(record);
    }
    Ok(TrainingReport {
        epochs: records,
        pooling: ParametricPooling::with_kernel(kernel, w)?,
    })
}
