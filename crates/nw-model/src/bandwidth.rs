//! Choosing the bandwidth: two rules of thumb, and exact leave-one-out cross-validation with
//! a search that finds the global minimum.
//!
//! # Cross-validation
//! `CV(h) = (1/n) sum_i (y_i - y_hat_{-i}(x_i))^2`, where `y_hat_{-i}` pools every example but
//! row `i` (tied inputs stay in): statsmodels' `cv_ls`. Each evaluation is one fused
//! leave-one-out pass ([`nw_tensor::ops::pool::loo_cv`]), never an `n x n` matrix. A bandwidth
//! at which some example has no other within a compact kernel's reach has no CV score: it is
//! `+inf`, and the search moves away from it.
//!
//! # The search
//! statsmodels starts Nelder-Mead at a rule of thumb and stops at the first local minimum it
//! meets. CV curves have several (one per scale of structure in the data), so ours scans
//! first: CV on a log-spaced grid of bandwidths from `1e-3` to `2` times the span of the inputs,
//! then a golden-section search in `log h` inside the bracket of each of the best few grid
//! minima, and the lowest of all wins. Working in `log h` keeps every candidate positive.

use nw_tensor::Par;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{self, SortedKeys};

use crate::{ModelError, Result};

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

/// `CV(h)` of `kind` at bandwidth `h` on the prepared training set: the mean squared
/// leave-one-out error, `+inf` when some example has no other within the kernel's reach.
pub fn cv(kind: KernelKind, data: &SortedKeys, h: f32, par: Par) -> Result<f64> {
    let h = crate::kernel::check_bandwidth(h)?;
    let fit = kind.visit(h, LooCv { data, par })?;
    Ok(if fit.far > 0 {
        f64::INFINITY
    } else {
        fit.loss / data.len() as f64
    })
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

/// Settings of the CV search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Search {
    /// Bandwidths on the log-spaced grid.
    pub grid: usize,
    /// The grid's first bandwidth, as a share of the inputs' span.
    pub lo: f64,
    /// The grid's last bandwidth, as a share of the inputs' span.
    pub hi: f64,
    /// How many of the lowest grid minima are refined.
    pub refine: usize,
    /// The refinement stops when its bracket is this narrow in `log h`.
    pub tolerance: f64,
}

impl Default for Search {
    /// 64 bandwidths from `1e-3` to `2` spans, the best 3 minima refined to `1e-7` in `log h`.
    fn default() -> Self {
        Search {
            grid: 64,
            lo: 1e-3,
            hi: 2.0,
            refine: 3,
            tolerance: 1e-7,
        }
    }
}

/// What the CV search found.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// The bandwidth with the lowest CV score.
    pub h: f32,
    /// Its CV score.
    pub cv: f64,
    /// Every `(h, CV(h))` evaluated, by increasing `h` (the grid and the refinements), for a
    /// plot of the curve; `+inf` where the score is undefined.
    pub curve: Vec<(f32, f64)>,
}

/// The bandwidth of `kind` that minimizes `CV(h)` on `(x, y)`, searched as the module docs
/// say.
pub fn select(
    kind: KernelKind,
    x: &[f32],
    y: &[f32],
    search: &Search,
    par: Par,
) -> Result<Selection> {
    // `prepare` checks the lengths and that there are two examples.
    let data = crate::loo::prepare(x, y)?;
    let keys = data.keys();
    let span = f64::from(keys[keys.len() - 1]) - f64::from(keys[0]);
    search_min(span, search, |h| cv(kind, &data, h, par)).map_err(|e| match e {
        ModelError::Isolated { bandwidth, .. } => ModelError::Isolated {
            count: data.len(),
            bandwidth,
        },
        other => other,
    })
}

/// The search of [`select`] over any score `cv(h)` on inputs of width `span`: the grid, then
/// the refinement of its best minima. Exposed so that another way of computing CV (a dense
/// one, for comparison) is searched exactly the same way.
pub fn search_min(
    span: f64,
    search: &Search,
    mut cv: impl FnMut(f32) -> Result<f64>,
) -> Result<Selection> {
    if span <= 0.0 {
        return Err(ModelError::NoSpread);
    }
    if search.grid < 3 || !(search.lo > 0.0 && search.lo < search.hi) {
        return Err(ModelError::Parameter {
            name: "bandwidth search",
            expected: "a grid of 3 or more bandwidths over 0 < lo < hi",
            value: search.grid as f64,
        });
    }
    let (a, b) = ((search.lo * span).ln(), (search.hi * span).ln());
    let logs: Vec<f64> = (0..search.grid)
        .map(|k| a + (b - a) * k as f64 / (search.grid - 1) as f64)
        .collect();
    let mut curve: Vec<(f32, f64)> = Vec::with_capacity(search.grid + 40 * search.refine);
    let mut eval = |log_h: f64| -> Result<f64> {
        let h = log_h.exp() as f32;
        let score = cv(h)?;
        curve.push((h, score));
        Ok(score)
    };
    let scores: Vec<f64> = logs.iter().map(|&l| eval(l)).collect::<Result<_>>()?;

    // Grid points no higher than their neighbours, lowest first.
    let mut minima: Vec<usize> = (0..scores.len())
        .filter(|&k| {
            scores[k].is_finite()
                && (k == 0 || scores[k] <= scores[k - 1])
                && (k + 1 == scores.len() || scores[k] <= scores[k + 1])
        })
        .collect();
    minima.sort_by(|&i, &j| scores[i].total_cmp(&scores[j]));
    let Some(&first) = minima.first() else {
        // No finite score anywhere: no bandwidth in range lets every example see another.
        return Err(ModelError::Isolated {
            count: 0,
            bandwidth: (search.hi * span) as f32,
        });
    };
    let mut best = (logs[first], scores[first]);
    for &k in minima.iter().take(search.refine) {
        let lo = logs[k.saturating_sub(1)];
        let hi = logs[(k + 1).min(logs.len() - 1)];
        let found = golden(&mut eval, lo, hi, search.tolerance)?;
        if found.1 < best.1 {
            best = found;
        }
    }
    curve.sort_by(|p, q| p.0.total_cmp(&q.0));
    Ok(Selection {
        h: best.0.exp() as f32,
        cv: best.1,
        curve,
    })
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
    while hi - lo > tolerance {
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
