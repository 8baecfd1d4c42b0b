//! Choosing the bandwidth: two rules of thumb, and exact leave-one-out cross-validation with
//! a search that finds the global minimum and says when the answer is weak.
//!
//! # Cross-validation
//! `CV(h) = (1/n) sum_i (y_i - y_hat_{-i}(x_i))^2`, where `y_hat_{-i}` pools every example but
//! row `i` (tied inputs stay in): statsmodels' `cv_ls`. Each evaluation is one fused
//! leave-one-out pass ([`nw_tensor::ops::pool::loo_cv`]) or one sorted sweep
//! ([`nw_tensor::ops::sweep::loo_sweep`]), as [`Search::algorithm`] chooses (see
//! [`crate::algorithm`]), never an `n x n` matrix.
//!
//! # Isolated examples
//! With a compact kernel, an example with no other within `h` has no leave-one-out
//! prediction. Requiring one for every example would let a single outlying input decide the
//! bandwidth for all (one 5-carat stone among 53,940 diamonds forces `h >= 0.51` carat, 70
//! times the Gaussian choice, for a CV 16% worse). So such examples are left out of the mean,
//! counted ([`CvPoint::isolated`]), and a bandwidth is admissible only while at most
//! [`Search::max_isolated`] of the examples (1% by default; 0 for the strict rule) are left
//! out. The chosen bandwidth's count is reported, with a [`Warning::Isolated`].
//!
//! # The search
//! statsmodels starts Nelder-Mead at a rule of thumb and stops at the first local minimum it
//! meets. CV curves have several (one per scale of structure in the data), so ours scans
//! first: CV on a grid of 20 bandwidths per decade (a lattice in `log h`) from the smaller of
//! `1e-3` spans and the smallest gap between distinct inputs, to 2 spans; the range comes from
//! the data, so a time index in seconds is searched down to its own spacing. When the lowest
//! score lies at an end of the grid, the scan goes on past that end a decade at a time (up to
//! 3) for as long as it finds lower scores. Then a golden-section search in `log h` refines
//! the bracket of each of the best few grid minima, and the lowest of all wins (ties go to
//! the wider bandwidth). Working in `log h` keeps every candidate positive.
//!
//! # Weak answers
//! A minimum is not always an answer. [`Selection::warnings`] says when the lowest CV lies at
//! an end of the searched range even after extending it (as `h -> 0`, each point is predicted
//! by its neighbours: a series, or data with no noise to smooth; as `h` grows, by the mean),
//! when the curve is flat within `1e-6` over a decade or more around its minimum (evenly
//! spaced points, two examples), when the targets are all equal, and when isolated examples
//! were left out.

use nw_tensor::Par;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{self, SortedKeys};

use crate::algorithm::{self, Algorithm};
use crate::{ModelError, Result, unit};

/// How a bandwidth is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Leave-one-out cross-validation, searched for its global minimum.
    Cv,
    /// Silverman's rule of thumb.
    Silverman,
    /// Scott's rule of thumb.
    Scott,
}

impl Method {
    /// The lower-case name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Method::Cv => "cv",
            Method::Silverman => "silverman",
            Method::Scott => "scott",
        }
    }
}

/// Silverman's rule of thumb, `0.9 min(s, IQR / 1.349) n^(-1/5)` (`s` the sample standard
/// deviation, IQR by linear interpolation as R's and numpy's defaults), for the Gaussian
/// kernel; other kernels get their equivalent bandwidth
/// ([`KernelKind::gaussian_equivalent`]).
pub fn silverman(x: &[f32], kind: KernelKind) -> Result<f32> {
    let (n, sd) = spread(x)?;
    let sample_sd = sd * (n / (n - 1.0)).sqrt();
    let iqr = quantile(x, 0.75) - quantile(x, 0.25);
    let s = if iqr > 0.0 {
        sample_sd.min(iqr / 1.349)
    } else {
        sample_sd
    };
    finish_rule(0.9 * s * n.powf(-0.2), kind)
}

/// Scott's rule of thumb, `1.06 sd n^(-1/5)` with the population standard deviation: the
/// start statsmodels' `KernelReg` searches from. Other kernels get their equivalent bandwidth.
pub fn scott(x: &[f32], kind: KernelKind) -> Result<f32> {
    let (n, sd) = spread(x)?;
    finish_rule(1.06 * sd * n.powf(-0.2), kind)
}

