//! Attention pooling: `f(q) = sum_i alpha(q, k_i) v_i` with weights that sum to 1 over the
//! keys. One file per variant, all behind [`Pooling`].

pub mod adaptive;
mod average;
mod nonparametric;
mod parametric;

pub use adaptive::AdaptivePooling;
pub use average::AveragePooling;
pub use nonparametric::NonparametricPooling;
pub use parametric::{ParametricPooling, ParametricTape};

use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{self, Pooled, SortedKeys};
use nw_tensor::{Par, Tensor, TensorError};
use rayon::prelude::*;

use crate::algorithm::{self, Algorithm};
use crate::far::{self, Far};
use crate::unit;
use crate::{ModelError, Result};

/// How a pooling call runs and what it returns besides the predictions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolOptions {
    /// Also return the attention-weight matrix (queries x keys: O(n m) memory).
    pub weights: bool,
    /// Also return per-query [`Diagnostics`].
    pub diagnostics: bool,
    /// What a query with no kernel estimate gets.
    pub far: Far,
    /// Threads.
    pub par: Par,
    /// How a kernel pooling of one bandwidth sums: the direct pass, the sorted sweep, or the
    /// faster for the data ([`crate::algorithm`]). The weight matrix and diagnostics have the
    /// direct pass only, as have adaptive and average pooling.
    pub algorithm: Algorithm,
}

impl Default for PoolOptions {
    /// Predictions only, far queries refused, on the rayon pool, the algorithm by the cost
    /// model.
    fn default() -> Self {
        PoolOptions {
            weights: false,
            diagnostics: false,
            far: Far::Error,
            par: Par::Rayon,
            algorithm: Algorithm::Auto,
        }
    }
}

/// Per-query diagnostics of a kernel pooling.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostics {
    /// `ln sum_j K(u_j)`, the log of the kernel-weight sum (the log-sum-exp of the scores);
    /// `-inf` for a query with no key in reach.
    pub log_weight_sum: Vec<f32>,
    /// `(sum_j K_j)^2 / sum_j K_j^2`: how many keys the estimate really averages (1 when one
    /// key has all the weight, `m` when all weigh the same); NaN without an estimate.
    pub effective_keys: Vec<f32>,
    /// The distance from the query to its nearest key.
    pub nearest_distance: Vec<f32>,
}

/// What a pooling returns: a prediction per query and, when asked for, the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    /// One prediction per query, in query order.
    pub y_hat: Vec<f32>,
    /// The attention weights, queries x keys, when they were asked for (a row of NaN for a
    /// query with no estimate).
    pub weights: Option<Tensor>,
    /// Per-query diagnostics, when they were asked for.
    pub diagnostics: Option<Diagnostics>,
    /// The queries that had no kernel estimate (their predictions follow the [`Far`] policy).
    pub far: Vec<usize>,
}

/// A way to pool values by attention: the common face of the chapter's three models.
pub trait Pooling {
    /// A short name for reports (`average`, `nonparametric`, `parametric`).
    fn name(&self) -> &'static str;

    /// Predictions for `queries` from `(keys, values)`, with what `options` asks for.
    fn pool_with(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        options: &PoolOptions,
    ) -> Result<Attention>;

    /// Predictions for `queries` from `(keys, values)`; the weight matrix when `weights`.
    fn pool(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        weights: bool,
        par: Par,
    ) -> Result<Attention> {
        let options = PoolOptions {
            weights,
            par,
            ..PoolOptions::default()
        };
        self.pool_with(queries, keys, values, &options)
    }
}

/// Checks that every key has a value, that there is a key, and that keys and values are
/// finite: the checks every pooling makes, with the same errors.
///
/// A non-finite key or value is the fused kernel's own refusal
/// ([`SortedKeys::new`]: `pool: keys[i] is NaN, expected a finite number`), made here so that
/// a pooling that never sorts (average pooling) refuses exactly as the others do.
pub(crate) fn check_keys(keys: &[f32], values: &[f32]) -> Result<()> {
    if keys.len() != values.len() {
        return Err(ModelError::KeysValues {
            keys: keys.len(),
            values: values.len(),
        });
    }
    if keys.is_empty() {
        return Err(ModelError::NoKeys);
    }
    for (what, column) in [("keys", keys), ("values", values)] {
        if let Some(index) = column.iter().position(|v| !v.is_finite()) {
            return Err(TensorError::NotFinite {
                op: "pool",
                what,
                index,
                value: column[index],
            }
            .into());
        }
    }
    Ok(())
}

