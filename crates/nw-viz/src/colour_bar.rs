//! The colour bar the matrix-like figures share (the heatmap, the surface): a figure with a
//! title is split into its plot and a bar on the right, whose viridis stripes, ticks, caption
//! and missing-value swatch line up with the plot.
//!
//! One place for it, so both figures read their colours the same way: the same map, the same
//! tick labels ([`Scale`]'s), the same place for the offset and for what a grey or red cell
//! means.

use plotters::coord::Shift;
use plotters::element::{Rectangle, Text};
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingBackend};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontTransform, RGBColor, WHITE};

use crate::axis::Scale;
use crate::error::Result;
use crate::lines::TICK_MARK;
use crate::style::{self, INK, LABEL_SIZE, LEGEND_SIZE, TICK_SIZE, TITLE_SIZE};

/// Width of the colour-bar area right of the plot, in pixels (wider by what longer tick
/// labels need beyond [`BAR_LABELS`], a caption or a long swatch label).
const BAR_AREA: u32 = 110;
/// Width of the tick-label strip right of the bar, and its margin.
const BAR_LABELS: u32 = 62;
/// Stripes in the colour bar: matplotlib's colour maps have 256 entries.
const BAR_STEPS: usize = 256;
/// Width of the strip right of the tick labels that holds a caption, turned to read upwards.
const CAPTION_AREA: u32 = 26;
/// Space around the plot and the bar, in pixels.
pub(crate) const MARGIN: u32 = 12;
/// Height of the x-axis label area under the plot (the bar stops at the same height).
pub(crate) const X_LABEL_AREA: u32 = 52;
/// Approximate pixels per tick-label character.
pub(crate) const TICK_CHAR_PX: u32 = 9;
/// Approximate pixels per character of a swatch label (legend text).
const LEGEND_CHAR_PX: f64 = 8.5;
/// Left edge of the bar (and of the swatch under it) inside the bar area.
const BAR_LEFT: u32 = MARGIN + 4;
/// Side of the missing-value swatch.
const SWATCH: u32 = 16;
/// Gap between the swatch and its label.
const SWATCH_GAP: u32 = 6;

/// A colour bar: viridis along `values`, bottom to top.
#[derive(Clone, Debug)]
pub(crate) struct ColourBar<'a> {
    values: Scale,
    caption: Option<&'a str>,
    missing: Option<(RGBColor, &'a str)>,
}

impl<'a> ColourBar<'a> {
    /// A bar over `values` with no caption and no swatch (the heatmap's default).
    pub(crate) fn new(values: Scale) -> Self {
        ColourBar {
            values,
            caption: None,
            missing: None,
        }
    }

    /// Names the quantity the colours show, written along the bar's right side; an offset
    /// the tick labels are relative to joins it (`medv − 1.7e9`), as an axis's would.
    #[must_use]
    pub(crate) fn caption(mut self, caption: &'a str) -> Self {
        self.caption = Some(caption);
        self
    }

    /// Adds a swatch under the bar: cells drawn in `color` mean `label`.
    #[must_use]
    pub(crate) fn missing(mut self, color: RGBColor, label: &'a str) -> Self {
        self.missing = Some((color, label));
        self
    }

    /// Width of the tick-label strip: the usual one, or more when the labels are long
    /// (`1.5e-9`).
    fn label_strip(&self) -> u32 {
        (BAR_LABELS - MARGIN).max(2 * TICK_MARK + TICK_CHAR_PX * self.values.label_chars())
    }

    /// Width of the whole bar area, in pixels.
    pub(crate) fn width(&self) -> u32 {
        let mut width = BAR_AREA - (BAR_LABELS - MARGIN) + self.label_strip();
        if self.caption.is_some() {
            width += CAPTION_AREA;
        }
        if let Some((_, label)) = self.missing {
            let text = (LEGEND_CHAR_PX * label.chars().count() as f64).ceil() as u32;
            width = width.max(BAR_LEFT + SWATCH + SWATCH_GAP + text + MARGIN);
        }
        width
    }

