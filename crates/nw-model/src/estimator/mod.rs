//! The estimator: settings, [`fit`](Params::fit) once, a fitted model to hold, and
//! [`predict`](NadarayaWatson::predict) as often as needed, for one input or several.
//!
//! ```
//! use nw_model::{Bandwidth, Far, Inputs, KernelKind, NadarayaWatson, PredictOptions};
//!
//! // One input, a compact kernel and a fixed bandwidth: a query beyond the kernel's reach
//! // has no estimate, and the far-query policy decides what it gets.
//! let (x, y) = ([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 4.0, 9.0]);
//! let model = NadarayaWatson::params()
//!     .kernel(KernelKind::Epanechnikov)
//!     .bandwidth(Bandwidth::Fixed(1.5))
//!     .far(Far::Nan)
//!     .fit(Inputs::column(&x), &y)?;
//! let options = PredictOptions { diagnostics: true, ..Default::default() };
//! let out = model.predict_with(Inputs::column(&[1.5, 10.0]), &options)?;
//! assert_eq!(out.y[0], 2.5); // keys 1 and 2 alone are in reach, with equal weights
//! assert!(out.y[1].is_nan() && out.far == [1]);
//! assert_eq!(out.diagnostics.unwrap().effective_keys[0], 2.0);
//! # Ok::<(), nw_model::ModelError>(())
//! ```
//!
//! # What we took from linfa and scikit-learn
//! From linfa: settings are a value of their own ([`Params`], built with
//! [`NadarayaWatson::params`]), checked when `fit` turns them and the data into a model; the
//! fitted model is a different type from its settings, so an unfitted model cannot be asked
//! to predict. From scikit-learn: `fit` validates and prepares the data once and learns what
//! the data decide (the bandwidths, their CV score, how they were chosen: the `bandwidth_`
//! and `best_score_` of a search), `predict` refuses queries with a different number of
//! inputs than the model was fitted on (`n_features_in_`), and every setting has a default.
//! Left out: linfa's `Dataset` type (a slice of `n x d` values and a dimension count,
//! [`Inputs`], asks nothing of the caller), and scikit-learn's mutable `set_params`.
//!
//! # Preparing the data
//! Inputs and targets arrive as f64. Each column is measured from its own origin
//! ([`nw_data::Origin`]: the midpoint of its range when that lies far from zero) before it
//! becomes the f32 the kernels take, and predictions get the targets' origin back in f64, so
//! Unix seconds or coordinates near `1e6` keep their resolution. With several inputs, each
//! column is also measured in a power of two near its span when that span is extreme
//! (exactly, see [`crate::unit`]), and the keys are sorted once along the input where the
//! kernel's window is narrowest relative to the data, for the fused kernel's pruning.
//!
//! # One input
//! With one input the model runs the one-dimensional paths of this crate unchanged
//! ([`crate::bandwidth::select`], the sorted fused kernel): its results are the same bits as
//! [`NonparametricPooling`](crate::NonparametricPooling) on the same shifted data.
//!
//! # Algorithm
//! [`Params::algorithm`] chooses how Nadaraya-Watson sums over one input: the direct pass,
//! the sorted sweep, or (the default) the faster of the two by the cost model
//! ([`crate::algorithm`]). The model keeps it and uses it wherever the sweep applies: the CV
//! search `fit` runs (its [`Search::algorithm`] is replaced by this one, so one setting
//! governs the whole model), predictions at degree 0, and
//! [`cross_validate`](NadarayaWatson::cross_validate). With [`Algorithm::Auto`] the rest
//! (several inputs, degree 1 or 2, the corrected AIC, the weight matrix, diagnostics) takes
//! the direct path; [`Algorithm::Sweep`] there is [`ModelError::Algorithm`], from `fit` when
//! the settings alone rule it out, else from the call that asks for it.

mod bands;
mod learn;
mod local;
mod nd;
mod select;
mod warning;

use nw_data::Origin;
use nw_tensor::Tensor;
use nw_tensor::ops::pool::SortedKeys;
use nw_tensor::ops::pool_nd::KeysNd;

pub use bands::{
    BandKind, BandOptions, BandWarning, Bands, Bias, Multipliers, Variance, normal_quantile,
};
pub use learn::BandwidthEpoch;
use nw_tensor::Par;
pub use select::{Evaluation, STARTS, UPPER_SPANS};
pub use warning::Warning;

