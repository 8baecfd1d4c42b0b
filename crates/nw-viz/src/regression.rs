//! The chapter's `plot_kernel_reg`: truth and prediction over the test inputs, with the
//! training points as translucent dots; optionally a second fit to compare, and shaded
//! confidence bands around either.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use crate::axis::Scale;
use crate::check;
use crate::error::Result;
use crate::lines::{self, Band, Curve, Dots, LineChart, Stroke};
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
/// # Bands and a second fit
/// [`band`](Self::band) shades a band (say a 95% confidence band) around the prediction, in
/// its colour at 20% opacity, under every line and point; [`compare`](Self::compare) adds a
/// second fitted curve (solid, tab10 green) and [`compare_band`](Self::compare_band) a band in
/// its colour. A band's `lo` and `hi` may be NaN where there is no band: the band stops there
/// and starts again at the next pair of values, so a gap shows as a gap (a lone value between
/// gaps has no width and is not drawn). Bands count in the frame like the other values. A
/// figure with no band and no second fit draws exactly as before they existed.
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
///
/// // Local linear with its band, beside Nadaraya-Watson with its own; NaN is a gap.
/// let (ll, nw) = ([0.3, 2.4, 3.3, 2.7, 1.7], [0.9, 2.3, 3.0, 2.6, 1.9]);
/// let (lo, hi) = ([-0.2, 1.9, f64::NAN, 2.2, 1.1], [0.8, 2.9, f64::NAN, 3.2, 2.3]);
/// let svg = RegressionPlot::new(&x, &ll)
///     .pred_label("Local linear")
///     .band(&x, &lo, &hi, "95% band")
///     .compare(&x, &nw, "Nadaraya-Watson")
///     .compare_band(&x, &[0.4, 1.8, 2.5, 2.1, 1.4], &[1.4, 2.8, 3.5, 3.1, 2.4], "95% band")
///     .render_svg()?;
/// // Two polygons for the first band (split at the gap), one for the second.
/// assert_eq!(svg.matches("<polygon").count(), 3);
/// # Ok::<(), nw_viz::VizError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RegressionPlot<'a> {
    x: &'a [f64],
    pred: &'a [f64],
    /// The prediction's legend text.
    pred_label: &'a str,
    /// A second fit to compare: inputs, values, legend text.
    compare: Option<(&'a [f64], &'a [f64], &'a str)>,
    /// Bands, in the order added.
    bands: Vec<BandSpec<'a>>,
    truth: Option<&'a [f64]>,
    points: Option<(&'a [f64], &'a [f64])>,
    x_label: &'a str,
    y_label: &'a str,
    title: Option<&'a str>,
    size: (u32, u32),
    /// Axes over the data always, the prediction drawn over the points.
    own_frame: bool,
}

/// Which fitted curve a band belongs to (and takes its colour from).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// The prediction of [`RegressionPlot::new`].
    Pred,
    /// The fit of [`RegressionPlot::compare`].
    Compare,
}

/// A band as given: whose, where, between what, and its legend text.
#[derive(Clone, Copy, Debug)]
struct BandSpec<'a> {
    owner: Owner,
    x: &'a [f64],
    lo: &'a [f64],
    hi: &'a [f64],
    label: &'a str,
}

impl BandSpec<'_> {
    /// The argument names errors use for this band's slices.
    fn names(&self) -> [&'static str; 3] {
        match self.owner {
            Owner::Pred => ["band x", "band lo", "band hi"],
            Owner::Compare => ["compare band x", "compare band lo", "compare band hi"],
        }
    }

    /// The gap-free runs of `(x, lo, hi)` of two or more points: a NaN in `lo` or `hi` ends
    /// a run.
    fn runs(&self) -> Vec<Vec<(f64, f64, f64)>> {
        let mut runs = Vec::new();
        let mut run = Vec::new();
        for ((&x, &lo), &hi) in self.x.iter().zip(self.lo).zip(self.hi) {
            if lo.is_nan() || hi.is_nan() {
                runs.push(std::mem::take(&mut run));
            } else {
                run.push((x, lo, hi));
            }
        }
        runs.push(run);
        runs.retain(|r| r.len() >= 2);
        runs
    }
}

/// The second fit's colour: tab10 green, far from the prediction's magenta, the truth's blue
/// and the points' orange.
const COMPARE: plotters::style::RGBColor = PALETTE[2];

