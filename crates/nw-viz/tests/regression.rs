//! The regression plot: what it draws for the chapter's data, how its ranges follow other
//! data, and the errors it gives for bad input.

mod common;

use common::{elements, has_text, num, with_color, x_ticks, y_ticks};
use nw_data::{Synthetic, test_set};
use nw_viz::{Figure, RegressionPlot, VizError};

/// Truth is tab10 blue, Pred magenta, points tab10 orange.
const BLUE: &str = "#1F77B4";
const MAGENTA: &str = "#BF00BF";
const ORANGE: &str = "#FF7F0E";

#[test]
fn the_chapter_figure_has_both_curves_the_points_and_the_legend() {
    let train = Synthetic::new(50, 0).train().unwrap();
    let test = test_set();
    let wide = |v: &[f32]| -> Vec<f64> { v.iter().copied().map(f64::from).collect() };
    let (x, truth) = (wide(test.x()), wide(test.y()));
    let (px, py) = (wide(train.x()), wide(train.y()));
    let pred: Vec<f64> = truth.iter().map(|y| 0.8 * y + 0.3).collect();
    let svg = RegressionPlot::new(&x, &pred)
        .truth(&truth)
        .points(&px, &py)
        .title("Nadaraya-Watson")
        .render_svg()
        .unwrap();

    for text in ["Truth", "Pred", "x", "y", "Nadaraya-Watson"] {
        assert!(has_text(&svg, text), "no text {text:?}");
    }
    // One translucent orange dot per training point, and no other circle.
    let circles = elements(&svg, "circle");
    assert_eq!(circles.len(), 50);
    assert!(
        circles
            .iter()
            .all(|c| common::attr(c, "fill") == Some(ORANGE)
                && common::attr(c, "opacity") == Some("0.5"))
    );
    // Truth: its line and its legend sample, both solid.
    assert_eq!(with_color(&svg, "polyline", BLUE).len(), 2);
    let truth = with_color(&svg, "polyline", BLUE)[0];
    assert_eq!(
        common::attr(truth, "points")
            .unwrap()
            .split(' ')
            .filter(|p| !p.is_empty())
            .count(),
        50
    );
    // Pred: dashed, so many short pieces.
    assert!(with_color(&svg, "polyline", MAGENTA).len() > 20);
}

#[test]
fn the_chapter_data_keeps_the_chapter_ranges() {
    let x = [0.0, 2.5, 4.9];
    let svg = RegressionPlot::new(&x, &[0.1, 3.0, 1.5])
        .points(&[0.2, 4.99], &[-0.9, 4.7])
        .render_svg()
        .unwrap();
    assert_eq!(x_ticks(&svg), ["0", "1", "2", "3", "4", "5"]);
    assert_eq!(y_ticks(&svg, 100.0), ["-1", "0", "1", "2", "3", "4", "5"]);
}

#[test]
fn data_inside_the_chapters_y_range_still_gets_its_own_when_x_leaves_it() {
    // x from 10 to 20, y from 0.2 to 0.6: y fits in -1..5 but is drawn over its own range
    // (0.18..0.62 with margins; an eighth of that rounds up to ticks every 0.1), not squashed
    // into a tenth of the height.
    let x = [10.0, 15.0, 20.0];
    let svg = RegressionPlot::new(&x, &[0.2, 0.4, 0.6])
        .render_svg()
        .unwrap();
    assert_eq!(y_ticks(&svg, 100.0), ["0.2", "0.3", "0.4", "0.5", "0.6"]);
}

#[test]
fn unix_seconds_are_labelled_relative_to_an_offset() {
    // Hourly readings for a week from 1.7e9 s: x spans 604800 s far from zero.
    let x: Vec<f64> = (0..=168).map(|h| 1.7e9 + 3600.0 * f64::from(h)).collect();
    let pred: Vec<f64> = x.iter().map(|t| ((t - 1.7e9) / 86400.0).sin()).collect();
    let svg = RegressionPlot::new(&x, &pred)
        .points(&x[..3], &pred[..3])
        .render_svg()
        .unwrap();
    // 1.7e9 - 30240 .. 1.7e9 + 635040 with margins: steps of 1e5, written minus 1.7e9.
    assert_eq!(
        x_ticks(&svg),
        [
            "0", "100000", "200000", "300000", "400000", "500000", "600000"
        ]
    );
    assert!(
        has_text(&svg, "x \u{2212} 1.7e9"),
        "{:?}",
        common::texts(&svg)
    );
    for text in common::texts(&svg) {
        assert!(text.chars().count() <= 12, "{text:?} is too long to read");
    }
}

