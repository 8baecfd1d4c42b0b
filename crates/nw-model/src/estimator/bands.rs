//! Confidence bands for the fitted estimator ([`NadarayaWatson::bands`]).
//!
//! # The smoother
//! At degree `p` the estimator is linear in the targets: `m_hat(q) = sum_i l_i(q) y_i`, with
//! `l_i(q) = w_i(q) e1' M(q)^-1 X_i(q)`, `M = sum_i w_i X_i X_i'`, `X_i = (1)` (degree 0),
//! `(1, u_i)` (degree 1, `u_ij = (k_ij - q_j) / h_j`, one per input) or `(1, u_i, u_i^2)`
//! (degree 2, one input), and `w_i` the product kernel's weight relative to the largest
//! (`exp(sum_j ln K((k_ij - q_j) / h_j))` over its maximum; the whole-line kernels' weights
//! below `2^-64` of the largest count as out of reach, as in the fused passes). Measuring `t`
//! in bandwidths changes no `l_i` and keeps `M`'s entries of one size. A query has no
//! estimate when no key is in reach or when a Cholesky pivot of the correlation-scaled `M`
//! (`D M D`, `D = diag(M)^-1/2`) is at most [`EPS`]: for degree 1 with one input that is
//! `nw_tensor::ops::local_linear`'s `D / (S0 S2) <= EPS`, here about the query itself (the
//! fused pass takes it about the nearest key for a query outside the keys' span, so the two
//! can differ there). Everything here is f64 on the kernels' f32 coordinates.
//!
//! # Residuals and variance
//! `r_i = y_i - m_hat(x_i)`, the model's own fit (degree `p`) at its training rows
//! ([`training_fit`], which also gives the leverages `H_ii = l_i(x_i)`); a row whose fit has
//! no estimate has no residual and is left out of both variance estimates (and gets `r = 0`
//! in the bootstrap). [`Variance::Homoscedastic`]: `sigma^2 = RSS / (n - tr H)` over the rows
//! with a residual (the simpler of the two usual corrections: it needs only the leverages
//! [`training_fit`] returns, not `tr(H'H)`). [`Variance::Heteroscedastic`]: `sigma^2(k_i)` is
//! the Nadaraya-Watson smooth of the squared leverage-adjusted residuals
//! `r_i / sqrt(1 - H_ii)` at the training rows, with the model's kernel and bandwidths.
//! [`Variance::Residuals`]: each row's own squared adjusted residual (the sandwich, HC2).
//! A raw residual understates its row's noise
//! by `sqrt(1 - H_ii)` (the fit is pulled toward the row). At the edge of the data, where the
//! local fit leans on a few rows, that matters: on `mcycle`'s last point (local linear, CV
//! bandwidth) the bootstrap's `se` is 1.68 with the adjustment and was 0.21 without (HC2;
//! Davidson and Flachaire 2008 recommend it for the wild bootstrap). A row the fit
//! interpolates (`H_ii >= 1`) has no residual.
//! Then `se(q)^2 = sum_i l_i(q)^2 sigma^2(k_i)`.
//!
//! # Bias
//! A band around `m_hat_p` covers `E m_hat_p(q)`, the smoothed regression function, not
//! `m(q)`: the bias is `O(h^2)`. [`Bias::Correct`] (one input) centres the band on the local
//! quadratic fit at the same bandwidths and takes its variance from the same (quadratic)
//! weights: robust bias correction in the spirit of Calonico, Cattaneo and Farrell (2018) with
//! equal bandwidths. It covers `m(q)` up to the local quadratic's bias, `O(h^4)` in the
//! interior (symmetric kernel, `m` with four derivatives) and `O(h^3)` within a bandwidth of
//! the data's edge, so `center` may differ from the model's prediction; with degree 2 it
//! is the model's own smoother. With several inputs there is no local quadratic:
//! `Correct` falls back to the model's degree and says so in [`Bands::warnings`], so the
//! default options work for any model.
//!
//! # Asymptotic bands
//! `center -/+ z se`, `z = Phi^-1(1 - (1 - level) / 2)` ([`normal_quantile`], Wichura's AS241).
//! Simultaneous: Bonferroni over the `m` queries with an estimate,
//! `z = Phi^-1(1 - (1 - level) / (2 m))`, valid and conservative (on a dense grid, much
//! wider than the bootstrap's sup-t).
//!
//! # Wild bootstrap
//! `T_b(q) = sum_i l_i(q) r_i v_ib` with two-point multipliers ([`Multipliers`], drawn per
//! training row from the seed, see `nw_tensor::ops::multiplier`: the same draws on any thread
//! count and query order). Linear in `y`, so each replicate is one more weighted sum of the
//! same pass ([`multiplier::replicate_sums`]), not a refit. Pointwise, the basic bootstrap
//! `[center - Q_{1 - a/2}(T(q)), center - Q_{a/2}(T(q))]`, `a = 1 - level`, with `Q_p` the
//! `ceil(p B)`-th smallest of the `B` replicates (the inverse empirical CDF); `se` is the
//! exact bootstrap sd `sqrt(sum_i l_i^2 r_i^2)` and `critical` is NaN. Simultaneous (sup-t):
//! `c` = the `level` quantile over `b` of `max_q |T_b(q)| / se(q)` (queries with `se = 0`
//! left out of the max), band `center -/+ c se`. The replicate sums run in f32 with f64 tiles
//! (accuracy in `nw_tensor::ops::multiplier`); the coefficients `l_i r_i` are rounded to f32.
//!
//! What `r_i` is follows [`Variance`]: each row's own adjusted residual with
//! [`Variance::Residuals`] (the classical wild bootstrap), and `sigma(k_i)` of the
//! heteroscedastic (the default) or homoscedastic model otherwise, so the bootstrap's `se` is
//! the asymptotic band's. The studentized maximum of the sup-t band needs that: with raw
//! residuals, `se(q)` carries the noise of the few squared residuals near `q`, which the
//! bootstrap's own `T_b(q) / se(q)` (exactly unit variance) does not see, and on the
//! chapter's data its simultaneous band held the whole curve in 0.76 of the data sets, not
//! 0.95 (`docs/coverage.md`); with the smoothed variance, 0.88.
//!
//! # Cost and order
//! The queries go through in blocks of [`BLOCK`], each one pass over the keys in reach of
//! any of its queries. They are sorted by coordinate (stable, lexicographic for several
//! inputs) before they are grouped and the results put back in the caller's order: a block's
//! keys are then about one query's reach (in the caller's order they could span all keys),
//! and every result's bits depend only on the set of queries (the replicate sums' f32
//! grouping starts at the block's first key), not on their order or the thread count.
//! Each (query, key) pair is weighed once: building `M(q)` leaves the weights in a per-thread
//! buffer (one query's reach; the bootstrap's coefficients `l_i r_i` in another, the block's
//! reach by [`BLOCK`] lanes, 64 bytes a key) for the coefficients' pass. The kernel is a
//! type parameter of those loops (one `match` per call, not per key), and the basis' length
//! a constant up to 3, so the moments' loops unroll. Both keep every operation, and so every
//! bit, of the straightforward formulas above.