use crate::algorithm::Algorithm;
use crate::bandwidth::{CvPoint, Search};
use crate::far::Far;
use crate::pooling::{Diagnostics, PoolOptions};
use crate::{KernelKind, ModelError, Result};

/// `n x d` input values, row-major: row `i` is `values[i * d..(i + 1) * d]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inputs<'a> {
    values: &'a [f64],
    dim: usize,
}

impl<'a> Inputs<'a> {
    /// Rows of `dim` values each; errors unless `dim >= 1` divides `values.len()`.
    pub fn new(values: &'a [f64], dim: usize) -> Result<Self> {
        if dim == 0 || !values.len().is_multiple_of(dim) {
            return Err(ModelError::Inputs {
                len: values.len(),
                dim,
            });
        }
        Ok(Inputs { values, dim })
    }

    /// One input per row.
    pub fn column(values: &'a [f64]) -> Self {
        Inputs { values, dim: 1 }
    }

    /// Inputs per row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values, row-major.
    pub fn values(&self) -> &'a [f64] {
        self.values
    }

    /// Input `j` of every row.
    pub fn column_values(&self, j: usize) -> Vec<f64> {
        self.values
            .iter()
            .skip(j)
            .step_by(self.dim)
            .copied()
            .collect()
    }

    /// The first value that is not finite, as `(row, input, value)`.
    fn first_not_finite(&self) -> Option<(usize, usize, f64)> {
        let i = self.values.iter().position(|v| !v.is_finite())?;
        Some((i / self.dim, i % self.dim, self.values[i]))
    }
}

/// How the bandwidths are chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Bandwidth {
    /// The same bandwidth for every input.
    Fixed(f64),
    /// One bandwidth per input, in the inputs' order.
    PerInput(Vec<f64>),
    /// Silverman's rule of thumb on each input ([`crate::bandwidth::silverman`]), at the rate
    /// `n^(-1/(d+4))` of a `d`-dimensional normal reference.
    Silverman,
    /// Scott's rule of thumb on each input ([`crate::bandwidth::scott`]), at the same rate.
    Scott,
    /// Leave-one-out cross-validation: the global search of [`crate::bandwidth::select`] for one
    /// input, a quasi-Newton search over the log-bandwidths from several starts for more.
    Cv,
    /// Hurvich, Simonoff and Tsai's corrected AIC (statsmodels' `bw='aic'`, np's `cv.aic`),
    /// searched as [`Bandwidth::Cv`] is (a coordinate search for several inputs).
    Aic,
}

impl Bandwidth {
    /// The lower-case name used in reports (`fixed`, `silverman`, `scott`, `cv`).
    pub fn name(&self) -> &'static str {
        match self {
            Bandwidth::Fixed(_) | Bandwidth::PerInput(_) => "fixed",
            Bandwidth::Silverman => "silverman",
            Bandwidth::Scott => "scott",
            Bandwidth::Cv => "cv",
            Bandwidth::Aic => "aic",
        }
    }
}

/// The settings of a Nadaraya-Watson regression, before any data.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The kernel: a product of its one-dimensional profile over the inputs.
    pub kernel: KernelKind,
    /// How the bandwidths are chosen.
    pub bandwidth: Bandwidth,
    /// What a query with no kernel estimate gets.
    pub far: Far,
    /// Threads.
    pub par: Par,
    /// The cross-validation search: the grid of one input, and for every dimension the
    /// share of examples that may be left out for isolation (`max_isolated`).
    pub search: Search,
    /// The quasi-Newton search of several inputs.
    pub lbfgs: crate::optimize::Lbfgs,
    /// The degree of the local polynomial: 0 (Nadaraya-Watson, local constant), 1 (local
    /// linear, any number of inputs) or 2 (local quadratic, one input).
    pub degree: usize,
    /// How Nadaraya-Watson sums over one input, for the CV search (in place of
    /// `search.algorithm`), predictions and `cross_validate` (see the module docs).
    pub algorithm: Algorithm,
}

impl Default for Params {
    /// The Gaussian kernel, bandwidths by cross-validation, far queries refused, on the rayon
    /// pool, the algorithm by the cost model.
    fn default() -> Self {
        Params {
            kernel: KernelKind::Gaussian,
            bandwidth: Bandwidth::Cv,
            far: Far::Error,
            par: Par::Rayon,
            search: Search::default(),
            lbfgs: crate::optimize::Lbfgs::default(),
            degree: 0,
            algorithm: Algorithm::Auto,
        }
    }
}

