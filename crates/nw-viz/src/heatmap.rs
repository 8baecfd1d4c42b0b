//! The chapter's `show_heatmaps`: attention weights as a matrix of coloured cells, queries
//! down and keys across, with a viridis colour bar.
//!
//! # Downsampling
//! A cell smaller than a pixel cannot be seen, and drawing a million of them makes a slow PNG
//! and a huge SVG. So when the matrix has more rows (columns) than the plot area has pixels
//! down (across), rows (columns) are grouped into as many contiguous blocks as there are
//! pixels, block `j` of `n` over `len` holding indices `j * len / n .. (j + 1) * len / n`
//! (sizes differ by at most one), and each block is drawn as one rectangle coloured by the
//! mean of its cells. A 1000 x 1000 matrix in a 420 x 450 pixel plot draws 420 x 450
//! rectangles. The colour scale still spans the full matrix's values.

use plotters::coord::Shift;
use plotters::element::Rectangle;
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::Color;

use crate::axis::Scale;
use crate::colour_bar::{self, ColourBar};
use crate::error::{Result, VizError};
use crate::output::{Figure, sealed::Draw};
use crate::style::{self, MISSING};

/// An attention heatmap of a `rows x cols` matrix (row-major), rows (queries) down and
/// columns (keys) across, coloured with viridis and explained by a colour bar.
///
/// The axes are described `Keys` and `Queries` unless [`labels`](Self::labels) says more: the
/// chapter's `Sorted training inputs` and `Sorted testing inputs` are true only of sorted
/// inputs, which the matrix alone cannot tell, so the caller who knows says so.
///
/// NaN and infinite cells are drawn in red (`#E41A1C`), a colour viridis never uses, and a
/// `NaN` swatch appears under the colour bar; they are left out of the colour scale. When the
/// matrix is larger than the plot in pixels it is downsampled by averaging blocks of cells
/// (see the module docs), and a block holding any NaN or infinite cell is drawn as missing,
/// so a bad value never hides behind an average.
///
/// ```
/// use nw_viz::{Figure, Heatmap};
///
/// // Each row sums to one, as attention weights do.
/// let w = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.0, 0.3, 0.7];
/// let svg = Heatmap::new(&w, 3, 3)
///     .labels("Sorted training inputs", "Sorted testing inputs")
///     .title("Attention weights")
///     .render_svg()?;
/// assert!(svg.contains("Sorted training inputs") && svg.contains("Sorted testing inputs"));
/// # Ok::<(), nw_viz::VizError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Heatmap<'a> {
    values: &'a [f32],
    rows: usize,
    cols: usize,
    x_label: &'a str,
    y_label: &'a str,
    title: Option<&'a str>,
    value_range: Option<(f32, f32)>,
    size: (u32, u32),
}

impl<'a> Heatmap<'a> {
    /// The matrix `values[i * cols + j]`: query `i`, key `j`.
    pub fn new(values: &'a [f32], rows: usize, cols: usize) -> Self {
        Heatmap {
            values,
            rows,
            cols,
            x_label: "Keys",
            y_label: "Queries",
            title: None,
            value_range: None,
            size: (600, 560),
        }
    }

    /// Sets the axis descriptions: `x_label` across (keys), `y_label` down (queries).
    #[must_use]
    pub fn labels(mut self, x_label: &'a str, y_label: &'a str) -> Self {
        self.x_label = x_label;
        self.y_label = y_label;
        self
    }

    /// Sets a caption above the plot.
    #[must_use]
    pub fn title(mut self, title: &'a str) -> Self {
        self.title = Some(title);
        self
    }

    /// Fixes the colour scale to `lo..hi` (default: the finite values' min and max); values
    /// outside take the end colours.
    #[must_use]
    pub fn value_range(mut self, lo: f32, hi: f32) -> Self {
        self.value_range = Some((lo, hi));
        self
    }

    /// Sets the size in pixels (default 600 x 560).
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// The colour scale: the given range, else the finite values' extent (widened when flat).
    fn scale_range(&self) -> (f64, f64) {
        match self.value_range {
            Some((lo, hi)) => (f64::from(lo), f64::from(hi)),
            None => colour_bar::value_range(self.values.iter().map(|&v| f64::from(v))),
        }
    }
}