use nw_tensor::Par;
use nw_tensor::ops::local_linear::EPS;
use nw_tensor::ops::multiplier::{self, BLOCK, GROUP, MultiplierBits};
use rayon::prelude::*;

use super::{Inputs, Keys, NadarayaWatson};
use crate::{KernelKind, ModelError, Result};

pub use nw_tensor::ops::multiplier::Multipliers;

/// How the band's width is found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum BandKind {
    /// The normal approximation: `center -/+ z se`.
    #[default]
    Asymptotic,
    /// The wild bootstrap of the residuals.
    Bootstrap {
        /// Replicates `B` (999 is customary); at least 1.
        replicates: usize,
        /// Seed of the multipliers' draws.
        seed: u64,
        /// Their distribution.
        multipliers: Multipliers,
    },
}

/// How the noise's variance at each training row is modelled, for both kinds of band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Variance {
    /// One variance for every row: `RSS / (n - tr H)`.
    Homoscedastic,
    /// A variance per row: the kernel smooth of the squared (leverage-adjusted) residuals.
    #[default]
    Heteroscedastic,
    /// Each row's own squared (leverage-adjusted) residual: the sandwich (HC2) variance, and
    /// for the bootstrap the classical wild bootstrap of the residuals themselves.
    Residuals,
}

/// Whether the band corrects the estimator's smoothing bias.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bias {
    /// Centre and weights from the local quadratic at the same bandwidths (one input; with
    /// several, the model's degree and a [`BandWarning`]).
    #[default]
    Correct,
    /// The model's own degree: the band covers `E m_hat(q)`.
    Ignore,
}

/// What [`NadarayaWatson::bands`] computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandOptions {
    /// Asymptotic or bootstrap.
    pub kind: BandKind,
    /// Coverage, in `(0, 1)`.
    pub level: f64,
    /// Cover every query at once (sup-t for the bootstrap, Bonferroni for the asymptotic).
    pub simultaneous: bool,
    /// The noise's variance model.
    pub variance: Variance,
    /// Bias correction.
    pub bias: Bias,
}

impl Default for BandOptions {
    /// Asymptotic, pointwise 95%, heteroscedastic, bias-corrected.
    fn default() -> Self {
        BandOptions {
            kind: BandKind::Asymptotic,
            level: 0.95,
            simultaneous: false,
            variance: Variance::Heteroscedastic,
            bias: Bias::Correct,
        }
    }
}

/// What makes a band other than asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandWarning {
    /// Bias correction asked for with several inputs: the band uses the model's degree.
    BiasNotCorrected {
        /// Inputs per row.
        dim: usize,
    },
}

/// Confidence bands at queries, in query order.
#[derive(Clone, Debug, PartialEq)]
pub struct Bands {
    /// The band's centre, in the targets' units; NaN without an estimate.
    pub center: Vec<f64>,
    /// Its standard error; NaN without an estimate.
    pub se: Vec<f64>,
    /// Lower ends; NaN without an estimate.
    pub lo: Vec<f64>,
    /// Upper ends; NaN without an estimate.
    pub hi: Vec<f64>,
    /// The multiplier of `se` used: `z`, Bonferroni's `z` or the sup-t quantile; NaN for a
    /// pointwise bootstrap band.
    pub critical: f64,
    /// Queries without a band.
    pub no_estimate: Vec<usize>,
    /// The degree whose smoother the band uses (the model's, or 2 when bias-corrected).
    pub degree: usize,
    /// The homoscedastic `sigma^2 = RSS / (n - tr H)` (NaN when `n <= tr H`), always reported.
    pub residual_variance: f64,
    /// `n - tr H` over the rows with a residual: what is left of the data to estimate the
    /// noise from (below about 2, every variance estimate is a guess).
    pub residual_dof: f64,
    /// Queries whose band's fit exists but whose noise has no estimate: every training row
    /// within reach is interpolated by the model (`H_ii = 1`), so it has no residual.
    pub no_variance: Vec<usize>,
    /// What the band did other than asked.
    pub warnings: Vec<BandWarning>,
}

