//! The chapter's `plot_kernel_reg`: truth and prediction over the test inputs, with the
//! training points as translucent dots.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use crate::axis::Scale;
use crate::check;
use crate::error::Result;
use crate::lines::{self, Curve, Dots, LineChart, Stroke};
use crate::output::{Figure, sealed::Draw};
use crate::style::{MAGENTA, PALETTE};

/// The chapter's frame: x from 0 to 5...
const CHAPTER_X: (f64, f64) = (0.0, 5.0);
/// ...and y from -1 to 5.
const CHAPTER_Y: (f64, f64) = (-1.0, 5.0);

/// A regression plot: prediction (and optionally truth) against the query inputs, with the
/// training points.
///
/// Like the chapter: `Truth` is a solid blue line, `Pred` a dashed magenta one, the training
/// points translucent orange dots (not in the legend), the axes described `x` and `y` (see
/// [`labels`](Self::labels)).
///
/// # Frame
/// When every value drawn lies within the chapter's frame (queries and training inputs in
/// `0 <= x <= 5`; predictions, truth and training targets in `-1 <= y <= 5`), the axes are the
/// chapter's, x from 0 to 5 and y from -1 to 5, so the chapter's data (`nw demo`, or
/// `nw generate` then `nw plot regression`) gives the chapter's figures. Otherwise both axes
/// follow the data: each spans its values (training points, predictions and truth together)
/// with a 5% margin on each side. One rule for both axes: data with x in 10..20 and y in
/// 0.2..0.6 is drawn over its own range, not squashed into a tenth of the chapter's height.
///
/// Coordinates are f64: a Unix time in seconds needs more digits than f32 has. Tick labels
/// stay short for such data: a narrow range far from zero is labelled relative to an offset
/// the axis description names (`x − 1.7e9`), very large or small values in scientific
/// notation.
///
/// ```
/// use nw_viz::{Figure, RegressionPlot};
///
/// let x = [0.0, 1.0, 2.0, 3.0, 4.0];
/// let (truth, pred) = ([0.0, 2.7, 3.6, 2.5, 1.5], [0.4, 2.2, 3.1, 2.6, 1.9]);
/// let svg = RegressionPlot::new(&x, &pred)
///     .truth(&truth)
///     .points(&[0.5, 2.5], &[1.4, 3.9])
///     .labels("time (ms)", "acceleration (g)")
///     .title("Nadaraya-Watson")
///     .render_svg()?;
/// assert!(svg.contains("Truth") && svg.contains("Pred") && svg.contains("time (ms)"));
/// # Ok::<(), nw_viz::VizError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RegressionPlot<'a> {
    x: &'a [f64],
    pred: &'a [f64],
    truth: Option<&'a [f64]>,
    points: Option<(&'a [f64], &'a [f64])>,
    x_label: &'a str,
    y_label: &'a str,
    title: Option<&'a str>,
    size: (u32, u32),
    /// Axes over the data always, the prediction drawn over the points.
    own_frame: bool,
}

impl<'a> RegressionPlot<'a> {
    /// Prediction `pred[i]` at query input `x[i]` (the inputs in drawing order, usually sorted).
    pub fn new(x: &'a [f64], pred: &'a [f64]) -> Self {
        RegressionPlot {
            x,
            pred,
            truth: None,
            points: None,
            x_label: "x",
            y_label: "y",
            title: None,
            size: (640, 480),
            own_frame: false,
        }
    }

    /// Draws a fit that is not the chapter's: the axes follow the data even where they fit the
    /// chapter's frame (a slice of inputs scaled to `[0, 1]` would be squeezed into a fifth of
    /// it), and the prediction is drawn over the points, which would hide it when there are
    /// thousands.
    #[must_use]
    pub fn own_frame(mut self) -> Self {
        self.own_frame = true;
        self
    }

    /// Adds the noise-free truth at the same inputs, drawn as the `Truth` line.
    #[must_use]
    pub fn truth(mut self, truth: &'a [f64]) -> Self {
        self.truth = Some(truth);
        self
    }

    /// Adds the training points `(x[i], y[i])` (may be empty).
    #[must_use]
    pub fn points(mut self, x: &'a [f64], y: &'a [f64]) -> Self {
        self.points = Some((x, y));
        self
    }

    /// Sets the axis descriptions (default the chapter's `x` and `y`), e.g. the data's column
    /// names.
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

    /// Sets the size in pixels (default 640 x 480).
    #[must_use]
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// The chart for checked data.
    fn chart(&self) -> LineChart<'a> {
        let pair = |xs: &[f64], ys: &[f64]| -> Vec<(f64, f64)> {
            xs.iter().copied().zip(ys.iter().copied()).collect()
        };
        let (px, py) = self.points.unwrap_or((&[], &[]));
        let xs = self.x.iter().chain(px);
        let ys = self.pred.iter().chain(self.truth.unwrap_or(&[])).chain(py);
        let (x, y) = if self.own_frame {
            let (x_min, x_max) = extent(xs);
            let (y_min, y_max) = extent(ys);
            (
                Scale::linear_around(x_min, x_max, false),
                Scale::linear_around(y_min, y_max, false),
            )
        } else {
            frame(xs, ys)
        };

