//! The chapter's formulation, as written in PyTorch: queries repeated against keys, the
//! weight matrix, then a batched matmul. It is the reference path that the faster ones are
//! tested against.
//!
//! ```text
//! queries = queries.repeat_interleave(keys.shape[1]).reshape((-1, keys.shape[1]))
//! attention_weights = softmax(-((queries - keys) * w)**2 / 2, dim=1)
//! y_hat = bmm(attention_weights.unsqueeze(1), values.unsqueeze(-1)).reshape(-1)
//! ```

use nw_tensor::{Par, Tensor, TensorError};

use crate::pooling::check_keys;
use crate::{ModelError, Result};

/// `NWKernelRegression.forward`: `queries (n)`, per-query `keys` and `values (n, m)`; returns
/// the predictions `(n)` and the attention weights `(n, m)`.
///
/// Errors with [`ModelError::NoKeys`] when the rows hold no keys (`m = 0`), as the poolings do.
pub fn forward(
    queries: &Tensor,
    keys: &Tensor,
    values: &Tensor,
    w: f32,
    par: Par,
) -> Result<(Tensor, Tensor)> {
    let &[n, m] = keys.shape() else {
        return Err(TensorError::Rank {
            op: "forward",
            expected: "(queries, keys) keys",
            shape: keys.shape().to_vec(),
        }
        .into());
    };
    if m == 0 {
        // A softmax over nothing and a sum over nothing would make every prediction 0.
        return Err(ModelError::NoKeys);
    }
    let q = queries.repeat_interleave(m)?.reshape(&[queries.len(), m])?;
    // -((q - k) * w)**2 / 2: multiplying by -0.5 is exactly negating and halving.
    let scores = q.sub(keys)?.scale(w).square().scale(-0.5);
    let weights = scores.softmax(par)?;
    let y_hat = weights
        .clone()
        .unsqueeze(1)?
        .bmm(&values.clone().unsqueeze(2)?, par)?
        .reshape(&[n])?;
    Ok((y_hat, weights))
}

/// `x.repeat((n, 1))`: the keys (or values) once per query, `(n, len)`.
pub fn tile(x: &[f32], n: usize) -> Result<Tensor> {
    Ok(Tensor::from_slice(x).repeat(&[n, 1])?)
}

/// `X_tile[(1 - eye(n)).bool()].reshape((n, -1))`: row `i` holds every element but the
/// `i`-th, the leave-one-out keys (or values) of training example `i`, `(n, n - 1)`.
///
/// Errors with [`TensorError::TooLarge`] if the `n x n` tile does not fit in memory.
pub fn leave_one_out(x: &[f32]) -> Result<Tensor> {
    let n = x.len();
    let too_large = || TensorError::TooLarge { shape: vec![n, n] };
    let cells = n.checked_mul(n).ok_or_else(too_large)?;
    let mut off_diagonal = Vec::new();
    off_diagonal
        .try_reserve_exact(cells)
        .map_err(|_| too_large())?;
    off_diagonal.extend((0..cells).map(|i| i / n != i % n));
    Ok(tile(x, n)?
        .masked_select(&off_diagonal)?
        .reshape(&[n, n.saturating_sub(1)])?)
}

/// The nonparametric model as the chapter writes it before `bmm` appears:
/// `softmax(-(X_repeat - x_train)**2 / 2) @ y_train`; returns predictions and weights.
///
/// Refuses the training sets the poolings refuse, with their errors: unequal lengths
/// ([`ModelError::KeysValues`]), none at all ([`ModelError::NoKeys`]), a value that is not
/// finite.
pub fn nonparametric(
    x_test: &[f32],
    x_train: &[f32],
    y_train: &[f32],
    par: Par,
) -> Result<(Tensor, Tensor)> {
    check_keys(x_train, y_train)?;
    let m = x_train.len();
    let x_repeat = Tensor::from_slice(x_test)
        .repeat_interleave(m)?
        .reshape(&[x_test.len(), m])?;
    let weights = x_repeat
        .sub(&Tensor::from_slice(x_train))?
        .square()
        .scale(-0.5)
        .softmax(par)?;
    let y_hat = weights.matmul(&Tensor::from_slice(y_train), par)?;
    Ok((y_hat, weights))
}