impl BandOptions {
    /// Refuses a level outside `(0, 1)` and a bootstrap without replicates.
    fn check(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(ModelError::Parameter {
                name: "band level",
                expected: "in (0, 1)",
                value: self.level,
            });
        }
        if let BandKind::Bootstrap { replicates, .. } = self.kind {
            // The band's ends are order statistics: at least one replicate must lie beyond
            // each (pointwise: a tail of (1 - level) / 2; sup-t: one of 1 - level).
            let tail = if self.simultaneous {
                1.0 - self.level
            } else {
                (1.0 - self.level) / 2.0
            };
            let least = (1.0 / tail).ceil() - 1.0;
            if (replicates as f64) < least {
                return Err(ModelError::Replicates {
                    replicates,
                    level: self.level,
                    least: least as usize,
                });
            }
        }
        Ok(())
    }
}

/// A kernel's relative weight, one type per [`KernelKind`] so that the smoother's loops are
/// compiled for each kernel: a `match` on the kind inside them costs 20-40%.
trait Profile {
    /// Weighs by `exp` of a log-weight relative to the heaviest key (Gaussian, Laplace)
    /// rather than by a product of compact profiles.
    const WHOLE_LINE: bool;
    /// `K(u) / K(0)`: 0 outside a compact kernel's support.
    fn k(u: f64) -> f64;
    /// `ln(K(u) / K(0))`, what the whole-line kernels sum.
    fn ln(u: f64) -> f64 {
        Self::k(u).ln()
    }
}

/// Declares a compact kernel's [`Profile`] on `|u| <= 1`.
macro_rules! compact {
    ($name:ident, $doc:literal, |$u:ident, $a:ident| $k:expr) => {
        #[doc = $doc]
        struct $name;
        impl Profile for $name {
            const WHOLE_LINE: bool = false;
            #[inline(always)]
            fn k($u: f64) -> f64 {
                let $a = $u.abs();
                if $a > 1.0 { 0.0 } else { $k }
            }
        }
    };
}

compact!(Epanechnikov, "`1 - u^2`.", |u, _a| 1.0 - u * u);
compact!(Uniform, "`1`.", |_u, _a| 1.0);
compact!(Triangular, "`1 - |u|`.", |_u, a| 1.0 - a);
compact!(Biweight, "`(1 - u^2)^2`.", |u, _a| {
    let t = 1.0 - u * u;
    t * t
});
compact!(Triweight, "`(1 - u^2)^3`.", |u, _a| {
    let t = 1.0 - u * u;
    t * t * t
});
compact!(Tricube, "`(1 - |u|^3)^3`.", |_u, a| {
    let t = 1.0 - a * a * a;
    t * t * t
});
compact!(Cosine, "`cos(pi u / 2)`.", |u, _a| {
    (std::f64::consts::FRAC_PI_2 * u).cos()
});

/// `exp(-u^2 / 2)`.
struct Gaussian;
impl Profile for Gaussian {
    const WHOLE_LINE: bool = true;
    #[inline(always)]
    fn k(u: f64) -> f64 {
        Self::ln(u).exp()
    }
    #[inline(always)]
    fn ln(u: f64) -> f64 {
        -u * u / 2.0
    }
}

/// `exp(-|u|)`.
struct Laplace;
impl Profile for Laplace {
    const WHOLE_LINE: bool = true;
    #[inline(always)]
    fn k(u: f64) -> f64 {
        Self::ln(u).exp()
    }
    #[inline(always)]
    fn ln(u: f64) -> f64 {
        -u.abs()
    }
}

/// `$body` with the type `$k` standing for `$kind`'s [`Profile`]: the one `match` on the
/// kernel, outside every loop.
macro_rules! with_profile {
    ($kind:expr, $k:ident => $body:expr) => {
        match $kind {
            KernelKind::Gaussian => {
                type $k = Gaussian;
                $body
            }
            KernelKind::Laplace => {
                type $k = Laplace;
                $body
            }
            KernelKind::Epanechnikov => {
                type $k = Epanechnikov;
                $body
            }
            KernelKind::Uniform => {
                type $k = Uniform;
                $body
            }
            KernelKind::Triangular => {
                type $k = Triangular;
                $body
            }
            KernelKind::Biweight => {
                type $k = Biweight;
                $body
            }
            KernelKind::Triweight => {
                type $k = Triweight;
                $body
            }
            KernelKind::Tricube => {
                type $k = Tricube;
                $body
            }
            KernelKind::Cosine => {
                type $k = Cosine;
                $body
            }
        }
    };
}

/// `K(u) / K(0)`: 0 outside a compact kernel's support.
#[cfg(test)]
fn profile(kind: KernelKind, u: f64) -> f64 {
    with_profile!(kind, K => K::k(u))
}

