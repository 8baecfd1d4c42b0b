//! The chapter's loss: squared error summed over examples (`MSELoss(reduction='none')`,
//! then `.sum()`).

use crate::{ModelError, Result};

/// `sum_i (y_hat_i - y_i)^2`, accumulated and returned in f64 (the sum of squares of f32
/// errors can exceed f32's range).
pub fn squared_loss(y_hat: &[f32], y: &[f32]) -> Result<f64> {
    check(y_hat, y)?;
    Ok(y_hat
        .iter()
        .zip(y)
        .map(|(&p, &t)| {
            let r = f64::from(p) - f64::from(t);
            r * r
        })
        .sum::<f64>())
}

/// `dL/dy_hat_i = 2 (y_hat_i - y_i)` for [`squared_loss`].
pub fn squared_loss_grad(y_hat: &[f32], y: &[f32]) -> Result<Vec<f32>> {
    check(y_hat, y)?;
    Ok(y_hat.iter().zip(y).map(|(&p, &t)| 2.0 * (p - t)).collect())
}

/// Mean squared error, the chapter's test metric (f64: it is reported, not trained on).
///
/// NaN for no examples, like [`nw_tensor::Tensor::mean`]: the mean of nothing is not 0, a
/// perfect score.
pub fn mse(y_hat: &[f32], y: &[f32]) -> Result<f64> {
    check(y_hat, y)?;
    let n = y.len() as f64;
    Ok(y_hat
        .iter()
        .zip(y)
        .map(|(&p, &t)| (f64::from(p) - f64::from(t)).powi(2))
        .sum::<f64>()
        / n)
}

fn check(y_hat: &[f32], y: &[f32]) -> Result<()> {
    if y_hat.len() == y.len() {
        Ok(())
    } else {
        Err(ModelError::InputsTargets {
            inputs: y_hat.len(),
            targets: y.len(),
        })
    }
}