impl Params {
    /// With `kernel`.
    pub fn kernel(mut self, kernel: KernelKind) -> Self {
        self.kernel = kernel;
        self
    }

    /// With bandwidths chosen by `bandwidth`.
    pub fn bandwidth(mut self, bandwidth: Bandwidth) -> Self {
        self.bandwidth = bandwidth;
        self
    }

    /// With queries that have no estimate handled by `far`.
    pub fn far(mut self, far: Far) -> Self {
        self.far = far;
        self
    }

    /// On `par`.
    pub fn par(mut self, par: Par) -> Self {
        self.par = par;
        self
    }

    /// With the cross-validation search `search`.
    pub fn search(mut self, search: Search) -> Self {
        self.search = search;
        self
    }

    /// With the quasi-Newton search `lbfgs` for several inputs.
    pub fn lbfgs(mut self, lbfgs: crate::optimize::Lbfgs) -> Self {
        self.lbfgs = lbfgs;
        self
    }

    /// With local polynomials of `degree` (0, 1, or 2 for one input).
    pub fn degree(mut self, degree: usize) -> Self {
        self.degree = degree;
        self
    }

    /// With Nadaraya-Watson's sums over one input by `algorithm`.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Fits the model to `x` (n rows of d inputs) and targets `y` (n of them).
    pub fn fit(&self, x: Inputs<'_>, y: &[f64]) -> Result<NadarayaWatson> {
        self.fit_observed(x, y, &mut |_| {})
    }

    /// [`fit`](Self::fit), calling `observe` after each cross-validation evaluation (for
    /// progress reports).
    pub fn fit_observed(
        &self,
        x: Inputs<'_>,
        y: &[f64],
        observe: &mut dyn FnMut(&Evaluation),
    ) -> Result<NadarayaWatson> {
        self.search.check()?;
        if self.degree > 2 || (self.degree == 2 && x.dim() > 1) {
            return Err(ModelError::Degree {
                degree: self.degree,
                dim: x.dim(),
            });
        }
        self.check_algorithm(x.dim())?;
        let data = Data::prepare(x, y)?;
        let (bandwidths, chosen) = select::choose(self, &data, observe)?;
        let data = data.sorted_for(&bandwidths)?;
        Ok(NadarayaWatson {
            kernel: self.kernel,
            degree: self.degree,
            algorithm: self.algorithm,
            far: self.far,
            par: self.par,
            data,
            bandwidths,
            chosen,
            training: std::sync::OnceLock::new(),
            squares: std::sync::OnceLock::new(),
        })
    }

    /// Refuses [`Algorithm::Sweep`] for settings whose every pass is direct: several inputs,
    /// a local polynomial, the corrected AIC.
    fn check_algorithm(&self, dim: usize) -> Result<()> {
        let what = if dim > 1 {
            "several inputs"
        } else if self.degree > 0 {
            "local linear or quadratic fits (degree 1 or 2)"
        } else if self.bandwidth == Bandwidth::Aic {
            "the corrected AIC (it needs each row's own weight)"
        } else {
            return Ok(());
        };
        crate::algorithm::direct_only(self.algorithm, what)
    }
}

/// How the bandwidths in use were chosen, and how much to trust them.
#[derive(Clone, Debug, PartialEq)]
pub struct Chosen {
    /// The choice asked for.
    pub bandwidth: Bandwidth,
    /// The leave-one-out CV score at the bandwidths (mean squared error over the examples
    /// with an estimate), when cross-validation chose them.
    pub cv: Option<f64>,
    /// The corrected AIC at the bandwidths, when it chose them.
    pub aic: Option<f64>,
    /// Examples left out of `cv` for having no other within a compact kernel's reach.
    pub isolated: usize,
    /// CV evaluations made.
    pub evaluations: usize,
    /// Per input, the least and greatest bandwidth the search could reach.
    pub searched: Vec<(f64, f64)>,
    /// With one input, every point of the criterion's curve evaluated (CV, or AIC), by
    /// increasing bandwidth.
    pub curve: Vec<CvPoint>,
    /// What makes the answer weak, if anything.
    pub warnings: Vec<Warning>,
}