impl NadarayaWatson {
    /// Confidence bands at `queries` (see the module docs for what they cover).
    pub fn bands(&self, queries: Inputs<'_>, options: &BandOptions) -> Result<Bands> {
        options.check()?;
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
        let dim = self.data.dim;
        let mut warnings = Vec::new();
        let degree = match options.bias {
            Bias::Correct if dim == 1 => 2,
            Bias::Correct => {
                warnings.push(BandWarning::BiasNotCorrected { dim });
                self.degree
            }
            Bias::Ignore => self.degree,
        };
        let (fit, leverage) = self.training_fit()?;
        let residuals: Vec<f64> = self
            .data
            .y
            .iter()
            .zip(fit)
            .map(|(&y, &f)| f64::from(y) - f)
            .collect();
        let (mut rss, mut used, mut trace) = (0.0, 0.0, 0.0);
        for (r, h) in residuals.iter().zip(leverage) {
            if r.is_finite() {
                rss += r * r;
                used += 1.0;
                trace += h;
            }
        }
        let dof = used - trace;
        let residual_variance = if dof > 0.0 { rss / dof } else { f64::NAN };
        // Each residual over `sqrt(1 - H_ii)`, for the heteroscedastic variance and the
        // bootstrap: a row with a large leverage pulls the fit toward itself, and its raw
        // residual understates its noise by that factor (HC2; Davidson and Flachaire 2008 for
        // the wild bootstrap). A row the fit interpolates (`H_ii >= 1`) has no residual.
        let residuals: Vec<f64> = residuals
            .iter()
            .zip(leverage)
            .map(|(&r, &h)| {
                if h < 1.0 {
                    r / (1.0 - h).sqrt()
                } else {
                    f64::NAN
                }
            })
            .collect();
        let smoother = Smoother::new(self, degree);
        let q: Vec<f64> = self
            .data
            .kernel_coordinates(queries)
            .into_iter()
            .map(f64::from)
            .collect();
        // Blocks of BLOCK queries share one pass over the keys in reach of any of them: sorted
        // by coordinate, a block's keys are about one query's reach; in the caller's order they
        // can span every key. The blocks (and so every result's bits, which depend on where a
        // block's replicate sums start) then depend only on the set of queries, not its order.
        let order = sorted_order(&q, dim);
        let q: Vec<f64> = order
            .iter()
            .flat_map(|&i| q[i * dim..(i + 1) * dim].iter().copied())
            .collect();
        let m = queries.len();
        let origin = self.data.y_origin.value();
        let targets: Vec<f64> = self.data.y.iter().map(|&v| f64::from(v)).collect();
        let blocks = m.div_ceil(BLOCK);
        let mut out = Bands {
            center: vec![f64::NAN; m],
            se: vec![f64::NAN; m],
            lo: vec![f64::NAN; m],
            hi: vec![f64::NAN; m],
            critical: f64::NAN,
            no_estimate: Vec::new(),
            no_variance: Vec::new(),
            residual_dof: dof,
            degree,
            residual_variance,
            warnings,
        };
        let queries_of = |b: usize| &q[b * BLOCK * dim..((b + 1) * BLOCK * dim).min(q.len())];
        // sigma^2(k_i) per training row: the same model for both kinds of band.
        let sigma2: Vec<f64> = match options.variance {
            Variance::Homoscedastic => {
                if dof.is_nan() || dof <= 0.0 {
                    return Err(ModelError::Parameter {
                        name: "residual degrees of freedom n - tr(H)",
                        expected: "positive for a homoscedastic variance (the fit \
                                   interpolates: use the heteroscedastic variance or a \
                                   wider bandwidth)",
                        value: dof,
                    });
                }
                vec![residual_variance; self.data.n]
            }
            Variance::Heteroscedastic => self.smoothed_squares(&residuals)?.clone(),
            Variance::Residuals => residuals.iter().map(|r| r * r).collect(),
        };
        match options.kind {
            BandKind::Asymptotic => {
                let rows = with_profile!(self.kernel, K => by_block(blocks, self.par, |b, s| {
                    asymptotic_block::<K>(&smoother, queries_of(b), &targets, &sigma2, s)
                }));
                for (&i, row) in order.iter().zip(rows.into_iter().flatten()) {
                    if let Some((c, s)) = row {
                        out.center[i] = c;
                        out.se[i] = s;
                    }
                }
                let with = out.center.iter().filter(|c| c.is_finite()).count().max(1);
                let tail = if options.simultaneous {
                    (1.0 - options.level) / (2.0 * with as f64)
                } else {
                    (1.0 - options.level) / 2.0
                };
                out.critical = -normal_quantile(tail);
                for i in 0..m {
                    out.lo[i] = out.center[i] - out.critical * out.se[i];
                    out.hi[i] = out.center[i] + out.critical * out.se[i];
                }
            }
            BandKind::Bootstrap {
                replicates,
                seed,
                multipliers,
            } => {
                let ids: Vec<u64> = smoother.ids.iter().map(|&i| i as u64).collect();
                let bits = MultiplierBits::new(multipliers, seed, &ids, replicates, self.par);
                // Each row's multiplier scales its noise's sd: its own adjusted residual for
                // `Variance::Residuals` (the classical wild bootstrap), the smoothed or the
                // common sd otherwise, so the bootstrap's `se` is the asymptotic one.
                let r: Vec<f64> = match options.variance {
                    Variance::Residuals => residuals.clone(),
                    _ => sigma2.iter().map(|s| s.sqrt()).collect(),
                }
                .into_iter()
                .map(|r| if r.is_finite() { r } else { 0.0 })
                .collect();
                let a = 1.0 - options.level;
                let blocks_out = with_profile!(self.kernel, K => by_block(blocks, self.par, |b, s| {
                    bootstrap_block::<K>(
                        &smoother,
                        queries_of(b),
                        &targets,
                        &r,
                        &bits,
                        a,
                        options.simultaneous,
                        s,
                    )
                }));
                let mut sup = vec![0.0f64; if options.simultaneous { replicates } else { 0 }];
                let mut at = order.iter();
                for block in blocks_out {
                    for (s, &v) in sup.iter_mut().zip(&block.sup) {
                        *s = s.max(v);
                    }
                    // Rows first: a zip pulls its left side before finding the right empty.
                    for (row, &i) in block.rows.into_iter().zip(at.by_ref()) {
                        if let Some((c, s, upper, lower)) = row {
                            out.center[i] = c;
                            out.se[i] = s;
                            out.lo[i] = c - upper;
                            out.hi[i] = c - lower;
                        }
                    }
                }
                if options.simultaneous {
                    out.critical = quantile(&mut sup, options.level);
                    for i in 0..m {
                        out.lo[i] = out.center[i] - out.critical * out.se[i];
                        out.hi[i] = out.center[i] + out.critical * out.se[i];
                    }
                }
            }
        }
        for i in 0..m {
            if out.center[i].is_finite() {
                out.center[i] += origin;
                out.lo[i] += origin;
                out.hi[i] += origin;
            } else {
                out.no_estimate.push(i);
            }
            // A fit without a band: no residual in reach to estimate the noise from (every
            // row there interpolated, `H_ii = 1`).
            if out.center[i].is_finite() && !(out.lo[i].is_finite() && out.hi[i].is_finite()) {
                out.no_variance.push(i);
            }
        }
        Ok(out)
    }
}

