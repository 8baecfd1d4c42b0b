//! Local polynomial fits of degree 1 and 2 on the model's prepared data: predictions with
//! slopes, leave-one-out fits, and the fit at the training rows with each row's own weight
//! in it (the diagonal of the smoother matrix), from the fused passes of
//! [`nw_tensor::ops::local_linear`] (one input), `local_quadratic` (one input, degree 2) and
//! `local_linear_nd` (several inputs).
//!
//! With one input, a bandwidth outside [`crate::unit::ORDINARY`] is run on inputs measured in
//! a power of two near it, as the Nadaraya-Watson path does ([`crate::unit`]); slopes come back
//! per unit of the caller's input.

use nw_tensor::kernels::radial::{Bandwidth, KernelVisitor};
use nw_tensor::ops::local_linear::{self, LooLocal};
use nw_tensor::ops::pool::SortedKeys;
use nw_tensor::{Par, ops::pool};

use super::{Data, Keys};
use crate::{KernelKind, ModelError, Result, unit};

/// A local polynomial fit at queries: the estimate and its slope in each input.
pub(super) struct LocalFit {
    /// The estimate at each query (NaN without one).
    pub(super) y: Vec<f32>,
    /// `dy/dx_j`, queries x inputs row-major, per unit of each input as the kernels measure
    /// it (NaN without an estimate).
    pub(super) slopes: Vec<f32>,
}

/// The fit of `degree` (1 or 2) at `queries` (row-major, kernel coordinates) over the model's
/// keys at kernel bandwidths `h`.
pub(super) fn predict(
    kind: KernelKind,
    degree: usize,
    h: &[f32],
    queries: &[f32],
    data: &Data,
    par: Par,
) -> Result<LocalFit> {
    match &data.keys {
        Keys::One(sorted) => {
            let h = h[0];
            let run = |h: f32, queries: &[f32], keys: &SortedKeys| {
                kind.visit(
                    h,
                    Predict {
                        degree,
                        queries,
                        keys,
                        par,
                    },
                )
            };
            match unit::unit_for(f64::from(h)) {
                None => Ok(run(h, queries, sorted)),
                Some(s) => {
                    let q = unit::divide(queries, s, "queries", h)?;
                    let keys = in_unit(sorted, s, h)?;
                    let mut fit = run(unit::to_unit(h, s), &q, &keys);
                    for b in &mut fit.slopes {
                        *b = (f64::from(*b) / s) as f32;
                    }
                    Ok(fit)
                }
            }
        }
        Keys::Many(keys) => {
            let fit = nw_tensor::ops::local_linear_nd::pool_linear_nd(kind, h, queries, keys, par)?;
            Ok(LocalFit {
                y: fit.y,
                slopes: fit.slopes,
            })
        }
    }
}

/// The leave-one-out fits of `degree` (1 or 2) at kernel bandwidths `h`, with the full fit at
/// each training row and its leverage.
pub(super) fn loo(
    kind: KernelKind,
    degree: usize,
    h: &[f32],
    data: &Data,
    par: Par,
) -> Result<LooLocal> {
    if data.n < 2 {
        return Err(ModelError::TooFewExamples(data.n));
    }
    match &data.keys {
        Keys::One(sorted) => {
            let h = h[0];
            let run = |h: f32, keys: &SortedKeys| kind.visit(h, Loo { degree, keys, par });
            Ok(match unit::unit_for(f64::from(h)) {
                None => run(h, sorted)?,
                Some(s) => run(unit::to_unit(h, s), &in_unit(sorted, s, h)?)?,
            })
        }
        Keys::Many(keys) => Ok(nw_tensor::ops::local_linear_nd::loo_linear_nd(
            kind, h, keys, par,
        )?),
    }
}

/// The fit at each training row (targets measured from their origin, in f64) and the row's
/// own weight in it (the smoother matrix's diagonal `H_ii`), input order; NaN for a row with
/// no estimate.
pub(super) struct TrainingFit {
    /// The fit.
    pub(super) fit: Vec<f64>,
    /// `H_ii`.
    pub(super) leverage: Vec<f64>,
}