/// A fitted Nadaraya-Watson regression: the prepared training data and the bandwidths in
/// use. Predicts at any number of queries with the same inputs.
#[derive(Clone, Debug)]
pub struct NadarayaWatson {
    kernel: KernelKind,
    /// The local polynomial's degree.
    pub(crate) degree: usize,
    /// How Nadaraya-Watson sums over one input.
    algorithm: Algorithm,
    far: Far,
    par: Par,
    data: Data,
    /// In the inputs' units.
    bandwidths: Vec<f64>,
    chosen: Chosen,
    /// The fit at the training rows and its leverages, computed once when first needed (a
    /// pass over every training pair in reach: bands and fit statistics share it).
    training: std::sync::OnceLock<(Vec<f64>, Vec<f64>)>,
    /// The squared residuals smoothed at the training rows, for heteroscedastic bands: once.
    squares: std::sync::OnceLock<Vec<f64>>,
}

/// What [`NadarayaWatson::predict_with`] returns besides the predictions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PredictOptions {
    /// Also return per-query [`Diagnostics`].
    pub diagnostics: bool,
    /// Also return the attention weights, queries x keys (O(queries x keys) memory); degree
    /// 0 only.
    pub weights: bool,
    /// Also return the slopes of a local linear or quadratic fit.
    pub slopes: bool,
}

/// Predictions at queries, in query order.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The estimate at each query, in the targets' units: the f32 the kernels computed, in
    /// f64, plus the targets' origin where they were shifted (then with only the digits the
    /// f32 held, see [`Origin::shortest`]); NaN only where the far-query policy is
    /// [`Far::Nan`].
    pub y: Vec<f64>,
    /// The queries that had no kernel estimate (their `y` follows the far-query policy).
    pub far: Vec<usize>,
    /// Per-query diagnostics, when asked for. With several inputs, `nearest_distance` is in
    /// bandwidths (the kernel's scaled distance: Euclidean for the Gaussian, L1 for the
    /// Laplace, the largest coordinate for the compact kernels).
    pub diagnostics: Option<Diagnostics>,
    /// The attention weights, queries x training rows in their input order, when asked for.
    pub weights: Option<Tensor>,
    /// The local fit's slope `dy/dx_j` at each query, queries x inputs row-major, in the
    /// targets' units per unit of each input, when asked for (degree 1 or 2); NaN where the
    /// query had no estimate, whatever the far-query policy gave its `y`.
    pub slopes: Option<Vec<f64>>,
}

/// How a model fits its own training rows ([`NadarayaWatson::fit_stats`]), over the rows
/// that have an estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct FitStats {
    /// `1 - RSS / TSS`: the share of the targets' variance about their mean that the fit
    /// explains, in sample (NaN for constant targets). statsmodels' `KernelReg.r_squared` is
    /// the squared correlation of targets and fit instead, which is the same for a least
    /// squares fit with an intercept but not for a smoother.
    pub r_squared: f64,
    /// Hurvich, Simonoff and Tsai's corrected AIC, `ln(RSS / m) + (1 + tr(H) / m) / (1 -
    /// (tr(H) + 2) / m)` over `m` rows (`+inf` once `tr(H) + 2 >= m`).
    pub aic: f64,
    /// `tr(H)`, the sum of each row's own weight in its fit: the effective number of
    /// parameters.
    pub trace: f64,
    /// The residual sum of squares, in the targets' units squared.
    pub rss: f64,
    /// Rows with an estimate (`m`).
    pub scored: usize,
    /// Rows without one (a compact kernel's lone row, or a local polynomial's singular
    /// system).
    pub no_fit: usize,
}

/// The leave-one-out CV and its gradient at given bandwidths
/// ([`NadarayaWatson::cross_validate`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Loo {
    /// `sum_i (y_hat_{-i} - y_i)^2` over the examples with an estimate.
    pub loss: f64,
    /// `loss` over the number of examples it sums (`+inf` when none has an estimate).
    pub cv: f64,
    /// `d loss / d ln h_j`, one per input.
    pub grad: Vec<f64>,
    /// Examples with no leave-one-out estimate.
    pub isolated: usize,
}

impl NadarayaWatson {
    /// Default settings, to adjust and [`fit`](Params::fit).
    pub fn params() -> Params {
        Params::default()
    }

    /// The kernel.
    pub fn kernel(&self) -> KernelKind {
        self.kernel
    }

    /// The degree of the local polynomial (0 for Nadaraya-Watson).
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// How Nadaraya-Watson sums over one input (the setting, not what each call ran).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Inputs per row.
    pub fn dim(&self) -> usize {
        self.data.dim
    }