impl Draw for Heatmap<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn check(&self) -> Result<()> {
        if self.rows == 0 || self.cols == 0 {
            return Err(VizError::Empty {
                what: format!("matrix ({} x {})", self.rows, self.cols),
            });
        }
        if self.rows.checked_mul(self.cols) != Some(self.values.len()) {
            return Err(VizError::MatrixShape {
                rows: self.rows,
                cols: self.cols,
                len: self.values.len(),
            });
        }
        if let Some((lo, hi)) = self.value_range
            && !(lo.is_finite() && hi.is_finite() && lo < hi)
        {
            return Err(VizError::BadRange { lo, hi });
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (lo, hi) = self.scale_range();
        let bar = ColourBar::new(Scale::linear(lo, hi, false));
        let (matrix_area, bar_area) = bar.split(root, self.title)?;

        // Cell i spans i - 0.5 .. i + 0.5, so integer ticks sit on cell centres, as in imshow.
        let (rows, cols) = (self.rows as f64, self.cols as f64);
        let x = Scale::linear(-0.5, cols - 0.5, true);
        let y = Scale::linear(rows - 0.5, -0.5, true);
        let mut chart = colour_bar::cell_axes(&matrix_area, x, y, (self.x_label, self.y_label))?;

        let color = |v: f64| {
            if v.is_finite() {
                style::viridis((v - lo) / (hi - lo))
            } else {
                MISSING
            }
        };
        // The pixels the matrix spans, as the coordinates map them (the area plotters reports
        // can be wider than the mapped range, and blocks narrower than a pixel collapse).
        let area = chart.plotting_area();
        let (left, top) = area.map_coordinate(&(-0.5, -0.5));
        let (right, bottom) = area.map_coordinate(&(cols - 0.5, rows - 0.5));
        let px_w = right.abs_diff(left).max(1) as usize;
        let px_h = bottom.abs_diff(top).max(1) as usize;
        let blocks = Blocks::new(
            self.values,
            (self.rows, self.cols),
            (self.rows.min(px_h), self.cols.min(px_w)),
        );
        let (out_rows, out_cols) = (blocks.row_bounds.len() - 1, blocks.col_bounds.len() - 1);
        let edge = |b: usize| b as f64 - 0.5;
        chart.draw_series((0..out_rows).flat_map(|i| {
            let blocks = &blocks;
            (0..out_cols).map(move |j| {
                let (r0, r1) = (blocks.row_bounds[i], blocks.row_bounds[i + 1]);
                let (c0, c1) = (blocks.col_bounds[j], blocks.col_bounds[j + 1]);
                let v = blocks.means[i * out_cols + j];
                Rectangle::new(
                    [(edge(c0), edge(r0)), (edge(c1), edge(r1))],
                    color(v).filled(),
                )
            })
        }))?;

        let bar = if blocks.means.iter().any(|v| !v.is_finite()) {
            bar.missing(MISSING, "NaN")
        } else {
            bar
        };
        bar.draw(&bar_area)
    }
}

impl Figure for Heatmap<'_> {}

/// A matrix averaged over contiguous blocks of rows and columns.
#[derive(Debug)]
struct Blocks {
    /// `out_rows + 1` row boundaries: block `i` holds rows `row_bounds[i]..row_bounds[i + 1]`.
    row_bounds: Vec<usize>,
    /// `out_cols + 1` column boundaries.
    col_bounds: Vec<usize>,
    /// Block means, row-major; non-finite if any cell in the block is.
    means: Vec<f64>,
}

impl Blocks {
    /// Averages the `rows x cols` matrix `values` (checked shape) down to `out` blocks, each
    /// side at least 1 and at most the matrix's; equal shapes copy the values through.
    fn new(values: &[f32], (rows, cols): (usize, usize), out: (usize, usize)) -> Blocks {
        let row_bounds = bounds(rows, out.0.clamp(1, rows));
        let col_bounds = bounds(cols, out.1.clamp(1, cols));
        let out_cols = col_bounds.len() - 1;
        let mut means = Vec::with_capacity((row_bounds.len() - 1) * out_cols);
        let mut sums = vec![0.0f64; out_cols];
        for rb in row_bounds.windows(2) {
            sums.fill(0.0);
            for row in values[rb[0] * cols..rb[1] * cols].chunks_exact(cols) {
                for (sum, cb) in sums.iter_mut().zip(col_bounds.windows(2)) {
                    // f64 sums of f32 cells cannot overflow, and NaN or an infinity carries
                    // through the sum, so the block shows as missing.
                    *sum += row[cb[0]..cb[1]].iter().map(|&v| f64::from(v)).sum::<f64>();
                }
            }
            let height = (rb[1] - rb[0]) as f64;
            means.extend(
                sums.iter()
                    .zip(col_bounds.windows(2))
                    .map(|(sum, cb)| sum / (height * (cb[1] - cb[0]) as f64)),
            );
        }
        Blocks {
            row_bounds,
            col_bounds,
            means,
        }
    }
}

