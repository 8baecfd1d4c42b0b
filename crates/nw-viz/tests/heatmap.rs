//! The attention heatmap: one rectangle per cell for the chapter's 50 x 50, at most about one
//! per pixel for 1000 x 1000, the colour bar, labels, NaN cells, errors.

mod common;

use std::collections::BTreeSet;

use common::{attr, elements, has_text, num, png_size, text_elements, x_ticks};
use nw_viz::{Figure, Heatmap, VizError};

/// Default size, and where the colour-bar area starts (the last 110 pixels).
const SIZE: (f64, f64) = (600.0, 560.0);
const BAR_START: f64 = 490.0;
/// Stripes in the colour bar (matplotlib's 256-entry colour maps).
const STRIPES: usize = 256;

/// Rows of Gaussian attention weights, like the chapter's (each row sums to one).
fn weights(rows: usize, cols: usize) -> Vec<f32> {
    let mut w = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        let q = i as f32 / rows as f32;
        let row: Vec<f32> = (0..cols)
            .map(|j| (-((q - j as f32 / cols as f32) * 10.0).powi(2) / 2.0).exp())
            .collect();
        let sum: f32 = row.iter().sum();
        w.extend(row.iter().map(|v| v / sum));
    }
    w
}

/// The matrix's cell rectangles: left of the colour bar, and not the white background.
fn cells(svg: &str) -> Vec<&str> {
    elements(svg, "rect")
        .into_iter()
        .filter(|r| num(r, "x") < BAR_START)
        .filter(|r| (num(r, "width"), num(r, "height")) != SIZE)
        .collect()
}

/// The colour bar's filled stripes.
fn stripes(svg: &str) -> Vec<&str> {
    elements(svg, "rect")
        .into_iter()
        .filter(|r| num(r, "x") >= BAR_START && attr(r, "fill") != Some("none"))
        .collect()
}

#[test]
fn the_chapters_50_by_50_draws_every_cell_with_bar_and_labels() {
    let svg = Heatmap::new(&weights(50, 50), 50, 50).render_svg().unwrap();
    assert_eq!(cells(&svg).len(), 50 * 50);
    // Cells tile a grid: 50 distinct columns and rows of positions.
    let xs: BTreeSet<i64> = cells(&svg).iter().map(|r| num(r, "x") as i64).collect();
    let ys: BTreeSet<i64> = cells(&svg).iter().map(|r| num(r, "y") as i64).collect();
    assert_eq!((xs.len(), ys.len()), (50, 50));

    // Nothing says the inputs are sorted: neutral descriptions, not the chapter's.
    assert!(has_text(&svg, "Keys") && has_text(&svg, "Queries"));
    assert!(!svg.contains("Sorted"));
    // Queries down from 0 at the top, keys across from 0 at the left, as in imshow.
    assert_eq!(x_ticks(&svg), ["0", "10", "20", "30", "40"]);
    let row_ticks: Vec<(f64, String)> = text_elements(&svg)
        .into_iter()
        .filter(|(e, t)| num(e, "x") < 100.0 && t.parse::<u32>().is_ok())
        .map(|(e, t)| (num(e, "y"), t.to_string()))
        .collect();
    let top = row_ticks.iter().min_by(|a, b| a.0.total_cmp(&b.0)).unwrap();
    assert_eq!(top.1, "0");

    // The colour bar: every stripe, viridis from dark purple to yellow, and value labels.
    let bar = stripes(&svg);
    assert_eq!(bar.len(), STRIPES);
    let fills: BTreeSet<&str> = bar.iter().filter_map(|r| attr(r, "fill")).collect();
    assert!(
        fills.contains("#440154") && fills.contains("#FDE725"),
        "{fills:?}"
    );
    let bar_labels: Vec<f64> = text_elements(&svg)
        .into_iter()
        .filter(|(e, _)| num(e, "x") > BAR_START)
        .filter_map(|(_, t)| t.parse().ok())
        .collect();
    assert!(bar_labels.len() >= 3, "{bar_labels:?}");
}