    /// Training rows.
    pub fn len(&self) -> usize {
        self.data.n
    }

    /// Never true: a model has at least one training row.
    pub fn is_empty(&self) -> bool {
        self.data.n == 0
    }

    /// The bandwidth of each input, in that input's units: an f32 the kernels use exactly
    /// (times a power of two), widened to f64.
    pub fn bandwidths(&self) -> &[f64] {
        &self.bandwidths
    }

    /// The leave-one-out CV score at the bandwidths, when cross-validation chose them.
    pub fn cv(&self) -> Option<f64> {
        self.chosen.cv
    }

    /// How the bandwidths were chosen, with the warnings of a weak answer.
    pub fn chosen(&self) -> &Chosen {
        &self.chosen
    }

    /// The far-query policy.
    pub fn far(&self) -> Far {
        self.far
    }

    /// What each input column is measured from in the kernels.
    pub fn origins(&self) -> &[Origin] {
        &self.data.origins
    }

    /// What the targets are measured from.
    pub fn target_origin(&self) -> Origin {
        self.data.y_origin
    }

    /// Per input, how far the distances the kernels compute can be from the given f64 values,
    /// at most: the rounding of the f32 inputs measured from their origin (see
    /// `nw_data::origin`), and with several inputs that of the d-dimensional kernel's scaled
    /// coordinates (`2^-24` of half the span). Compare with the bandwidth: above a thousandth
    /// of it, weights are off by as much.
    pub fn rounding(&self) -> &[f64] {
        &self.data.rounding
    }

    /// The same model with another far-query policy (nothing is refitted).
    pub fn with_far(mut self, far: Far) -> Self {
        self.far = far;
        self
    }

    /// Predictions at `queries` (rows with as many inputs as the training data).
    pub fn predict(&self, queries: Inputs<'_>) -> Result<Prediction> {
        self.predict_with(queries, &PredictOptions::default())
    }

    /// [`predict`](Self::predict), with what `options` asks for besides.
    pub fn predict_with(
        &self,
        queries: Inputs<'_>,
        options: &PredictOptions,
    ) -> Result<Prediction> {
        if queries.dim() != self.data.dim {
            return Err(ModelError::Dimension {
                expected: self.data.dim,
                got: queries.dim(),
            });
        }
        if let Some((row, input, value)) = queries.first_not_finite() {
            return Err(ModelError::NotFinite {
                what: "queries",
                row,
                input: Some(input),
                value,
            });
        }
        let q = self.data.kernel_coordinates(queries);
        let h = self.kernel_bandwidths();
        if self.degree > 0 {
            return self.predict_local(&q, &h, options);
        }
        if options.slopes {
            return Err(ModelError::SlopesDegree);
        }
        // The one-input pooling names a far query by its value as the kernels saw it,
        // measured from the inputs' origin: give the caller's value back.
        self.predict_kernel(&q, &h, options, self.far)
            .map_err(|e| match e {
                ModelError::FarQueries { count, index, .. } => ModelError::FarQueries {
                    count,
                    index,
                    query: queries.values()[index] as f32,
                },
                e => e,
            })
    }

    /// A local linear or quadratic fit at queries `q` (kernel coordinates, kernel bandwidths
    /// `h`): the far-query policy for queries without an estimate, the slopes and the
    /// kernel's diagnostics when asked for.
    fn predict_local(&self, q: &[f32], h: &[f32], options: &PredictOptions) -> Result<Prediction> {
        if options.weights {
            return Err(ModelError::WeightsDegree(self.degree));
        }
        let fit = local::predict(self.kernel, self.degree, h, q, &self.data, self.par)?;
        let mut y = fit.y;
        if self.far == Far::Error
            && let Some(index) = y.iter().position(|v| v.is_nan())
        {
            return Err(ModelError::NoLocalFit {
                count: y.iter().filter(|v| v.is_nan()).count(),
                index,
                degree: self.degree,
            });
        }
        let far = self.apply_far(q, h, &mut y)?;
        // The kernel's weights are the same whatever polynomial they fit.
        let diagnostics = if options.diagnostics {
            let diagnosed = PredictOptions {
                diagnostics: true,
                ..Default::default()
            };
            self.predict_kernel(q, h, &diagnosed, Far::Nan)?.diagnostics
        } else {
            None
        };
        let slopes = options.slopes.then(|| {
            fit.slopes
                .chunks_exact(self.data.dim)
                .flat_map(|row| {
                    row.iter()
                        .zip(&self.data.units)
                        .map(|(&b, &u)| f64::from(b) / u)
                })
                .collect()
        });
        Ok(self.prediction(y, far, diagnostics, None, slopes))
    }

