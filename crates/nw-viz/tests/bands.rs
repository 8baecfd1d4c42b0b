//! Confidence bands on the regression plot: the shaded polygon's vertices, its gaps, two fits
//! each with its own band, the pixels of the PNG, and the errors for bad bands.

mod common;

use common::{attr, elements, has_text, png_size, with_color};
use nw_viz::{Figure, RegressionPlot, VizError};

/// The prediction is magenta, the second fit tab10 green, the truth tab10 blue.
const MAGENTA: &str = "#BF00BF";
const GREEN: &str = "#2CA02C";
const BLUE: &str = "#1F77B4";

/// The `x,y` pairs of a `points` attribute.
fn vertices(element: &str) -> Vec<(i64, i64)> {
    attr(element, "points")
        .expect("a points attribute")
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// Inputs 0, 0.25, ..., 4.75 and a smooth curve, inside the chapter's frame.
fn curve() -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..20).map(|i| f64::from(i) * 0.25).collect();
    let y = x.iter().map(|&v| 2.0 + v.sin()).collect();
    (x, y)
}

#[test]
fn a_band_is_one_polygon_along_its_upper_edge_and_back_along_its_lower_one() {
    let (x, pred) = curve();
    let hi: Vec<f64> = pred.iter().map(|y| y + 0.5).collect();
    let lo: Vec<f64> = pred.iter().map(|y| y - 0.7).collect();
    // The truth drawn at `hi` and the second fit at `lo`: their lines go through the pixels
    // the band's edges must, mapped by the same axes.
    let svg = RegressionPlot::new(&x, &pred)
        .truth(&hi)
        .compare(&x, &lo, "lower edge")
        .band(&x, &lo, &hi, "95% band")
        .render_svg()
        .unwrap();
    let polygons = elements(&svg, "polygon");
    assert_eq!(polygons.len(), 1, "{polygons:?}");
    let band = polygons[0];
    assert_eq!(attr(band, "fill"), Some(MAGENTA));
    assert_eq!(attr(band, "opacity"), Some("0.2"));
    let v = vertices(band);
    assert_eq!(v.len(), 2 * x.len());
    let upper = vertices(with_color(&svg, "polyline", BLUE)[0]);
    let lower = vertices(with_color(&svg, "polyline", GREEN)[0]);
    assert_eq!(&v[..x.len()], &upper[..]);
    let back: Vec<(i64, i64)> = lower.iter().rev().copied().collect();
    assert_eq!(&v[x.len()..], &back[..]);
    // The band is drawn before (under) every curve.
    let truth_line = svg.find(with_color(&svg, "polyline", BLUE)[0]).unwrap();
    assert!(svg.find("<polygon").unwrap() < truth_line);
    // Its legend entry, listed after the prediction's.
    assert!(has_text(&svg, "95% band"));
    let texts = common::texts(&svg);
    let at = |t: &str| texts.iter().position(|s| s == t).unwrap();
    assert!(at("Pred") < at("95% band") && at("95% band") < at("lower edge"));
}

#[test]
fn the_band_stays_inside_the_plot_and_widens_the_frame_to_fit() {
    let (x, pred) = curve();
    // Far below the chapter's y frame (-1..5): the axes must follow the band.
    let lo: Vec<f64> = pred.iter().map(|y| y - 40.0).collect();
    let hi: Vec<f64> = pred.iter().map(|y| y + 40.0).collect();
    let svg = RegressionPlot::new(&x, &pred)
        .band(&x, &lo, &hi, "")
        .size(640, 480)
        .render_svg()
        .unwrap();
    let v = vertices(elements(&svg, "polygon")[0]);
    assert!(
        v.iter()
            .all(|&(px, py)| (0..640).contains(&px) && (0..480).contains(&py))
    );
    // The band's top and bottom are near the plot's, not clipped to the chapter's frame:
    // the prediction's line is a thin strip in the middle.
    let (top, bottom) = (
        v.iter().map(|p| p.1).min().unwrap(),
        v.iter().map(|p| p.1).max().unwrap(),
    );
    assert!(bottom - top > 300, "{top}..{bottom}");
    // An empty label keeps the band out of the legend.
    assert!(!has_text(&svg, ""));
}

#[test]
fn nan_splits_the_band_and_a_lone_value_is_not_drawn() {
    let (x, pred) = curve();
    let mut lo: Vec<f64> = pred.iter().map(|y| y - 0.5).collect();
    let mut hi: Vec<f64> = pred.iter().map(|y| y + 0.5).collect();
    // Runs: 0..5 (5 points), a gap at 5, 6..7 a lone point, a gap at 7 and 8 (lo, then hi
    // NaN), then 9..20 (11 points).
    lo[5] = f64::NAN;
    hi[7] = f64::NAN;
    lo[8] = f64::NAN;
    let svg = RegressionPlot::new(&x, &pred)
        .band(&x, &lo, &hi, "band")
        .render_svg()
        .unwrap();
    let counts: Vec<usize> = elements(&svg, "polygon")
        .iter()
        .map(|p| vertices(p).len())
        .collect();
    assert_eq!(counts, [10, 22]);

    // NaN everywhere: nothing drawn, nothing listed.
    let nan = vec![f64::NAN; x.len()];
    let svg = RegressionPlot::new(&x, &pred)
        .band(&x, &nan, &nan, "band")
        .render_svg()
        .unwrap();
    assert!(elements(&svg, "polygon").is_empty());
    assert!(!has_text(&svg, "band"));
}