/// Kernel attention pooling with `kind` at bandwidth `h` (infinite: every key alike).
///
/// The predictions come from the fused streaming kernel ([`nw_tensor::ops::pool`]), in
/// O(queries + keys) memory, or from the sorted sweep ([`nw_tensor::ops::sweep`]) as
/// `options.algorithm` chooses. The weights, when asked for, are the matrix itself, each row a
/// softmax of [`KernelKind::ln_k`] computed in f64 ([`weight_matrix`]); the predictions beside
/// them come from the direct pass, which costs nothing beside an O(queries x keys) matrix.
///
/// A bandwidth outside [`crate::unit::ORDINARY`] pools inputs measured in a power-of-two unit
/// near `h` (see [`crate::unit`]): the same weights, which f32 kernel constants could not give.
pub(crate) fn kernel_pool(
    kind: KernelKind,
    h: f32,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    options: &PoolOptions,
) -> Result<Attention> {
    kernel_pool_prepared(kind, h, queries, None, keys, values, options)
}

/// [`kernel_pool`] with the keys already sorted (`sorted`, from `keys` and `values`), for a
/// fitted model that pools many times over the same keys; the same bits as sorting anew.
pub(crate) fn kernel_pool_prepared(
    kind: KernelKind,
    h: f32,
    queries: &[f32],
    sorted: Option<&SortedKeys>,
    keys: &[f32],
    values: &[f32],
    options: &PoolOptions,
) -> Result<Attention> {
    check_keys(keys, values)?;
    // What the sweep does not compute: the direct pass serves these (or `Sweep` refuses).
    let unserved = if options.weights {
        Some("the attention weight matrix")
    } else if options.diagnostics {
        Some("diagnostics (the sweep has no effective key counts)")
    } else {
        None
    };
    // In the unit's branch too: the sweep is chosen for the bandwidth the kernels see.
    let run = |h: f32, queries: &[f32], sorted: &SortedKeys| -> Result<Pooled> {
        let sweep = algorithm::sweeps(options.algorithm, kind, h, sorted, queries.len(), unserved)?;
        if sweep {
            return Ok(nw_tensor::ops::sweep::pool_sweep(
                kind,
                h,
                queries,
                sorted,
                options.par,
            ));
        }
        Ok(kind.visit(
            h,
            Fused {
                queries,
                keys: sorted,
                diagnostics: options.diagnostics,
                par: options.par,
            },
        ))
    };
    let fused = |h: f32, queries: &[f32], keys: &[f32]| -> Result<Pooled> {
        run(h, queries, &SortedKeys::new(keys, values)?)
    };
    let pooled = match unit::unit_for(f64::from(h)) {
        None => match sorted {
            Some(sorted) => run(h, queries, sorted)?,
            None => fused(h, queries, keys)?,
        },
        Some(s) => {
            let in_unit = |xs, what| unit::divide(xs, s, what, h);
            let (q, k) = (in_unit(queries, "queries")?, in_unit(keys, "keys")?);
            let mut pooled = fused(unit::to_unit(h, s), &q, &k)?;
            for d in &mut pooled.dmin {
                *d = unit::from_unit(*d, s);
            }
            pooled
        }
    };
    assemble(pooled, options, queries, keys, values, || {
        weight_matrix(kind, h, queries, keys, options.par)
    })
}