    /// The Nadaraya-Watson pooling at queries already in kernel coordinates, with far-query
    /// policy `far`.
    fn predict_kernel(
        &self,
        q: &[f32],
        h: &[f32],
        options: &PredictOptions,
        far: Far,
    ) -> Result<Prediction> {
        let pool_options = PoolOptions {
            weights: options.weights,
            diagnostics: options.diagnostics,
            far,
            par: self.par,
            algorithm: self.algorithm,
        };
        let attention = match &self.data.keys {
            Keys::One(sorted) => crate::pooling::kernel_pool_prepared(
                self.kernel,
                h[0],
                q,
                Some(sorted),
                &self.data.x,
                &self.data.y,
                &pool_options,
            )?,
            Keys::Many(keys) => nd::pool(self, q, h, keys, &pool_options)?,
        };
        Ok(self.prediction(
            attention.y_hat,
            attention.far,
            attention.diagnostics,
            attention.weights,
            None,
        ))
    }

    /// The far-query policy on the queries (kernel coordinates) whose estimate is NaN.
    fn apply_far(&self, q: &[f32], h: &[f32], y: &mut [f32]) -> Result<Vec<usize>> {
        if self.data.dim == 1 {
            crate::far::apply(self.far, q, y, &self.data.x, &self.data.y)
        } else {
            nd::apply_far(self, q, h, y, self.far)
        }
    }

    /// A [`Prediction`] from the kernels' f32 estimates (targets measured from their origin).
    fn prediction(
        &self,
        y: Vec<f32>,
        far: Vec<usize>,
        diagnostics: Option<Diagnostics>,
        weights: Option<Tensor>,
        slopes: Option<Vec<f64>>,
    ) -> Prediction {
        let y_origin = self.data.y_origin;
        Prediction {
            y: y.iter().map(|&v| y_origin.shortest(v)).collect(),
            far,
            diagnostics,
            weights,
            slopes,
        }
    }

    /// The leave-one-out CV at `bandwidths` (one per input, in the inputs' units), with the
    /// summed loss and its gradient with respect to each log-bandwidth (divide by the
    /// examples scored, `len() - isolated`, for the gradient of CV), in one fused pass.
    ///
    /// A local linear or quadratic model has no gradient in its pass: `grad` is NaN then.
    pub fn cross_validate(&self, bandwidths: &[f64]) -> Result<Loo> {
        let h = self.data.to_kernel_bandwidths(bandwidths)?;
        if self.degree == 0 {
            return select::loo(self.kernel, &self.data, &h, true, self.algorithm, self.par);
        }
        let l = local::loo(self.kernel, self.degree, &h, &self.data, self.par)?;
        let scored = self.data.n - l.far;
        Ok(Loo {
            loss: l.loss,
            cv: if scored == 0 {
                f64::INFINITY
            } else {
                l.loss / scored as f64
            },
            grad: vec![f64::NAN; self.data.dim],
            isolated: l.far,
        })
    }

    /// How the model fits its own training rows: R^2, the corrected AIC and the trace of the
    /// smoother matrix, from one pass at the rows (see [`FitStats`]).
    pub fn fit_stats(&self) -> Result<FitStats> {
        let (fit, leverage) = self.training_fit()?;
        let a = local::aic(fit, leverage, &self.data.y);
        let rows = || {
            fit.iter()
                .zip(&self.data.y)
                .filter(|(f, _)| !f.is_nan())
                .map(|(&f, &y)| (f, f64::from(y)))
        };
        let m = a.scored as f64;
        let mean = rows().map(|(_, y)| y).sum::<f64>() / m;
        let tss: f64 = rows().map(|(_, y)| (y - mean).powi(2)).sum();
        let rss = a.sigma2 * m;
        Ok(FitStats {
            r_squared: 1.0 - rss / tss,
            aic: a.value,
            trace: a.trace,
            rss,
            scored: a.scored,
            no_fit: self.data.n - a.scored,
        })
    }