impl<'a> RegressionPlot<'a> {
    /// Prediction `pred[i]` at query input `x[i]` (the inputs in drawing order, usually sorted).
    pub fn new(x: &'a [f64], pred: &'a [f64]) -> Self {
        RegressionPlot {
            x,
            pred,
            pred_label: "Pred",
            compare: None,
            bands: Vec::new(),
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

    /// Names the prediction in the legend (default `Pred`).
    #[must_use]
    pub fn pred_label(mut self, label: &'a str) -> Self {
        self.pred_label = label;
        self
    }

    /// Adds a band around the prediction, from `lo[i]` to `hi[i]` at input `x[i]`, shaded in
    /// the prediction's colour and listed after it as `label` (empty: unlisted). NaN in `lo`
    /// or `hi` is a gap. May be given more than once (a simultaneous band around a pointwise
    /// one): each is drawn in the order given, and overlaps shade darker.
    #[must_use]
    pub fn band(mut self, x: &'a [f64], lo: &'a [f64], hi: &'a [f64], label: &'a str) -> Self {
        self.bands.push(BandSpec {
            owner: Owner::Pred,
            x,
            lo,
            hi,
            label,
        });
        self
    }

    /// Adds a second fitted curve `y[i]` at `x[i]` to compare with the prediction, drawn as a
    /// solid green line listed as `label`.
    #[must_use]
    pub fn compare(mut self, x: &'a [f64], y: &'a [f64], label: &'a str) -> Self {
        self.compare = Some((x, y, label));
        self
    }

    /// Adds a band around the second fit (see [`band`](Self::band)), in its colour.
    #[must_use]
    pub fn compare_band(
        mut self,
        x: &'a [f64],
        lo: &'a [f64],
        hi: &'a [f64],
        label: &'a str,
    ) -> Self {
        self.bands.push(BandSpec {
            owner: Owner::Compare,
            x,
            lo,
            hi,
            label,
        });
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
        let (cx, cy, clabel) = self.compare.unwrap_or((&[], &[], ""));
        let band_runs: Vec<Vec<Vec<(f64, f64, f64)>>> =
            self.bands.iter().map(BandSpec::runs).collect();
        let band_points = band_runs.iter().flatten().flatten();
        let xs = self
            .x
            .iter()
            .chain(px)
            .chain(cx)
            .chain(band_points.clone().map(|(x, _, _)| x));
        let ys = self
            .pred
            .iter()
            .chain(self.truth.unwrap_or(&[]))
            .chain(py)
            .chain(cy)
            .chain(band_points.flat_map(|(_, lo, hi)| [lo, hi]));
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
            name: Some(self.pred_label.into()),
            points: pair(self.x, self.pred),
            color: MAGENTA,
            line: Some(Stroke::Dashed),
            dots: None,
        });
        if self.compare.is_some() {
            curves.push(Curve {
                name: Some(clabel.into()),
                points: pair(cx, cy),
                color: COMPARE,
                line: Some(Stroke::Solid),
                dots: None,
            });
        }
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
        // Each band is listed after its curve (or after all of them, with no such curve).
        let position = |color| {
            curves
                .iter()
                .position(|c| c.color == color && c.line.is_some())
                .unwrap_or(curves.len())
        };
        let bands = self
            .bands
            .iter()
            .zip(band_runs)
            .map(|(spec, runs)| {
                let color = match spec.owner {
                    Owner::Pred => MAGENTA,
                    Owner::Compare => COMPARE,
                };
                Band {
                    name: Some(spec.label.into()),
                    runs,
                    color,
                    legend_after: position(color),
                }
            })
            .collect();
        LineChart {
            title: self.title,
            x_label: self.x_label,
            y_label: self.y_label,
            x,
            y,
            bands,
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
        if let Some((cx, cy, _)) = self.compare {
            check::same_len("compare y", cy, "compare x", cx)?;
            check::finite("compare x", cx)?;
            check::finite("compare y", cy)?;
        }
        for band in &self.bands {
            let [wx, wlo, whi] = band.names();
            check::same_len(wlo, band.lo, wx, band.x)?;
            check::same_len(whi, band.hi, wx, band.x)?;
            check::finite(wx, band.x)?;
            // NaN is a gap; an infinity is a broken value.
            check::not_infinite(wlo, band.lo)?;
            check::not_infinite(whi, band.hi)?;
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
