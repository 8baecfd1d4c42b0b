//! The line-chart engine behind the regression plot, the loss curve and the series plot: axes
//! with a light grid, shaded bands, curves (solid or dashed lines, optional dots), vertical
//! marker lines and a legend placed in the emptiest corner.
//!
//! Each public figure checks its data, picks its axes and colours, and hands a [`LineChart`]
//! of owned f64 points to [`draw`]. Keeping the drawing in one place keeps the figures alike.

use std::iter::once;

use plotters::chart::ChartContext;
use plotters::coord::Shift;
use plotters::element::{
    Circle, ComposedElement, DashedPathElement, EmptyElement, PathElement, Polygon,
};
use plotters::prelude::{
    Cartesian2d, ChartBuilder, DrawingArea, DrawingBackend, SeriesLabelPosition,
};
use plotters::style::{Color, RGBColor, TRANSPARENT, WHITE};

use crate::axis::Scale;
use crate::error::Result;
use crate::style::{self, GRID, INK, LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE};

/// Length of the axes' tick marks, in pixels (labels sit twice as far out).
pub(crate) const TICK_MARK: u32 = 5;
/// Line width of curves, in pixels.
const LINE_WIDTH: u32 = 2;
/// Dash and gap of dashed lines, in pixels.
const DASH: (u32, u32) = (7, 4);
/// Opacity of a band's fill: light enough that two overlapping bands, the lines and the points
/// all stay visible through it.
const BAND_OPACITY: f64 = 0.2;
/// Width of a band's legend sample (a thick translucent stroke), in pixels.
const BAND_SAMPLE_WIDTH: u32 = 12;
/// Length of a legend's line sample, in pixels.
const SAMPLE: i32 = 26;
/// Approximate pixels per character of tick-label text (DejaVu Sans digits at [`TICK_SIZE`]).
const TICK_CHAR_PX: u32 = 9;
/// Approximate pixels per character of legend text.
const LEGEND_CHAR_PX: f64 = 8.5;
/// Approximate height of one legend row, in pixels.
const LEGEND_ROW_PX: f64 = 22.0;

/// How a curve's line is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stroke {
    /// A continuous line.
    Solid,
    /// Dashes of [`DASH`].
    Dashed,
}

/// Dots at a curve's points.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dots {
    /// Radius in pixels.
    pub(crate) radius: u32,
    /// 1 is opaque; the chapter draws its training points at 0.5.
    pub(crate) opacity: f64,
}

/// One curve: a line, dots, or both.
#[derive(Clone, Debug)]
pub(crate) struct Curve {
    /// Legend text; `None` keeps the curve out of the legend.
    pub(crate) name: Option<String>,
    /// The points in data coordinates, in drawing order.
    pub(crate) points: Vec<(f64, f64)>,
    /// Line and dot colour.
    pub(crate) color: RGBColor,
    /// The line, if any.
    pub(crate) line: Option<Stroke>,
    /// The dots, if any.
    pub(crate) dots: Option<Dots>,
}

/// A shaded area between a lower and an upper curve (a confidence band), drawn under every
/// curve.
#[derive(Clone, Debug)]
pub(crate) struct Band {
    /// Legend text; `None` keeps the band out of the legend.
    pub(crate) name: Option<String>,
    /// The gap-free runs of `(x, lo, hi)`, each at least two long and drawn as one polygon.
    pub(crate) runs: Vec<Vec<(f64, f64, f64)>>,
    /// Fill colour, drawn at [`BAND_OPACITY`].
    pub(crate) color: RGBColor,
    /// The legend lists the band right after the curve of this index (past the last curve:
    /// after all of them), so a band reads as its curve's.
    pub(crate) legend_after: usize,
}

/// A vertical dashed line across the whole plot, e.g. the chosen bandwidth.
#[derive(Clone, Debug)]
pub(crate) struct VLine {
    /// Where, in data coordinates.
    pub(crate) x: f64,
    /// Legend text (`None` or empty: no legend entry).
    pub(crate) label: Option<String>,
    /// Line colour.
    pub(crate) color: RGBColor,
}