    /// Fills `root`, captions it with `title`, and splits it into the plot's area and the
    /// bar's (which [`draw`](Self::draw) then fills).
    pub(crate) fn split<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        title: Option<&str>,
    ) -> Result<(DrawingArea<DB, Shift>, DrawingArea<DB, Shift>)> {
        root.fill(&WHITE)?;
        let area = match title {
            // A few pixels above the caption, as the line charts' caption has.
            Some(title) => root
                .margin(8, 0, 0, 0)
                .titled(title, style::text(TITLE_SIZE))?,
            None => root.clone(),
        };
        let (width, _) = area.dim_in_pixel();
        Ok(area.split_horizontally(width.saturating_sub(self.width())))
    }

    /// Draws the bar in `area` (the second half of [`split`](Self::split)): [`BAR_STEPS`]
    /// stripes, ticks on the right, lined up with a plot built with [`MARGIN`] and
    /// [`X_LABEL_AREA`]. Under it, a swatch if [`missing`](Self::missing) set one and, unless a
    /// caption names it, the offset the tick labels are relative to (`+1.7e9`, as matplotlib
    /// writes a colour bar's).
    pub(crate) fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let values = &self.values;
        let (lo, hi) = (values.lo(), values.hi());
        let mut bar = ChartBuilder::on(area)
            // The same top and bottom as the plot's area, so the two line up.
            .margin_top(MARGIN)
            .margin_bottom(MARGIN + X_LABEL_AREA)
            .margin_left(BAR_LEFT)
            .margin_right(MARGIN + self.caption.map_or(0, |_| CAPTION_AREA))
            .right_y_label_area_size(self.label_strip())
            .build_cartesian_2d(Scale::linear(0.0, 1.0, false), values.clone())?;
        bar.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .label_style(style::text(TICK_SIZE))
            .axis_style(INK)
            .set_all_tick_mark_size(TICK_MARK)
            .y_labels(20)
            .draw()?;
        let step = (hi - lo) / BAR_STEPS as f64;
        bar.draw_series((0..BAR_STEPS).map(|i| {
            let v0 = lo + step * i as f64;
            // Stripe i shows colour-map entry i, so the ends are the map's own end colours.
            let t = i as f64 / (BAR_STEPS - 1) as f64;
            Rectangle::new([(0.0, v0), (1.0, v0 + step)], style::viridis(t).filled())
        }))?;
        bar.draw_series(std::iter::once(Rectangle::new(
            [(0.0, lo), (1.0, hi)],
            INK.stroke_width(1),
        )))?;

        let (width, height) = area.dim_in_pixel();
        let (top, bottom) = (MARGIN as i32, (height - MARGIN - X_LABEL_AREA) as i32);
        // The offset has no description of its own to join unless there is a caption.
        let offset = match self.caption {
            Some(caption) => {
                // Centred along the bar, reading upwards, as an axis description on the left
                // does (and matplotlib's colour-bar label).
                let text = values.describe(caption);
                let style = style::text(LABEL_SIZE)
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Center, VPos::Top));
                let x = (width - MARGIN - CAPTION_AREA) as i32 + 4;
                area.draw(&Text::new(text, (x, (top + bottom) / 2), style))?;
                String::new()
            }
            None => values.describe(""),
        };
        let left = BAR_LEFT as i32;
        // Clear of the lowest tick label, which hangs half its height below the bar.
        let under = bottom + 12;
        if !offset.is_empty() {
            area.draw(&Text::new(
                offset.as_str(),
                (left, under),
                style::text(TICK_SIZE),
            ))?;
        }
        if let Some((color, label)) = self.missing {
            let top = if offset.is_empty() {
                under + 6
            } else {
                under + 18
            };
            let side = SWATCH as i32;
            area.draw(&Rectangle::new(
                [(left, top), (left + side, top + side)],
                color.filled(),
            ))?;
            area.draw(&Text::new(
                label,
                (left + side + SWATCH_GAP as i32, top + 1),
                style::text(LEGEND_SIZE),
            ))?;
        }
        Ok(())
    }
}

/// The colour scale for `values`: their finite extent, widened by a half on each side when
/// flat, and `0..1` when there is nothing finite (every cell is then drawn as missing).
pub(crate) fn value_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

/// The axes of a figure of coloured cells beside a colour bar (the heatmap's, the surface's):
/// `x` across and `y` down the plot area, described by `x_label` and `y_label` (with any tick
/// offset), ticks and no grid, drawn; the chart to draw the cells on.
pub(crate) fn cell_axes<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Scale,
    y: Scale,
    (x_label, y_label): (&str, &str),
) -> Result<plotters::prelude::ChartContext<'a, DB, plotters::prelude::Cartesian2d<Scale, Scale>>> {
    let (x_desc, y_desc) = (x.describe(x_label), y.describe(y_label));
    let widest = y.label_chars();
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(40 + TICK_CHAR_PX * widest)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(style::text(LABEL_SIZE))
        .label_style(style::text(TICK_SIZE))
        .axis_style(INK)
        .set_all_tick_mark_size(TICK_MARK)
        .x_labels(20)
        .y_labels(20)
        .draw()?;
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_ignores_bad_values_and_widens_flat_data() {
        assert_eq!(
            value_range([0.1, f64::NAN, 0.4, f64::NEG_INFINITY]),
            (0.1, 0.4)
        );
        assert_eq!(value_range([2.0; 4]), (1.5, 2.5));
        assert_eq!(value_range([f64::NAN; 4]), (0.0, 1.0));
        assert_eq!(value_range([]), (0.0, 1.0));
    }

    #[test]
    fn the_bar_widens_for_a_caption_and_a_long_swatch_label_only() {
        let bar = ColourBar::new(Scale::linear(0.0, 1.0, false));
        assert_eq!(bar.width(), BAR_AREA);
        // The heatmap's "NaN" fits in the usual width.
        assert_eq!(bar.clone().missing(WHITE, "NaN").width(), BAR_AREA);
        assert_eq!(bar.clone().caption("y").width(), BAR_AREA + CAPTION_AREA);
        // 11 characters at 8.5 pixels: 94, after the bar's margin, the swatch and its gap.
        assert_eq!(
            bar.missing(WHITE, "no estimate").width(),
            16 + 16 + 6 + 94 + 12
        );
    }
}
