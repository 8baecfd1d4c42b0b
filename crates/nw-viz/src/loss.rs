//! The training-loss curve, like the chapter's animator: epoch against summed loss.

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};

use crate::axis::Scale;
use crate::check;
use crate::error::Result;
use crate::lines::{self, Curve, Dots, LineChart, Stroke};
use crate::output::{Figure, sealed::Draw};
use crate::style::PALETTE;

/// Most epochs that still get a dot each.
const MAX_DOTS: usize = 60;

/// A loss curve: `losses[i]` is drawn at epoch `i + 1`, as a line with a dot per epoch (up to
/// 60 epochs).
///
/// The x axis carries whole epochs only; the y axis follows the losses with a 5% margin.
/// Axis labels default to the chapter's `epoch` and `loss`.
///
/// ```
/// use nw_viz::{Figure, LossCurve};
///
/// let svg = LossCurve::new(&[12.0, 9.5, 9.1, 9.0, 8.9]).render_svg()?;
/// assert_eq!(svg.matches("<circle").count(), 5);
/// # Ok::<(), nw_viz::VizError>(())
/// ```
#[derive(Clone, Debug)]
pub struct LossCurve<'a> {
    losses: &'a [f64],
    x_label: &'a str,
    y_label: &'a str,
    title: Option<&'a str>,
    size: (u32, u32),
}

impl<'a> LossCurve<'a> {
    /// The loss after each epoch, first epoch first (f64: summed losses outgrow f32).
    pub fn new(losses: &'a [f64]) -> Self {
        LossCurve {
            losses,
            x_label: "epoch",
            y_label: "loss",
            title: None,
            size: (640, 480),
        }
    }

    /// Sets the axis descriptions (default `epoch` and `loss`).
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
        let epochs = self.losses.len() as f64;
        let (min, max) = self
            .losses
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let points = (1..)
            .zip(self.losses)
            .map(|(epoch, &loss)| (f64::from(epoch), loss))
            .collect();
        LineChart {
            title: self.title,
            x_label: self.x_label,
            y_label: self.y_label,
            // The margin keeps the first and last dots whole.
            x: Scale::linear_around(1.0, epochs, true),
            y: Scale::linear_around(min, max, false),
            bands: Vec::new(),
            curves: vec![Curve {
                name: None,
                points,
                color: PALETTE[0],
                line: Some(Stroke::Solid),
                // A dot per epoch reads well for the chapter's 5; for hundreds they merge
                // into a thick smear over the line.
                dots: (self.losses.len() <= MAX_DOTS).then_some(Dots {
                    radius: 3,
                    opacity: 1.0,
                }),
            }],
            vlines: Vec::new(),
        }
    }
}

impl Draw for LossCurve<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn check(&self) -> Result<()> {
        check::non_empty("losses", self.losses)?;
        check::finite("losses", self.losses)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        lines::draw(&self.chart(), root)
    }
}

impl Figure for LossCurve<'_> {}