    /// The fit at the training rows (targets measured from their origin) and each row's own
    /// weight in it, computed on first use and kept.
    pub(crate) fn training_fit(&self) -> Result<&(Vec<f64>, Vec<f64>)> {
        if let Some(done) = self.training.get() {
            return Ok(done);
        }
        let h = self.kernel_bandwidths();
        let fit = local::training_fit(self.kernel, self.degree, &h, &self.data, self.par)?;
        Ok(self.training.get_or_init(|| (fit.fit, fit.leverage)))
    }

    /// `sigma^2(k_i)`: the Nadaraya-Watson smooth of the squared `residuals` (those that
    /// exist) at each training row, by the fused pooling (a row without a residual is not a
    /// key), computed on first use and kept (the residuals are the model's own).
    pub(crate) fn smoothed_squares(&self, residuals: &[f64]) -> Result<&Vec<f64>> {
        if let Some(done) = self.squares.get() {
            return Ok(done);
        }
        let h = self.kernel_bandwidths();
        let s = local::smooth_at_rows(self.kernel, &h, &self.data, residuals, self.par)?;
        Ok(self.squares.get_or_init(|| s))
    }

    /// The bandwidths as the kernels take them: f32, in the units the kernels measure each
    /// input in.
    fn kernel_bandwidths(&self) -> Vec<f32> {
        self.bandwidths
            .iter()
            .zip(&self.data.units)
            .map(|(&h, &u)| (h / u) as f32)
            .collect()
    }

    /// The training rows as the kernels see them (row-major, measured from each column's
    /// origin in its unit), and the targets measured from theirs: for tests and plots.
    pub fn training_coordinates(&self) -> (&[f32], &[f32]) {
        (&self.data.x, &self.data.y)
    }
}

/// The training data, validated and prepared once.
#[derive(Clone, Debug)]
pub(crate) struct Data {
    /// Inputs per row.
    pub(crate) dim: usize,
    /// Rows.
    pub(crate) n: usize,
    /// Per column, what it is measured from.
    pub(crate) origins: Vec<Origin>,
    /// Per column, the power of two it is measured in (1 for one input, whose unit the
    /// one-dimensional paths choose themselves).
    pub(crate) units: Vec<f64>,
    /// The inputs as the kernels take them, row-major, in the input order.
    pub(crate) x: Vec<f32>,
    /// The targets measured from `y_origin`.
    pub(crate) y: Vec<f32>,
    /// What the targets are measured from.
    pub(crate) y_origin: Origin,
    /// Per column, the largest distance between a given input and its f32.
    pub(crate) rounding: Vec<f64>,
    /// The keys sorted for the fused kernels.
    pub(crate) keys: Keys,
}

/// Sorted keys: the one-dimensional kernel's, or the d-dimensional one's.
#[derive(Clone, Debug)]
pub(crate) enum Keys {
    /// One input.
    One(SortedKeys),
    /// Several.
    Many(KeysNd),
}

impl Data {
    /// Checks `x` and `y` and prepares them (see the module docs).
    fn prepare(x: Inputs<'_>, y: &[f64]) -> Result<Data> {
        if x.len() != y.len() {
            return Err(ModelError::InputsTargets {
                inputs: x.len(),
                targets: y.len(),
            });
        }
        if x.is_empty() {
            return Err(ModelError::NoKeys);
        }
        if let Some((row, input, value)) = x.first_not_finite() {
            return Err(ModelError::NotFinite {
                what: "inputs",
                row,
                input: Some(input),
                value,
            });
        }
        if let Some(row) = y.iter().position(|v| !v.is_finite()) {
            return Err(ModelError::NotFinite {
                what: "targets",
                row,
                input: None,
                value: y[row],
            });
        }
        let (dim, n) = (x.dim(), x.len());
        let y_origin = Origin::of(y);
        let y32 = y_origin.to_f32(y);
        let mut origins = Vec::with_capacity(dim);
        let mut units = Vec::with_capacity(dim);
        let mut rounding = Vec::with_capacity(dim);
        let mut columns = Vec::with_capacity(dim);
        for j in 0..dim {
            let column = x.column_values(j);
            let origin = Origin::of(&column);
            let shifted = origin.to_f32(&column);
            let (lo, hi) = shifted
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            let span = f64::from(hi) - f64::from(lo);
            // The d-dimensional kernel scales coordinates once, measured from the keys'
            // midpoint, so each offset carries f32 rounding of up to 2^-24 of the half-span
            // (`nw_tensor::ops::pool_nd`, Accuracy): a resolution limit like the origin's.
            let scaling = if dim == 1 {
                0.0
            } else {
                span / 2.0 * 2f64.powi(-24)
            };
            rounding.push(origin.rounding(&column, &shifted).max(scaling));
            let unit = if dim == 1 {
                1.0
            } else {
                crate::unit::unit_for(span).unwrap_or(1.0)
            };
            origins.push(origin);
            units.push(unit);
            columns.push(
                shifted
                    .iter()
                    .map(|&v| (f64::from(v) / unit) as f32)
                    .collect::<Vec<f32>>(),
            );
        }
        let mut x32 = Vec::with_capacity(n * dim);
        for i in 0..n {
            x32.extend(columns.iter().map(|c| c[i]));
        }
        let keys = if dim == 1 {
            Keys::One(SortedKeys::new(&x32, &y32)?)
        } else {
            Keys::Many(KeysNd::new(&x32, dim, &y32, widest(&columns, None))?)
        };
        Ok(Data {
            dim,
            n,
            origins,
            units,
            x: x32,
            y: y32,
            y_origin,
            rounding,
            keys,
        })
    }

