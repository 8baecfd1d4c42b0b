//! Grids of query points: [`arange`], which reproduces PyTorch's f32 `torch.arange` bit for
//! bit, and [`linspace`], evenly spaced points with both ends exact.

use crate::error::{DataError, Result};

/// Lanes of PyTorch's `Vectorized<float>` in its AVX2 build, whose arange kernel fills a
/// vector from one f32 base (see [`arange`]).
const TORCH_LANES: usize = 8;

/// The most points a grid may hold; past this a request is almost surely a mistake (a step of
/// the wrong scale) and would exhaust memory rather than fail cleanly.
pub const MAX_GRID_LEN: usize = 1 << 30;

/// `start, start + step, ...` up to but excluding `end`, as PyTorch's CPU
/// `torch.arange(start, end, step, dtype=torch.float32)` computes them, bit for bit.
///
/// The length is PyTorch's, `ceil((end - start) / step)` in f64. The values are not simply
/// `f32(start + i * step)`: PyTorch's x86-64 (AVX2) kernel fills 8-lane f32 vectors, rounding
/// each vector's first value `start + step * i0` to f32 and then computing the lane
/// `base + k * step` in f64 from that rounded base; the elements past the last whole
/// 16-element chunk (`len % 16` of them) take the scalar path `f32(start + step * i)`. For
/// `arange(0, 5, 0.1)` this gives 3.1000001 at index 31 where the plain formula gives 3.1, and
/// the project's reference file (`tests/data/d2l_test.csv`, written by PyTorch) agrees with
/// this crate on all 50 values. PyTorch splits arrays longer than 32768 across threads, so its
/// own output for them depends on its thread count; this function gives the one-thread result.
/// ARM builds of PyTorch use an f32 fused multiply-add here and may differ in the last bit.
///
/// Errors if a bound or the step is not finite, the step is zero, the step points away from
/// `end`, or the grid would exceed [`MAX_GRID_LEN`] points or the memory there is.
pub fn arange(start: f64, end: f64, step: f64) -> Result<Vec<f32>> {
    let bad = |problem: String| DataError::BadGrid {
        op: "arange",
        problem,
    };
    if !(start.is_finite() && end.is_finite() && step.is_finite()) {
        return Err(bad(format!(
            "start {start}, end {end} and step {step} must be finite"
        )));
    }
    if step == 0.0 {
        return Err(bad("step must not be zero".to_string()));
    }
    if (step > 0.0 && end < start) || (step < 0.0 && end > start) {
        return Err(bad(format!(
            "step {step} points away from end {end} (start {start})"
        )));
    }
    let len = ((end - start) / step).ceil();
    // The difference or the quotient can overflow to infinity for finite arguments.
    if !len.is_finite() || len > MAX_GRID_LEN as f64 {
        return Err(bad(format!(
            "from {start} to {end} by {step} gives {len} points, more than {MAX_GRID_LEN}"
        )));
    }
    let len = len as usize;
    let mut grid = storage("arange", len)?;
    grid.extend(torch_arange_f32(start, step, len));
    Ok(grid)
}

/// Room for `len` points, or [`DataError::TooLarge`] rather than an abort when memory cannot
/// hold them (a length under [`MAX_GRID_LEN`] is still 4 GiB).
fn storage(what: &'static str, len: usize) -> Result<Vec<f32>> {
    let mut grid = Vec::new();
    grid.try_reserve_exact(len)
        .map_err(|_| DataError::TooLarge { what, len })?;
    Ok(grid)
}

/// PyTorch's f32 arange values for a length already checked (see [`arange`] for the scheme).
pub(crate) fn torch_arange_f32(start: f64, step: f64, len: usize) -> impl Iterator<Item = f32> {
    // The kernel's loop handles two vectors per turn; what is left goes element by element.
    let vectorized = len - len % (2 * TORCH_LANES);
    (0..len).map(move |i| {
        if i < vectorized {
            let lane = i % TORCH_LANES;
            let base = (start + step * (i - lane) as f64) as f32;
            (f64::from(base) + lane as f64 * step) as f32
        } else {
            (start + step * i as f64) as f32
        }
    })
}

