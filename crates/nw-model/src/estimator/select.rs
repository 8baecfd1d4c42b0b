//! Resolving a [`Bandwidth`] choice inside `fit`, and leave-one-out CV with its gradient.
//!
//! # Several inputs
//! CV is minimized over the log-bandwidths `ln h_j` with its analytic gradient (one fused
//! pass gives both: [`nw_tensor::ops::pool_nd::loo_nd`]) by the box-constrained L-BFGS of
//! [`crate::optimize`], from [`STARTS`] starts: the `d`-dimensional normal-reference rule of
//! thumb per input times `1`, `1/4` and `4`. The best end point wins (ties: the earlier
//! start). Working in `ln h` keeps every bandwidth positive; the box keeps it finite: each
//! input's bandwidth stays between the smaller of `1e-3` spans ([`Search::lo`]) and its
//! smallest gap, and [`UPPER_SPANS`] spans, beyond which the input is smoothed out (its
//! weights vary by less than 1e-4 across the data). Then each input is tested on its own:
//! CV at a tenth and ten times its bandwidth, the others held; within `1e-6` of the best is
//! a [`Warning::Flat`], and a bandwidth at an end of its box a [`Warning::LowerEnd`] or
//! [`Warning::UpperEnd`]. A stretch that is flat up to the top of the box is an
//! [`Warning::UpperEnd`] too: the search stopped somewhere on a plateau of bandwidths so wide
//! that the input no longer matters. One whose bandwidth can grow tenfold for less than a
//! `1e-3` relative change in CV is a [`Warning::Insensitive`]: the input hardly matters beside
//! the others (a noise input that CV has tuned to nothing in particular).
//!
//! The uniform kernel's CV is piecewise constant in `h` (a key is in or out), so its gradient
//! is 0 wherever it exists and L-BFGS would stop where it starts. For it, each start is
//! improved by a coordinate search instead: one input at a time on a grid of 10 bandwidths
//! per decade over its box, then of 80 per decade around the best.
//!
//! A local linear fit's CV and the corrected AIC (of any degree) are smooth in `h` but have
//! no gradient in their pass: they get the same coordinate search with two more rounds, of
//! 640 and 5120 per decade around the best, and the same starts, probes and warnings.

use nw_tensor::ops::pool_nd;

use nw_tensor::ops::pool::SortedKeys;

use super::{Bandwidth, Chosen, Data, Keys, Loo, Params, Warning, local};
use crate::algorithm::Algorithm;
use crate::bandwidth::{self, CvPoint, Search};
use crate::{KernelKind, ModelError, Par, Result};

/// The multiples of the rule of thumb the search starts from.
pub const STARTS: [f64; 3] = [1.0, 0.25, 4.0];
/// The largest bandwidth searched, in spans of its input.
pub const UPPER_SPANS: f64 = 100.0;
/// Two CV scores closer than this (relative) are the same for telling flat from sloped (as
/// in [`bandwidth`]).
const FLAT: f64 = 1e-6;
/// An input whose bandwidth can grow tenfold for less than this relative change of CV
/// hardly matters beside the others: a [`Warning::Insensitive`].
const INSENSITIVE: f64 = 1e-3;

/// One CV evaluation of the bandwidth search, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation<'a> {
    /// The bandwidths evaluated, one per input, in the inputs' units.
    pub bandwidths: &'a [f64],
    /// Their CV score (`+inf` where too many examples are isolated).
    pub cv: f64,
}