/// The [`Attention`] of a fused pooling: the far-query policy applied, the weight matrix
/// built if asked for (by `weights`), the diagnostics kept if asked for.
pub(crate) fn assemble(
    pooled: Pooled,
    options: &PoolOptions,
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    weights: impl FnOnce() -> Result<Tensor>,
) -> Result<Attention> {
    let Pooled {
        y: mut y_hat,
        lse,
        dmin,
        effective,
    } = pooled;
    let far = far::apply(options.far, queries, &mut y_hat, keys, values)?;
    let weights = if options.weights {
        Some(weights()?)
    } else {
        None
    };
    let diagnostics = options.diagnostics.then(|| Diagnostics {
        log_weight_sum: lse,
        effective_keys: effective.unwrap_or_default(),
        nearest_distance: dmin,
    });
    Ok(Attention {
        y_hat,
        weights,
        diagnostics,
        far,
    })
}

/// The fused pooling, for [`KernelKind::visit`].
struct Fused<'a> {
    queries: &'a [f32],
    keys: &'a SortedKeys,
    diagnostics: bool,
    par: Par,
}

impl KernelVisitor for Fused<'_> {
    type Output = Pooled;
    fn visit<K: Bandwidth>(self, kernel: K) -> Pooled {
        if self.diagnostics {
            pool::pool_diagnosed(&kernel, self.queries, self.keys, self.par)
        } else {
            pool::pool(&kernel, self.queries, self.keys, self.par)
        }
    }
}

/// Rows of queries per parallel task when building the weight matrix.
const ROWS: usize = 16;

/// The attention weights of `kind` at bandwidth `h`, queries x keys in the keys' input
/// order: row `i` is `softmax_j(ln K((q_i - k_j) / h))`, computed in f64 from the textbook
/// [`KernelKind::ln_k`] and rounded once to f32. A query with no key in reach gets a row of
/// NaN. O(queries x keys) memory: this is the matrix the fused path never builds.
///
/// `h` must be positive (infinite: every key alike). Errors with [`TensorError::TooLarge`] if
/// the matrix does not fit in memory.
pub fn weight_matrix(
    kind: KernelKind,
    h: f32,
    queries: &[f32],
    keys: &[f32],
    par: Par,
) -> Result<Tensor> {
    if h.is_nan() || h <= 0.0 {
        return Err(ModelError::Parameter {
            name: "h",
            expected: "a positive bandwidth (infinite: every key alike)",
            value: f64::from(h),
        });
    }
    weight_matrix_by(kind, |_| f64::from(h), queries, keys, par)
}

/// [`weight_matrix`] with a bandwidth of each query's own, `h(q)`.
pub(crate) fn weight_matrix_by(
    kind: KernelKind,
    h: impl Fn(f32) -> f64 + Sync,
    queries: &[f32],
    keys: &[f32],
    par: Par,
) -> Result<Tensor> {
    let m = keys.len();
    let shape = [queries.len(), m];
    let too_large = || TensorError::TooLarge {
        shape: shape.to_vec(),
    };
    let len = queries.len().checked_mul(m).ok_or_else(too_large)?;
    let mut all = Vec::new();
    all.try_reserve_exact(len).map_err(|_| too_large())?;
    all.resize(len, 0.0f32);
    let row = |(out, &q): (&mut [f32], &f32)| softmax_row_f64(kind, h(q), q, keys, out);
    if m > 0 {
        if par.is_parallel() {
            all.par_chunks_mut(m)
                .zip(queries)
                .with_min_len(ROWS)
                .for_each(row);
        } else {
            all.chunks_mut(m).zip(queries).for_each(row);
        }
    }
    Ok(Tensor::new(&shape, all)?)
}

/// One row of attention weights: `softmax_j(ln K((q - k_j) / h))` in f64, rounded once into
/// `out`; a row of NaN when no key is within reach.
pub(crate) fn softmax_row_f64(kind: KernelKind, h: f64, q: f32, keys: &[f32], out: &mut [f32]) {
    let scores: Vec<f64> = keys
        .iter()
        .map(|&k| kind.ln_k((f64::from(q) - f64::from(k)) / h))
        .collect();
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY || max.is_nan() {
        out.fill(f32::NAN);
        return;
    }
    let sum: f64 = scores.iter().map(|s| (s - max).exp()).sum();
    for (o, s) in out.iter_mut().zip(&scores) {
        *o = ((s - max).exp() / sum) as f32;
    }
}
