//! A general plot of named (x, y) series, with optional log axes and vertical marker lines:
//! test error against training-set size (log-log), CV(h) against bandwidth with the chosen h.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use crate::axis::Scale;
use crate::check;
use crate::error::{Result, VizError};
use crate::lines::{self, Curve, Dots, LineChart, Stroke, VLine};
use crate::output::{Figure, sealed::Draw};
use crate::style::PALETTE;

/// One named curve of a [`SeriesPlot`].
#[derive(Clone, Debug)]
pub struct Series<'a> {
    name: &'a str,
    x: &'a [f32],
    y: &'a [f32],
    markers: bool,
}

impl<'a> Series<'a> {
    /// Points `(x[i], y[i])` joined in order; an empty `name` leaves the series out of the legend.
    pub fn new(name: &'a str, x: &'a [f32], y: &'a [f32]) -> Self {
        Series {
            name,
            x,
            y,
            markers: false,
        }
    }

    /// Also draws a dot at each point (default off).
    #[must_use]
    pub fn markers(mut self, on: bool) -> Self {
        self.markers = on;
        self
    }
}

/// One or more series against shared axes, with a legend, optional log axes and optional
/// vertical marker lines.
///
/// Series take `tab10` colours in order; marker lines are dashed, in the colours after the
/// series', and listed in the legend under their label. Linear axes follow the data with a 5%
/// margin; log axes the same in log space, with labels at the powers of ten (or at 1, 2, 5
/// times them when the data spans less than a decade). Every value on a log axis must be
/// positive.
///
/// ```
/// use nw_viz::{Figure, Series, SeriesPlot};
///
/// let n = [10.0, 100.0, 1000.0, 10000.0];
/// let mse = [0.9, 0.3, 0.08, 0.02];
/// let svg = SeriesPlot::new("training points", "test MSE")
///     .series(Series::new("Nadaraya-Watson", &n, &mse).markers(true))
///     .log_x(true)
///     .log_y(true)
///     .render_svg()?;
/// assert!(svg.contains(">1000<") || svg.contains("1000\n"));
/// # Ok::<(), nw_viz::VizError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SeriesPlot<'a> {
    series: Vec<Series<'a>>,
    x_label: &'a str,
    y_label: &'a str,
    log_x: bool,
    log_y: bool,
    marks: Vec<(f32, &'a str)>,
    title: Option<&'a str>,
    size: (u32, u32),
}

impl<'a> SeriesPlot<'a> {
    /// An empty plot with these axis descriptions; add at least one [`Series`].
    pub fn new(x_label: &'a str, y_label: &'a str) -> Self {
        SeriesPlot {
            series: Vec::new(),
            x_label,
            y_label,
            log_x: false,
            log_y: false,
            marks: Vec::new(),
            title: None,
            size: (640, 480),
        }
    }

    /// Adds a series (drawn and listed in the order added).
    #[must_use]
    pub fn series(mut self, series: Series<'a>) -> Self {
        self.series.push(series);
        self
    }

    /// Makes the x axis logarithmic (base 10) or linear.
    #[must_use]
    pub fn log_x(mut self, on: bool) -> Self {
        self.log_x = on;
        self
    }

    /// Makes the y axis logarithmic (base 10) or linear.
    #[must_use]
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }

    /// Adds a dashed vertical line at `x`, listed in the legend as `label` (empty: unlisted).
    #[must_use]
    pub fn mark_x(mut self, x: f32, label: &'a str) -> Self {
        self.marks.push((x, label));
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
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.x)
            .chain(self.marks.iter().map(|(x, _)| x));
        let ys = self.series.iter().flat_map(|s| s.y);
        let curves = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| Curve {
                name: Some(s.name.to_string()),
                points: s
                    .x
                    .iter()
                    .zip(s.y)
                    .map(|(&x, &y)| (f64::from(x), f64::from(y)))
                    .collect(),
                color: PALETTE[i % PALETTE.len()],
                line: Some(Stroke::Solid),
                dots: s.markers.then_some(Dots {
                    radius: 3,
                    opacity: 1.0,
                }),
            })
            .collect();
        let vlines = self
            .marks
            .iter()
            .enumerate()
            .map(|(i, &(x, label))| VLine {
                x: f64::from(x),
                label: Some(label.to_string()),
                color: PALETTE[(self.series.len() + i) % PALETTE.len()],
            })
            .collect();
        LineChart {
            title: self.title,
            x_label: self.x_label,
            y_label: self.y_label,
            x: data_scale(xs, self.log_x),
            y: data_scale(ys, self.log_y),
            bands: Vec::new(),
            curves,
            vlines,
        }
    }
}

/// An axis over the values with a margin, linear or log.
fn data_scale<'v>(values: impl Iterator<Item = &'v f32>, log: bool) -> Scale {
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(f64::from(v)), hi.max(f64::from(v)))
    });
    if log {
        Scale::log_around(min, max)
    } else {
        Scale::linear_around(min, max, false)
    }
}

impl Draw for SeriesPlot<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn check(&self) -> Result<()> {
        if self.series.is_empty() {
            return Err(VizError::Empty {
                what: "series plot (no series added)".to_string(),
            });
        }
        for s in &self.series {
            check::xy(
                &format!("series {:?}", s.name),
                s.x,
                s.y,
                self.log_x,
                self.log_y,
            )?;
        }
        // The markers' positions as one list, so an error's index is the marker's.
        let marks: Vec<f32> = self.marks.iter().map(|&(x, _)| x).collect();
        check::drawable("marker x", &marks, self.log_x)?;
        Ok(())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        lines::draw(&self.chart(), root)
    }
}

impl Figure for SeriesPlot<'_> {}
