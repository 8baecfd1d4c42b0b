//! `nw-model`: Nadaraya-Watson regression as attention pooling: the estimator people use,
//! for one input or several, and the d2l chapter's models, their loss, hand-derived
//! gradients and training.
//!
//! ```
//! # let x: Vec<f64> = (0..400).flat_map(|i| [i as f64 / 40.0, (i as f64 * 0.7).cos()]).collect();
//! # let y: Vec<f64> = x.chunks(2).map(|r| r[0].sin() + r[1]).collect();
//! use nw_model::{Bandwidth, Inputs, NadarayaWatson};
//!
//! let model = NadarayaWatson::params().bandwidth(Bandwidth::Cv).fit(Inputs::new(&x, 2)?, &y)?;
//! let y_hat = model.predict(Inputs::new(&[2.0, 0.5], 2)?)?.y;
//! println!("bandwidths {:?}, CV {:?}", model.bandwidths(), model.cv());
//! # assert!((y_hat[0] - (2f64.sin() + 0.5)).abs() < 0.2, "{y_hat:?}");
//! # Ok::<(), nw_model::ModelError>(())
//! ```
//!
//! [`NadarayaWatson::params`] gives the settings ([`Params`]: kernel, [`Bandwidth`] choice,
//! far-query policy, threads, the [`Algorithm`] that sums one input), `fit` prepares `n x d`
//! f64 inputs once and chooses the bandwidths, and the fitted model predicts at any queries
//! ([`estimator`] says how, and what it took from linfa and scikit-learn).
//!
//! # The chapter's models
//! Attention pooling predicts `f(q) = sum_i alpha(q, k_i) v_i` with weights that sum to one.
//! The chapter's models: [`AveragePooling`] (`alpha = 1/m`), [`NonparametricPooling`]
//! (`alpha = softmax(-((q - k_i)/h)^2 / 2)`, Nadaraya-Watson) and [`ParametricPooling`]
//! (the same with a learnable scale `w`, trained by [`train::train`]).
//!
//! ```
//! use nw_model::{NonparametricPooling, Par, Pooling};
//!
//! let (keys, values) = ([0.0, 1.0, 2.0], [0.0, 1.0, 4.0]);
//! let out = NonparametricPooling::default().pool(&[1.0], &keys, &values, true, Par::Seq)?;
//! // Symmetric neighbours get equal weight: e^(-1/2) each, against e^0 for the middle key.
//! let a = (-0.5f32).exp() / (1.0 + 2.0 * (-0.5f32).exp());
//! assert!((out.y_hat[0] - (a * 0.0 + (1.0 - 2.0 * a) * 1.0 + a * 4.0)).abs() < 1e-6);
//! # Ok::<(), nw_model::ModelError>(())
//! ```
//!
//! # Paths
//! [`chapter`] holds the chapter's formulation as written in PyTorch (repeat, weight
//! matrix, `bmm`); it is the reference. The poolings compute the same weights in blocks of
//! queries, and [`loo`] computes the leave-one-out loss and gradient in O(n) memory; tests
//! hold all three together and against PyTorch's own results.
//!
//! # Bad arguments
//! Every path refuses the same inputs with the same [`ModelError`]: no keys
//! ([`ModelError::NoKeys`], the chapter's tensor paths included), keys without values, a NaN
//! or infinite key or value (average pooling included, though a mean needs no kernel), and
//! gradients that do not pair up with their parameters ([`Optimizer::step`] returns the error
//! and moves nothing). Sizes that come from arguments (the chapter's `n x n` tiles, weight
//! matrices) are reserved with `try_reserve_exact`, so one beyond memory is an error, not an
//! abort.
//!
//! # Numerics
//! f32 like the chapter; sums that decide a reported number (losses, gradients, means) run
//! in f64. Scores are computed in PyTorch's operation order, so they are the same bits.
//!
//! The f32 kernels hold `1 / h` and `1 / h^2`, which leave f32's range for bandwidths beyond
//! about `1e19` or below `1e-19`. So a pooling whose bandwidth, or a search whose inputs'
//! span, lies outside `[2^-20, 2^20]` ([`unit::ORDINARY`]) measures its inputs in a power of
//! two near that length (exact in floating point) and reports distances and bandwidths back
//! in the caller's units; everything else runs on the inputs as given, bit for bit.

pub mod algorithm;
pub mod bandwidth;
pub mod chapter;
pub mod error;
pub mod estimator;
pub mod far;
pub mod kernel;
pub mod loo;
pub mod loss;
pub mod optim;
pub mod optimize;
pub mod pooling;
pub mod train;
pub mod unit;

pub use algorithm::Algorithm;
pub use error::{ModelError, Result};
pub use estimator::{BandKind, BandOptions, BandWarning, Bands, Bias, Multipliers, Variance};
pub use estimator::{
    Bandwidth, Chosen, Evaluation, FitStats, Inputs, NadarayaWatson, Params, PredictOptions,
    Prediction,
};
pub use far::Far;
pub use nw_tensor::Par;
pub use nw_tensor::kernels::radial::KernelKind;
pub use optim::{Adam, Optimizer, Sgd};
pub use pooling::adaptive::{AdaptiveEpoch, AdaptiveReport, Learn, train_adaptive};
pub use pooling::{
    AdaptivePooling, Attention, AveragePooling, Diagnostics, NonparametricPooling,
    ParametricPooling, PoolOptions, Pooling,
};
pub use train::{
    EpochRecord, Init, Path, TrainWarning, TrainingReport, train, train_observed, train_with,
};