/// The positions of the queries (`dim` coordinates each) in increasing lexicographic order of
/// their coordinates (a stable sort, ties in the caller's order: tied queries are the same
/// query, so their results are too).
fn sorted_order(q: &[f64], dim: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..q.len() / dim.max(1)).collect();
    let at = |i: usize| &q[i * dim..(i + 1) * dim];
    order.sort_by(|&a, &b| {
        at(a)
            .iter()
            .zip(at(b))
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    order
}

/// A thread's buffers, grown to the largest block it meets and reused for the next.
#[derive(Default)]
struct Scratch {
    /// One query's weights over its reach, kept from building `M` for its coefficients.
    w: Vec<f64>,
    /// A block's bootstrap coefficients `l_i r_i`, position by position from the block's first
    /// group.
    coef: Vec<[f32; BLOCK]>,
}

/// `f(b, scratch)` for every block `b`, in order, on `par` (one scratch per rayon job).
fn by_block<T: Send>(
    blocks: usize,
    par: Par,
    f: impl Fn(usize, &mut Scratch) -> T + Sync + Send,
) -> Vec<T> {
    if par.is_parallel() {
        (0..blocks)
            .into_par_iter()
            .map_init(Scratch::default, |s, b| f(b, s))
            .collect()
    } else {
        let mut s = Scratch::default();
        (0..blocks).map(|b| f(b, &mut s)).collect()
    }
}

/// A block of queries' `(center, se)` in the shifted units, `None` without an estimate.
fn asymptotic_block<K: Profile>(
    s: &Smoother,
    queries: &[f64],
    targets: &[f64],
    sigma2: &[f64],
    scratch: &mut Scratch,
) -> Vec<Option<(f64, f64)>> {
    queries
        .chunks_exact(s.dim)
        .map(|q| {
            let row = s.row::<K>(q, s.reach::<K>(q)?, &mut scratch.w)?;
            let (mut center, mut var) = (0.0, 0.0);
            s.each_l(&row, &scratch.w, |p, l| {
                let i = s.ids[p];
                center += l * targets[i];
                var += l * l * sigma2[i];
            });
            Some((center, var.sqrt()))
        })
        .collect()
}

/// One block's bootstrap results.
struct BootBlock {
    /// Per query `(center, se, Q_{1-a/2}(T), Q_{a/2}(T))`, `None` without an estimate.
    rows: Vec<Option<(f64, f64, f64, f64)>>,
    /// Per replicate, `max_q |T_b(q)| / se(q)` over the block (empty unless simultaneous).
    sup: Vec<f64>,
}

/// A block of at most [`BLOCK`] queries: centre, bootstrap sd and the coefficients `l_i r_i`
/// query by query (each weight computed once), then the replicate sums of all of them in one
/// pass over the keys in reach of any of them, from the group holding the first such key.
// The bands' arguments, as its other blocks take them.
#[allow(clippy::too_many_arguments)]
fn bootstrap_block<K: Profile>(
    s: &Smoother,
    queries: &[f64],
    targets: &[f64],
    residuals: &[f64],
    bits: &MultiplierBits,
    a: f64,
    simultaneous: bool,
    scratch: &mut Scratch,
) -> BootBlock {
    let b_count = bits.replicates();
    let reach: Vec<_> = queries
        .chunks_exact(s.dim)
        .map(|q| s.reach::<K>(q))
        .collect();
    // Every row lies within the lanes' reach: the coefficients' positions start at its group.
    let base = reach.iter().flatten().map(|r| r.0).min().unwrap_or(0) / GROUP * GROUP;
    let top = reach.iter().flatten().map(|r| r.1).max().unwrap_or(0);
    scratch.coef.clear();
    scratch.coef.resize(top.saturating_sub(base), [0.0; BLOCK]);
    let mut center = [0f64; BLOCK];
    let mut var = [0f64; BLOCK];
    let rows: Vec<Option<Row>> = queries
        .chunks_exact(s.dim)
        .zip(&reach)
        .enumerate()
        .map(|(lane, (q, &reach))| {
            let row = s.row::<K>(q, reach?, &mut scratch.w)?;
            let coef = &mut scratch.coef;
            s.each_l(&row, &scratch.w, |p, l| {
                let i = s.ids[p];
                center[lane] += l * targets[i];
                let c = l * residuals[i];
                var[lane] += c * c;
                coef[p - base][lane] = c as f32;
            });
            Some(row)
        })
        .collect();
    // The sums run from the group holding the first key of a row with an estimate: the
    // groups' pairing, and so the sums' bits, depend on where they start.
    let lo = rows.iter().flatten().map(|r| r.lo).min().unwrap_or(0) / GROUP * GROUP;
    let hi = rows.iter().flatten().map(|r| r.hi).max().unwrap_or(0);
    let mut acc = vec![0f64; b_count * BLOCK];
    if lo < hi {
        multiplier::replicate_sums(&scratch.coef[lo - base..hi - base], lo, bits, &mut acc);
    }
    let se: Vec<f64> = var.iter().map(|v| v.sqrt()).collect();
    let mut sup = vec![0.0; if simultaneous { b_count } else { 0 }];
    for (b, m) in sup.iter_mut().enumerate() {
        for (lane, row) in rows.iter().enumerate() {
            if row.is_some() && se[lane] > 0.0 {
                *m = f64::max(*m, acc[b * BLOCK + lane].abs() / se[lane]);
            }
        }
    }
    let mut t = vec![0.0; b_count];
    let rows = rows
        .iter()
        .enumerate()
        .map(|(lane, row)| {
            row.as_ref()?;
            for (b, v) in t.iter_mut().enumerate() {
                *v = acc[b * BLOCK + lane];
            }
            let upper = quantile(&mut t, 1.0 - a / 2.0);
            let lower = quantile(&mut t, a / 2.0);
            Some((center[lane], se[lane], upper, lower))
        })
        .collect();
    BootBlock { rows, sup }
}

/// The `p` quantile of `values` as the inverse empirical CDF: the `ceil(p n)`-th smallest
/// (at least the first). Sorts `values`.
fn quantile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let k = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[k - 1]
}