/// `n` evenly spaced points from `start` to `end`, both included and exact.
///
/// Each point is `start + (end - start) * i / (n - 1)` computed in f64 and rounded once to f32
/// (the last point is `end` itself), so the grid is as accurate as f32 allows. This is not
/// bit-compatible with `torch.linspace`, which works in f32. `n = 0` gives no points and
/// `n = 1` gives `[start]`. Errors if a bound is not finite or `n` exceeds [`MAX_GRID_LEN`] or
/// the memory there is.
pub fn linspace(start: f32, end: f32, n: usize) -> Result<Vec<f32>> {
    if !(start.is_finite() && end.is_finite()) {
        return Err(DataError::BadGrid {
            op: "linspace",
            problem: format!("start {start} and end {end} must be finite"),
        });
    }
    if n > MAX_GRID_LEN {
        return Err(DataError::BadGrid {
            op: "linspace",
            problem: format!("{n} points is more than {MAX_GRID_LEN}"),
        });
    }
    let (a, b) = (f64::from(start), f64::from(end));
    let last = n.saturating_sub(1);
    let mut grid = storage("linspace", n)?;
    grid.extend((0..n).map(|i| {
        if i == last && n > 1 {
            end
        } else {
            (a + (b - a) * (i as f64 / last.max(1) as f64)) as f32
        }
    }));
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arange_length_is_torch_ceil() {
        assert_eq!(arange(0.0, 5.0, 0.1).unwrap().len(), 50);
        assert_eq!(arange(0.0, 1.0, 0.3).unwrap().len(), 4);
        assert_eq!(arange(2.0, 2.0, 1.0).unwrap().len(), 0);
        assert_eq!(arange(3.0, 0.0, -1.0).unwrap(), vec![3.0, 2.0, 1.0]);
    }

    #[test]
    fn arange_uses_the_vector_base_not_the_plain_formula() {
        let xs = arange(0.0, 5.0, 0.1).unwrap();
        // Index 31 sits in the vector starting at 24: f32(2.4) + 7 * 0.1 rounds up.
        assert_eq!(xs[31], 3.1000001);
        assert_ne!(xs[31], (31.0 * 0.1f64) as f32);
        // Indices 48 and 49 are past the last 16-element chunk: the plain formula.
        assert_eq!(xs[48], (48.0 * 0.1f64) as f32);
        assert_eq!(xs[49], (49.0 * 0.1f64) as f32);
    }

    #[test]
    fn arange_rejects_bad_arguments() {
        for (s, e, st, want) in [
            (0.0, 1.0, 0.0, "arange: step must not be zero"),
            (
                0.0,
                1.0,
                -0.1,
                "arange: step -0.1 points away from end 1 (start 0)",
            ),
            (
                0.0,
                f64::NAN,
                0.1,
                "arange: start 0, end NaN and step 0.1 must be finite",
            ),
        ] {
            assert_eq!(arange(s, e, st).unwrap_err().to_string(), want);
        }
        let err = arange(0.0, 1.0, 1e-300).unwrap_err().to_string();
        assert!(err.contains("more than 1073741824"), "{err}");
        let err = arange(-f64::MAX, f64::MAX, 1.0).unwrap_err().to_string();
        assert!(err.contains("gives inf points"), "{err}");
    }

    #[test]
    fn linspace_ends_are_exact_and_spacing_even() {
        let g = linspace(-1.0, 0.3, 14).unwrap();
        assert_eq!(g.len(), 14);
        assert_eq!((g[0], g[13]), (-1.0, 0.3));
        for (i, v) in g.iter().enumerate() {
            let want = -1.0 + 1.3 * i as f64 / 13.0;
            assert!((f64::from(*v) - want).abs() <= 1e-7, "{i}: {v} vs {want}");
        }
        assert_eq!(linspace(2.0, 5.0, 1).unwrap(), vec![2.0]);
        assert!(linspace(2.0, 5.0, 0).unwrap().is_empty());
        assert!(linspace(f32::INFINITY, 5.0, 3).is_err());
    }
}
