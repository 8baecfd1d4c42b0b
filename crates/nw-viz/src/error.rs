//! The one error type of `nw-viz`. Data errors name the argument or series and the index, so a
//! caller can point at the bad value; file errors name the path.

use std::io;
use std::path::PathBuf;

use plotters::drawing::DrawingAreaErrorKind;
use thiserror::Error;

/// What can go wrong checking, drawing or saving a figure.
///
/// `what` fields name the data as the figure's builder calls it: `pred`, `truth`,
/// `points x`, `losses`, `series "cv" y`, `marker "chosen h"`, `matrix`, `x1`, `z`,
/// `points x2`, `point values`.
#[derive(Debug, Error)]
pub enum VizError {
    /// Data that must be drawn holds no values.
    #[error("{what} is empty: nothing to draw")]
    Empty {
        /// The argument or series.
        what: String,
    },
    /// Two slices that pair up value by value have different lengths.
    #[error("{what} has {got} values but {other} has {expected}")]
    LengthMismatch {
        /// The slice that does not fit.
        what: String,
        /// Its length.
        got: usize,
        /// The slice it must match.
        other: String,
        /// That slice's length.
        expected: usize,
    },
    /// A NaN or infinity in data that must be drawn.
    #[error("{what}[{index}] is {value}: only finite values can be drawn")]
    NonFinite {
        /// The argument or series.
        what: String,
        /// The value's 0-based index.
        index: usize,
        /// The value (f64 holds every series' values: f32 data and f64 losses).
        value: f64,
    },
    /// Zero or a negative value on a log axis.
    #[error("{what}[{index}] is {value}: a log axis shows only positive values")]
    NotPositive {
        /// The argument or series.
        what: String,
        /// The value's 0-based index.
        index: usize,
        /// The value.
        value: f32,
    },
    /// A matrix slice whose length is not `rows * cols`.
    #[error("a {rows} x {cols} matrix needs {} values, got {len}", expected_len(*rows, *cols))]
    MatrixShape {
        /// Rows (queries).
        rows: usize,
        /// Columns (keys).
        cols: usize,
        /// The slice's length.
        len: usize,
    },
    /// A surface's `z` whose length is not `nx * ny` (x1 values times x2 values).
    #[error(
        "z has {len} values but the grid needs {} ({nx} x1 values times {ny} x2 values)",
        expected_len(*nx, *ny)
    )]
    GridShape {
        /// Values on the x1 axis (across).
        nx: usize,
        /// Values on the x2 axis (up).
        ny: usize,
        /// The length of `z`.
        len: usize,
    },
    /// A grid axis with fewer values than it takes to span a range.
    #[error("{what} has {got} values: a grid axis needs at least {min}")]
    TooFewValues {
        /// The grid axis.
        what: String,
        /// Its length.
        got: usize,
        /// The fewest it may have.
        min: usize,
    },
    /// A grid value not above the one before it.
    #[error(
        "{what}[{index}] is {value}, not above the value before it ({previous}): grid values \
         must be strictly ascending"
    )]
    NotAscending {
        /// The grid axis.
        what: String,
        /// The value's 0-based index.
        index: usize,
        /// The value.
        value: f64,
        /// The value before it.
        previous: f64,
    },
    /// Data whose every value is NaN (no estimate), so the figure would show nothing.
    #[error("{what} is NaN everywhere: no estimate to draw")]
    NoEstimate {
        /// The argument.
        what: String,
    },
    /// A colour scale that is not an increasing pair of finite numbers.
    #[error("value range {lo}..{hi} is not an increasing pair of finite numbers")]
    BadRange {
        /// Lower end.
        lo: f32,
        /// Upper end.
        hi: f32,
    },
    /// A figure size outside what the layout (and memory) allows.
    #[error(
        "figure size {width} x {height} is out of range: each side must be {min} to {max} pixels"
    )]
    BadSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
        /// Smallest side allowed.
        min: u32,
        /// Largest side allowed.
        max: u32,
    },
    /// A file name whose extension names no format we write.
    #[error("{}: cannot tell the figure format: use a .png or .svg extension", path.display())]
    UnsupportedFormat {
        /// The path as given.
        path: PathBuf,
    },
    /// The embedded font could not be registered with plotters.
    #[error("the embedded font (DejaVu Sans) could not be loaded")]
    Font,
    /// Plotters failed while laying out or drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Encoding the rendered pixels as PNG failed.
    #[error("png encoding failed: {0}")]
    Encode(String),
    /// Writing the file failed; nothing was left at `path` (an old file stays as it was).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The destination.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Saving failed for a reason the atomic writer states in full (a folder that must be
    /// writable, a process being interrupted); nothing was left at the path.
    #[error(transparent)]
    Save(nw_data::DataError),
}

/// `rows * cols` for the message, spelled out when it overflows.
fn expected_len(rows: usize, cols: usize) -> String {
    rows.checked_mul(cols)
        .map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string())
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for VizError {
    fn from(err: DrawingAreaErrorKind<E>) -> Self {
        VizError::Draw(err.to_string())
    }
}

/// `Result` with [`VizError`].
pub type Result<T, E = VizError> = std::result::Result<T, E>;