/// The band's smoother: the keys in the kernels' coordinates in f64, in the positions the
/// band visits (sorted for one input, so that a query's keys in reach are one range).
struct Smoother {
    kind: KernelKind,
    degree: usize,
    dim: usize,
    inv_h: Vec<f64>,
    /// Position-major, `dim` per position.
    keys: Vec<f64>,
    /// The training row at each position.
    ids: Vec<usize>,
}

/// One query's smoother row: `l_i = w_i X_i' a` over positions `lo..hi`.
struct Row {
    lo: usize,
    hi: usize,
    /// `M^-1 e1`.
    a: Vec<f64>,
    q: Vec<f64>,
}

/// A query's positions `lo..hi` that may hold a weight, and the log-weight of the heaviest
/// key (whole-line kernels; 0 for compact ones).
type Reach = (usize, usize, f64);

/// `ln(2^-64)`: relative weights below it count as out of reach.
const CUT: f64 = -64.0 * std::f64::consts::LN_2;

impl Smoother {
    fn new(model: &NadarayaWatson, degree: usize) -> Smoother {
        let data = &model.data;
        let (keys, ids) = match &data.keys {
            Keys::One(sorted) => (
                sorted.keys().iter().map(|&k| f64::from(k)).collect(),
                sorted.order().to_vec(),
            ),
            Keys::Many(_) => (
                data.x.iter().map(|&k| f64::from(k)).collect(),
                (0..data.n).collect(),
            ),
        };
        Smoother {
            kind: model.kernel,
            degree,
            dim: data.dim,
            inv_h: model
                .kernel_bandwidths()
                .iter()
                .map(|&h| 1.0 / f64::from(h))
                .collect(),
            keys,
            ids,
        }
    }

    /// Entries of `X_i`.
    fn basis_len(&self) -> usize {
        match (self.degree, self.dim) {
            (0, _) => 1,
            (1, d) => 1 + d,
            _ => 3,
        }
    }

    /// The positions that may hold a weight for query `q`, and the log-weight shift; `None`
    /// when no key is in reach.
    fn reach<K: Profile>(&self, q: &[f64]) -> Option<Reach> {
        let n = self.ids.len();
        if self.dim > 1 {
            let shift = if K::WHOLE_LINE {
                (0..n)
                    .map(|p| self.log_weight::<K>(q, p))
                    .fold(f64::NEG_INFINITY, f64::max)
            } else {
                0.0
            };
            return Some((0, n, shift));
        }
        let (q, ih) = (q[0], self.inv_h[0]);
        let at = self.keys.partition_point(|&k| k < q);
        let near = [at.checked_sub(1), (at < n).then_some(at)]
            .into_iter()
            .flatten()
            .map(|p| (self.keys[p] - q).abs())
            .fold(f64::INFINITY, f64::min);
        let umin = near * ih;
        let (radius, shift) = match self.kind {
            KernelKind::Gaussian => ((umin * umin - 2.0 * CUT).sqrt(), -umin * umin / 2.0),
            KernelKind::Laplace => (umin - CUT, -umin),
            _ => {
                if umin > 1.0 {
                    return None;
                }
                (1.0, 0.0)
            }
        };
        // A hair wider than the reach: `weight` decides at the edge.
        let r = radius * (1.0 + 1e-9) / ih;
        let lo = self.keys.partition_point(|&k| k < q - r);
        let hi = self.keys.partition_point(|&k| k <= q + r);
        Some((lo, hi, shift))
    }