/// The model's fit at its training rows, of any degree, at kernel bandwidths `h`.
///
/// Degree 0: the Nadaraya-Watson pooling at the rows themselves, with `H_ii = K(0) / sum_j
/// K_j`, from the pass's log normalizer. Degrees 1 and 2: the leave-one-out pass
/// with each row's own term added back ([`LooLocal::fit`], [`LooLocal::leverage`]).
pub(super) fn training_fit(
    kind: KernelKind,
    degree: usize,
    h: &[f32],
    data: &Data,
    par: Par,
) -> Result<TrainingFit> {
    if degree > 0 {
        let l = loo(kind, degree, h, data, par)?;
        return Ok(TrainingFit {
            fit: l.fit.iter().map(|&v| f64::from(v)).collect(),
            leverage: l.leverage,
        });
    }
    let pooled = match &data.keys {
        Keys::One(sorted) => {
            let h = h[0];
            let run = |h: f32, queries: &[f32], keys: &SortedKeys| {
                kind.visit(h, Constant { queries, keys, par })
            };
            match unit::unit_for(f64::from(h)) {
                None => run(h, &data.x, sorted),
                Some(s) => run(
                    unit::to_unit(h, s),
                    &unit::divide(&data.x, s, "inputs", h)?,
                    &in_unit(sorted, s, h)?,
                ),
            }
        }
        Keys::Many(keys) => nw_tensor::ops::pool_nd::pool_nd(kind, h, &data.x, keys, false, par)?,
    };
    // The log normalizers are those of the textbook (product) kernel, whose value at
    // distance 0 is the row's own weight.
    let ln_k0 = kind.ln_k(0.0) * data.dim as f64;
    Ok(TrainingFit {
        fit: pooled.y.iter().map(|&v| f64::from(v)).collect(),
        leverage: pooled
            .lse
            .iter()
            .map(|&l| (ln_k0 - f64::from(l)).exp())
            .collect(),
    })
}

/// The Nadaraya-Watson smooth of `r^2` at every training row (input order), over the rows
/// whose `r` is finite, at kernel bandwidths `h`; NaN where no such row is in reach.
pub(super) fn smooth_at_rows(
    kind: KernelKind,
    h: &[f32],
    data: &Data,
    r: &[f64],
    par: Par,
) -> Result<Vec<f64>> {
    let d = data.dim;
    let kept: Vec<usize> = (0..data.n).filter(|&i| r[i].is_finite()).collect();
    if kept.is_empty() {
        return Ok(vec![f64::NAN; data.n]);
    }
    let keys: Vec<f32> = kept
        .iter()
        .flat_map(|&i| data.x[i * d..(i + 1) * d].iter().copied())
        .collect();
    let squares: Vec<f32> = kept.iter().map(|&i| (r[i] * r[i]) as f32).collect();
    let y = match &data.keys {
        Keys::One(_) => {
            let h = h[0];
            let run = |h: f32, queries: &[f32], keys: &[f32]| -> Result<Vec<f32>> {
                let sorted = SortedKeys::new(keys, &squares)?;
                Ok(kind
                    .visit(
                        h,
                        Constant {
                            queries,
                            keys: &sorted,
                            par,
                        },
                    )
                    .y)
            };
            match unit::unit_for(f64::from(h)) {
                None => run(h, &data.x, &keys)?,
                Some(s) => run(
                    unit::to_unit(h, s),
                    &unit::divide(&data.x, s, "inputs", h)?,
                    &unit::divide(&keys, s, "keys", h)?,
                )?,
            }
        }
        Keys::Many(all) => {
            let sorted = nw_tensor::ops::pool_nd::KeysNd::new(&keys, d, &squares, all.sort_dim())?;
            nw_tensor::ops::pool_nd::pool_nd(kind, h, &data.x, &sorted, false, par)?.y
        }
    };
    Ok(y.iter().map(|&v| f64::from(v)).collect())
}

/// One input's sorted keys measured in `unit`.
fn in_unit(sorted: &SortedKeys, unit: f64, h: f32) -> Result<SortedKeys> {
    let (keys, values) = sorted_columns(sorted);
    Ok(SortedKeys::new(
        &unit::divide(&keys, unit, "keys", h)?,
        &values,
    )?)
}

/// Keys and values of `sorted` in their input order.
fn sorted_columns(sorted: &SortedKeys) -> (Vec<f32>, Vec<f32>) {
    let mut keys = vec![0.0; sorted.len()];
    let mut values = vec![0.0; sorted.len()];
    for (i, &o) in sorted.order().iter().enumerate() {
        keys[o] = sorted.keys()[i];
        values[o] = sorted.values()[i];
    }
    (keys, values)
}

/// Local fits at queries, for [`KernelKind::visit`].
struct Predict<'a> {
    degree: usize,
    queries: &'a [f32],
    keys: &'a SortedKeys,
    par: Par,
}