/// `(n, population standard deviation)` of at least two inputs that are not all equal.
fn spread(x: &[f32]) -> Result<(f64, f64)> {
    if x.len() < 2 {
        return Err(ModelError::TooFewExamples(x.len()));
    }
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = x
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    if var <= 0.0 {
        return Err(ModelError::NoSpread);
    }
    Ok((n, var.sqrt()))
}

fn finish_rule(h: f64, kind: KernelKind) -> Result<f32> {
    crate::kernel::check_bandwidth((h * kind.gaussian_equivalent()) as f32)
}

/// The `p`-quantile of `x` with linear interpolation between order statistics (type 7).
fn quantile(x: &[f32], p: f64) -> f64 {
    let mut s: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    s.sort_by(f64::total_cmp);
    let pos = p * (s.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    let next = s[(i + 1).min(s.len() - 1)];
    s[i] + frac * (next - s[i])
}

/// One point of a CV curve.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CvPoint {
    /// The bandwidth.
    pub h: f32,
    /// The mean squared leave-one-out error over the examples that have an estimate (`+inf`
    /// when none has one).
    pub cv: f64,
    /// How many examples have no other example within the kernel's reach: they have no
    /// leave-one-out prediction and are left out of `cv` (always 0 for the whole-line
    /// kernels).
    pub isolated: usize,
}

/// `CV(h)` of `kind` at bandwidth `h` on the prepared training set: the mean squared
/// leave-one-out error over the examples with an estimate, and how many have none, by the
/// direct pass or the sorted sweep as `algorithm` chooses ([`crate::algorithm`]).
///
/// A bandwidth outside [`crate::unit::ORDINARY`] is evaluated on the inputs measured in a
/// power-of-two unit near it (see [`crate::unit`]), at the cost of sorting them again.
pub fn cv(
    kind: KernelKind,
    data: &SortedKeys,
    h: f32,
    algorithm: Algorithm,
    par: Par,
) -> Result<CvPoint> {
    let h = crate::kernel::check_bandwidth(h)?;
    let Some(s) = unit::unit_for(f64::from(h)) else {
        return cv_as_given(kind, data, h, algorithm, par);
    };
    let keys = unit::divide(data.keys(), s, "keys", h)?;
    let point = cv_as_given(
        kind,
        &SortedKeys::new(&keys, data.values())?,
        unit::to_unit(h, s),
        algorithm,
        par,
    )?;
    Ok(point.rescaled(s))
}

/// [`cv`] with the kernel at `h` itself, whatever its size.
fn cv_as_given(
    kind: KernelKind,
    data: &SortedKeys,
    h: f32,
    algorithm: Algorithm,
    par: Par,
) -> Result<CvPoint> {
    // Every example is a query of the leave-one-out pass.
    let fit = if algorithm::sweeps(algorithm, kind, h, data, data.len(), None)? {
        nw_tensor::ops::sweep::loo_sweep(kind, h, data, par)?
    } else {
        kind.visit(h, LooCv { data, par })?
    };
    let scored = data.len() - fit.far;
    Ok(CvPoint {
        h,
        cv: if scored == 0 {
            f64::INFINITY
        } else {
            fit.loss / scored as f64
        },
        isolated: fit.far,
    })
}

impl CvPoint {
    /// The point with its bandwidth measured in the caller's units, from `unit`'s.
    fn rescaled(self, unit: f64) -> CvPoint {
        CvPoint {
            h: unit::from_unit(self.h, unit),
            ..self
        }
    }
}

/// The fused leave-one-out loss, for [`KernelKind::visit`].
struct LooCv<'a> {
    data: &'a SortedKeys,
    par: Par,
}

impl KernelVisitor for LooCv<'_> {
    type Output = nw_tensor::Result<pool::LooFit>;
    fn visit<K: Bandwidth>(self, kernel: K) -> Self::Output {
        pool::loo_cv(&kernel, self.data, self.par)
    }
}