/// The bandwidths `params` ask for on `data` (in the inputs' units), and how they came.
pub(super) fn choose(
    params: &Params,
    data: &Data,
    observe: &mut dyn FnMut(&Evaluation),
) -> Result<(Vec<f64>, Chosen)> {
    let plain = |bandwidths: Vec<f64>| {
        let chosen = Chosen {
            bandwidth: params.bandwidth.clone(),
            cv: None,
            aic: None,
            isolated: 0,
            evaluations: 0,
            searched: Vec::new(),
            curve: Vec::new(),
            warnings: Vec::new(),
        };
        (bandwidths, chosen)
    };
    let kind = params.kernel;
    let chosen_from_data = !matches!(
        params.bandwidth,
        Bandwidth::Fixed(_) | Bandwidth::PerInput(_)
    );
    if data.dim > 1 && chosen_from_data {
        // One input keeps the one-input paths' own error (`NoSpread`).
        for j in 0..data.dim {
            let column = data.column(j);
            if column.iter().all(|&v| v == column[0]) {
                return Err(ModelError::ConstantInput {
                    input: j,
                    value: f64::from(column[0]) * data.units[j] + data.origins[j].value(),
                });
            }
        }
    }
    match &params.bandwidth {
        Bandwidth::Fixed(h) => Ok(plain(kernel_exact(data, &vec![*h; data.dim])?)),
        Bandwidth::PerInput(h) => Ok(plain(kernel_exact(data, h)?)),
        Bandwidth::Silverman | Bandwidth::Scott => {
            let rule = if params.bandwidth == Bandwidth::Silverman {
                bandwidth::silverman
            } else {
                bandwidth::scott
            };
            let h = (0..data.dim)
                .map(|j| {
                    let h = f64::from(rule(&data.column(j), kind)?);
                    Ok(h * rate(data.n, data.dim) * data.units[j])
                })
                .collect::<Result<Vec<f64>>>()?;
            Ok(plain(kernel_exact(data, &h)?))
        }
        Bandwidth::Cv if data.dim == 1 && params.degree == 0 => {
            // The model's algorithm governs its search too.
            let search = Search {
                algorithm: params.algorithm,
                ..params.search
            };
            let found = bandwidth::select_observed(
                kind,
                &data.x,
                &data.y,
                &search,
                params.par,
                &mut |p| {
                    observe(&Evaluation {
                        bandwidths: &[f64::from(p.h)],
                        cv: p.cv,
                    })
                },
            )?;
            let chosen = Chosen {
                bandwidth: Bandwidth::Cv,
                cv: Some(found.cv),
                aic: None,
                isolated: found.isolated,
                evaluations: found.curve.len(),
                searched: vec![(f64::from(found.searched.0), f64::from(found.searched.1))],
                warnings: found.warnings.into_iter().map(Warning::Search).collect(),
                curve: found.curve,
            };
            Ok((vec![f64::from(found.h)], chosen))
        }
        Bandwidth::Cv | Bandwidth::Aic if data.dim == 1 => one_input(params, data, observe),
        Bandwidth::Cv | Bandwidth::Aic => search(params, data, observe),
    }
}

/// The one-input search of [`crate::bandwidth`] on a local polynomial's leave-one-out CV, or
/// on the corrected AIC of any degree.
fn one_input(
    params: &Params,
    data: &Data,
    observe: &mut dyn FnMut(&Evaluation),
) -> Result<(Vec<f64>, Chosen)> {
    let (kind, degree, par) = (params.kernel, params.degree, params.par);
    let aic = params.bandwidth == Bandwidth::Aic;
    let score = |keys: &SortedKeys, h: f32| -> Result<CvPoint> {
        let h = crate::kernel::check_bandwidth(h)?;
        if aic {
            let a = local::aic_sorted(kind, degree, keys, h, par)?;
            return Ok(CvPoint {
                h,
                cv: a.value.exp(),
                isolated: keys.len() - a.scored,
            });
        }
        let l = local::loo_sorted(kind, degree, keys, h, par)?;
        let scored = keys.len() - l.far;
        Ok(CvPoint {
            h,
            cv: if scored == 0 {
                f64::INFINITY
            } else {
                l.loss / scored as f64
            },
            isolated: l.far,
        })
    };
    // AIC is searched as `exp(AIC)` (positive, so that relative flatness means what it means
    // for CV) and reported as itself.
    let report = |v: f64| if aic { v.ln() } else { v };
    let found = bandwidth::select_scored(&data.x, &data.y, &params.search, &score, &mut |p| {
        observe(&Evaluation {
            bandwidths: &[f64::from(p.h)],
            cv: report(p.cv),
        })
    })?;
    let chosen = Chosen {
        bandwidth: params.bandwidth.clone(),
        cv: (!aic).then_some(found.cv),
        aic: aic.then(|| report(found.cv)),
        isolated: found.isolated,
        evaluations: found.curve.len(),
        searched: vec![(f64::from(found.searched.0), f64::from(found.searched.1))],
        warnings: found.warnings.into_iter().map(Warning::Search).collect(),
        curve: found
            .curve
            .into_iter()
            .map(|p| CvPoint {
                cv: report(p.cv),
                ..p
            })
            .collect(),
    };
    Ok((vec![f64::from(found.h)], chosen))
}