#[test]
fn labels_replace_the_axis_descriptions() {
    let svg = RegressionPlot::new(&[0.0, 1.0], &[1.0, 2.0])
        .labels("time (ms)", "acceleration (g)")
        .render_svg()
        .unwrap();
    assert!(has_text(&svg, "time (ms)") && has_text(&svg, "acceleration (g)"));
    assert!(!has_text(&svg, "x") && !has_text(&svg, "y"));
}

#[test]
fn other_data_moves_the_ranges_to_fit() {
    // Inputs from 1 to 8, and points at y = 9 and y = -3: both axes leave the chapter's
    // ranges and follow the data, with a margin.
    let svg = RegressionPlot::new(&[1.0, 4.0, 8.0], &[0.0, 1.0, 2.0])
        .points(&[2.0, 3.0], &[9.0, -3.0])
        .render_svg()
        .unwrap();
    let xs: Vec<f64> = x_ticks(&svg).iter().map(|t| t.parse().unwrap()).collect();
    let ys: Vec<f64> = y_ticks(&svg, 100.0)
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(xs[0] <= 2.0 && *xs.last().unwrap() >= 8.0, "{xs:?}");
    assert!(ys[0] <= -2.0 && *ys.last().unwrap() >= 8.0, "{ys:?}");
    // Every dot is inside the picture.
    for c in elements(&svg, "circle") {
        assert!((0.0..640.0).contains(&num(c, "cx")) && (0.0..480.0).contains(&num(c, "cy")));
    }
}

#[test]
fn truth_and_points_are_optional() {
    let svg = RegressionPlot::new(&[0.0, 1.0], &[1.0, 2.0])
        .render_svg()
        .unwrap();
    assert!(has_text(&svg, "Pred") && !has_text(&svg, "Truth"));
    assert!(elements(&svg, "circle").is_empty());
    // Empty points are fine too: nothing to draw is not an error for an optional layer.
    RegressionPlot::new(&[0.0], &[1.0])
        .points(&[], &[])
        .render_svg()
        .unwrap();
}

#[test]
fn bad_input_is_an_error_naming_the_argument_and_index() {
    let x = [0.0, 1.0, 2.0];
    let cases: Vec<(RegressionPlot<'_>, &str)> = vec![
        (RegressionPlot::new(&[], &[]), "x is empty: nothing to draw"),
        (
            RegressionPlot::new(&x, &[1.0, 2.0]),
            "pred has 2 values but x has 3",
        ),
        (
            RegressionPlot::new(&x, &[1.0, 2.0, 3.0]).truth(&[1.0]),
            "truth has 1 values but x has 3",
        ),
        (
            RegressionPlot::new(&[0.0, f64::INFINITY, 2.0], &[1.0, 2.0, 3.0]),
            "x[1] is inf: only finite values can be drawn",
        ),
        (
            RegressionPlot::new(&x, &[1.0, 2.0, 3.0]).truth(&[0.0, 0.0, f64::NAN]),
            "truth[2] is NaN: only finite values can be drawn",
        ),
        (
            RegressionPlot::new(&x, &[1.0, 2.0, 3.0]).points(&[1.0, 2.0], &[1.0]),
            "points y has 1 values but points x has 2",
        ),
        (
            RegressionPlot::new(&x, &[1.0, 2.0, 3.0]).points(&[1.0], &[f64::NEG_INFINITY]),
            "points y[0] is -inf: only finite values can be drawn",
        ),
        (
            RegressionPlot::new(&x, &[1.0, 2.0, 3.0]).size(100, 480),
            "figure size 100 x 480 is out of range: each side must be 200 to 8192 pixels",
        ),
        (
            RegressionPlot::new(&x, &[1.0, 2.0, 3.0]).size(640, 100_000),
            "figure size 640 x 100000 is out of range: each side must be 200 to 8192 pixels",
        ),
    ];
    for (plot, message) in cases {
        let svg_err = plot.render_svg().unwrap_err();
        assert_eq!(svg_err.to_string(), message);
        // The PNG path runs the same checks.
        assert_eq!(plot.render_png().unwrap_err().to_string(), message);
    }
    assert!(matches!(
        RegressionPlot::new(&x, &[0.0, f64::NAN, 0.0]).render_svg(),
        Err(VizError::NonFinite { index: 1, .. })
    ));
}

#[test]
fn the_smallest_size_still_renders() {
    let x = [0.0, 1.0, 2.0];
    let png = RegressionPlot::new(&x, &[1.0, 2.0, 3.0])
        .truth(&[1.0, 2.0, 2.0])
        .title("small")
        .size(200, 200)
        .render_png()
        .unwrap();
    assert_eq!(common::png_size(&png), (200, 200));
}