/// Settings of the CV search; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    /// Grid bandwidths per decade (factor of 10) of `h`.
    pub per_decade: usize,
    /// The grid starts at this share of the inputs' span, or lower, at the smallest gap
    /// between two distinct inputs, when that is smaller.
    pub lo: f64,
    /// The grid ends at this share of the inputs' span.
    pub hi: f64,
    /// Decades the scan may go on past an end of the grid while the lowest CV lies there.
    pub extend: usize,
    /// How many of the lowest grid minima are refined.
    pub refine: usize,
    /// The refinement stops when its bracket is this narrow in `log h`.
    pub tolerance: f64,
    /// The largest share of the examples that may be left out of CV for having no other
    /// example within a compact kernel's reach (see the module docs); 0 leaves none out.
    pub max_isolated: f64,
    /// How each CV evaluation pools: the direct pass, the sorted sweep, or the faster for the
    /// data and bandwidth ([`crate::algorithm`]). A fitted estimator searches with its own
    /// [`Params::algorithm`](crate::Params::algorithm) instead.
    pub algorithm: Algorithm,
}

impl Default for Search {
    /// 20 bandwidths per decade from the smaller of `1e-3` spans and the smallest gap to 2
    /// spans, up to 3 decades more past either end, the best 3 minima refined to `1e-7` in
    /// `log h`, at most 1% of the examples left out for isolation, and the algorithm by the
    /// cost model.
    fn default() -> Self {
        Search {
            per_decade: 20,
            lo: 1e-3,
            hi: 2.0,
            extend: 3,
            refine: 3,
            tolerance: 1e-7,
            max_isolated: 0.01,
            algorithm: Algorithm::Auto,
        }
    }
}

impl Search {
    /// Refuses settings the search cannot run with (each bound keeps it finite and short).
    pub fn check(&self) -> Result<()> {
        let bad = |name: &'static str, expected: &'static str, value: f64| {
            Err(ModelError::Parameter {
                name,
                expected,
                value,
            })
        };
        if !(1..=1000).contains(&self.per_decade) {
            return bad(
                "search.per_decade",
                "between 1 and 1000",
                self.per_decade as f64,
            );
        }
        if !(self.lo > 0.0 && self.lo.is_finite()) {
            return bad("search.lo", "a positive finite share of the span", self.lo);
        }
        if !(self.hi > self.lo && self.hi.is_finite()) {
            return bad("search.hi", "finite and above search.lo", self.hi);
        }
        if self.extend > 20 {
            return bad("search.extend", "at most 20 decades", self.extend as f64);
        }
        if self.refine > 100 {
            return bad("search.refine", "at most 100", self.refine as f64);
        }
        if !(self.tolerance >= 1e-12 && self.tolerance.is_finite()) {
            return bad(
                "search.tolerance",
                "finite and at least 1e-12",
                self.tolerance,
            );
        }
        if !(0.0..1.0).contains(&self.max_isolated) {
            return bad("search.max_isolated", "in [0, 1)", self.max_isolated);
        }
        Ok(())
    }
}

/// What a training set's inputs give the search: how many, how wide, how close.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// The number of examples.
    pub n: usize,
    /// The greatest input minus the least, in f64.
    pub span: f64,
    /// The smallest gap between two distinct inputs, in f64.
    pub min_gap: f64,
}

impl Spread {
    /// The spread of ascending `sorted` inputs (as [`SortedKeys::keys`] holds them).
    pub fn of(sorted: &[f32]) -> Result<Spread> {
        let (Some(&first), Some(&last)) = (sorted.first(), sorted.last()) else {
            return Err(ModelError::TooFewExamples(0));
        };
        let span = f64::from(last) - f64::from(first);
        if span <= 0.0 {
            return Err(ModelError::NoSpread);
        }
        let min_gap = sorted
            .windows(2)
            .map(|w| f64::from(w[1]) - f64::from(w[0]))
            .filter(|&d| d > 0.0)
            .fold(f64::INFINITY, f64::min);
        Ok(Spread {
            n: sorted.len(),
            span,
            min_gap,
        })
    }
}

/// What the CV search found, and how much to trust it.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// The bandwidth with the lowest CV score.
    pub h: f32,
    /// Its CV score.
    pub cv: f64,
    /// Examples left out of its CV score for having no other within the kernel's reach.
    pub isolated: usize,
    /// The smallest and largest bandwidth of the grid, after any extension.
    pub searched: (f32, f32),
    /// Every point evaluated (the grid and the refinements), by increasing `h`, for a plot of
    /// the curve.
    pub curve: Vec<CvPoint>,
    /// What makes the answer weak, if anything; empty for a clear interior minimum.
    pub warnings: Vec<Warning>,
}

