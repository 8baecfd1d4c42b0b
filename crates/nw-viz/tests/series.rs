//! The series plot: several named series, markers, log axes, marker lines, errors.

mod common;

use common::{attr, elements, has_text, with_color, x_ticks, y_ticks};
use nw_viz::{Figure, Series, SeriesPlot, VizError};

const BLUE: &str = "#1F77B4";
const ORANGE: &str = "#FF7F0E";
const GREEN: &str = "#2CA02C";

#[test]
fn each_series_gets_a_line_a_colour_and_a_legend_entry() {
    let x = [1.0, 2.0, 3.0, 4.0];
    let svg = SeriesPlot::new("n", "error")
        .series(Series::new("first", &x, &[4.0, 3.0, 2.0, 1.0]).markers(true))
        .series(Series::new("second", &x, &[1.0, 1.5, 2.0, 2.5]))
        .render_svg()
        .unwrap();
    for text in ["first", "second", "n", "error"] {
        assert!(has_text(&svg, text), "no text {text:?}");
    }
    // Line + legend sample per series.
    assert_eq!(with_color(&svg, "polyline", BLUE).len(), 2);
    assert_eq!(with_color(&svg, "polyline", ORANGE).len(), 2);
    // Markers on the first series only: four dots and one in its legend sample.
    assert_eq!(with_color(&svg, "circle", BLUE).len(), 5);
    assert_eq!(elements(&svg, "circle").len(), 5);
}

#[test]
fn log_log_axes_label_every_decade_of_the_data() {
    // The chapter's `nw sweep`: test MSE against training-set size.
    let n = [10.0, 100.0, 1000.0, 10000.0];
    let mse = [0.9, 0.1, 0.01, 0.002];
    let svg = SeriesPlot::new("training points", "test MSE")
        .series(Series::new("nw", &n, &mse).markers(true))
        .log_x(true)
        .log_y(true)
        .render_svg()
        .unwrap();
    assert_eq!(x_ticks(&svg), ["10", "100", "1000", "10000"]);
    assert_eq!(y_ticks(&svg, 100.0), ["0.01", "0.1", "1"]);
    // Equal ratios sit at equal distances on a log axis.
    let line = with_color(&svg, "polyline", BLUE)[0];
    let xs: Vec<i32> = attr(line, "points")
        .unwrap()
        .split_whitespace()
        .map(|p| p.split(',').next().unwrap().parse().unwrap())
        .collect();
    let gaps: Vec<i32> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| (g - gaps[0]).abs() <= 1), "{gaps:?}");
}

#[test]
fn a_bandwidth_search_marks_the_chosen_h() {
    // CV(h) over a bit more than one decade of h: labels at 1, 2 and 5 times powers of ten.
    let h: Vec<f32> = (0..30).map(|i| 0.1 * 1.1f32.powi(i)).collect();
    let cv: Vec<f32> = h.iter().map(|h| 0.3 + (h - 0.6).powi(2)).collect();
    let svg = SeriesPlot::new("bandwidth h", "CV(h)")
        .series(Series::new("CV", &h, &cv))
        .log_x(true)
        .mark_x(0.6, "chosen h = 0.60")
        .title("Leave-one-out")
        .render_svg()
        .unwrap();
    assert_eq!(x_ticks(&svg), ["0.1", "0.2", "0.5", "1"]);
    assert!(has_text(&svg, "chosen h = 0.60") && has_text(&svg, "Leave-one-out"));
    // The marker is a dashed vertical line in the next colour: many pieces at one x (the
    // legend's sample adds a few horizontal ones).
    let xs_of = |piece: &str| -> Vec<String> {
        attr(piece, "points")
            .unwrap()
            .split_whitespace()
            .map(|p| p.split(',').next().unwrap().to_string())
            .collect()
    };
    let vertical: Vec<Vec<String>> = with_color(&svg, "polyline", ORANGE)
        .into_iter()
        .map(xs_of)
        .filter(|xs| xs.iter().all(|x| *x == xs[0]))
        .collect();
    assert!(vertical.len() > 10, "{}", vertical.len());
    assert!(vertical.iter().all(|xs| xs[0] == vertical[0][0]));
}

