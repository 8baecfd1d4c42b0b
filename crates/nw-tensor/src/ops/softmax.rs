//! Row softmax: `y_j = exp(x_j - max x) / sum_l exp(x_l - max x)` along the last axis.
//!
//! Numerically stable (the max is subtracted first, so `[1234, 0]` gives `[1, 0]`), and
//! defined on every input:
//! - `-inf` entries get weight exactly 0 while the row has a finite entry;
//! - a row with no distribution to give (a NaN or `+inf` entry, or only `-inf` entries) comes
//!   back as all NaN, as in PyTorch: a weight of 0 or a uniform row would look like an answer;
//! - `exp` never returns a denormal, so a row costs the same whatever its range.
//!
//! Accuracy against an f64 softmax of the same f32 inputs, for entry `j` of a row of `n`:
//! relative error at most `(|x_j - max| + ln n + chain + 9) * 2^-24`. The first term is the
//! rounding of the shift (`exp` turns an absolute error in its argument into a relative one),
//! `ln n + 1` bounds the same effect on the sum, 8 covers `exp` (1.5 ulp), the reciprocal and
//! the scale, and `chain` is the longest run of additions in the sum: `n / (4 LANES) + LANES +
//! 12` for the vector kernel (four vector accumulators), `n` for the scalar twin. Where the f64 weight is under
//! 2^-126 the absolute error is at most 2^-126 instead. `tests/softmax.rs` holds both twins
//! to this bound.

use rayon::prelude::*;

use crate::kernels::{scalar, simd};
use crate::par::Par;

/// Rows per parallel task; rows are independent, so this only sets the grain.
const ROWS_PER_TASK: usize = 16;

/// Softmax of every `cols`-long row of `data`, in place.
///
/// # Panics
/// If `cols` is 0 while `data` is not empty, or `data.len()` is not a multiple of `cols`.
pub fn softmax_rows(data: &mut [f32], cols: usize, par: Par) {
    if data.is_empty() {
        return;
    }
    assert!(
        cols > 0 && data.len().is_multiple_of(cols),
        "softmax: {} values do not split into rows of {cols}",
        data.len()
    );
    let on = simd::On::active();
    if par.is_parallel() && data.len() > cols {
        data.par_chunks_mut(cols * ROWS_PER_TASK)
            .for_each(|rows| on.softmax_rows(rows, cols));
    } else {
        on.softmax_rows(data, cols);
    }
}

/// The scalar twin of [`softmax_rows`], sequential.
///
/// # Panics
/// As [`softmax_rows`].
pub fn softmax_rows_scalar(data: &mut [f32], cols: usize) {
    if data.is_empty() {
        return;
    }
    assert!(
        cols > 0 && data.len().is_multiple_of(cols),
        "softmax: {} values do not split into rows of {cols}",
        data.len()
    );
    data.chunks_mut(cols).for_each(scalar::softmax_row);
}