    /// `sum_j ln(K(u_j) / K(0))` of the key at `p` (whole-line kernels).
    #[inline(always)]
    fn log_weight<K: Profile>(&self, q: &[f64], p: usize) -> f64 {
        let k = &self.keys[p * self.dim..(p + 1) * self.dim];
        let mut lw = 0.0;
        for j in 0..self.dim {
            lw += K::ln((k[j] - q[j]) * self.inv_h[j]);
        }
        lw
    }

    /// The relative weight of the key at `p`.
    #[inline(always)]
    fn weight<K: Profile>(&self, q: &[f64], p: usize, shift: f64) -> f64 {
        if K::WHOLE_LINE {
            let d = self.log_weight::<K>(q, p) - shift;
            if d >= CUT { d.exp() } else { 0.0 }
        } else {
            let k = &self.keys[p * self.dim..(p + 1) * self.dim];
            let mut w = 1.0;
            for j in 0..self.dim {
                w *= K::k((k[j] - q[j]) * self.inv_h[j]);
            }
            w
        }
    }

    /// The basis `X_i` of the key at `p`, written to `basis`.
    #[inline(always)]
    fn basis(&self, q: &[f64], p: usize, basis: &mut [f64]) {
        let k = &self.keys[p * self.dim..(p + 1) * self.dim];
        basis[0] = 1.0;
        match (self.degree, self.dim) {
            (0, _) => {}
            (1, d) => {
                for j in 0..d {
                    basis[1 + j] = (k[j] - q[j]) * self.inv_h[j];
                }
            }
            _ => {
                let u = (k[0] - q[0]) * self.inv_h[0];
                basis[1] = u;
                basis[2] = u * u;
            }
        }
    }

    /// Query `q`'s row over its `reach`, `None` without an estimate; the weights of positions
    /// `lo..hi` are left in `w` for [`Smoother::each_l`], so each is computed once.
    fn row<K: Profile>(&self, q: &[f64], reach: Reach, w: &mut Vec<f64>) -> Option<Row> {
        let (lo, hi, _) = reach;
        let k = self.basis_len();
        let mut m = vec![0.0; k * k];
        w.clear();
        w.resize(hi - lo, 0.0);
        // The basis' length fixed at compile time where it is small, so the loops unroll.
        match k {
            1 => self.moments::<K, 1>(q, reach, w, &mut m),
            2 => self.moments::<K, 2>(q, reach, w, &mut m),
            3 => self.moments::<K, 3>(q, reach, w, &mut m),
            _ => self.moments::<K, 0>(q, reach, w, &mut m),
        }
        let a = solve_e1(&mut m, k)?;
        Some(Row {
            lo,
            hi,
            a,
            q: q.to_vec(),
        })
    }

    /// The weights over the reach into `w` and `sum_i w_i X_i X_i'` (lower triangle) into
    /// `m`, for a basis of `N` entries (0: any, [`Smoother::basis_len`]).
    #[inline(always)]
    fn moments<K: Profile, const N: usize>(
        &self,
        q: &[f64],
        (lo, hi, shift): Reach,
        w: &mut [f64],
        m: &mut [f64],
    ) {
        let k = if N == 0 { self.basis_len() } else { N };
        let mut basis = vec![0.0; k];
        let m = &mut m[..k * k];
        for (p, slot) in (lo..hi).zip(w.iter_mut()) {
            let wt = self.weight::<K>(q, p, shift);
            *slot = wt;
            if wt > 0.0 {
                self.basis(q, p, &mut basis);
                for r in 0..k {
                    for c in 0..=r {
                        m[r * k + c] += wt * basis[r] * basis[c];
                    }
                }
            }
        }
    }

    /// `f(p, l_p)` for each position `p` of `row`, in order, with `w` its weights.
    #[inline(always)]
    fn each_l(&self, row: &Row, w: &[f64], f: impl FnMut(usize, f64)) {
        match row.a.len() {
            1 => self.each_l_n::<1>(row, w, f),
            2 => self.each_l_n::<2>(row, w, f),
            3 => self.each_l_n::<3>(row, w, f),
            _ => self.each_l_n::<0>(row, w, f),
        }
    }

    /// [`Smoother::each_l`] for a basis of `N` entries (0: any).
    #[inline(always)]
    fn each_l_n<const N: usize>(&self, row: &Row, w: &[f64], mut f: impl FnMut(usize, f64)) {
        let k = if N == 0 { row.a.len() } else { N };
        let a = &row.a[..k];
        let mut basis = vec![0.0; k];
        for (p, &w) in (row.lo..row.hi).zip(w) {
            let l = if w == 0.0 {
                0.0
            } else {
                self.basis(&row.q, p, &mut basis);
                w * basis.iter().zip(a).map(|(x, a)| x * a).sum::<f64>()
            };
            f(p, l);
        }
    }
}