/// Why a chosen bandwidth deserves less trust than an ordinary answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Warning {
    /// The lowest CV lies at the smallest bandwidth searched, even after extending the scan.
    LowerEnd {
        /// The smallest bandwidth searched.
        h: f32,
    },
    /// The lowest CV lies at the largest bandwidth searched, even after extending the scan.
    UpperEnd {
        /// The largest bandwidth searched.
        h: f32,
    },
    /// CV is flat around its lowest value over a decade or more of `h`.
    Flat {
        /// The smallest bandwidth of the flat stretch.
        from: f32,
        /// The largest.
        to: f32,
    },
    /// Examples left out of the chosen CV score for having no other within reach.
    Isolated {
        /// How many.
        count: usize,
        /// Of how many examples.
        n: usize,
        /// At the chosen bandwidth.
        h: f32,
    },
    /// Every target is the same: every bandwidth predicts them exactly.
    ConstantTargets,
}

impl Warning {
    /// A short stable name for machine-readable reports (`lower_end`, `flat`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Warning::LowerEnd { .. } => "lower_end",
            Warning::UpperEnd { .. } => "upper_end",
            Warning::Flat { .. } => "flat",
            Warning::Isolated { .. } => "isolated",
            Warning::ConstantTargets => "constant_targets",
        }
    }

    /// The warning with its bandwidths multiplied by `unit` (a power of two, so exactly):
    /// from the unit a search ran in to the caller's.
    pub fn rescaled(&self, unit: f64) -> Warning {
        let h = |h: f32| unit::from_unit(h, unit);
        match *self {
            Warning::LowerEnd { h: at } => Warning::LowerEnd { h: h(at) },
            Warning::UpperEnd { h: at } => Warning::UpperEnd { h: h(at) },
            Warning::Flat { from, to } => Warning::Flat {
                from: h(from),
                to: h(to),
            },
            Warning::Isolated { count, n, h: at } => Warning::Isolated { count, n, h: h(at) },
            Warning::ConstantTargets => Warning::ConstantTargets,
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::LowerEnd { h } => write!(
                f,
                "CV is lowest at the smallest bandwidth searched (h = {h}, below the smallest gap \
                 between inputs): each example is best predicted by its nearest neighbours \
                 alone, so CV finds nothing to smooth (a series, or data with little noise) and \
                 cannot choose a bandwidth; choose h for the detail you need, or take a rule of \
                 thumb (--method silverman)"
            ),
            Warning::UpperEnd { h } => write!(
                f,
                "CV is lowest at the largest bandwidth searched (h = {h}, wider than the data): \
                 the best fit is the global one (the mean of y for Nadaraya-Watson, one line or \
                 parabola for a local linear or quadratic fit), so the data show nothing local \
                 in x beyond it; check the columns, or fit that global model"
            ),
            Warning::Flat { from, to } => write!(
                f,
                "CV is flat (within {FLAT:e} of its lowest value) for h from {from} to {to}: the \
                 data do not single out a bandwidth in that range, and the one reported is one \
                 of many equally good"
            ),
            Warning::Isolated { count, n, h } => write!(
                f,
                "{count} of {n} examples have no other example within the kernel's reach at h = \
                 {h} and are left out of CV; predicting at them needs a wider bandwidth or \
                 --far"
            ),
            Warning::ConstantTargets => write!(
                f,
                "every target y is the same: any bandwidth predicts them exactly, so CV cannot \
                 choose one"
            ),
        }
    }
}

/// Two CV scores closer than this (relative) are the same for telling flat from sloped.
///
/// CV is a mean of f64 squares of errors of f32 predictions, which carry ~1e-7 relative
/// rounding; an interior minimum rises far above this within a fraction of a decade.
const FLAT: f64 = 1e-6;

/// The bandwidth of `kind` that minimizes `CV(h)` on `(x, y)`, searched as the module docs
/// say.
pub fn select(
    kind: KernelKind,
    x: &[f32],
    y: &[f32],
    search: &Search,
    par: Par,
) -> Result<Selection> {
    select_observed(kind, x, y, search, par, &mut |_| {})
}

/// [`select`], calling `observe` after each CV evaluation (for progress reports).
///
/// Inputs whose span lies outside [`crate::unit::ORDINARY`] are searched measured in a
/// power-of-two unit near the span (see [`crate::unit`]); everything is reported in the
/// caller's units.
pub fn select_observed(
    kind: KernelKind,
    x: &[f32],
    y: &[f32],
    search: &Search,
    par: Par,
    observe: &mut dyn FnMut(&CvPoint),
) -> Result<Selection> {
    select_scored(
        x,
        y,
        search,
        &|data: &SortedKeys, h: f32| cv_as_given(kind, data, h, search.algorithm, par),
        observe,
    )
}