impl KernelVisitor for Predict<'_> {
    type Output = LocalFit;
    fn visit<K: Bandwidth>(self, kernel: K) -> LocalFit {
        if self.degree == 2 {
            let fit = nw_tensor::ops::local_quadratic::pool_quadratic(
                &kernel,
                self.queries,
                self.keys,
                self.par,
            );
            LocalFit {
                y: fit.y,
                slopes: fit.slope,
            }
        } else {
            let fit = local_linear::pool_linear(&kernel, self.queries, self.keys, self.par);
            LocalFit {
                y: fit.y,
                slopes: fit.slope,
            }
        }
    }
}

/// Leave-one-out local fits, for [`KernelKind::visit`].
struct Loo<'a> {
    degree: usize,
    keys: &'a SortedKeys,
    par: Par,
}

impl KernelVisitor for Loo<'_> {
    type Output = nw_tensor::Result<LooLocal>;
    fn visit<K: Bandwidth>(self, kernel: K) -> Self::Output {
        if self.degree == 2 {
            nw_tensor::ops::local_quadratic::loo_quadratic(&kernel, self.keys, self.par)
        } else {
            local_linear::loo_linear(&kernel, self.keys, self.par)
        }
    }
}

/// Nadaraya-Watson at queries with the log normalizers, for [`KernelKind::visit`].
struct Constant<'a> {
    queries: &'a [f32],
    keys: &'a SortedKeys,
    par: Par,
}

impl KernelVisitor for Constant<'_> {
    type Output = pool::Pooled;
    fn visit<K: Bandwidth>(self, kernel: K) -> pool::Pooled {
        pool::pool(&kernel, self.queries, self.keys, self.par)
    }
}

/// The leave-one-out fits of `degree` (1 or 2) at bandwidth `h` on one input's sorted
/// training set (in whatever unit the caller measured it), for the one-input search.
pub(super) fn loo_sorted(
    kind: KernelKind,
    degree: usize,
    keys: &SortedKeys,
    h: f32,
    par: Par,
) -> Result<LooLocal> {
    Ok(kind.visit(h, Loo { degree, keys, par })?)
}

/// Hurvich, Simonoff and Tsai's corrected AIC of a linear smoother, and what it is made of.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Aic {
    /// `ln sigma2 + (1 + tr / m) / (1 - (tr + 2) / m)`; `+inf` when `tr + 2 >= m`.
    pub(super) value: f64,
    /// The mean squared residual of the full fit, `RSS / m`.
    pub(super) sigma2: f64,
    /// `tr(H)`, the sum of the rows' own weights: the fit's effective number of parameters.
    pub(super) trace: f64,
    /// Rows with a fit, `m`.
    pub(super) scored: usize,
}

/// [`Aic`] from the fit at the training rows, their leverages and targets (rows without a
/// fit left out).
pub(super) fn aic(fit: &[f64], leverage: &[f64], y: &[f32]) -> Aic {
    let (mut rss, mut trace, mut m) = (0.0, 0.0, 0usize);
    for ((&f, &l), &v) in fit.iter().zip(leverage).zip(y) {
        if f.is_nan() || l.is_nan() {
            continue;
        }
        rss += (f - f64::from(v)).powi(2);
        trace += l;
        m += 1;
    }
    let mf = m as f64;
    let sigma2 = rss / mf;
    let value = if m == 0 || trace + 2.0 >= mf {
        f64::INFINITY
    } else {
        sigma2.ln() + (1.0 + trace / mf) / (1.0 - (trace + 2.0) / mf)
    };
    Aic {
        value,
        sigma2,
        trace,
        scored: m,
    }
}

/// The corrected AIC of `degree` at bandwidth `h` on one input's sorted training set (in
/// whatever unit the caller measured it), for the one-input search.
pub(super) fn aic_sorted(
    kind: KernelKind,
    degree: usize,
    keys: &SortedKeys,
    h: f32,
    par: Par,
) -> Result<Aic> {
    if degree > 0 {
        let l = kind.visit(h, Loo { degree, keys, par })?;
        let fit: Vec<f64> = l.fit.iter().map(|&v| f64::from(v)).collect();
        let (_, values) = sorted_columns(keys);
        return Ok(aic(&fit, &l.leverage, &values));
    }
    let pooled = kind.visit(
        h,
        Constant {
            queries: keys.keys(),
            keys,
            par,
        },
    );
    let ln_k0 = kind.ln_k(0.0);
    let fit: Vec<f64> = pooled.y.iter().map(|&v| f64::from(v)).collect();
    let leverage: Vec<f64> = pooled
        .lse
        .iter()
        .map(|&l| (ln_k0 - f64::from(l)).exp())
        .collect();
    Ok(aic(&fit, &leverage, keys.values()))
}
