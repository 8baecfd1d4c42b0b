//! Average pooling: every query gets the mean of the values, the chapter's baseline.

use nw_tensor::{Par, Tensor};

use super::{Attention, Pooling, check_keys};
use crate::Result;

/// `f(q) = (1/m) sum_i v_i`: uniform attention, blind to the query.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AveragePooling;

impl Pooling for AveragePooling {
    fn name(&self) -> &'static str {
        "average"
    }

    fn pool(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        weights: bool,
        _par: Par,
    ) -> Result<Attention> {
        check_keys(keys, values)?;
        // Summed in f64: the mean of many f32 values keeps every digit f32 can show.
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
        let m = keys.len();
        let weights = if weights {
            Some(Tensor::full(&[queries.len(), m], 1.0 / m as f32)?)
        } else {
            None
        };
        Ok(Attention {
            y_hat: vec![mean as f32; queries.len()],
            weights,
        })
    }
}
