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

/// The chapter's x range, kept whenever the data fits in it.
const CHAPTER_X: (f64, f64) = (0.0, 5.0);
/// The chapter's y range, kept whenever the data fits in it.
const CHAPTER_Y: (f64, f64) = (-1.0, 5.0);

/// A regression plot: prediction (and optionally truth) against the query inputs, with the
/// training points.
///
/// Like the chapter: `Truth` is a solid blue line, `Pred` a dashed magenta one, the training
/// points translucent orange dots (not in the legend); axes `x` from 0 to 5 and `y` from -1
/// to 5. An axis whose data leaves that range follows the data instead, with a 5% margin.
///
/// ```
/// use nw_viz::{Figure, RegressionPlot};
///
/// let x = [0.0, 1.0, 2.0, 3.0, 4.0];
/// let (truth, pred) = ([0.0, 2.7, 3.6, 2.5, 1.5], [0.4, 2.2, 3.1, 2.6, 1.9]);
/// let svg = RegressionPlot::new(&x, &pred)
///     .truth(&truth)
///     .points(&[0.5, 2.5], &[1.4, 3.9])
///     .title("Nadaraya-Watson")
///     .render_svg()?;
/// assert!(svg.contains("Truth") && svg.contains("Pred"));
/// # Ok::<(), nw_viz::VizError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RegressionPlot<'a> {
    x: &'a [f32],
    pred: &'a [f32],
    truth: Option<&'a [f32]>,
    points: Option<(&'a [f32], &'a [f32])>,
    title: Option<&'a str>,
    size: (u32, u32),
}

impl<'a> RegressionPlot<'a> {
    /// Prediction `pred[i]` at query input `x[i]` (the inputs in drawing order, usually sorted).
    pub fn new(x: &'a [f32], pred: &'a [f32]) -> Self {
        RegressionPlot {
            x,
            pred,
            truth: None,
            points: None,
            title: None,
            size: (640, 480),
        }
    }

    /// Adds the noise-free truth at the same inputs, drawn as the `Truth` line.
    #[must_use]
    pub fn truth(mut self, truth: &'a [f32]) -> Self {
        self.truth = Some(truth);
        self
    }

    /// Adds the training points `(x[i], y[i])` (may be empty).
    #[must_use]
    pub fn points(mut self, x: &'a [f32], y: &'a [f32]) -> Self {
        self.points = Some((x, y));
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
        let pair = |xs: &[f32], ys: &[f32]| -> Vec<(f64, f64)> {
            xs.iter()
                .zip(ys)
                .map(|(&x, &y)| (f64::from(x), f64::from(y)))
                .collect()
        };
        let (px, py) = self.points.unwrap_or((&[], &[]));
        let xs = self.x.iter().chain(px);
        let ys = self.pred.iter().chain(self.truth.unwrap_or(&[])).chain(py);

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
        LineChart {
            title: self.title,
            x_label: "x",
            y_label: "y",
            x: chapter_or_data(CHAPTER_X, xs),
            y: chapter_or_data(CHAPTER_Y, ys),
            curves,
            vlines: Vec::new(),
        }
    }
}

/// The chapter's range if every value fits in it, else the data's range with a margin.
fn chapter_or_data<'v>(chapter: (f64, f64), values: impl Iterator<Item = &'v f32>) -> Scale {
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(f64::from(v)), hi.max(f64::from(v)))
    });
    if chapter.0 <= min && max <= chapter.1 {
        Scale::linear(chapter.0, chapter.1, false)
    } else {
        Scale::linear_around(min, max, false)
    }
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

    #[test]
    fn chapter_ranges_hold_until_the_data_leaves_them() {
        let inside = [0.0f32, 2.5, 5.0];
        let s = chapter_or_data(CHAPTER_X, inside.iter());
        assert_eq!((s.lo(), s.hi()), (0.0, 5.0));
        let outside = [-2.0f32, 8.0];
        let s = chapter_or_data(CHAPTER_X, outside.iter());
        assert_eq!((s.lo(), s.hi()), (-2.5, 8.5));
    }
}
