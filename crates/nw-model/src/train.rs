//! Training parametric pooling as the chapter does: leave-one-out keys and values, summed
//! squared loss, a gradient step per epoch on the whole training set.

use nw_tensor::{Par, Tensor};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::algorithm::{self, Algorithm};
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
    /// The pass is the direct one or the sorted sweep, as the [`Algorithm`] chooses.
    Fused,
}

/// What happened in one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord {
    /// 1-based, as the chapter prints it.
    pub epoch: usize,
    /// `w` when the epoch started.
    pub w_before: f32,
    /// The summed loss at `w_before`, before the step (what the chapter prints), in f64: a
    /// sum of squared errors can exceed f32's range.
    pub loss: f64,
    /// `dL/dw` at `w_before`.
    pub grad: f64,
    /// `w` after the epoch's step.
    pub w: f32,
}

/// The whole run: one record per epoch and the trained pooling.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingReport {
    /// One record per epoch, in order.
    pub epochs: Vec<EpochRecord>,
    /// What makes the trained model doubtful, if anything ([`diagnose`]).
    pub warnings: Vec<TrainWarning>,
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
        Algorithm::Auto,
        par,
        observe,
    )
}

/// [`train_observed`] with any kernel at the learned scale `w` (bandwidth `1 / |w|`); the
/// chapter's tensor path is for the Gaussian kernel only. On the fused path each epoch's
/// leave-one-out loss and gradient (and the rule of thumb's loss beside them) are summed by
/// `algorithm` ([`crate::algorithm`]); the chapter's tensors are neither, so
/// [`Algorithm::Sweep`] with [`Path::Chapter`] is an error.
#[allow(clippy::too_many_arguments)]
pub fn train_with(
    x: &[f32],
    y: &[f32],
    kernel: KernelKind,
    init: Init,
    epochs: usize,
    optimizer: &mut dyn Optimizer,
    path: Path,
    algorithm: Algorithm,
    par: Par,
    observe: &mut dyn FnMut(&EpochRecord),
) -> Result<TrainingReport> {
    if path == Path::Chapter && kernel != KernelKind::Gaussian {
        return Err(ModelError::ChapterKernel(kernel.name()));
    }
    if path == Path::Chapter {
        algorithm::direct_only(algorithm, "the chapter's tensor path")?;
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
                let grad = tape.backward(&squared_loss_grad(tape.y_hat(), y)?)?;
                (loss, f64::from(grad))
            }
            Prepared::Fused(data) => {
                let lg = loo::loss_grad_kernel(data, kernel, w, algorithm, par)?;
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
                value: f64::from(w),
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
    let losses: Vec<f64> = records.iter().map(|r| r.loss).collect();
    let h = 1.0 / f64::from(w.abs());
    // One more leave-one-out pass, at a rule of thumb: the yardstick training must beat.
    let rule = match crate::bandwidth::silverman(x, kernel) {
        Ok(rule_h) => {
            let data = match &prepared {
                Prepared::Fused(data) => std::borrow::Cow::Borrowed(data),
                Prepared::Chapter(..) => std::borrow::Cow::Owned(loo::prepare(x, y)?),
            };
            loo::loss_grad_kernel(&data, kernel, 1.0 / rule_h, algorithm, par)
                .ok()
                .map(|lg| (f64::from(rule_h), lg.loss))
        }
        Err(_) => None,
    };
    Ok(TrainingReport {
        warnings: diagnose(&losses, (h, h), x, rule),
        epochs: records,
        pooling: ParametricPooling::with_kernel(kernel, w)?,
    })
}

/// Why a trained bandwidth deserves less trust than an ordinary answer.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainWarning {
    /// The loss stayed where it started: the gradient vanished, so nothing was learned.
    LossFlat {
        /// Epochs run.
        epochs: usize,
        /// The loss, first epoch.
        loss: f64,
    },
    /// The learned bandwidth is below the smallest gap between distinct inputs: every
    /// prediction is its nearest neighbour's target.
    BelowSmallestGap {
        /// The (smallest) learned bandwidth.
        h: f64,
        /// The smallest gap.
        gap: f64,
    },
    /// Even the best epoch's leave-one-out loss is above that of Silverman's rule of thumb:
    /// training did worse at its own objective than a formula.
    WorseThanRule {
        /// The lowest loss of any epoch.
        loss: f64,
        /// Silverman's bandwidth for the kernel.
        rule_h: f64,
        /// The leave-one-out loss there.
        rule_loss: f64,
    },
    /// The learned bandwidth is wider than the inputs' span: every prediction is about the
    /// mean of the targets.
    AboveSpan {
        /// The (largest) learned bandwidth.
        h: f64,
        /// The span.
        span: f64,
    },
}

