//! Attention pooling: `f(q) = sum_i alpha(q, k_i) v_i` with weights that sum to 1 over the
//! keys. One file per variant, all behind [`Pooling`].

mod average;
mod nonparametric;
mod parametric;

pub use average::AveragePooling;
pub use nonparametric::NonparametricPooling;
pub use parametric::{ParametricPooling, ParametricTape};

use nw_tensor::kernels::radial::Gaussian;
use nw_tensor::ops::pool::{self, SortedKeys};
use nw_tensor::ops::{matmul, softmax};
use nw_tensor::{Par, Tensor};
use rayon::prelude::*;

use crate::kernel::gaussian_score;
use crate::{ModelError, Result};

/// What a pooling returns: a prediction per query and, when asked for, the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    /// One prediction per query, in query order.
    pub y_hat: Vec<f32>,
    /// The attention weights, queries x keys, when they were asked for.
    pub weights: Option<Tensor>,
}

/// A way to pool values by attention: the common face of the chapter's three models.
pub trait Pooling {
    /// A short name for reports (`average`, `nonparametric`, `parametric`).
    fn name(&self) -> &'static str;

    /// Predictions for `queries` from `(keys, values)`; the weight matrix when `weights`.
    fn pool(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        weights: bool,
        par: Par,
    ) -> Result<Attention>;
}

/// Checks that every key has a value and that there is a key.
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
    Ok(())
}

/// Queries per parallel block of the materialized path.
const BLOCK: usize = 64;

/// Gaussian attention pooling with scale `w`.
///
/// The predictions come from the fused streaming kernel ([`nw_tensor::ops::pool`]),
/// O(queries + keys) memory, whether or not the weights are asked for, so they are the same
/// bits either way. The weights, when asked for, are the matrix itself, computed a block of
/// queries at a time (scores, row softmax); predictions from that matrix would agree with the
/// fused ones to f32 rounding (within 1e-5 relative, tested).
pub(crate) fn gaussian_pool(
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    w: f32,
    weights: bool,
    par: Par,
) -> Result<Attention> {
    check_keys(keys, values)?;
    let sorted = SortedKeys::new(keys, values)?;
    let pooled = pool::pool(&Gaussian::new(w), queries, &sorted, par);
    let weights = if weights {
        gaussian_pool_materialized(queries, keys, values, w, par)?.weights
    } else {
        None
    };
    Ok(Attention {
        y_hat: pooled.y,
        weights,
    })
}

/// Pooling through the weight matrix: the materialized path, kept for the weights and as a
/// reference for the fused kernel.
pub fn materialized(
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    w: f32,
    par: Par,
) -> Result<Attention> {
    check_keys(keys, values)?;
    gaussian_pool_materialized(queries, keys, values, w, par)
}

/// The weight matrix, a block of queries at a time: scores, row softmax, then a
/// matrix-vector product with the values.
fn gaussian_pool_materialized(
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    w: f32,
    par: Par,
) -> Result<Attention> {
    let m = keys.len();
    let mut y_hat = vec![0.0; queries.len()];
    let mut all = vec![0.0; queries.len() * m];
    let block = |((q, y), scores): ((&[f32], &mut [f32]), &mut [f32])| {
        for (row, &qi) in scores.chunks_exact_mut(m).zip(q) {
            for (s, &k) in row.iter_mut().zip(keys) {
                *s = gaussian_score(qi, k, w);
            }
        }
        softmax::softmax_rows(scores, m, Par::Seq);
        matmul::gemm(q.len(), m, 1, scores, values, y, Par::Seq);
    };
    // Blocks are independent and each row is computed the same way in any of them, so the
    // split changes nothing in the result.
    if par.is_parallel() {
        queries
            .par_chunks(BLOCK)
            .zip(y_hat.par_chunks_mut(BLOCK))
            .zip(all.par_chunks_mut(BLOCK * m))
            .for_each(block);
    } else {
        queries
            .chunks(BLOCK)
            .zip(y_hat.chunks_mut(BLOCK))
            .zip(all.chunks_mut(BLOCK * m))
            .for_each(block);
    }
    Ok(Attention {
        y_hat,
        weights: Some(Tensor::new(&[queries.len(), m], all)?),
    })
}