/// `n + 1` boundaries splitting `0..len` into `n` contiguous blocks of near-equal size.
fn bounds(len: usize, n: usize) -> Vec<usize> {
    // u128 so `j * len` cannot overflow whatever the platform's usize.
    (0..=n)
        .map(|j| (j as u128 * len as u128 / n as u128) as usize)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_split_evenly_and_cover_everything() {
        assert_eq!(bounds(10, 3), [0, 3, 6, 10]);
        assert_eq!(bounds(5, 5), [0, 1, 2, 3, 4, 5]);
        assert_eq!(bounds(7, 1), [0, 7]);
        let b = bounds(1000, 451);
        assert_eq!((b[0], b[451]), (0, 1000));
        assert!(b.windows(2).all(|w| (2..=3).contains(&(w[1] - w[0]))));
    }

    #[test]
    fn full_size_blocks_copy_the_matrix() {
        let v: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let b = Blocks::new(&v, (3, 4), (3, 4));
        assert_eq!(b.means, v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
    }

    #[test]
    fn blocks_average_their_cells() {
        // 4 x 4 -> 2 x 2: each block is the mean of a 2 x 2 quarter.
        #[rustfmt::skip]
        let v = [
            1.0, 3.0,   0.0, 0.0,
            5.0, 7.0,   0.0, 4.0,
            2.0, 2.0,   1.0, 1.0,
            2.0, 2.0,   1.0, 1.0,
        ];
        let b = Blocks::new(&v, (4, 4), (2, 2));
        assert_eq!(b.means, [4.0, 1.0, 2.0, 1.0]);
        // Uneven: 3 columns into 2 blocks of 1 and 2.
        let b = Blocks::new(&[1.0, 2.0, 4.0], (1, 3), (1, 2));
        assert_eq!(
            (b.col_bounds.as_slice(), b.means.as_slice()),
            (&[0, 1, 3][..], &[1.0, 3.0][..])
        );
    }

    #[test]
    fn a_bad_cell_makes_its_block_missing_and_no_other() {
        let mut v = vec![0.5f32; 16];
        v[5] = f32::NAN;
        v[15] = f32::INFINITY;
        let b = Blocks::new(&v, (4, 4), (2, 2));
        assert!(b.means[0].is_nan());
        assert_eq!((b.means[1], b.means[2]), (0.5, 0.5));
        assert!(!b.means[3].is_finite());
    }

    #[test]
    fn a_large_matrix_is_capped_at_the_pixel_grid() {
        let v = vec![0.25f32; 1000 * 1000];
        let b = Blocks::new(&v, (1000, 1000), (450, 420));
        assert_eq!(b.means.len(), 450 * 420);
        assert!(b.means.iter().all(|&m| (m - 0.25).abs() < 1e-12));
    }

    #[test]
    fn the_scale_ignores_bad_values_and_widens_flat_data() {
        let h = [0.1, f32::NAN, 0.4, f32::NEG_INFINITY];
        assert_eq!(
            Heatmap::new(&h, 2, 2).scale_range(),
            (f64::from(0.1f32), f64::from(0.4f32))
        );
        assert_eq!(Heatmap::new(&[2.0; 4], 2, 2).scale_range(), (1.5, 2.5));
        assert_eq!(Heatmap::new(&[f32::NAN; 4], 2, 2).scale_range(), (0.0, 1.0));
        assert_eq!(
            Heatmap::new(&[2.0; 4], 2, 2)
                .value_range(0.0, 1.0)
                .scale_range(),
            (0.0, 1.0)
        );
    }
}