impl TrainWarning {
    /// A short stable name for machine-readable reports (`loss_flat`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            TrainWarning::LossFlat { .. } => "loss_flat",
            TrainWarning::BelowSmallestGap { .. } => "below_smallest_gap",
            TrainWarning::WorseThanRule { .. } => "worse_than_rule",
            TrainWarning::AboveSpan { .. } => "above_span",
        }
    }
}

impl std::fmt::Display for TrainWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const BETTER: &str = "`nw bandwidth` chooses h by cross-validation";
        match self {
            TrainWarning::LossFlat { epochs, loss } => write!(
                f,
                "the loss did not move in {epochs} epochs (it stayed at {loss:.6e}): the \
                 gradient vanished at this scale, so nothing was learned; the scale w (bandwidth \
                 1/|w|) is probably far from the inputs' own scale; {BETTER}"
            ),
            TrainWarning::BelowSmallestGap { h, gap } => write!(
                f,
                "the learned bandwidth {h:.6e} is below the smallest gap between distinct \
                 inputs ({gap:.6e}): each prediction is just its nearest neighbour's target; \
                 {BETTER}"
            ),
            TrainWarning::WorseThanRule {
                loss,
                rule_h,
                rule_loss,
            } => write!(
                f,
                "training ended worse at its own objective than a rule of thumb: its best \
                 leave-one-out loss {loss:.6} is above {rule_loss:.6}, the loss at Silverman's \
                 bandwidth {rule_h:.6} (the steps overshot or stalled: try a smaller --lr or \
                 --optimizer adam); {BETTER}"
            ),
            TrainWarning::AboveSpan { h, span } => write!(
                f,
                "the learned bandwidth {h:.6e} is wider than the inputs' span ({span:.6e}): \
                 every prediction is about the mean of y; {BETTER}"
            ),
        }
    }
}

/// Relative change below which a loss has not moved: f64 sums of f32 predictions carry
/// ~1e-7 rounding, far below any step that learns.
const LOSS_STILL: f64 = 1e-6;

/// The warnings a run calls for: a loss that never moved (`losses`, one per epoch), a
/// learned bandwidth (`h_range`, its least and greatest value over the inputs) below the
/// smallest gap between distinct inputs `x` or above their span, or a best loss above
/// `rule`'s (a rule of thumb's bandwidth and its loss). Exposed so every trainer reports
/// alike.
pub fn diagnose(
    losses: &[f64],
    (h_lo, h_hi): (f64, f64),
    x: &[f32],
    rule: Option<(f64, f64)>,
) -> Vec<TrainWarning> {
    let mut warnings = Vec::new();
    if let (Some(&first), true) = (losses.first(), losses.len() >= 2) {
        let (lo, hi) = losses
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(v), h.max(v))
            });
        if hi - lo <= LOSS_STILL * first.abs() {
            warnings.push(TrainWarning::LossFlat {
                epochs: losses.len(),
                loss: first,
            });
        }
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f32::total_cmp);
    // Inputs that are all equal have no gap and no span to compare with.
    if let Ok(spread) = crate::bandwidth::Spread::of(&sorted) {
        if h_lo < spread.min_gap {
            warnings.push(TrainWarning::BelowSmallestGap {
                h: h_lo,
                gap: spread.min_gap,
            });
        }
        if h_hi > spread.span {
            warnings.push(TrainWarning::AboveSpan {
                h: h_hi,
                span: spread.span,
            });
        }
    }
    let best = losses.iter().copied().fold(f64::INFINITY, f64::min);
    if let Some((rule_h, rule_loss)) = rule
        && best > rule_loss * (1.0 + LOSS_STILL)
    {
        warnings.push(TrainWarning::WorseThanRule {
            loss: best,
            rule_h,
            rule_loss,
        });
    }
    warnings
}
