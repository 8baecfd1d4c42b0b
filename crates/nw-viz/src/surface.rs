//! A Nadaraya-Watson fit over two inputs, seen from above: the predictions on a grid as
//! coloured cells, the data as markers on top, and a colour bar naming the target.
//!
//! With one input the regression plot shows fit and data together; with two, a 3-D view hides
//! half the surface behind the other. From above, every prediction is visible at once, and the
//! markers show where the data are, so a reader sees which parts of the surface rest on data
//! and which are the kernel reaching across a gap. Cells without an estimate (NaN: a compact
//! kernel with no data in reach) are grey, never a colour of the scale, so "no estimate"
//! cannot be read as a value.
//!
//! # Cells
//! Grid values are where the surface was estimated, and the plot spans exactly their range.
//! Each value's cell reaches halfway to its neighbours (so a grid need not be even), and the
//! cells at the edges are half cells: the figure shows no estimate beyond the grid. Every cell
//! is one rectangle; a grid of a few hundred values per side is smooth at any figure size.

use plotters::coord::Shift;
use plotters::element::{Circle, EmptyElement, Rectangle};
use plotters::prelude::{DrawingArea, DrawingBackend};
use plotters::style::{Color, WHITE};

use crate::axis::Scale;
use crate::check;
use crate::colour_bar::{self, ColourBar};
use crate::error::{Result, VizError};
use crate::output::{Figure, sealed::Draw};
use crate::style::{self, INK, NO_ESTIMATE};

/// Radii of a marker's dark ring, white ring and fill, in pixels.
const MARKER_RADII: (u32, u32, u32) = (6, 5, 4);

/// A fitted regression surface over two inputs: predictions `z` on an `x1` by `x2` grid as
/// viridis cells, the data points `(x1_i, x2_i)` as markers, and a colour bar.
///
/// `x1` runs across, `x2` up; `z` is row-major, one row per `x2` value: `z[j * nx + i]` is the
/// prediction at `(x1[i], x2[j])`. NaN in `z` means no estimate: such cells are light grey
/// (`#BEBEBE`) and a swatch under the colour bar says `no estimate`. The colour scale spans
/// the finite predictions (and the points' values when [`point_values`](Self::point_values)
/// colours the markers). Axes and the colour bar label their ticks as every figure of this
/// crate does: relative to an offset the description names (`x1 − 1.7e9`) or in scientific
/// notation when plain decimals would not read.
///
/// Points outside the grid's range are not drawn: the plot shows the grid's range only.
///
/// ```
/// use nw_viz::{Figure, SurfacePlot};
///
/// let (x1, x2) = ([0.0, 1.0, 2.0], [10.0, 20.0]);
/// let z = [1.0, 2.0, 3.0, 4.0, f64::NAN, 6.0]; // no estimate at (1, 20)
/// let svg = SurfacePlot::new(&x1, &x2, &z)
///     .points(&[0.5, 1.5], &[12.0, 18.0])
///     .labels("lstat", "rm", "medv")
///     .title("Nadaraya-Watson")
///     .render_svg()?;
/// assert!(svg.contains("lstat") && svg.contains("medv") && svg.contains("no estimate"));
/// # Ok::<(), nw_viz::VizError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SurfacePlot<'a> {
    x1: &'a [f64],
    x2: &'a [f64],
    z: &'a [f64],
    points: Option<(&'a [f64], &'a [f64])>,
    point_values: Option<&'a [f64]>,
    x1_label: &'a str,
    x2_label: &'a str,
    z_label: &'a str,
    title: Option<&'a str>,
    size: (u32, u32),
}

impl<'a> SurfacePlot<'a> {
    /// Predictions `z[j * x1.len() + i]` at `(x1[i], x2[j])`; both grids strictly ascending.
    pub fn new(x1: &'a [f64], x2: &'a [f64], z: &'a [f64]) -> Self {
        SurfacePlot {
            x1,
            x2,
            z,
            points: None,
            point_values: None,
            x1_label: "x1",
            x2_label: "x2",
            z_label: "y",
            title: None,
            size: (680, 560),
        }
    }

