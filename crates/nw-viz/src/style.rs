//! The look shared by every figure: the embedded font, text sizes, the line colours and the
//! viridis colour map.

use std::sync::OnceLock;

use plotters::style::{FontFamily, FontStyle, RGBColor, TextStyle, register_font};

use crate::error::{Result, VizError};

/// The family every text element asks for; we register DejaVu Sans under it, and SVG viewers
/// map it to their own sans-serif font.
pub(crate) const FONT: &str = "sans-serif";

/// Text sizes in plotters' units (plotters draws a size-`s` font about `s / 1.24` pixels high).
pub(crate) const TITLE_SIZE: f64 = 22.0;
/// Axis descriptions (`x`, `epoch`, `Sorted training inputs`).
pub(crate) const LABEL_SIZE: f64 = 19.0;
/// Tick labels.
pub(crate) const TICK_SIZE: f64 = 16.0;
/// Legend entries.
pub(crate) const LEGEND_SIZE: f64 = 16.0;

/// Near-black for text and axes: softer than pure black, as in most plotting styles.
pub(crate) const INK: RGBColor = RGBColor(38, 38, 38);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);
/// The chapter's prediction colour (matplotlib's `m`, magenta).
pub(crate) const MAGENTA: RGBColor = RGBColor(191, 0, 191);
/// Heatmap cells that are NaN or infinite: red, a hue viridis never reaches.
pub(crate) const MISSING: RGBColor = RGBColor(228, 26, 28);
/// Surface cells with no estimate: a light neutral grey. Not red as in the heatmap, because
/// no estimate is an expected answer (no data near enough), not a broken value; grey reads as
/// "nothing here" and is far from every viridis colour.
pub(crate) const NO_ESTIMATE: RGBColor = RGBColor(190, 190, 190);

/// Series colours: matplotlib's `tab10` cycle, so figures read like the chapter's.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Registers the embedded DejaVu Sans with plotters, once per process.
///
/// Plotters' `ab_glyph` backend finds fonts only in its own table, so text fails to lay out
/// until this has run; every render calls it first.
pub(crate) fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok { Ok(()) } else { Err(VizError::Font) }
}

/// Text of the given size in [`INK`].
pub(crate) fn text(size: f64) -> TextStyle<'static> {
    TextStyle::from((FontFamily::Name(FONT), size)).color(&INK)
}

/// Viridis sampled at every 8th of matplotlib's 256 entries (and the last): entry `k` is the
/// colour at `min(8 k, 255) / 255`. Linear interpolation between them stays within 2 of 255
/// of the full table. The data is CC0 (Smith, van der Walt, Firing).
const VIRIDIS: [[u8; 3]; 33] = [
    [68, 1, 84],
    [71, 13, 96],
    [72, 24, 106],
    [72, 35, 116],
    [71, 45, 123],
    [69, 55, 129],
    [66, 64, 134],
    [62, 73, 137],
    [59, 82, 139],
    [55, 91, 141],
    [51, 99, 141],
    [47, 107, 142],
    [44, 114, 142],
    [41, 122, 142],
    [38, 130, 142],
    [35, 137, 142],
    [33, 145, 140],
    [31, 152, 139],
    [31, 160, 136],
    [34, 167, 133],
    [40, 174, 128],
    [50, 182, 122],
    [63, 188, 115],
    [78, 195, 107],
    [94, 201, 98],
    [112, 207, 87],
    [132, 212, 75],
    [152, 216, 62],
    [173, 220, 48],
    [194, 223, 35],
    [216, 226, 25],
    [236, 229, 27],
    [253, 231, 37],
];

/// The viridis colour at `t` in `[0, 1]` (clamped; NaN gives the lowest colour).
pub(crate) fn viridis(t: f64) -> RGBColor {
    let s = if t.is_nan() {
        0.0
    } else {
        t.clamp(0.0, 1.0) * 255.0
    };
    let k = ((s / 8.0) as usize).min(VIRIDIS.len() - 2);
    let (lo, hi) = ((8 * k) as f64, ((8 * k + 8).min(255)) as f64);
    let f = (s - lo) / (hi - lo);
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    let mix = |i: usize| (f64::from(a[i]) + (f64::from(b[i]) - f64::from(a[i])) * f).round() as u8;
    RGBColor(mix(0), mix(1), mix(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_hits_matplotlibs_ends_and_middle() {
        // matplotlib: viridis(0) = #440154, viridis(128/255) = #21918C, viridis(1) = #FDE725.
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(128.0 / 255.0), RGBColor(33, 145, 140));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        // Interpolated between entries 31 (index 248) and 32 (index 255).
        let c = viridis(251.5 / 255.0);
        assert_eq!(c, RGBColor(245, 230, 32));
    }

    #[test]
    fn viridis_brightens_monotonically() {
        // Perceptual uniformity shows as steadily rising lightness; a rough luma will do.
        let luma =
            |c: RGBColor| 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
        let mut last = -1.0;
        for i in 0..=100 {
            let l = luma(viridis(f64::from(i) / 100.0));
            assert!(l >= last, "lightness fell at {i}");
            last = l;
        }
    }

    #[test]
    fn the_missing_colours_are_not_on_the_map() {
        for missing in [MISSING, NO_ESTIMATE] {
            let far = (0..=255).all(|i| {
                let c = viridis(f64::from(i) / 255.0);
                let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).abs();
                d(c.0, missing.0) + d(c.1, missing.1) + d(c.2, missing.2) > 150
            });
            assert!(far, "{missing:?}");
        }
    }
}