#[test]
fn a_1000_by_1000_matrix_is_averaged_down_to_the_pixels() {
    let svg = Heatmap::new(&weights(1000, 1000), 1000, 1000)
        .render_svg()
        .unwrap();
    let cells = cells(&svg);
    let xs: BTreeSet<i64> = cells.iter().map(|r| num(r, "x") as i64).collect();
    let ys: BTreeSet<i64> = cells.iter().map(|r| num(r, "y") as i64).collect();
    // One block per pixel column and row of the plot area: fewer than the matrix has, no more
    // than the figure has, and the blocks tile it.
    assert!((300..=490).contains(&xs.len()), "{} columns", xs.len());
    assert!((300..=560).contains(&ys.len()), "{} rows", ys.len());
    assert_eq!(cells.len(), xs.len() * ys.len());
    assert!(cells.len() < 1000 * 1000 / 4);
    assert_eq!(stripes(&svg).len(), STRIPES);
}

#[test]
fn a_1000_by_1000_png_renders_at_the_requested_size() {
    // Only that it renders: how fast belongs to the benches, not to a unit test.
    let png = Heatmap::new(&weights(1000, 1000), 1000, 1000)
        .title("1000 x 1000")
        .render_png()
        .unwrap();
    assert_eq!(png_size(&png), (600, 560));
    let png = Heatmap::new(&weights(50, 30), 50, 30)
        .size(900, 700)
        .render_png()
        .unwrap();
    assert_eq!(png_size(&png), (900, 700));
}

#[test]
fn nan_and_infinite_cells_are_drawn_red_and_shown_under_the_bar() {
    let mut w = weights(4, 4);
    w[5] = f32::NAN;
    w[10] = f32::INFINITY;
    let svg = Heatmap::new(&w, 4, 4).render_svg().unwrap();
    let red: Vec<&str> = cells(&svg)
        .into_iter()
        .filter(|r| attr(r, "fill") == Some("#E41A1C"))
        .collect();
    assert_eq!(red.len(), 2);
    assert!(has_text(&svg, "NaN"));
    // The colour scale ignores them: the stripes still span viridis.
    assert_eq!(stripes(&svg).len(), STRIPES + 1); // and the red swatch

    // All missing still draws (scale 0..1), and a clean matrix has no NaN swatch.
    let svg = Heatmap::new(&[f32::NAN; 6], 2, 3).render_svg().unwrap();
    assert_eq!(cells(&svg).len(), 6);
    let clean = Heatmap::new(&weights(3, 3), 3, 3).render_svg().unwrap();
    assert!(!has_text(&clean, "NaN"));

    // Downsampled: the NaN row survives averaging as a red line.
    let mut big = weights(1000, 1000);
    big[500_000..501_000].fill(f32::NAN);
    let svg = Heatmap::new(&big, 1000, 1000).render_svg().unwrap();
    let red = cells(&svg)
        .into_iter()
        .filter(|r| attr(r, "fill") == Some("#E41A1C"))
        .count();
    assert!(red >= 300, "{red}");
}

#[test]
fn labels_title_and_range_can_be_set() {
    let svg = Heatmap::new(&weights(5, 8), 5, 8)
        .labels("Sorted training inputs", "Sorted testing inputs")
        .title("Attention weights")
        .value_range(0.0, 1.0)
        .render_svg()
        .unwrap();
    for text in [
        "Sorted training inputs",
        "Sorted testing inputs",
        "Attention weights",
    ] {
        assert!(has_text(&svg, text), "no text {text:?}");
    }
    assert!(!has_text(&svg, "Keys") && !has_text(&svg, "Queries"));
    let bar_labels: Vec<String> = text_elements(&svg)
        .into_iter()
        .filter(|(e, _)| num(e, "x") > BAR_START)
        .map(|(_, t)| t.to_string())
        .collect();
    assert_eq!(bar_labels.first().map(String::as_str), Some("0.0"));
    assert_eq!(bar_labels.last().map(String::as_str), Some("1.0"));
    assert_eq!(cells(&svg).len(), 40);
}

/// The colour bar's texts, top to bottom (labels right of the bar, and what is under it).
fn bar_texts(svg: &str) -> Vec<String> {
    text_elements(svg)
        .into_iter()
        .filter(|(e, _)| num(e, "x") > BAR_START - 30.0)
        .map(|(_, t)| t.to_string())
        .collect()
}

