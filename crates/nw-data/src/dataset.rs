//! [`Dataset`]: paired inputs and targets, the chapter's `(x_train, y_train)`.

use crate::error::{DataError, Result};

/// Inputs `x` and targets `y` of equal length, every value finite.
///
/// The invariant is checked once, in [`Dataset::new`], so everything downstream (the model's
/// softmax, the CSV writer) may rely on it. An empty data set is allowed; readers refuse empty
/// files on their own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    x: Vec<f32>,
    y: Vec<f32>,
}

impl Dataset {
    /// A data set from inputs and targets of equal length, all finite.
    pub fn new(x: Vec<f32>, y: Vec<f32>) -> Result<Self> {
        if x.len() != y.len() {
            return Err(DataError::LengthMismatch {
                x_len: x.len(),
                y_len: y.len(),
            });
        }
        for (column, values) in [("x", &x), ("y", &y)] {
            if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(DataError::NotFinite {
                    column,
                    index,
                    value,
                });
            }
        }
        Ok(Dataset { x, y })
    }

    /// A data set the caller has already checked (equal lengths, finite values).
    pub(crate) fn from_checked(x: Vec<f32>, y: Vec<f32>) -> Self {
        debug_assert!(x.len() == y.len());
        debug_assert!(x.iter().chain(&y).all(|v| v.is_finite()));
        Dataset { x, y }
    }

    /// The inputs.
    pub fn x(&self) -> &[f32] {
        &self.x
    }

    /// The targets.
    pub fn y(&self) -> &[f32] {
        &self.y
    }

    /// Number of `(x, y)` pairs.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The pairs `(x_i, y_i)` in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (f32, f32)> + '_ {
        self.x.iter().copied().zip(self.y.iter().copied())
    }

    /// The inputs and targets, giving up the data set.
    pub fn into_parts(self) -> (Vec<f32>, Vec<f32>) {
        (self.x, self.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_return_what_was_given() {
        let d = Dataset::new(vec![0.5, 1.5], vec![-1.0, 2.0]).unwrap();
        assert_eq!(d.len(), 2);
        assert!(!d.is_empty());
        assert_eq!(d.x(), &[0.5, 1.5]);
        assert_eq!(d.y(), &[-1.0, 2.0]);
        assert_eq!(d.iter().collect::<Vec<_>>(), vec![(0.5, -1.0), (1.5, 2.0)]);
        assert_eq!(d.into_parts(), (vec![0.5, 1.5], vec![-1.0, 2.0]));
        assert!(Dataset::new(vec![], vec![]).unwrap().is_empty());
    }

    #[test]
    fn unequal_lengths_are_refused() {
        let err = Dataset::new(vec![1.0, 2.0], vec![1.0]).unwrap_err();
        assert!(matches!(
            err,
            DataError::LengthMismatch { x_len: 2, y_len: 1 }
        ));
        assert_eq!(
            err.to_string(),
            "data set needs as many targets as inputs: x has 2 values, y has 1"
        );
    }

    #[test]
    fn non_finite_values_are_refused_with_column_and_index() {
        let err = Dataset::new(vec![1.0, 2.0], vec![1.0, f32::NAN]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "data set values must be finite: y[1] is NaN"
        );
        let err = Dataset::new(vec![f32::NEG_INFINITY], vec![0.0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "data set values must be finite: x[0] is -inf"
        );
    }
}