    /// Adds the data points `(x1[i], x2[i])`, drawn as markers over the surface (may be empty).
    #[must_use]
    pub fn points(mut self, x1: &'a [f64], x2: &'a [f64]) -> Self {
        self.points = Some((x1, x2));
        self
    }

    /// Fills each point's marker with the colour of its own target value on the surface's
    /// scale (default: white markers).
    ///
    /// White is the default because the figure's first question is where the data support
    /// the fit, which positions answer, and a white dot cannot be taken for part of the
    /// surface. Coloured markers answer the next question, how well the fit follows the data:
    /// a point that matches the cells around it disappears into them but for its rings, and a
    /// residual stands out. Either way a marker has a dark outer and a white inner ring, so it
    /// shows on viridis' dark purple and on its light yellow alike.
    #[must_use]
    pub fn point_values(mut self, values: &'a [f64]) -> Self {
        self.point_values = Some(values);
        self
    }

    /// Sets the descriptions of the inputs' axes and of the target on the colour bar (default
    /// `x1`, `x2`, `y`), e.g. the data's column names.
    #[must_use]
    pub fn labels(mut self, x1_label: &'a str, x2_label: &'a str, z_label: &'a str) -> Self {
        self.x1_label = x1_label;
        self.x2_label = x2_label;
        self.z_label = z_label;
        self
    }

    /// Sets a caption above the plot.
    #[must_use]
    pub fn title(mut self, title: &'a str) -> Self {
        self.title = Some(title);
        self
    }

    /// Sets the size in pixels (default 680 x 560).
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// The colour scale: the finite predictions' extent, and the coloured points' values too,
    /// so neither is clamped to an end colour (widened when flat).
    fn scale_range(&self) -> (f64, f64) {
        let values = self.point_values.unwrap_or(&[]);
        colour_bar::value_range(self.z.iter().chain(values).copied())
    }
}

/// `grid` spans an axis: at least two values, finite, strictly ascending.
fn grid(what: &str, grid: &[f64]) -> Result<()> {
    if grid.len() < 2 {
        return Err(VizError::TooFewValues {
            what: what.to_string(),
            got: grid.len(),
            min: 2,
        });
    }
    check::finite(what, grid)?;
    match grid.windows(2).position(|w| w[1] <= w[0]) {
        Some(i) => Err(VizError::NotAscending {
            what: what.to_string(),
            index: i + 1,
            value: grid[i + 1],
            previous: grid[i],
        }),
        None => Ok(()),
    }
}

/// The `n + 1` cell edges of an ascending grid of `n` values: its ends, and the midpoints
/// between neighbours.
fn edges(grid: &[f64]) -> Vec<f64> {
    // Halves first, so neighbours near f64::MAX of opposite signs do not overflow.
    let mids = grid.windows(2).map(|w| w[0] / 2.0 + w[1] / 2.0);
    let (first, last) = (grid[0], grid[grid.len() - 1]);
    std::iter::once(first)
        .chain(mids)
        .chain(std::iter::once(last))
        .collect()
}

