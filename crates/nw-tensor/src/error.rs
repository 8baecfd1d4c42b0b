//! The one error type of `nw-tensor`: every message names the operation and the shapes.

use thiserror::Error;

/// What can go wrong in a tensor operation.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TensorError {
    /// The data does not fill the shape.
    #[error("shape {shape:?} holds {expected} values, got {got}")]
    DataLength {
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements the shape holds.
        expected: usize,
        /// Elements supplied.
        got: usize,
    },
    /// Two shapes that the operation cannot combine.
    #[error("{op}: shapes {lhs:?} and {rhs:?} do not fit")]
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// The first operand's shape.
        lhs: Vec<usize>,
        /// The second operand's shape (or the requested shape).
        rhs: Vec<usize>,
    },
    /// An operand of the wrong number of dimensions.
    #[error("{op}: expects {expected}, got shape {shape:?}")]
    Rank {
        /// The operation.
        op: &'static str,
        /// What the operation accepts, e.g. "a 3-d tensor".
        expected: &'static str,
        /// The operand's shape.
        shape: Vec<usize>,
    },
    /// An axis that the tensor does not have.
    #[error("{op}: axis {axis} is out of range for shape {shape:?}")]
    Axis {
        /// The operation.
        op: &'static str,
        /// The axis asked for.
        axis: usize,
        /// The operand's shape.
        shape: Vec<usize>,
    },
    /// A NaN or infinity where the operation needs finite numbers.
    #[error("{op}: {what}[{index}] is {value}, expected a finite number")]
    NotFinite {
        /// The operation.
        op: &'static str,
        /// The operand, e.g. "keys".
        what: &'static str,
        /// The value's 0-based index.
        index: usize,
        /// The value.
        value: f32,
    },
    /// Keys so far apart that their distance overflows f32.
    #[error(
        "{op}: the inputs span from {lo:e} to {hi:e}, further than f32 can measure (3.4e38): \
         distances between them overflow; rescale the inputs (divide them by a power of ten)"
    )]
    Span {
        /// The operation.
        op: &'static str,
        /// The least input.
        lo: f32,
        /// The greatest input.
        hi: f32,
    },
    /// A bandwidth the kernels cannot use: not positive, not finite, or below
    /// `f32::MIN_POSITIVE` (its inverse would overflow).
    #[error(
        "{op}: bandwidths[{index}] is {value:e}, expected a finite number of at least \
         1.2e-38 (f32::MIN_POSITIVE)"
    )]
    Bandwidth {
        /// The operation.
        op: &'static str,
        /// The dimension.
        index: usize,
        /// The bandwidth.
        value: f32,
    },
    /// Inputs so many bandwidths apart that their scaled differences overflow f32.
    #[error(
        "{op}: dimension {dim} spans {span:e}, {bandwidths:e} bandwidths of {bandwidth:e}, \
         more than f32 can measure; rescale the inputs or widen the bandwidth"
    )]
    OutOfScale {
        /// The operation.
        op: &'static str,
        /// The dimension.
        dim: usize,
        /// The keys' span in that dimension.
        span: f32,
        /// Its bandwidth.
        bandwidth: f32,
        /// The span in bandwidths.
        bandwidths: f64,
    },
    /// A shape whose element count does not fit in memory addresses, or whose storage memory
    /// cannot hold.
    #[error("shape {shape:?} has too many elements to hold in memory")]
    TooLarge {
        /// The shape.
        shape: Vec<usize>,
    },
    /// A `repeat` whose result would have an axis or an element count beyond memory addresses.
    #[error("repeat: shape {shape:?} repeated {reps:?} has too many elements to hold in memory")]
    RepeatTooLarge {
        /// The operand's shape.
        shape: Vec<usize>,
        /// The repetitions asked for.
        reps: Vec<usize>,
    },
    /// A range of positions the operand does not have (or that runs backwards).
    #[error("{op}: range {start}..{end} is out of bounds for length {len}")]
    Range {
        /// The operation.
        op: &'static str,
        /// The range's start.
        start: usize,
        /// The range's end (exclusive).
        end: usize,
        /// The operand's length.
        len: usize,
    },
}

/// `Result` with [`TensorError`].
pub type Result<T, E = TensorError> = std::result::Result<T, E>;
