//! Pooling with several inputs: the d-dimensional fused kernel, the far-query policy and
//! the weight matrix on rows of inputs.

use nw_tensor::ops::pool_nd::{self, KeysNd};
use nw_tensor::{Par, Tensor, TensorError};
use rayon::prelude::*;

use super::NadarayaWatson;
use crate::far::Far;
use crate::pooling::{Attention, Diagnostics, PoolOptions};
use crate::{KernelKind, ModelError, Result};

/// Pools `queries` (row-major, as the kernels take them) over the model's keys at kernel
/// bandwidths `h`, with what `options` asks for.
pub(super) fn pool(
    model: &NadarayaWatson,
    queries: &[f32],
    h: &[f32],
    keys: &KeysNd,
    options: &PoolOptions,
) -> Result<Attention> {
    let data = &model.data;
    let pooled = pool_nd::pool_nd(
        model.kernel,
        h,
        queries,
        keys,
        options.diagnostics,
        options.par,
    )?;
    let mut y_hat = pooled.y;
    let far = apply_far(model, queries, h, &mut y_hat, options.far)?;
    let weights = if options.weights {
        Some(weight_matrix(
            model.kernel,
            h,
            queries,
            &data.x,
            data.dim,
            options.par,
        )?)
    } else {
        None
    };
    let diagnostics = options.diagnostics.then(|| Diagnostics {
        log_weight_sum: pooled.lse,
        effective_keys: pooled.effective.unwrap_or_default(),
        nearest_distance: pooled.dmin,
    });
    Ok(Attention {
        y_hat,
        weights,
        diagnostics,
        far,
    })
}

/// The queries (row-major, kernel coordinates) whose `y_hat` is NaN, those estimates
/// replaced as the far-query policy `far` says (or the error it asks for).
pub(super) fn apply_far(
    model: &NadarayaWatson,
    queries: &[f32],
    h: &[f32],
    y_hat: &mut [f32],
    far: Far,
) -> Result<Vec<usize>> {
    let data = &model.data;
    let rows: Vec<usize> = (0..y_hat.len()).filter(|&i| y_hat[i].is_nan()).collect();
    if let Some(&first) = rows.first() {
        match far {
            Far::Error => {
                return Err(ModelError::FarRows {
                    count: rows.len(),
                    index: first,
                });
            }
            Far::Nan => {}
            Far::Nearest => {
                for &i in &rows {
                    let q = &queries[i * data.dim..(i + 1) * data.dim];
                    y_hat[i] = nearest_value(q, h, &data.x, &data.y);
                }
            }
            Far::Mean => {
                let mean = data.y.iter().map(|&v| f64::from(v)).sum::<f64>() / data.y.len() as f64;
                for &i in &rows {
                    y_hat[i] = mean as f32;
                }
            }
        }
    }
    Ok(rows)
}

/// The mean target of the training rows nearest to `q` in bandwidths (Euclidean distance of
/// `(q_j - x_j) / h_j`; ties share), in f64.
fn nearest_value(q: &[f32], h: &[f32], x: &[f32], y: &[f32]) -> f32 {
    let d = q.len();
    let dist = |row: &[f32]| -> f64 {
        row.iter()
            .zip(q)
            .zip(h)
            .map(|((&k, &q), &h)| ((f64::from(q) - f64::from(k)) / f64::from(h)).powi(2))
            .sum()
    };
    let dmin = x.chunks_exact(d).map(dist).fold(f64::INFINITY, f64::min);
    let (sum, count) = x
        .chunks_exact(d)
        .zip(y)
        .filter(|(row, _)| dist(row) == dmin)
        .fold((0.0, 0usize), |(s, c), (_, &v)| (s + f64::from(v), c + 1));
    (sum / count as f64) as f32
}

/// The attention weights of the product kernel `kind` at bandwidths `h`: row `i` is
/// `softmax_j(sum_l ln K((q_il - k_jl) / h_l))` over the training rows in their input order,
/// in f64 from the textbook [`KernelKind::ln_k`], rounded once to f32; a row of NaN for a
/// query with no row in reach. O(queries x rows) memory, which the fused path never needs.
pub(super) fn weight_matrix(
    kind: KernelKind,
    h: &[f32],
    queries: &[f32],
    keys: &[f32],
    dim: usize,
    par: Par,
) -> Result<Tensor> {
    let (m, n) = (queries.len() / dim, keys.len() / dim);
    let too_large = || TensorError::TooLarge { shape: vec![m, n] };
    let len = m.checked_mul(n).ok_or_else(too_large)?;
    let mut all = Vec::new();
    all.try_reserve_exact(len).map_err(|_| too_large())?;
    all.resize(len, 0.0f32);
    let row = |(out, q): (&mut [f32], &[f32])| {
        let scores: Vec<f64> = keys
            .chunks_exact(dim)
            .map(|k| {
                k.iter()
                    .zip(q)
                    .zip(h)
                    .map(|((&k, &q), &h)| kind.ln_k((f64::from(q) - f64::from(k)) / f64::from(h)))
                    .sum()
            })
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
    };
    if n > 0 {
        if par.is_parallel() {
            all.par_chunks_mut(n)
                .zip(queries.par_chunks_exact(dim))
                .for_each(row);
        } else {
            all.chunks_mut(n)
                .zip(queries.chunks_exact(dim))
                .for_each(row);
        }
    }
    Ok(Tensor::new(&[m, n], all)?)
}