/// [`select_observed`] with any score of the prepared (sorted) data at a bandwidth in its
/// units, `score(data, h)`: the search, its units for extreme spans and its warnings are the
/// same for every criterion (leave-one-out CV of any degree, AIC).
pub(crate) fn select_scored(
    x: &[f32],
    y: &[f32],
    search: &Search,
    score: &dyn Fn(&SortedKeys, f32) -> Result<CvPoint>,
    observe: &mut dyn FnMut(&CvPoint),
) -> Result<Selection> {
    search.check()?;
    // `prepare` checks the lengths and that there are two examples.
    let data = crate::loo::prepare(x, y)?;
    let spread = Spread::of(data.keys())?;
    let mut found = match unit::unit_for(spread.span) {
        None => search_within(&spread, search, (FLOOR, CEILING), |h| {
            let point = score(&data, h)?;
            observe(&point);
            Ok(point)
        })?,
        Some(s) => {
            // Distinct f32 inputs lie within ~2^25 spans of 0, so none overflows in this unit.
            let data = crate::loo::prepare(&unit::divide(x, s, "inputs", s as f32)?, y)?;
            // The caller's h must stay a normal f32, the kernels' `h / s` far from 0 and inf.
            let limits = (
                FLOOR.max(f64::from(f32::MIN_POSITIVE) / s),
                CEILING.min(CEILING / s),
            );
            search_within(&Spread::of(data.keys())?, search, limits, |h| {
                let point = score(&data, h)?;
                observe(&point.rescaled(s));
                Ok(point)
            })
            .map_err(|e| match e {
                ModelError::Isolated { count, bandwidth } => ModelError::Isolated {
                    count,
                    bandwidth: unit::from_unit(bandwidth, s),
                },
                ModelError::SearchRange { lo, hi } => ModelError::SearchRange {
                    lo: lo * s,
                    hi: hi * s,
                },
                e => e,
            })?
            .rescaled(s)
        }
    };
    if y.iter().all(|&v| v == y[0]) {
        found.warnings.insert(0, Warning::ConstantTargets);
    }
    Ok(found)
}

/// The search of [`select`] over any score `cv(h)` on inputs of `spread`: the grid, its
/// extension past an end that holds the lowest score, then the refinement of its best
/// minima. Exposed so that another way of computing CV (a dense one, for comparison) is
/// searched exactly the same way.
///
/// Errors with [`ModelError::SearchRange`] when the range lies entirely outside the
/// bandwidths the f32 kernels can use (from `1.2e-35` to `8.5e37`).
pub fn search_min(
    spread: &Spread,
    search: &Search,
    cv: impl FnMut(f32) -> Result<CvPoint>,
) -> Result<Selection> {
    search_within(spread, search, (FLOOR, CEILING), cv)
}

/// The least bandwidth searched: `1 / h` and the kernels' constants stay finite above it.
const FLOOR: f64 = f32::MIN_POSITIVE as f64 * 1e3;
/// The greatest bandwidth searched.
const CEILING: f64 = f32::MAX as f64 / 4.0;