/// `n^(1/5 - 1/(d + 4))`: turns a one-dimensional rule of thumb (rate `n^(-1/5)`) into the
/// `d`-dimensional normal reference (rate `n^(-1/(d + 4))`); 1 for one input.
fn rate(n: usize, d: usize) -> f64 {
    (n as f64).powf(0.2 - 1.0 / (d as f64 + 4.0))
}

/// `bandwidths` checked, as the f32 kernels will use them (for one input, the f32 itself;
/// for several, as given).
fn kernel_exact(data: &Data, bandwidths: &[f64]) -> Result<Vec<f64>> {
    let h = data.to_kernel_bandwidths(bandwidths)?;
    Ok(if data.dim == 1 {
        vec![f64::from(h[0])]
    } else {
        bandwidths.to_vec()
    })
}

/// Leave-one-out CV of `kind` at kernel bandwidths `h` on `data`, with the gradient when
/// `grad`; one input is summed by `algorithm`.
pub(super) fn loo(
    kind: KernelKind,
    data: &Data,
    h: &[f32],
    grad: bool,
    algorithm: Algorithm,
    par: Par,
) -> Result<Loo> {
    if data.n < 2 {
        return Err(ModelError::TooFewExamples(data.n));
    }
    let mean = |loss: f64, isolated: usize| {
        let scored = data.n - isolated;
        if scored == 0 {
            f64::INFINITY
        } else {
            loss / scored as f64
        }
    };
    Ok(match &data.keys {
        // CV alone as the one-input search computes it (with its rescaling of extreme
        // bandwidths), so a rule of thumb's score is the number the search would report.
        Keys::One(sorted) if !grad => {
            let p = bandwidth::cv(kind, sorted, h[0], algorithm, par)?;
            Loo {
                loss: p.cv * (data.n - p.isolated) as f64,
                cv: p.cv,
                grad: Vec::new(),
                isolated: p.isolated,
            }
        }
        Keys::One(sorted) => {
            let fit = crate::loo::loo_grad(kind, sorted, h[0], algorithm, par)?;
            Loo {
                loss: fit.loss,
                cv: mean(fit.loss, fit.far),
                grad: vec![fit.grad],
                isolated: fit.far,
            }
        }
        Keys::Many(keys) => {
            let fit = pool_nd::loo_nd(kind, h, keys, grad, par)?;
            Loo {
                loss: fit.loss,
                cv: mean(fit.loss, fit.far),
                grad: fit.grad,
                isolated: fit.far,
            }
        }
    })
}

/// The score the several-input search minimizes at kernel bandwidths `h`, as a [`Loo`]
/// whose `cv` is that score: leave-one-out CV (with its gradient for Nadaraya-Watson when
/// `grad`), or `exp(AIC)` (positive, so that relative flatness means what it means for CV).
fn criterion(params: &Params, data: &Data, h: &[f32], grad: bool) -> Result<Loo> {
    let (kind, par) = (params.kernel, params.par);
    if params.bandwidth == Bandwidth::Aic {
        let fit = local::training_fit(kind, params.degree, h, data, par)?;
        let a = local::aic(&fit.fit, &fit.leverage, &data.y);
        return Ok(Loo {
            loss: f64::NAN,
            cv: a.value.exp(),
            grad: Vec::new(),
            isolated: data.n - a.scored,
        });
    }
    if params.degree == 0 {
        return loo(kind, data, h, grad, params.algorithm, par);
    }
    let l = local::loo(kind, params.degree, h, data, par)?;
    let scored = data.n - l.far;
    Ok(Loo {
        loss: l.loss,
        cv: if scored == 0 {
            f64::INFINITY
        } else {
            l.loss / scored as f64
        },
        grad: Vec::new(),
        isolated: l.far,
    })
}