#[test]
fn two_fits_each_get_a_band_in_their_colour() {
    let (x, ll) = curve();
    let nw: Vec<f64> = ll.iter().map(|y| 0.9 * y + 0.1).collect();
    let truth: Vec<f64> = ll.iter().map(|y| y + 0.05).collect();
    let widen = |v: &[f64], d: f64| -> Vec<f64> { v.iter().map(|y| y + d).collect() };
    let (ll_lo, ll_hi) = (widen(&ll, -0.4), widen(&ll, 0.4));
    let (nw_lo, nw_hi) = (widen(&nw, -0.3), widen(&nw, 0.3));
    // The second fit on its own, coarser inputs.
    let (cx, c_lo, c_hi): (Vec<f64>, Vec<f64>, Vec<f64>) = (
        x.iter().step_by(2).copied().collect(),
        nw_lo.iter().step_by(2).copied().collect(),
        nw_hi.iter().step_by(2).copied().collect(),
    );
    let cy: Vec<f64> = nw.iter().step_by(2).copied().collect();
    let svg = RegressionPlot::new(&x, &ll)
        .pred_label("Local linear, h = 0.8")
        .truth(&truth)
        .band(&x, &ll_lo, &ll_hi, "95% band")
        .compare(&cx, &cy, "Nadaraya-Watson, h = 0.5")
        .compare_band(&cx, &c_lo, &c_hi, "95% band ")
        .render_svg()
        .unwrap();
    let magenta = with_color(&svg, "polygon", MAGENTA);
    let green = with_color(&svg, "polygon", GREEN);
    assert_eq!((magenta.len(), green.len()), (1, 1));
    assert_eq!(vertices(magenta[0]).len(), 40);
    assert_eq!(vertices(green[0]).len(), 20);
    // The second fit's line and legend sample; its band's sample is a thick translucent line.
    assert!(
        with_color(&svg, "polyline", GREEN)
            .iter()
            .any(|l| attr(l, "stroke-width") == Some("12") && attr(l, "opacity") == Some("0.2"))
    );
    for text in [
        "Truth",
        "Local linear, h = 0.8",
        "Nadaraya-Watson, h = 0.5",
        "95% band",
    ] {
        assert!(has_text(&svg, text), "no {text:?}");
    }
    // Legend order: each band right after its own curve.
    let texts = common::texts(&svg);
    let at = |t: &str| texts.iter().position(|s| s == t).unwrap();
    assert!(at("Local linear, h = 0.8") < at("95% band"));
    assert!(at("95% band") < at("Nadaraya-Watson, h = 0.5"));
    assert!(at("Nadaraya-Watson, h = 0.5") < at("95% band "));
}

/// Pixels of an RGB PNG.
fn pixels(png: &[u8]) -> Vec<[u8; 3]> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect()
}

#[test]
fn the_png_shades_the_band_in_translucent_magenta() {
    let (x, pred) = curve();
    let lo: Vec<f64> = pred.iter().map(|y| y - 0.8).collect();
    let hi: Vec<f64> = pred.iter().map(|y| y + 0.8).collect();
    let plain = RegressionPlot::new(&x, &pred).render_png().unwrap();
    let banded = RegressionPlot::new(&x, &pred)
        .band(&x, &lo, &hi, "band")
        .render_png()
        .unwrap();
    assert_eq!(png_size(&banded), (640, 480));
    // Magenta (191, 0, 191) at 20% over white: 0.8 * 255 + 0.2 * c.
    let tint = |p: &[u8; 3]| {
        let near = |a: u8, b: f64| (f64::from(a) - b).abs() <= 1.0;
        near(p[0], 242.2) && near(p[1], 204.0) && near(p[2], 242.2)
    };
    let count = |png: &[u8]| pixels(png).iter().filter(|p| tint(p)).count();
    // Only the edges of the dashed line come near that colour without a band.
    assert!(count(&plain) < 100, "{}", count(&plain));
    // The band is 1.6 of the frame's 6 in y over 4.75 of 5 in x: thousands of pixels.
    assert!(count(&banded) > 10_000, "{}", count(&banded));
}

#[test]
fn bad_bands_are_errors_naming_the_argument_and_index() {
    let (x, pred) = curve();
    let lo: Vec<f64> = pred.iter().map(|y| y - 0.5).collect();
    let mut hi: Vec<f64> = pred.iter().map(|y| y + 0.5).collect();
    let err = RegressionPlot::new(&x, &pred)
        .band(&x, &lo, &hi[..3], "b")
        .render_svg()
        .unwrap_err();
    assert_eq!(err.to_string(), "band hi has 3 values but band x has 20");
    hi[4] = f64::INFINITY;
    let err = RegressionPlot::new(&x, &pred)
        .compare(&x, &pred, "c")
        .compare_band(&x, &lo, &hi, "b")
        .render_svg()
        .unwrap_err();
    assert!(matches!(err, VizError::NonFinite { index: 4, .. }));
    assert_eq!(
        err.to_string(),
        "compare band hi[4] is inf: only finite values can be drawn"
    );
    let mut bx = x.clone();
    bx[2] = f64::NAN;
    let err = RegressionPlot::new(&x, &pred)
        .band(&bx, &lo, &lo, "b")
        .render_svg()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "band x[2] is NaN: only finite values can be drawn"
    );
    let err = RegressionPlot::new(&x, &pred)
        .compare(&x[..2], &pred, "c")
        .render_svg()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "compare y has 20 values but compare x has 2"
    );
}
