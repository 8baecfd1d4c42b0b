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
    /// Gradients that do not pair up with what they are the gradients of (an optimizer's
    /// parameters, a backward pass's predictions).
    #[error("{op}: {expected} {what} but {got} gradient(s)")]
    Gradients {
        /// The operation, e.g. `"sgd step"`.
        op: &'static str,
        /// What the gradients belong to, e.g. `"parameter(s)"`.
        what: &'static str,
        /// How many of those there are.
        expected: usize,
        /// How many gradients were given.
        got: usize,
    },
    /// Input values that do not make whole rows.
    #[error(
        "{len} input values do not make rows of {dim} (the number of inputs per row must be at least 1 and divide them)"
    )]
    Inputs {
        /// How many values.
        len: usize,
        /// Inputs per row.
        dim: usize,
    },
    /// A local polynomial degree the estimator does not offer.
    #[error(
        "degree {degree} with {dim} input(s): the degree is 0 (local constant), 1 (local linear) or, with one input, 2 (local quadratic)"
    )]
    Degree {
        /// The degree asked for.
        degree: usize,
        /// Inputs per row.
        dim: usize,
    },
    /// Slopes asked of a Nadaraya-Watson fit, which has none of its own.
    #[error(
        "slopes come from a local linear or quadratic fit (degree 1 or 2); this model is local constant (degree 0)"
    )]
    SlopesDegree,
    /// The attention weight matrix asked of a local polynomial fit.
    #[error(
        "the attention weight matrix is that of Nadaraya-Watson (degree 0); this model fits degree {0}"
    )]
    WeightsDegree(usize),
    /// The sorted sweep asked for explicitly where it does not apply.
    #[error(
        "algorithm sweep does not cover {what}: the sorted sweep pools one input at degree 0 (Nadaraya-Watson) with one bandwidth for every query; use algorithm direct, or auto to sweep only where it applies"
    )]
    Algorithm {
        /// What the request holds that the sweep does not cover (`several inputs`, ...).
        what: &'static str,
    },
    /// Gradient descent asked of a local polynomial fit, whose pass has no gradient.
    #[error(
        "learning bandwidths by gradient descent needs the leave-one-out gradient, which only the local constant fit (degree 0) has; choose degree {0}'s bandwidths by cv or aic"
    )]
    GradientDegree(usize),
    /// Too few bootstrap replicates to resolve the band's tail.
    #[error(
        "{replicates} bootstrap replicates cannot resolve a {level} band: its ends are order statistics, and at least {least} replicates put one beyond each"
    )]
    Replicates {
        /// Replicates asked for.
        replicates: usize,
        /// The band's level.
        level: f64,
        /// The fewest that resolve it.
        least: usize,
    },
    /// Queries with no local polynomial fit under the far-query policy `Error`.
    #[error(
        "{count} queries have no local polynomial fit (degree {degree}): too few distinct training inputs within the kernel's reach, or all on one side of the query; the first is query {}",
        index + 1
    )]
    NoLocalFit {
        /// How many.
        count: usize,
        /// The first, 0-based.
        index: usize,
        /// The fit's degree.
        degree: usize,
    },
    /// Queries with another number of inputs than the model was fitted on.
    #[error("the model was fitted on {expected} input(s) per row, the queries have {got}")]
    Dimension {
        /// Inputs per training row.
        expected: usize,
        /// Inputs per query.
        got: usize,
    },
    /// Bandwidths that do not pair up with the inputs.
    #[error("{got} bandwidth(s) for {expected} input(s): give one per input, or one for all")]
    Bandwidths {
        /// Inputs per row.
        expected: usize,
        /// Bandwidths given.
        got: usize,
    },
    /// A NaN or infinite input, target or query.
    #[error(
        "{what} row {}{} is {value}, not a finite number",
        row + 1,
        input.map_or(String::new(), |j| format!(", input {}", j + 1))
    )]
    NotFinite {
        /// `inputs`, `targets` or `queries`.
        what: &'static str,
        /// The 0-based row.
        row: usize,
        /// The 0-based input of the row, for inputs and queries.
        input: Option<usize>,
        /// The value.
        value: f64,
    },
    /// Queries with several inputs and no kernel estimate, under [`Far::Error`](crate::Far::Error).
    #[error(
        "{count} quer{} no kernel estimate (no training row within the kernel's reach); the \
         first is query {}",
        if *count == 1 { "y has" } else { "ies have" },
        index + 1
    )]
    FarRows {
        /// How many queries.
        count: usize,
        /// The first one's 0-based position.
        index: usize,
    },
    /// Pooling over nothing.
    #[error("no keys to attend to")]
    NoKeys,
    /// Leave-one-out needs someone else to attend to.
    #[error("leave-one-out training needs at least 2 examples, got {0}")]
    TooFewExamples(usize),
    /// A bandwidth that is zero, negative, too small to invert, or not finite.
    #[error("bandwidth must be a positive finite number (at least 1.2e-38), got {0}")]
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
    /// Queries with no kernel estimate, under the [`Far::Error`](crate::Far::Error) policy.
    #[error(
        "{count} quer{} no kernel estimate (no training input within the kernel's reach); the \
         first is query {} at x = {query}",
        if *count == 1 { "y has" } else { "ies have" },
        index + 1
    )]
    FarQueries {
        /// How many queries.
        count: usize,
        /// The first one's 0-based position.
        index: usize,
        /// The first one's input.
        query: f32,
    },
    /// Leave-one-out training examples with no other example within the kernel's reach.
    #[error(
        "{count} training example{} no other example within the kernel's reach at bandwidth \
         {bandwidth}: the leave-one-out loss is undefined there"
        , if *count == 1 { " has" } else { "s have" }
    )]
    Isolated {
        /// How many examples.
        count: usize,
        /// The bandwidth.
        bandwidth: f32,
    },
    /// An input too far from 0 to be measured in units of an extreme bandwidth.
    #[error(
        "{what}[{index}] = {value} is too far from 0 for bandwidth {bandwidth}: measured in \
         units of the bandwidth it is beyond f32's range"
    )]
    OutOfScale {
        /// Which inputs (`queries`, `keys`).
        what: &'static str,
        /// The input's 0-based position.
        index: usize,
        /// The input.
        value: f32,
        /// The bandwidth.
        bandwidth: f32,
    },
    /// A bandwidth search whose range holds no bandwidth the f32 kernels can use.
    #[error(
        "no bandwidth to search between {lo:e} and {hi:e}: the range lies outside the \
         bandwidths f32 kernels can use"
    )]
    SearchRange {
        /// The lower end asked for.
        lo: f64,
        /// The upper end asked for.
        hi: f64,
    },
    /// One of several inputs is the same in every row: no spread to choose its bandwidth
    /// from.
    #[error(
        "input {} is {value} in every row: there is no spread to choose its bandwidth from \
         (leave it out, or give the bandwidths)",
        input + 1
    )]
    ConstantInput {
        /// The 0-based input.
        input: usize,
        /// Its one value.
        value: f64,
    },
    /// Inputs that are all equal: no spread to scale a bandwidth by.
    #[error("all inputs are equal: there is no spread to choose a bandwidth from")]
    NoSpread,
    /// A minimization whose bounds do not pair up with its start.
    #[error(
        "minimize: x0 has {coordinates} coordinate(s) but {bounds} (lo, hi) bound(s) were given"
    )]
    BoundsCount {
        /// Coordinates of the start.
        coordinates: usize,
        /// Bounds given.
        bounds: usize,
    },
    /// A minimization bound that is reversed, empty or not finite.
    #[error(
        "minimize: bounds[{index}] = ({lo}, {hi}); each coordinate needs finite bounds with lo < hi"
    )]
    Bounds {
        /// The coordinate's 0-based position.
        index: usize,
        /// Its lower bound.
        lo: f64,
        /// Its upper bound.
        hi: f64,
    },
    /// An objective that is not finite where a minimization starts.
    #[error(
        "minimize: the objective's {what} is {value} at the start x0 = {x0:?}; the search needs \
         a finite value and gradient there"
    )]
    StartNotFinite {
        /// `value`, or the gradient's entry (`gradient[1]`).
        what: String,
        /// What the objective returned.
        value: f64,
        /// The start, after projection into the bounds.
        x0: Vec<f64>,
    },
    /// The chapter's tensor formulation asked for with a kernel it does not have.
    #[error(
        "the chapter's tensor path is written for the gaussian kernel, not {0}; use the fused path"
    )]
    ChapterKernel(&'static str),
    /// Training produced a non-finite loss, gradient or parameter.
    #[error("training diverged at epoch {epoch}: {what} is {value}")]
    Diverged {
        /// The 1-based epoch.
        epoch: usize,
        /// Which quantity.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A tensor operation failed (a shape error in the chapter's formulation).
    #[error(transparent)]
    Tensor(#[from] TensorError),
}

/// `Result` with [`ModelError`].
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
