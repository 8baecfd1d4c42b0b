//! The one error type of `nw-model`.

use nw_tensor::TensorError;
use thiserror::Error;

/// What can go wrong when building, running or training a pooling.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// Keys and values of different lengths.
    #[error("{keys} keys but {values} values: each key needs one value")]
    KeysValues {
        /// Number of keys.
        keys: usize,
        /// Number of values.
        values: usize,
    },
    /// Inputs and targets of different lengths.
    #[error("{inputs} inputs but {targets} targets")]
    InputsTargets {
        /// Number of inputs.
        inputs: usize,
        /// Number of targets.
        targets: usize,
    },
    /// Pooling over nothing.
    #[error("no keys to attend to")]
    NoKeys,
    /// Leave-one-out needs someone else to attend to.
    #[error("leave-one-out training needs at least 2 examples, got {0}")]
    TooFewExamples(usize),
    /// A bandwidth that is zero, negative or not finite.
    #[error("bandwidth must be a positive finite number, got {0}")]
    Bandwidth(f32),
    /// A parameter or hyperparameter out of its range.
    #[error("{name} must be {expected}, got {value}")]
    Parameter {
        /// The parameter's name.
        name: &'static str,
        /// The range it must be in.
        expected: &'static str,
        /// What was given.
        value: f64,
    },
    /// Training produced a non-finite loss, gradient or parameter.
    #[error("training diverged at epoch {epoch}: {what} is {value}")]
    Diverged {
        /// The 1-based epoch.
        epoch: usize,
        /// Which quantity.
        what: &'static str,
        /// Its value.
        value: f32,
    },
    /// A tensor operation failed (a shape error in the chapter's formulation).
    #[error(transparent)]
    Tensor(#[from] TensorError),
}

/// `Result` with [`ModelError`].
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