/// [`search_min`] within `limits`, the least and greatest bandwidth that may be evaluated.
fn search_within(
    spread: &Spread,
    search: &Search,
    (floor, ceiling): (f64, f64),
    mut cv: impl FnMut(f32) -> Result<CvPoint>,
) -> Result<Selection> {
    search.check()?;
    // A NaN span is no spread either.
    if spread.span.is_nan() || spread.span <= 0.0 {
        return Err(ModelError::NoSpread);
    }
    let allowed = (search.max_isolated * spread.n as f64).floor() as usize;
    let score = |p: &CvPoint| {
        if p.isolated > allowed {
            f64::INFINITY
        } else {
            p.cv
        }
    };
    // The grid is the lattice `log h = k step`, so an extension continues it. Its ends stay
    // within `limits`.
    let step = std::f64::consts::LN_10 / search.per_decade as f64;
    let lo = (search.lo * spread.span).min(spread.min_gap).max(floor);
    let hi = (search.hi * spread.span).min(ceiling);
    let lattice = |k: i64| k as f64 * step;
    let (k_floor, k_ceiling) = (
        (floor.ln() / step).ceil() as i64,
        (ceiling.ln() / step).floor() as i64,
    );
    let (mut k_lo, mut k_hi) = (
        ((lo.ln() / step).floor() as i64).max(k_floor),
        ((hi.ln() / step).ceil() as i64).min(k_ceiling),
    );
    if k_lo > k_hi {
        return Err(ModelError::SearchRange {
            lo: search.lo * spread.span,
            hi: search.hi * spread.span,
        });
    }
    let mut curve: Vec<CvPoint> = Vec::new();
    let mut eval = |log_h: f64| -> Result<CvPoint> {
        let point = cv(log_h.exp() as f32)?;
        curve.push(point);
        Ok(point)
    };
    // Scores on the lattice, lowest k first.
    let mut grid: std::collections::VecDeque<(i64, f64)> = std::collections::VecDeque::new();
    for k in k_lo..=k_hi {
        let p = eval(lattice(k))?;
        grid.push_back((k, score(&p)));
    }
    // Extend past an end while the lowest score lies there and the extension still finds
    // lower scores (a stretch that is flat, or infinite, ends it).
    let per = search.per_decade as i64;
    let (mut below, mut above) = (0, 0);
    loop {
        let best = lowest(&grid);
        let Some(best_k) = best.map(|(k, _)| k) else {
            break;
        };
        let best_score = best.map_or(f64::INFINITY, |b| b.1);
        if best_k == k_lo && below < search.extend && k_lo > k_floor {
            below += 1;
            let mut improved = false;
            for k in ((k_lo - per).max(k_floor)..k_lo).rev() {
                let s = score(&eval(lattice(k))?);
                improved |= s < best_score * (1.0 - FLAT);
                grid.push_front((k, s));
            }
            k_lo = (k_lo - per).max(k_floor);
            if improved {
                continue;
            }
        } else if best_k == k_hi && above < search.extend && k_hi < k_ceiling {
            above += 1;
            let mut improved = false;
            for k in k_hi + 1..=(k_hi + per).min(k_ceiling) {
                let s = score(&eval(lattice(k))?);
                improved |= s < best_score * (1.0 - FLAT);
                grid.push_back((k, s));
            }
            k_hi = (k_hi + per).min(k_ceiling);
            if improved {
                continue;
            }
        }
        break;
    }
    let grid: Vec<(i64, f64)> = grid.into();
    let scores: Vec<f64> = grid.iter().map(|g| g.1).collect();
    let logs: Vec<f64> = grid.iter().map(|g| lattice(g.0)).collect();

    // Grid points no higher than their neighbours, lowest first (ties: the wider bandwidth).
    let mut minima: Vec<usize> = (0..scores.len())
        .filter(|&k| {
            scores[k].is_finite()
                && (k == 0 || scores[k] <= scores[k - 1])
                && (k + 1 == scores.len() || scores[k] <= scores[k + 1])
        })
        .collect();
    minima.sort_by(|&i, &j| scores[i].total_cmp(&scores[j]).then(j.cmp(&i)));
    let Some(&first) = minima.first() else {
        // No finite score anywhere: at no bandwidth in range do enough examples see another.
        return Err(ModelError::Isolated {
            count: spread.n,
            bandwidth: logs[logs.len() - 1].exp() as f32,
        });
    };
    let mut best = (logs[first], scores[first]);
    for &k in minima.iter().take(search.refine) {
        let lo = logs[k.saturating_sub(1)];
        let hi = logs[(k + 1).min(logs.len() - 1)];
        let found = golden(
            &mut |l| eval(l).map(|p| score(&p)),
            lo,
            hi,
            search.tolerance,
        )?;
        if found.1 < best.1 {
            best = found;
        }
    }
    curve.sort_by(|p, q| p.h.total_cmp(&q.h));
    let h = best.0.exp() as f32;
    let chosen = curve.iter().find(|p| p.h == h).copied().unwrap_or(CvPoint {
        h,
        cv: best.1,
        isolated: 0,
    });
    let searched = (logs[0].exp() as f32, logs[logs.len() - 1].exp() as f32);
    let mut warnings = flatness(&curve, &score, best.1, searched);
    if chosen.isolated > 0 {
        warnings.push(Warning::Isolated {
            count: chosen.isolated,
            n: spread.n,
            h,
        });
    }
    Ok(Selection {
        h,
        cv: best.1,
        isolated: chosen.isolated,
        searched,
        curve,
        warnings,
    })
}

