//! Average pooling: every query gets the mean of the values, the chapter's baseline.

use nw_tensor::Tensor;

use super::{Attention, Diagnostics, PoolOptions, Pooling, check_keys};
use crate::Result;

/// `f(q) = (1/m) sum_i v_i`: uniform attention, blind to the query.
///
/// It refuses what the kernel poolings refuse (keys without values, no keys, a NaN or
/// infinite key or value, with the same errors), though a mean could be taken regardless:
/// a NaN in the data would otherwise pass through as a NaN "prediction" for every query.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AveragePooling;

impl Pooling for AveragePooling {
    fn name(&self) -> &'static str {
        "average"
    }

    fn pool_with(
        &self,
        queries: &[f32],
        keys: &[f32],
        values: &[f32],
        options: &PoolOptions,
    ) -> Result<Attention> {
        check_keys(keys, values)?;
        crate::algorithm::direct_only(options.algorithm, "average pooling (it has no kernel)")?;
        // Summed in f64: the mean of many f32 values keeps every digit f32 can show.
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
        let m = keys.len();
        let weights = if options.weights {
            Some(Tensor::full(&[queries.len(), m], 1.0 / m as f32)?)
        } else {
            None
        };
        // Every key weighs 1: the sum is m, and all m count.
        let diagnostics = options.diagnostics.then(|| {
            let mut sorted = keys.to_vec();
            sorted.sort_by(f32::total_cmp);
            Diagnostics {
                log_weight_sum: vec![(m as f64).ln() as f32; queries.len()],
                effective_keys: vec![m as f32; queries.len()],
                nearest_distance: queries.iter().map(|&q| nearest(&sorted, q)).collect(),
            }
        });
        Ok(Attention {
            y_hat: vec![mean as f32; queries.len()],
            weights,
            diagnostics,
            far: Vec::new(),
        })
    }
}

/// The distance from `q` to the nearest of the ascending `keys` (at least one); NaN for a
/// query that is not finite, as the kernel poolings report it.
fn nearest(keys: &[f32], q: f32) -> f32 {
    if !q.is_finite() {
        return f32::NAN;
    }
    let p = keys.partition_point(|&k| k < q);
    [p.checked_sub(1), (p < keys.len()).then_some(p)]
        .into_iter()
        .flatten()
        .map(|j| (q - keys[j]).abs())
        .fold(f32::INFINITY, f32::min)
}
