//! Checks every figure runs before it draws, so bad data is an error naming the argument and
//! index, never a panic or a silently broken picture.

use crate::error::{Result, VizError};

/// Smallest figure side in pixels: below it the axis labels leave no room for the plot.
pub(crate) const MIN_SIDE: u32 = 200;
/// Largest figure side in pixels: a PNG buffer of 8192 x 8192 RGB is 192 MiB already.
pub(crate) const MAX_SIDE: u32 = 8192;

/// `values` holds at least one value.
pub(crate) fn non_empty<T>(what: &str, values: &[T]) -> Result<()> {
    if values.is_empty() {
        return Err(VizError::Empty {
            what: what.to_string(),
        });
    }
    Ok(())
}

/// `values` pairs up with `other`, value by value.
pub(crate) fn same_len<T, U>(
    what: &str,
    values: &[T],
    other: &str,
    other_values: &[U],
) -> Result<()> {
    if values.len() != other_values.len() {
        return Err(VizError::LengthMismatch {
            what: what.to_string(),
            got: values.len(),
            other: other.to_string(),
            expected: other_values.len(),
        });
    }
    Ok(())
}

/// Every value is finite.
pub(crate) fn finite<T: Copy + Into<f64>>(what: &str, values: &[T]) -> Result<()> {
    match values.iter().position(|&v| !v.into().is_finite()) {
        Some(index) => Err(VizError::NonFinite {
            what: what.to_string(),
            index,
            value: values[index].into(),
        }),
        None => Ok(()),
    }
}

/// No value is infinite (NaN is allowed: a gap, where the caller draws nothing).
pub(crate) fn not_infinite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| v.is_infinite()) {
        Some(index) => Err(VizError::NonFinite {
            what: what.to_string(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Every value is finite and, for a log axis, positive.
pub(crate) fn drawable(what: &str, values: &[f32], log: bool) -> Result<()> {
    finite(what, values)?;
    if log && let Some(index) = values.iter().position(|&v| v <= 0.0) {
        return Err(VizError::NotPositive {
            what: what.to_string(),
            index,
            value: values[index],
        });
    }
    Ok(())
}

/// A non-empty pair of equal-length, drawable slices.
pub(crate) fn xy(name: &str, x: &[f32], y: &[f32], log_x: bool, log_y: bool) -> Result<()> {
    let (wx, wy) = (format!("{name} x"), format!("{name} y"));
    non_empty(&wx, x)?;
    same_len(&wy, y, &wx, x)?;
    drawable(&wx, x, log_x)?;
    drawable(&wy, y, log_y)
}

/// A figure size the layout can use.
pub(crate) fn size((width, height): (u32, u32)) -> Result<()> {
    let ok = |side: u32| (MIN_SIDE..=MAX_SIDE).contains(&side);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(VizError::BadSize {
            width,
            height,
            min: MIN_SIDE,
            max: MAX_SIDE,
        })
    }
}
