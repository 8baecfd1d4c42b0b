//! Queries with no kernel estimate, handled on purpose.
//!
//! A query with no training input inside a compact kernel's support has no Nadaraya-Watson
//! estimate: its weights are all 0, and `0 / 0` is not an answer. Other libraries answer it
//! silently (statsmodels NaN, R's `np` NA, some the global mean or 0). Here the caller chooses
//! with [`Far`], and the default is [`Far::Error`]: a refusal that names the query cannot be
//! mistaken for an estimate, while a NaN, a 0 or a mean can slip into a file or a plot and be
//! read as one.

use crate::{ModelError, Result};

/// What a query with no kernel estimate gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Far {
    /// Fail, naming how many queries and the first of them (the default).
    #[default]
    Error,
    /// NaN, for callers that mark missing values themselves.
    Nan,
    /// The target of the nearest training input (the mean of the tied nearest ones): the
    /// limit of the kernel estimate as the bandwidth grows to reach it.
    Nearest,
    /// The mean of all training targets: average pooling.
    Mean,
}

impl Far {
    /// Every policy.
    pub const ALL: [Far; 4] = [Far::Error, Far::Nan, Far::Nearest, Far::Mean];

    /// The lower-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Far::Error => "error",
            Far::Nan => "nan",
            Far::Nearest => "nearest",
            Far::Mean => "mean",
        }
    }
}

/// Applies `policy` to the predictions that are NaN (the queries with no estimate) and
/// returns their indices; with [`Far::Error`] and any such query, an error naming the first.
///
/// `keys` and `values` are the training set (any order).
pub(crate) fn apply(
    policy: Far,
    queries: &[f32],
    y_hat: &mut [f32],
    keys: &[f32],
    values: &[f32],
) -> Result<Vec<usize>> {
    let far: Vec<usize> = (0..y_hat.len()).filter(|&i| y_hat[i].is_nan()).collect();
    let Some(&first) = far.first() else {
        return Ok(far);
    };
    match policy {
        Far::Error => {
            return Err(ModelError::FarQueries {
                count: far.len(),
                index: first,
                query: queries[first],
            });
        }
        Far::Nan => {}
        Far::Nearest => {
            for &i in &far {
                y_hat[i] = nearest_value(queries[i], keys, values);
            }
        }
        Far::Mean => {
            let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
            for &i in &far {
                y_hat[i] = mean as f32;
            }
        }
    }
    Ok(far)
}

/// The mean of the values whose keys are nearest to `q` (NaN for a non-finite `q`).
fn nearest_value(q: f32, keys: &[f32], values: &[f32]) -> f32 {
    let d = |k: f32| (f64::from(q) - f64::from(k)).abs();
    let dmin = keys.iter().map(|&k| d(k)).fold(f64::INFINITY, f64::min);
    let (sum, count) = keys
        .iter()
        .zip(values)
        .filter(|&(&k, _)| d(k) == dmin)
        .fold((0.0f64, 0usize), |(s, c), (_, &v)| {
            (s + f64::from(v), c + 1)
        });
    (sum / count as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_policy_does_what_it_says() {
        let (keys, values) = ([0.0, 1.0, 1.0, 5.0], [10.0, 20.0, 40.0, 7.0]);
        let queries = [0.5, 1.2, -3.0];
        let fresh = || vec![1.5f32, f32::NAN, f32::NAN];
        let err = apply(Far::Error, &queries, &mut fresh(), &keys, &values).unwrap_err();
        assert_eq!(
            err,
            ModelError::FarQueries {
                count: 2,
                index: 1,
                query: 1.2
            }
        );
        let mut y = fresh();
        assert_eq!(
            apply(Far::Nan, &queries, &mut y, &keys, &values).unwrap(),
            [1, 2]
        );
        assert!(y[1].is_nan() && y[2].is_nan() && y[0] == 1.5);
        let mut y = fresh();
        apply(Far::Nearest, &queries, &mut y, &keys, &values).unwrap();
        // 1.2 is nearest to the two keys at 1 (tied): their mean; -3 is nearest to 0.
        assert_eq!(y, [1.5, 30.0, 10.0]);
        let mut y = fresh();
        apply(Far::Mean, &queries, &mut y, &keys, &values).unwrap();
        assert_eq!(y, [1.5, 19.25, 19.25]);
        // Nothing far: nothing touched, even under Error.
        let mut y = vec![1.0, 2.0];
        assert!(
            apply(Far::Error, &[0.0, 1.0], &mut y, &keys, &values)
                .unwrap()
                .is_empty()
        );
    }
}