    /// The data with the keys sorted along the input where the kernel's window is narrowest
    /// relative to the data (spans over bandwidths), for the pruning of the d-dimensional
    /// kernel; unchanged with one input, or when they are sorted so already.
    fn sorted_for(mut self, bandwidths: &[f64]) -> Result<Data> {
        if let Keys::Many(keys) = &self.keys {
            let columns: Vec<Vec<f32>> = (0..self.dim).map(|j| self.column(j)).collect();
            let scaled: Vec<f64> = bandwidths
                .iter()
                .zip(&self.units)
                .map(|(&h, &u)| h / u)
                .collect();
            let best = widest(&columns, Some(&scaled));
            if best != keys.sort_dim() {
                self.keys = Keys::Many(KeysNd::new(&self.x, self.dim, &self.y, best)?);
            }
        }
        Ok(self)
    }

    /// Input `j` of every training row, as the kernels take it.
    pub(crate) fn column(&self, j: usize) -> Vec<f32> {
        self.x.iter().skip(j).step_by(self.dim).copied().collect()
    }

    /// Queries as the kernels take them: measured like the training inputs.
    fn kernel_coordinates(&self, queries: Inputs<'_>) -> Vec<f32> {
        queries
            .values()
            .chunks_exact(self.dim)
            .flat_map(|row| {
                row.iter()
                    .zip(self.origins.iter().zip(&self.units))
                    .map(|(&v, (o, &u))| (f64::from(o.shift(v)) / u) as f32)
            })
            .collect()
    }

    /// Bandwidths in the inputs' units as the kernels take them, each checked.
    pub(crate) fn to_kernel_bandwidths(&self, bandwidths: &[f64]) -> Result<Vec<f32>> {
        if bandwidths.len() != self.dim {
            return Err(ModelError::Bandwidths {
                expected: self.dim,
                got: bandwidths.len(),
            });
        }
        bandwidths
            .iter()
            .zip(&self.units)
            .map(|(&h, &u)| {
                if !(h > 0.0 && h.is_finite()) {
                    return Err(ModelError::Bandwidth(h as f32));
                }
                crate::kernel::check_bandwidth((h / u) as f32)
            })
            .collect()
    }
}

/// The column with the largest span relative to its bandwidth (`bandwidths` in the
/// kernels' units), or to its standard deviation before any bandwidth is known: there a
/// window of a few bandwidths holds the smallest share of the keys.
fn widest(columns: &[Vec<f32>], bandwidths: Option<&[f64]>) -> usize {
    let ratio = |j: usize| {
        let c = &columns[j];
        let (lo, hi) = c
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
                (l.min(f64::from(v)), h.max(f64::from(v)))
            });
        let scale = match bandwidths {
            Some(h) => h[j],
            None => {
                let n = c.len() as f64;
                let mean = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
                (c.iter()
                    .map(|&v| (f64::from(v) - mean).powi(2))
                    .sum::<f64>()
                    / n)
                    .sqrt()
            }
        };
        if scale > 0.0 { (hi - lo) / scale } else { 0.0 }
    };
    (0..columns.len())
        .map(|j| (j, ratio(j)))
        .fold((0, f64::NEG_INFINITY), |best, (j, r)| {
            if r > best.1 { (j, r) } else { best }
        })
        .0
}
