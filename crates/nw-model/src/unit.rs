//! Measuring inputs in a power-of-two unit, so that the f32 kernels see bandwidths near 1.
//!
//! The fused kernels hold `1 / h` and, for the Gaussian, `log2(e) / (2 h^2)` in f32, which
//! underflows to 0 above `h ~ 1e19` (every key weighs the same) and is capped below
//! `h ~ 1e-19` (only the nearest key counts). Kernel regression depends only on `(q - k) / h`,
//! so dividing inputs and bandwidth by the same `s = 2^round(log2 h)` changes nothing but
//! the f32 range: the division is exact, and the kernels see `h / s` in `[2^-1/2, 2^1/2]`.
//! Only bandwidths (or, for the search, spans) outside [`ORDINARY`] are rescaled, so every
//! other result keeps its exact bits.

use crate::{ModelError, Result};

/// Lengths in `[1 / ORDINARY, ORDINARY]` (`2^20`) are used as they are: there the kernels'
/// constants are far from f32's limits.
pub const ORDINARY: f64 = 1_048_576.0;

/// The power of two nearest to `length` in `log2`, when `length` is positive, finite and
/// outside `[1 / ORDINARY, ORDINARY]`; `None` when it needs no unit.
pub(crate) fn unit_for(length: f64) -> Option<f64> {
    if !(length.is_finite() && length > 0.0) || (1.0 / ORDINARY..=ORDINARY).contains(&length) {
        return None;
    }
    Some(2f64.powi(length.log2().round() as i32))
}

/// A length measured in `unit` (a power of two), as f32: exact while it stays normal.
pub(crate) fn to_unit(length: f32, unit: f64) -> f32 {
    (f64::from(length) / unit) as f32
}

/// A length measured in `unit` back in the caller's units.
pub(crate) fn from_unit(length: f32, unit: f64) -> f32 {
    (f64::from(length) * unit) as f32
}

/// `xs` measured in `unit`, the unit of bandwidth `h`. A finite input that would reach half
/// of f32's range is refused (so no difference of two inputs overflows); one that underflows
/// is within `2^-126` bandwidths of 0, where no kernel tells it from 0.
pub(crate) fn divide(xs: &[f32], unit: f64, what: &'static str, h: f32) -> Result<Vec<f32>> {
    let limit = f64::from(f32::MAX) / 2.0;
    xs.iter()
        .enumerate()
        .map(|(index, &x)| {
            let scaled = f64::from(x) / unit;
            if x.is_finite() && scaled.abs() > limit {
                Err(ModelError::OutOfScale {
                    what,
                    index,
                    value: x,
                    bandwidth: h,
                })
            } else {
                Ok(scaled as f32)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_powers_of_two_only_outside_the_ordinary_range() {
        assert_eq!(unit_for(1.0), None);
        assert_eq!(unit_for(ORDINARY), None);
        assert_eq!(unit_for(1.0 / ORDINARY), None);
        assert_eq!(unit_for(f64::INFINITY), None);
        assert_eq!(unit_for(3.0 * ORDINARY), Some(4.0 * ORDINARY));
        assert_eq!(unit_for(1e25), Some(2f64.powi(83)));
        assert_eq!(unit_for(1e-20), Some(2f64.powi(-66)));
        let h = 1e25f32;
        assert_eq!(from_unit(to_unit(h, 2f64.powi(83)), 2f64.powi(83)), h);
    }
}