impl Selection {
    /// The selection with every bandwidth multiplied by `unit`: from the unit the search ran
    /// in to the caller's.
    fn rescaled(self, unit: f64) -> Selection {
        Selection {
            h: unit::from_unit(self.h, unit),
            searched: (
                unit::from_unit(self.searched.0, unit),
                unit::from_unit(self.searched.1, unit),
            ),
            curve: self.curve.into_iter().map(|p| p.rescaled(unit)).collect(),
            warnings: self.warnings.iter().map(|w| w.rescaled(unit)).collect(),
            ..self
        }
    }
}

/// The lowest finite score of the grid, ties going to the wider bandwidth.
fn lowest(grid: &std::collections::VecDeque<(i64, f64)>) -> Option<(i64, f64)> {
    grid.iter()
        .copied()
        .filter(|g| g.1.is_finite())
        .reduce(|a, b| if b.1 <= a.1 { b } else { a })
}

/// The warnings the shape of the curve around its lowest score `best` calls for: a stretch
/// within [`FLAT`] of it that spans a decade or more, or that reaches an end of the range
/// `searched`.
fn flatness(
    curve: &[CvPoint],
    score: &impl Fn(&CvPoint) -> f64,
    best: f64,
    searched: (f32, f32),
) -> Vec<Warning> {
    let near = |p: &CvPoint| score(p) <= best + FLAT * best.abs();
    let Some(at) = curve
        .iter()
        .position(|p| near(p) && score(p) <= best)
        .or_else(|| curve.iter().position(&near))
    else {
        return Vec::new();
    };
    // The contiguous stretch of evaluated points around the best that stay near it.
    let mut from = at;
    while from > 0 && near(&curve[from - 1]) {
        from -= 1;
    }
    let mut to = at;
    while to + 1 < curve.len() && near(&curve[to + 1]) {
        to += 1;
    }
    let (h_from, h_to) = (curve[from].h, curve[to].h);
    let (at_lower, at_upper) = (h_from <= searched.0, h_to >= searched.1);
    let mut warnings = Vec::new();
    if at_lower && !at_upper {
        warnings.push(Warning::LowerEnd { h: searched.0 });
    }
    if at_upper && !at_lower {
        warnings.push(Warning::UpperEnd { h: searched.1 });
    }
    if f64::from(h_to) >= 10.0 * f64::from(h_from) || (at_lower && at_upper) {
        warnings.push(Warning::Flat {
            from: h_from,
            to: h_to,
        });
    }
    warnings
}

/// Golden-section search for a minimum of `f` on `[lo, hi]`, to `tolerance`; returns the
/// best point seen and its value.
fn golden(
    f: &mut impl FnMut(f64) -> Result<f64>,
    mut lo: f64,
    mut hi: f64,
    tolerance: f64,
) -> Result<(f64, f64)> {
    let inv_phi = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = hi - inv_phi * (hi - lo);
    let mut x2 = lo + inv_phi * (hi - lo);
    let (mut f1, mut f2) = (f(x1)?, f(x2)?);
    // Each step narrows the bracket by 0.618; the cap ends it where f64 cannot narrow it.
    for _ in 0..200 {
        if hi - lo <= tolerance {
            break;
        }
        if f1 <= f2 {
            hi = x2;
            (x2, f2) = (x1, f1);
            x1 = hi - inv_phi * (hi - lo);
            f1 = f(x1)?;
        } else {
            lo = x1;
            (x1, f1) = (x2, f2);
            x2 = lo + inv_phi * (hi - lo);
            f2 = f(x2)?;
        }
    }
    Ok(if f1 <= f2 { (x1, f1) } else { (x2, f2) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        // numpy.percentile(x, [25, 50, 75]) = [1.75, 3.5, 5.25]
        assert_eq!(quantile(&x, 0.25), 1.75);
        assert_eq!(quantile(&x, 0.5), 3.5);
        assert_eq!(quantile(&x, 0.75), 5.25);
    }

    #[test]
    fn golden_section_finds_a_parabolas_vertex() {
        let mut calls = 0;
        let mut f = |x: f64| -> Result<f64> {
            calls += 1;
            Ok((x - 0.3).powi(2))
        };
        let (x, fx) = golden(&mut f, -1.0, 2.0, 1e-9).unwrap();
        assert!((x - 0.3).abs() < 1e-8 && fx < 1e-15, "{x}");
        assert!(calls < 60, "{calls} evaluations");
    }
}