/// Everything [`draw`] needs.
#[derive(Clone, Debug)]
pub(crate) struct LineChart<'a> {
    /// Caption above the plot.
    pub(crate) title: Option<&'a str>,
    /// Description under the x axis.
    pub(crate) x_label: &'a str,
    /// Description beside the y axis.
    pub(crate) y_label: &'a str,
    /// The x axis.
    pub(crate) x: Scale,
    /// The y axis.
    pub(crate) y: Scale,
    /// Bands, drawn first (under the curves) in this order.
    pub(crate) bands: Vec<Band>,
    /// Curves, drawn and listed in the legend in this order.
    pub(crate) curves: Vec<Curve>,
    /// Marker lines, drawn over the curves and listed after them.
    pub(crate) vlines: Vec<VLine>,
}

/// Draws `chart` on `root` (white background, grid, bands, curves, marker lines, legend).
pub(crate) fn draw<DB: DrawingBackend>(
    chart: &LineChart<'_>,
    root: &DrawingArea<DB, Shift>,
) -> Result<()> {
    root.fill(&WHITE)?;
    let y_label_chars = chart.y.label_chars();
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(12)
        .margin_right(22)
        .x_label_area_size(52)
        // The axis description, a gap, then the widest tick label.
        .y_label_area_size(40 + TICK_CHAR_PX * y_label_chars);
    if let Some(title) = chart.title {
        builder.caption(title, style::text(TITLE_SIZE));
    }
    let mut plot = builder.build_cartesian_2d(chart.x.clone(), chart.y.clone())?;
    plot.configure_mesh()
        // Tick labels relative to an offset name it here, once per axis.
        .x_desc(chart.x.describe(chart.x_label))
        .y_desc(chart.y.describe(chart.y_label))
        .axis_desc_style(style::text(LABEL_SIZE))
        .label_style(style::text(TICK_SIZE))
        .axis_style(INK)
        .bold_line_style(GRID)
        .set_all_tick_mark_size(TICK_MARK)
        .x_labels(20)
        .y_labels(20)
        .draw()?;

    // Bands first, under everything; their legend entries come with their curves below.
    for band in &chart.bands {
        let fill = band.color.mix(BAND_OPACITY).filled();
        for run in &band.runs {
            // Along the upper edge, then back along the lower one.
            let outline: Vec<(f64, f64)> = run
                .iter()
                .map(|&(x, _, hi)| (x, hi))
                .chain(run.iter().rev().map(|&(x, lo, _)| (x, lo)))
                .collect();
            plot.draw_series(once(Polygon::new(outline, fill)))?;
        }
    }
    let mut legend_names = Vec::new();
    for (index, curve) in chart.curves.iter().enumerate() {
        let points = curve.points.iter().copied();
        let color = curve.color;
        let line_style = curve.color.stroke_width(LINE_WIDTH);
        if let Some(stroke) = curve.line {
            let anno = match stroke {
                Stroke::Solid => plot.draw_series(once(PathElement::new(
                    points.clone().collect::<Vec<_>>(),
                    line_style,
                )))?,
                Stroke::Dashed => plot.draw_series(once(DashedPathElement::new(
                    points.clone(),
                    DASH.0,
                    DASH.1,
                    line_style,
                )))?,
            };
            if let Some(name) = legend_name(curve.name.as_deref()) {
                legend_names.push(name.to_string());
                let dots = curve.dots;
                anno.label(name)
                    .legend(move |p| legend_sample(p, color, Some(stroke), dots));
            }
        }
        if let Some(dots) = curve.dots {
            let fill = curve.color.mix(dots.opacity).filled();
            let anno = plot.draw_series(points.map(|p| Circle::new(p, dots.radius, fill)))?;
            // A dots-only curve gets its legend entry here; a line took it above.
            if curve.line.is_none()
                && let Some(name) = legend_name(curve.name.as_deref())
            {
                legend_names.push(name.to_string());
                anno.label(name)
                    .legend(move |p| legend_sample(p, color, None, Some(dots)));
            }
        }
        list_bands(&mut plot, chart, |after| after == index, &mut legend_names)?;
    }
    let last = chart.curves.len();
    list_bands(&mut plot, chart, |after| after >= last, &mut legend_names)?;

    let (y_lo, y_hi) = (chart.y.lo(), chart.y.hi());
    for vline in &chart.vlines {
        let color = vline.color;
        let style = color.stroke_width(LINE_WIDTH);
        let anno = plot.draw_series(once(DashedPathElement::new(
            [(vline.x, y_lo), (vline.x, y_hi)],
            DASH.0,
            DASH.1,
            style,
        )))?;
        if let Some(name) = legend_name(vline.label.as_deref()) {
            legend_names.push(name.to_string());
            anno.label(name)
                .legend(move |p| legend_sample(p, color, Some(Stroke::Dashed), None));
        }
    }

    if !legend_names.is_empty() {
        let (width, height) = plot.plotting_area().dim_in_pixel();
        let widest = legend_names
            .iter()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0);
        let box_frac = (
            (f64::from(SAMPLE as u32) + 30.0 + LEGEND_CHAR_PX * widest as f64) / f64::from(width),
            (LEGEND_ROW_PX * legend_names.len() as f64 + 16.0) / f64::from(height),
        );
        plot.configure_series_labels()
            .position(emptiest_corner(chart, box_frac))
            .margin(10)
            .label_font(style::text(LEGEND_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()?;
    }
    Ok(())
}

/// Lists the drawn bands whose `legend_after` passes `at` in the legend, each as an empty
/// series: plotters lists entries in the order series are drawn, and the bands were drawn
/// before every curve.
fn list_bands<'a, DB: DrawingBackend + 'a>(
    plot: &mut ChartContext<'a, DB, Cartesian2d<Scale, Scale>>,
    chart: &LineChart<'_>,
    at: impl Fn(usize) -> bool,
    names: &mut Vec<String>,
) -> Result<()> {
    for band in &chart.bands {
        if !at(band.legend_after) || band.runs.is_empty() {
            continue;
        }
        if let Some(name) = legend_name(band.name.as_deref()) {
            names.push(name.to_string());
            let color = band.color;
            plot.draw_series(std::iter::empty::<Polygon<(f64, f64)>>())?
                .label(name)
                .legend(move |p| band_sample(p, color));
        }
    }
    Ok(())
}

/// The legend text, if it should be listed.
fn legend_name(name: Option<&str>) -> Option<&str> {
    name.filter(|n| !n.is_empty())
}

/// A legend entry's sample: a line and a dot. One type for every kind of entry (plotters'
/// legend takes one closure type per series, and boxing it would demand a `'static` backend),
/// so missing parts are drawn transparent, which both backends skip.
type Sample<DB> = ComposedElement<
    (i32, i32),
    DB,
    DashedPathElement<std::array::IntoIter<(i32, i32), 2>, u32>,
    Circle<(i32, i32), u32>,
>;

/// The legend sample for a curve with this colour, line and dots, at `(x, y)`.
fn legend_sample<DB: DrawingBackend>(
    (x, y): (i32, i32),
    color: RGBColor,
    line: Option<Stroke>,
    dots: Option<Dots>,
) -> Sample<DB> {
    let line_style = match line {
        Some(_) => color.stroke_width(LINE_WIDTH),
        None => TRANSPARENT.into(),
    };
    // A dash longer than the sample draws a solid line.
    let (dash, gap) = match line {
        Some(Stroke::Dashed) => DASH,
        _ => (2 * SAMPLE as u32, 1),
    };
    let (radius, fill) = match dots {
        Some(d) => (d.radius, color.mix(d.opacity).filled()),
        None => (0, TRANSPARENT.filled()),
    };
    EmptyElement::at((x, y - 1))
        + DashedPathElement::new([(0, 0), (SAMPLE, 0)], dash, gap, line_style)
        + Circle::new((SAMPLE / 2, 0), radius, fill)
}

/// A band's legend sample at `(x, y)`: a thick stroke in the band's translucent fill (the
/// same element type as [`legend_sample`]'s, so both fit plotters' one legend type).
fn band_sample<DB: DrawingBackend>((x, y): (i32, i32), color: RGBColor) -> Sample<DB> {
    let style = color.mix(BAND_OPACITY).stroke_width(BAND_SAMPLE_WIDTH);
    EmptyElement::at((x, y - 1))
        + DashedPathElement::new([(0, 0), (SAMPLE, 0)], 2 * SAMPLE as u32, 1, style)
        + Circle::new((SAMPLE / 2, 0), 0, TRANSPARENT.filled())
}

/// The corner whose legend-sized box (`box_frac`, as fractions of the plot's width and
/// height) covers the fewest curve points, sampling along lines, like matplotlib's "best".
fn emptiest_corner(chart: &LineChart<'_>, box_frac: (f64, f64)) -> SeriesLabelPosition {
    let mut samples: Vec<(f64, f64)> = Vec::new();
    for curve in &chart.curves {
        let frac = |&(x, y): &(f64, f64)| (chart.x.frac(x), chart.y.frac(y));
        let pts: Vec<(f64, f64)> = curve.points.iter().map(frac).collect();
        samples.extend(&pts);
        if curve.line.is_some() {
            // Lines between far-apart points cross corners too: sample each segment.
            for w in pts.windows(2) {
                let (a, b) = (w[0], w[1]);
                for k in 1..8 {
                    let t = f64::from(k) / 8.0;
                    samples.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
                }
            }
        }
    }
    for band in &chart.bands {
        // The area too, not only its edges: a legend there would hide the band.
        for &(x, lo, hi) in band.runs.iter().flatten() {
            let (fx, flo, fhi) = (chart.x.frac(x), chart.y.frac(lo), chart.y.frac(hi));
            samples.extend([(fx, flo), (fx, (flo + fhi) / 2.0), (fx, fhi)]);
        }
    }
    let (w, h) = box_frac;
    // Preference order on ties, as matplotlib's.
    let corners = [
        (SeriesLabelPosition::UpperRight, 1.0 - w, 1.0 - h),
        (SeriesLabelPosition::UpperLeft, 0.0, 1.0 - h),
        (SeriesLabelPosition::LowerLeft, 0.0, 0.0),
        (SeriesLabelPosition::LowerRight, 1.0 - w, 0.0),
    ];
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (pos, x0, y0) in corners {
        let inside = samples
            .iter()
            .filter(|&&(x, y)| (x0..=x0 + w).contains(&x) && (y0..=y0 + h).contains(&y))
            .count();
        if inside < best.0 {
            best = (inside, pos);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart_with(points: Vec<(f64, f64)>) -> LineChart<'static> {
        LineChart {
            title: None,
            x_label: "x",
            y_label: "y",
            x: Scale::linear(0.0, 1.0, false),
            y: Scale::linear(0.0, 1.0, false),
            bands: Vec::new(),
            curves: vec![Curve {
                name: Some("a".into()),
                points,
                color: INK,
                line: Some(Stroke::Solid),
                dots: None,
            }],
            vlines: Vec::new(),
        }
    }

    #[test]
    fn the_legend_avoids_the_data() {
        let rising = chart_with(vec![(0.0, 0.0), (1.0, 1.0)]);
        assert!(matches!(
            emptiest_corner(&rising, (0.3, 0.2)),
            SeriesLabelPosition::UpperLeft
        ));
        let falling = chart_with(vec![(0.0, 1.0), (1.0, 0.0)]);
        assert!(matches!(
            emptiest_corner(&falling, (0.3, 0.2)),
            SeriesLabelPosition::UpperRight
        ));
        let high = chart_with(vec![(0.0, 0.95), (1.0, 0.95)]);
        assert!(matches!(
            emptiest_corner(&high, (0.3, 0.2)),
            SeriesLabelPosition::LowerLeft
        ));
    }
}