#[test]
fn colour_bar_labels_stay_short_for_tiny_and_offset_values() {
    // Weights of a few 1e-9: scientific labels, steps of 5e-10, and a strip wide enough.
    let tiny: Vec<f32> = (0..9).map(|i| 1e-9 + 5e-10 * i as f32).collect();
    let svg = Heatmap::new(&tiny, 3, 3).render_svg().unwrap();
    // (The largest, 5e-9 in f32, is a hair below 5e-9 in f64: the last tick is 4.5e-9.)
    let texts = bar_texts(&svg);
    assert_eq!(
        texts,
        [
            "1e-9", "1.5e-9", "2e-9", "2.5e-9", "3e-9", "3.5e-9", "4e-9", "4.5e-9"
        ]
    );
    // The wider strip takes its room from the matrix, not from the picture's edge.
    let right_edge = text_elements(&svg)
        .into_iter()
        .filter(|(_, t)| *t == "2.5e-9")
        .map(|(e, _)| num(e, "x"))
        .fold(0.0, f64::max);
    assert!(right_edge + 6.0 * 9.0 <= SIZE.0, "{right_edge}");

    // Values 1.7e9 to 1.7e9 + 6e5: ticks every 1e5 written minus 1.7e9, the offset under the
    // bar as "+1.7e9".
    let big: Vec<f32> = (0..7).map(|i| 1.7e9 + 1e5 * i as f32).collect();
    let svg = Heatmap::new(&big, 7, 1).render_svg().unwrap();
    let texts = bar_texts(&svg);
    for label in ["0", "100000", "300000", "600000", "+1.7e9"] {
        assert!(texts.contains(&label.to_string()), "{label}: {texts:?}");
    }
    for text in texts {
        assert!(text.chars().count() <= 12, "{text:?} is too long to read");
    }
}

#[test]
fn a_flat_matrix_and_single_cell_render() {
    let svg = Heatmap::new(&[0.5; 9], 3, 3).render_svg().unwrap();
    assert_eq!(cells(&svg).len(), 9);
    let svg = Heatmap::new(&[1.0], 1, 1).render_svg().unwrap();
    assert_eq!(cells(&svg).len(), 1);
    // A long thin matrix downsamples along one side only.
    let svg = Heatmap::new(&vec![0.1; 3 * 5000], 3, 5000)
        .render_svg()
        .unwrap();
    let rows: BTreeSet<i64> = cells(&svg).iter().map(|r| num(r, "y") as i64).collect();
    assert_eq!(rows.len(), 3);
}

#[test]
fn bad_matrices_are_errors() {
    let w = [0.0f32; 12];
    let cases: Vec<(Heatmap<'_>, String)> = vec![
        (
            Heatmap::new(&w[..11], 3, 4),
            "a 3 x 4 matrix needs 12 values, got 11".into(),
        ),
        (
            Heatmap::new(&w, usize::MAX, 2),
            format!(
                "a {} x 2 matrix needs more than usize::MAX values, got 12",
                usize::MAX
            ),
        ),
        (
            Heatmap::new(&[], 0, 4),
            "matrix (0 x 4) is empty: nothing to draw".into(),
        ),
        (
            Heatmap::new(&w, 3, 4).value_range(1.0, 1.0),
            "value range 1..1 is not an increasing pair of finite numbers".into(),
        ),
        (
            Heatmap::new(&w, 3, 4).value_range(0.0, f32::NAN),
            "value range 0..NaN is not an increasing pair of finite numbers".into(),
        ),
        (
            Heatmap::new(&w, 3, 4).size(199, 560),
            "figure size 199 x 560 is out of range: each side must be 200 to 8192 pixels".into(),
        ),
    ];
    for (heatmap, message) in cases {
        assert_eq!(heatmap.render_svg().unwrap_err().to_string(), message);
        assert_eq!(heatmap.render_png().unwrap_err().to_string(), message);
    }
    assert!(matches!(
        Heatmap::new(&w, 2, 4).render_svg(),
        Err(VizError::MatrixShape {
            rows: 2,
            cols: 4,
            len: 12
        })
    ));
}

#[test]
fn the_smallest_size_still_renders() {
    for (rows, cols) in [(1, 1), (50, 50), (1000, 3)] {
        let png = Heatmap::new(&vec![0.2; rows * cols], rows, cols)
            .title("t")
            .size(200, 200)
            .render_png()
            .unwrap();
        assert_eq!(png_size(&png), (200, 200));
    }
}