/// `M^-1 e1` for the symmetric `k x k` `M` (lower triangle filled), by Cholesky on the
/// correlation-scaled `D M D`; `None` when a diagonal is 0 or a pivot is at most [`EPS`].
fn solve_e1(m: &mut [f64], k: usize) -> Option<Vec<f64>> {
    let d: Vec<f64> = (0..k).map(|i| 1.0 / m[i * k + i].sqrt()).collect();
    if !d.iter().all(|v| v.is_finite() && *v > 0.0) {
        return None;
    }
    // Lower-triangular Cholesky factor, in place.
    for r in 0..k {
        for c in 0..=r {
            let mut v = m[r * k + c] * d[r] * d[c];
            for j in 0..c {
                v -= m[r * k + j] * m[c * k + j];
            }
            if r == c {
                if v.is_nan() || v <= EPS {
                    return None;
                }
                m[r * k + r] = v.sqrt();
            } else {
                m[r * k + c] = v / m[c * k + c];
            }
        }
    }
    // Solve L L' y = D e1, then a = D y.
    let mut y = vec![0.0; k];
    for r in 0..k {
        let mut v = if r == 0 { d[0] } else { 0.0 };
        for j in 0..r {
            v -= m[r * k + j] * y[j];
        }
        y[r] = v / m[r * k + r];
    }
    for r in (0..k).rev() {
        let mut v = y[r];
        for j in r + 1..k {
            v -= m[j * k + r] * y[j];
        }
        y[r] = v / m[r * k + r];
    }
    Some(y.iter().zip(&d).map(|(y, d)| y * d).collect())
}

/// `Phi^-1(p)`, the standard normal quantile, by Wichura's AS241 (`PPND16`, Applied
/// Statistics 37, 1988): relative error about `1e-16`. `-inf` at 0, `+inf` at 1, NaN outside
/// `[0, 1]`.
// The published coefficients, digit for digit, so a reader can check them against the paper.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * horner(
            r,
            &[
                3.387_132_872_796_366_608,
                1.331_416_678_917_843_774_5e2,
                1.971_590_950_306_551_442_7e3,
                1.373_169_376_550_946_112_5e4,
                4.592_195_393_154_987_145_7e4,
                6.726_577_092_700_870_085_3e4,
                3.343_057_558_358_812_810_5e4,
                2.509_080_928_730_122_672_7e3,
            ],
        ) / horner(
            r,
            &[
                1.0,
                4.231_333_070_160_091_125_2e1,
                6.871_870_074_920_579_083e2,
                5.394_196_021_424_751_107_7e3,
                2.121_379_430_158_659_586_7e4,
                3.930_789_580_009_271_061e4,
                2.872_908_573_572_194_267_4e4,
                5.226_495_278_852_854_561e3,
            ],
        );
    }
    let r = (-(if q < 0.0 { p } else { 1.0 - p }).ln()).sqrt();
    let v = if r <= 5.0 {
        let r = r - 1.6;
        horner(
            r,
            &[
                1.423_437_110_749_683_577_34,
                4.630_337_846_156_545_295_9,
                5.769_497_221_460_691_405_5,
                3.647_848_324_763_204_605_04,
                1.270_458_252_452_368_382_58,
                2.417_807_251_774_506_117_7e-1,
                2.272_384_498_926_918_458_33e-2,
                7.745_450_142_783_414_076_4e-4,
            ],
        ) / horner(
            r,
            &[
                1.0,
                2.053_191_626_637_758_821_87,
                1.676_384_830_183_803_849_4,
                6.897_673_349_851_000_045_5e-1,
                1.481_039_764_274_800_745_9e-1,
                1.519_866_656_361_645_719_66e-2,
                5.475_938_084_995_344_946e-4,
                1.050_750_071_644_416_843_24e-9,
            ],
        )
    } else {
        let r = r - 5.0;
        horner(
            r,
            &[
                6.657_904_643_501_103_777_2,
                5.463_784_911_164_114_369_9,
                1.784_826_539_917_291_335_8,
                2.965_605_718_285_048_912_3e-1,
                2.653_218_952_657_612_309_3e-2,
                1.242_660_947_388_078_438_6e-3,
                2.711_555_568_743_487_578_15e-5,
                2.010_334_399_292_288_132_65e-7,
            ],
        ) / horner(
            r,
            &[
                1.0,
                5.998_322_065_558_879_376_9e-1,
                1.369_298_809_227_358_053_1e-1,
                1.487_536_129_085_061_485_25e-2,
                7.868_691_311_456_132_591e-4,
                1.846_318_317_510_054_681_8e-5,
                1.421_511_758_316_445_888_7e-7,
                2.044_263_103_389_939_785_64e-15,
            ],
        )
    };
    if q < 0.0 { -v } else { v }
}

/// `sum_i c_i x^i`.
fn horner(x: f64, c: &[f64]) -> f64 {
    c.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_the_textbook_kernels_relative_to_their_peak() {
        for kind in KernelKind::ALL {
            for i in -30..=30 {
                let u = f64::from(i) / 20.0;
                let want = (kind.ln_k(u) - kind.ln_k(0.0)).exp();
                let got = profile(kind, u);
                assert!(
                    (got - want).abs() <= 1e-14,
                    "{kind:?} at {u}: {got} vs {want}"
                );
            }
        }
    }
}