        let mut curves = Vec::new();
        if let Some(truth) = self.truth {
            curves.push(Curve {
                name: Some("Truth".into()),
                points: pair(self.x, truth),
                color: PALETTE[0],
                line: Some(Stroke::Solid),
                dots: None,
            });
        }
        curves.push(Curve {
            name: Some("Pred".into()),
            points: pair(self.x, self.pred),
            color: MAGENTA,
            line: Some(Stroke::Dashed),
            dots: None,
        });
        if !px.is_empty() {
            curves.push(Curve {
                name: None,
                points: pair(px, py),
                color: PALETTE[1],
                line: None,
                dots: Some(Dots {
                    radius: 4,
                    opacity: 0.5,
                }),
            });
        }
        if self.own_frame {
            // Drawn in order: the points first, the prediction over them.
            curves.rotate_right(usize::from(!px.is_empty()));
        }
        LineChart {
            title: self.title,
            x_label: self.x_label,
            y_label: self.y_label,
            x,
            y,
            curves,
            vlines: Vec::new(),
        }
    }
}

/// The axes for these x and y values: the chapter's frame if every value fits in it, else
/// each axis over its values with a margin (see [`RegressionPlot`]'s "Frame").
fn frame<'v>(
    xs: impl Iterator<Item = &'v f64>,
    ys: impl Iterator<Item = &'v f64>,
) -> (Scale, Scale) {
    let (x_min, x_max) = extent(xs);
    let (y_min, y_max) = extent(ys);
    let inside = |(lo, hi): (f64, f64), min: f64, max: f64| lo <= min && max <= hi;
    if inside(CHAPTER_X, x_min, x_max) && inside(CHAPTER_Y, y_min, y_max) {
        (
            Scale::linear(CHAPTER_X.0, CHAPTER_X.1, false),
            Scale::linear(CHAPTER_Y.0, CHAPTER_Y.1, false),
        )
    } else {
        (
            Scale::linear_around(x_min, x_max, false),
            Scale::linear_around(y_min, y_max, false),
        )
    }
}

/// The smallest and largest value (`(inf, -inf)` for none, which fits any frame).
fn extent<'v>(values: impl Iterator<Item = &'v f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    })
}

impl Draw for RegressionPlot<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn check(&self) -> Result<()> {
        check::non_empty("x", self.x)?;
        check::same_len("pred", self.pred, "x", self.x)?;
        check::finite("x", self.x)?;
        check::finite("pred", self.pred)?;
        if let Some(truth) = self.truth {
            check::same_len("truth", truth, "x", self.x)?;
            check::finite("truth", truth)?;
        }
        if let Some((px, py)) = self.points {
            check::same_len("points y", py, "points x", px)?;
            check::finite("points x", px)?;
            check::finite("points y", py)?;
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        lines::draw(&self.chart(), root)
    }
}

impl Figure for RegressionPlot<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(s: &Scale) -> (f64, f64) {
        (s.lo(), s.hi())
    }

    #[test]
    fn an_own_frame_follows_the_data_and_draws_the_prediction_last() {
        let (x, pred) = ([0.1, 0.5, 0.9], [0.2, 0.4, 0.3]);
        let (px, py) = ([0.2, 0.8], [0.25, 0.35]);
        let plot = RegressionPlot::new(&x, &pred).points(&px, &py);
        let chapter = plot.chart();
        assert_eq!(ends(&chapter.x), (0.0, 5.0));
        let own = plot.own_frame().chart();
        let (lo, hi) = ends(&own.x);
        assert!(
            lo > -0.1 && lo <= 0.1 && (0.9..1.1).contains(&hi),
            "{lo}..{hi}"
        );
        let names: Vec<Option<&str>> = own.curves.iter().map(|c| c.name.as_deref()).collect();
        assert_eq!(names, [None, Some("Pred")]);
    }

    #[test]
    fn the_chapters_frame_holds_only_while_every_value_fits() {
        let (x, y) = frame([0.0, 2.5, 5.0].iter(), [-1.0, 4.9].iter());
        assert_eq!((ends(&x), ends(&y)), ((0.0, 5.0), (-1.0, 5.0)));
        // x leaves the frame: both axes follow the data, y too though it fits (0.2..0.6,
        // span 0.4, margins 0.02).
        let (x, y) = frame([10.0, 20.0].iter(), [0.2, 0.6].iter());
        assert_eq!(ends(&x), (9.5, 20.5));
        let (lo, hi) = ends(&y);
        assert!(
            (lo - 0.18).abs() < 1e-12 && (hi - 0.62).abs() < 1e-12,
            "{lo} {hi}"
        );
        // y leaves it: x follows its data as well (0..5 with margins of 0.25).
        let (x, y) = frame([0.0, 5.0].iter(), [999.0, 1001.0].iter());
        assert_eq!((ends(&x), ends(&y)), ((-0.25, 5.25), (998.9, 1001.1)));
    }
}