#[test]
fn unnamed_series_stay_out_of_the_legend() {
    let svg = SeriesPlot::new("x", "y")
        .series(Series::new("", &[1.0, 2.0], &[1.0, 2.0]))
        .render_svg()
        .unwrap();
    // The legend box is the only translucent rectangle.
    assert!(
        elements(&svg, "rect")
            .iter()
            .all(|r| attr(r, "opacity") == Some("1"))
    );
    let named = SeriesPlot::new("x", "y")
        .series(Series::new("a", &[1.0, 2.0], &[1.0, 2.0]))
        .render_svg()
        .unwrap();
    assert!(
        elements(&named, "rect")
            .iter()
            .any(|r| attr(r, "opacity") == Some("0.85"))
    );
}

#[test]
fn many_series_cycle_the_palette() {
    let x = [1.0, 2.0];
    let names: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    let mut plot = SeriesPlot::new("x", "y");
    for name in &names {
        plot = plot.series(Series::new(name, &x, &x));
    }
    let svg = plot.render_svg().unwrap();
    // Series 0 and 10 share blue; series 2 alone is green.
    assert_eq!(with_color(&svg, "polyline", BLUE).len(), 4);
    assert_eq!(with_color(&svg, "polyline", GREEN).len(), 2);
}

#[test]
fn bad_series_are_errors_naming_the_series() {
    static X: [f32; 3] = [1.0, 2.0, 3.0];
    let x = &X;
    let plot = |s: Series<'static>| SeriesPlot::new("x", "y").series(s);
    let cases: Vec<(SeriesPlot<'_>, &str)> = vec![
        (
            SeriesPlot::new("x", "y"),
            "series plot (no series added) is empty: nothing to draw",
        ),
        (
            plot(Series::new("mse", &[], &[])),
            "series \"mse\" x is empty: nothing to draw",
        ),
        (
            plot(Series::new("mse", &[1.0, 2.0, 3.0], &[1.0, 2.0])),
            "series \"mse\" y has 2 values but series \"mse\" x has 3",
        ),
        (
            plot(Series::new("cv", &[1.0, 2.0, 3.0], &[1.0, f32::NAN, 2.0])),
            "series \"cv\" y[1] is NaN: only finite values can be drawn",
        ),
        (
            plot(Series::new("cv", &[1.0, 0.0, 3.0], &[1.0, 1.0, 2.0])).log_x(true),
            "series \"cv\" x[1] is 0: a log axis shows only positive values",
        ),
        (
            plot(Series::new("cv", &[1.0, 2.0, 3.0], &[1.0, -1.0, 2.0])).log_y(true),
            "series \"cv\" y[1] is -1: a log axis shows only positive values",
        ),
        (
            plot(Series::new("cv", &[1.0, 2.0, 3.0], &[1.0, 1.0, 2.0]))
                .log_x(true)
                .mark_x(2.0, "a")
                .mark_x(-0.5, "b"),
            "marker x[1] is -0.5: a log axis shows only positive values",
        ),
        (
            plot(Series::new("cv", &[1.0, 2.0, 3.0], &[1.0, 1.0, 2.0])).mark_x(f32::NAN, "h"),
            "marker x[0] is NaN: only finite values can be drawn",
        ),
    ];
    for (p, message) in cases {
        assert_eq!(p.render_svg().unwrap_err().to_string(), message);
    }
    // The same values are fine on linear axes.
    plot(Series::new("cv", x, &[1.0, -1.0, 2.0]))
        .mark_x(-0.5, "b")
        .render_svg()
        .unwrap();
    assert!(matches!(
        plot(Series::new("cv", x, &[1.0, -1.0, 2.0]))
            .log_y(true)
            .render_png(),
        Err(VizError::NotPositive { index: 1, .. })
    ));
}