/// The spread of one input as the kernels see it: `(span, smallest gap, standard
/// deviation)`.
fn spread(column: &[f32]) -> Result<(f64, f64, f64)> {
    let mut sorted: Vec<f32> = column.to_vec();
    sorted.sort_by(f32::total_cmp);
    let s = bandwidth::Spread::of(&sorted)?;
    let n = column.len() as f64;
    let mean = column.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let sd = (column
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    Ok((s.span, s.min_gap, sd))
}

/// The CV search over several inputs (see the module docs).
fn search(
    params: &Params,
    data: &Data,
    observe: &mut dyn FnMut(&Evaluation),
) -> Result<(Vec<f64>, Chosen)> {
    let (n, d, kind) = (data.n, data.dim, params.kernel);
    if n < 2 {
        return Err(ModelError::TooFewExamples(n));
    }
    let search: &Search = &params.search;
    let floor = f64::from(f32::MIN_POSITIVE) * 1e3;
    let ceiling = f64::from(f32::MAX) / 4.0;
    let mut bounds = Vec::with_capacity(d);
    let mut starts = Vec::with_capacity(d);
    for j in 0..d {
        let (span, gap, sd) = spread(&data.column(j))?;
        let lo = (search.lo * span).min(gap).max(floor);
        let hi = (UPPER_SPANS * span).min(ceiling);
        bounds.push((lo.ln(), hi.ln()));
        let rule = 1.06 * sd.max(span / 1e6) * (n as f64).powf(-1.0 / (d as f64 + 4.0));
        starts.push((rule * kind.gaussian_equivalent()).ln());
    }
    let allowed = (search.max_isolated * n as f64).floor() as usize;
    let mut evaluations = 0usize;
    // Every evaluation: the score the search sees (`+inf` beyond the isolation allowance),
    // its gradient in `ln h`, and the isolated count.
    let aic = params.bandwidth == Bandwidth::Aic;
    // Only Nadaraya-Watson's CV has its gradient in the pass; the others are searched by
    // coordinates, as the uniform kernel's CV is.
    let smooth = !aic && params.degree == 0 && kind != KernelKind::Uniform;
    let mut evaluate = |log_h: &[f64], grad: bool| -> Result<(f64, Vec<f64>, usize)> {
        let h: Vec<f32> = log_h.iter().map(|&l| l.exp() as f32).collect();
        let fit = criterion(params, data, &h, grad)?;
        evaluations += 1;
        let scored = (n - fit.isolated) as f64;
        let score = if fit.isolated > allowed {
            f64::INFINITY
        } else {
            fit.cv
        };
        let caller: Vec<f64> = h
            .iter()
            .zip(&data.units)
            .map(|(&h, &u)| f64::from(h) * u)
            .collect();
        observe(&Evaluation {
            bandwidths: &caller,
            cv: score,
        });
        let g = fit.grad.iter().map(|g| g / scored).collect();
        Ok((score, g, fit.isolated))
    };
    let mut best: Option<(Vec<f64>, f64)> = None;
    for factor in STARTS {
        let x0: Vec<f64> = starts
            .iter()
            .zip(&bounds)
            .map(|(&s, &(lo, hi))| (s + factor.ln()).clamp(lo, hi))
            .collect();
        // A start where CV is undefined (every example isolated) is no start.
        let f0 = evaluate(&x0, false)?.0;
        if !f0.is_finite() {
            continue;
        }
        let found = descend(kind, smooth, &params.lbfgs, &x0, f0, &bounds, &mut evaluate)?;
        if best.as_ref().is_none_or(|b| found.1 < b.1) {
            best = Some(found);
        }
    }
    let Some((mut log_h, mut cv)) = best else {
        return Err(ModelError::Isolated {
            count: n,
            bandwidth: starts[0].exp() as f32,
        });
    };
    // Each input a decade either side, the others held: the relative change of CV there
    // (`None` at the box or where CV is undefined). A probe that finds a lower score is a
    // better start: the descent goes on from it (a few times at most), and the probes are
    // made again around where it ends.
    let ten = std::f64::consts::LN_10;
    let mut probes: Vec<[Option<f64>; 2]>;
    let mut restarts = 0;
    loop {
        probes = Vec::with_capacity(d);
        let mut lower: Option<(Vec<f64>, f64)> = None;
        for j in 0..d {
            let (lo, hi) = bounds[j];
            let mut pair = [None, None];
            for (side, delta) in [-ten, ten].into_iter().enumerate() {
                let mut x = log_h.clone();
                x[j] = (x[j] + delta).clamp(lo, hi);
                if x[j] == log_h[j] {
                    continue;
                }
                let score = evaluate(&x, false)?.0;
                if !score.is_finite() {
                    continue;
                }
                if score < cv - FLAT * cv.abs() && lower.as_ref().is_none_or(|l| score < l.1) {
                    lower = Some((x, score));
                }
                pair[side] = Some((score - cv).abs() / cv.abs().max(f64::MIN_POSITIVE));
            }
            probes.push(pair);
        }
        match lower {
            Some((x, score)) if restarts < 3 => {
                restarts += 1;
                (log_h, cv) = descend(
                    kind,
                    smooth,
                    &params.lbfgs,
                    &x,
                    score,
                    &bounds,
                    &mut evaluate,
                )?;
            }
            _ => break,
        }
    }
    let (_, _, isolated) = evaluate(&log_h, false)?;
    let mut warnings = Vec::new();
    if data.y.iter().all(|&v| v == data.y[0]) {
        warnings.push(Warning::ConstantTargets);
    }
    let caller = |j: usize, l: f64| (l.exp() as f32) as f64 * data.units[j];
    for j in 0..d {
        let (lo, hi) = bounds[j];
        if log_h[j] <= lo + 1e-6 {
            warnings.push(Warning::LowerEnd {
                input: j,
                h: caller(j, log_h[j]),
            });
            continue;
        }
        if log_h[j] >= hi - 1e-6 {
            warnings.push(Warning::UpperEnd {
                input: j,
                h: caller(j, log_h[j]),
            });
            continue;
        }
        let [change_below, change_above] = probes[j];
        let flat = |c: Option<f64>| c.is_some_and(|c| c <= FLAT);
        let (below, above) = (flat(change_below), flat(change_above));
        // Flat a decade up and still at the top of the box: the input is smoothed out,
        // whatever bandwidth on that plateau the search stopped at.
        let plateau = above && {
            let mut x = log_h.clone();
            x[j] = hi;
            let top = evaluate(&x, false)?.0;
            top.is_finite() && (top - cv).abs() <= FLAT * cv.abs()
        };
        if plateau {
            warnings.push(Warning::UpperEnd {
                input: j,
                h: caller(j, log_h[j]),
            });
        } else if below || above {
            let from = if below { log_h[j] - ten } else { log_h[j] };
            let to = if above { log_h[j] + ten } else { log_h[j] };
            warnings.push(Warning::Flat {
                input: j,
                from: caller(j, from.clamp(lo, hi)),
                to: caller(j, to.clamp(lo, hi)),
            });
        } else if let Some(change) = change_above.filter(|&c| c <= INSENSITIVE) {
            warnings.push(Warning::Insensitive {
                input: j,
                h: caller(j, log_h[j]),
                change,
            });
        }
    }
    // A compact kernel's minimum can sit where an example just leaves CV (one key at the
    // edge of the support): then CV is a cliff there, and the score depends on the rounding
    // of one distance. Widening every bandwidth by 0.1% tells.
    if isolated > 0 && kind.support().is_some() {
        let wider: Vec<f64> = log_h.iter().map(|&l| l + 1e-3).collect();
        let (score, _, fewer) = evaluate(&wider, false)?;
        if fewer < isolated {
            warnings.push(Warning::EdgeOfReach {
                isolated,
                wider: fewer,
                cv_wider: score,
            });
        }
    }
    if isolated > 0 {
        warnings.push(Warning::Isolated { count: isolated, n });
    }
    let bandwidths: Vec<f64> = (0..d).map(|j| caller(j, log_h[j])).collect();
    let chosen = Chosen {
        bandwidth: params.bandwidth.clone(),
        cv: (!aic).then_some(cv),
        aic: aic.then(|| cv.ln()),
        isolated,
        evaluations,
        searched: (0..d)
            .map(|j| {
                (
                    bounds[j].0.exp() * data.units[j],
                    bounds[j].1.exp() * data.units[j],
                )
            })
            .collect(),
        curve: Vec::new(),
        warnings,
    };
    Ok((bandwidths, chosen))
}

/// Grid steps per decade of a bandwidth in the coordinate search: coarse, then fine, each
/// within a step of the previous best.
const COORDINATE_STEPS: [f64; 2] = [10.0, 80.0];
/// A criterion that is smooth in `h` but has no gradient in the pass (a local polynomial's
/// CV, the corrected AIC) gets two finer rounds: down to steps of 0.045% in `h`, where a
/// smooth minimum is flat to well below `1e-6` of itself.
const SMOOTH_STEPS: [f64; 4] = [10.0, 80.0, 640.0, 5120.0];

/// A derivative-free search for a CV that is piecewise constant in `ln h` (the uniform
/// kernel's): one input at a time, the others held, CV on a grid in `ln h` over the input's
/// box (10 per decade), the best kept; rounds until one changes nothing, then the same on a
/// grid 8 times finer within a coarse step of the best. Returns the best point and its score.
fn coordinate_search(
    levels: &[f64],
    x0: &[f64],
    f0: f64,
    bounds: &[(f64, f64)],
    cv: &mut dyn FnMut(&[f64]) -> Result<f64>,
) -> Result<(Vec<f64>, f64)> {
    let (mut x, mut f) = (x0.to_vec(), f0);
    let decade = std::f64::consts::LN_10;
    for (pass, &steps) in levels.iter().enumerate() {
        let step = decade / steps;
        for _round in 0..8 {
            let mut moved = false;
            for j in 0..x.len() {
                let (lo, hi) = if pass == 0 {
                    bounds[j]
                } else {
                    let coarse = decade / levels[pass - 1];
                    (
                        (x[j] - coarse).max(bounds[j].0),
                        (x[j] + coarse).min(bounds[j].1),
                    )
                };
                let count = ((hi - lo) / step).ceil() as usize;
                for k in 0..=count {
                    let mut trial = x.clone();
                    trial[j] = (lo + k as f64 * step).min(hi);
                    if trial[j] == x[j] {
                        continue;
                    }
                    let s = cv(&trial)?;
                    if s < f {
                        (x, f) = (trial, s);
                        moved = true;
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }
    Ok((x, f))
}

/// A CV evaluation at `ln h` (with its gradient when asked): the score the search sees, the
/// gradient of CV in `ln h`, and the count of isolated examples.
type Evaluate<'a> = dyn FnMut(&[f64], bool) -> Result<(f64, Vec<f64>, usize)> + 'a;

/// The local search from `x0` (score `f0`): L-BFGS on a `smooth` score and its gradient,
/// or the coordinate search for one without a gradient (the uniform kernel's CV is piecewise
/// constant in `h`, its gradient 0 wherever it exists). Returns the end point and its score.
fn descend(
    kind: KernelKind,
    smooth: bool,
    lbfgs: &crate::optimize::Lbfgs,
    x0: &[f64],
    f0: f64,
    bounds: &[(f64, f64)],
    evaluate: &mut Evaluate<'_>,
) -> Result<(Vec<f64>, f64)> {
    if !smooth {
        let levels: &[f64] = if kind == KernelKind::Uniform {
            &COORDINATE_STEPS
        } else {
            &SMOOTH_STEPS
        };
        return coordinate_search(levels, x0, f0, bounds, &mut |x| Ok(evaluate(x, false)?.0));
    }
    let m = lbfgs.minimize(x0, bounds, |x| {
        let (f, g, _) = evaluate(x, true)?;
        Ok((f, g))
    })?;
    // L-BFGS reports its last accepted point, which is never above the start.
    Ok((m.x, m.f))
}