impl Draw for SurfacePlot<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn check(&self) -> Result<()> {
        grid("x1", self.x1)?;
        grid("x2", self.x2)?;
        let (nx, ny) = (self.x1.len(), self.x2.len());
        if nx.checked_mul(ny) != Some(self.z.len()) {
            return Err(VizError::GridShape {
                nx,
                ny,
                len: self.z.len(),
            });
        }
        // NaN is "no estimate"; an infinity is a broken value.
        if let Some(index) = self.z.iter().position(|v| v.is_infinite()) {
            return Err(VizError::NonFinite {
                what: "z".into(),
                index,
                value: self.z[index],
            });
        }
        if self.z.iter().all(|v| v.is_nan()) {
            return Err(VizError::NoEstimate { what: "z".into() });
        }
        let (px, py) = self.points.unwrap_or((&[], &[]));
        check::same_len("points x2", py, "points x1", px)?;
        check::finite("points x1", px)?;
        check::finite("points x2", py)?;
        if let Some(values) = self.point_values {
            check::same_len("point values", values, "points x1", px)?;
            check::finite("point values", values)?;
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (lo, hi) = self.scale_range();
        let mut bar = ColourBar::new(Scale::linear(lo, hi, false)).caption(self.z_label);
        if self.z.iter().any(|v| v.is_nan()) {
            bar = bar.missing(NO_ESTIMATE, "no estimate");
        }
        let (plot_area, bar_area) = bar.split(root, self.title)?;

        let (nx, ny) = (self.x1.len(), self.x2.len());
        let (x1_lo, x1_hi) = (self.x1[0], self.x1[nx - 1]);
        let (x2_lo, x2_hi) = (self.x2[0], self.x2[ny - 1]);
        let x = Scale::linear(x1_lo, x1_hi, false);
        let y = Scale::linear(x2_lo, x2_hi, false);
        let mut chart = colour_bar::cell_axes(&plot_area, x, y, (self.x1_label, self.x2_label))?;

        let color = |v: f64| {
            if v.is_nan() {
                NO_ESTIMATE
            } else {
                style::viridis((v - lo) / (hi - lo))
            }
        };
        let (e1, e2) = (edges(self.x1), edges(self.x2));
        chart.draw_series(self.z.chunks_exact(nx).enumerate().flat_map(|(j, row)| {
            let (e1, e2) = (&e1, &e2);
            row.iter().enumerate().map(move |(i, &v)| {
                Rectangle::new([(e1[i], e2[j]), (e1[i + 1], e2[j + 1])], color(v).filled())
            })
        }))?;

        let (px, py) = self.points.unwrap_or((&[], &[]));
        let inside =
            |(a, b): &(f64, f64)| (x1_lo..=x1_hi).contains(a) && (x2_lo..=x2_hi).contains(b);
        let fill_of = |k: usize| self.point_values.map_or(WHITE, |values| color(values[k]));
        let (outer, ring, fill) = MARKER_RADII;
        chart.draw_series(
            px.iter()
                .copied()
                .zip(py.iter().copied())
                .enumerate()
                .filter(|(_, p)| inside(p))
                .map(|(k, p)| {
                    EmptyElement::at(p)
                        + Circle::new((0, 0), outer, INK.filled())
                        + Circle::new((0, 0), ring, WHITE.filled())
                        + Circle::new((0, 0), fill, fill_of(k).filled())
                }),
        )?;

        bar.draw(&bar_area)
    }
}

impl Figure for SurfacePlot<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_reach_halfway_to_their_neighbours_and_stop_at_the_ends() {
        assert_eq!(edges(&[0.0, 1.0]), [0.0, 0.5, 1.0]);
        assert_eq!(edges(&[0.0, 1.0, 4.0]), [0.0, 0.5, 2.5, 4.0]);
        // Far from zero, the midpoint does not overflow.
        assert_eq!(edges(&[-f64::MAX, f64::MAX]), [-f64::MAX, 0.0, f64::MAX]);
    }

    #[test]
    fn the_scale_spans_the_estimates_and_the_coloured_points() {
        let z = [1.0, f64::NAN, 3.0, 2.0];
        let plot = SurfacePlot::new(&[0.0, 1.0], &[0.0, 1.0], &z);
        assert_eq!(plot.scale_range(), (1.0, 3.0));
        let plot = plot.points(&[0.5], &[0.5]).point_values(&[7.0]);
        assert_eq!(plot.scale_range(), (1.0, 7.0));
        let flat = [2.0; 4];
        let plot = SurfacePlot::new(&[0.0, 1.0], &[0.0, 1.0], &flat);
        assert_eq!(plot.scale_range(), (1.5, 2.5));
    }
}
