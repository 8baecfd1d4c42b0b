//! `nw plot` on data as it comes, through the real binary: axes that follow the data, axis
//! labels from flags, tick labels that stay readable for Unix time stamps, and heatmap axes
//! that say "sorted" only when the inputs are.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{fails_with, nw, succeeds, write, xy};
use tempfile::TempDir;

/// The text contents of an SVG's text elements (plotters writes each on the line after its
/// `<text ...>` tag), with the tag.
fn texts(svg: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut lines = svg.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("<text") {
            out.push((line, lines.next().unwrap_or_default()));
        }
    }
    out
}

/// True if some text element reads exactly `s`.
fn has_text(svg: &str, s: &str) -> bool {
    texts(svg).iter().any(|&(_, t)| t == s)
}

/// The y axis's tick labels as numbers: right-aligned numeric text, bottom to top.
fn y_ticks(svg: &str) -> Vec<f64> {
    texts(svg)
        .into_iter()
        .filter(|(tag, _)| tag.contains("text-anchor=\"end\""))
        .filter_map(|(_, t)| t.parse().ok())
        .collect()
}

/// The x axis's tick labels: centred text hanging below its anchor, left to right.
fn x_ticks(svg: &str) -> Vec<String> {
    texts(svg)
        .into_iter()
        .filter(|(tag, _)| tag.contains("text-anchor=\"middle\"") && tag.contains("dy=\"0.76em\""))
        .filter(|(_, t)| t.parse::<f64>().is_ok())
        .map(|(_, t)| t.to_string())
        .collect()
}

/// The `cy` of every circle (the training points).
fn dot_heights(svg: &str) -> Vec<f64> {
    svg.lines()
        .filter(|l| l.starts_with("<circle "))
        .map(|l| {
            let start = l.find(" cy=\"").unwrap() + 5;
            let len = l[start..].find('"').unwrap();
            l[start..start + len].parse().unwrap()
        })
        .collect()
}

/// A prediction file `x,y_hat` of the given rows.
fn pred(dir: &TempDir, name: &str, rows: impl IntoIterator<Item = (f64, f64)>) -> PathBuf {
    let mut text = String::from("x,y_hat\n");
    for (x, y) in rows {
        text += &format!("{x},{y}\n");
    }
    write(dir, name, &text)
}

/// `nw plot regression --train T --pred P [extra...] --out DIR/reg.svg`, expected to succeed;
/// returns the SVG.
fn regression(dir: &TempDir, train: &Path, pred: &Path, extra: &[&str]) -> String {
    let out = dir.path().join("reg.svg");
    succeeds(
        nw().args(["plot", "regression", "--train"])
            .arg(train)
            .arg("--pred")
            .arg(pred)
            .args(extra)
            .arg("--out")
            .arg(&out),
    );
    fs::read_to_string(&out).unwrap()
}

#[test]
fn the_y_axis_follows_the_data_once_it_leaves_the_chapters_frame() {
    let dir = TempDir::new().unwrap();
    // x from 10 to 20 leaves the chapter's frame; y from 0.2 to 0.6 stays inside its -1..5,
    // which used to pin the y axis to -1..5 and squash the data into a tenth of the height.
    let rows = |lo: f64| (0..=10).map(move |i| (10.0 + f64::from(i), lo + 0.04 * f64::from(i)));
    let train = xy(&dir, "train.csv", rows(0.2));
    let p = pred(&dir, "pred.csv", rows(0.21));
    let svg = regression(&dir, &train, &p, &[]);
    let ys = y_ticks(&svg);
    // y spans 0.2 to 0.61; 5% margins make the frame 0.1795..0.6305, a ninth of which rounds
    // up to a tick step of 0.1.
    assert_eq!(ys, [0.2, 0.3, 0.4, 0.5, 0.6], "{ys:?}");

    // y near 1000 with x inside 0..5: the frame follows the data on both axes.
    let rows = |lo: f64| (0..=10).map(move |i| (0.5 * f64::from(i), lo + 0.2 * f64::from(i)));
    let train = xy(&dir, "train.csv", rows(999.0));
    let p = pred(&dir, "pred.csv", rows(999.5));
    let svg = regression(&dir, &train, &p, &[]);
    let ys = y_ticks(&svg);
    // y spans 999 to 1001.5, the frame 998.875..1001.625, ticks every 0.5.
    assert_eq!(ys, [999.0, 999.5, 1000.0, 1000.5, 1001.0, 1001.5], "{ys:?}");
    // Every training point is drawn inside the 480-pixel-high picture.
    let dots = dot_heights(&svg);
    assert_eq!(dots.len(), 11);
    assert!(dots.iter().all(|cy| (0.0..480.0).contains(cy)), "{dots:?}");
}

#[test]
fn the_chapters_own_data_keeps_the_chapters_frame() {
    let dir = TempDir::new().unwrap();
    let train = xy(&dir, "train.csv", [(0.2, -0.9), (2.5, 3.0), (4.9, 4.8)]);
    let p = pred(&dir, "pred.csv", [(0.0, 0.1), (2.5, 2.9), (4.9, 1.5)]);
    let svg = regression(&dir, &train, &p, &[]);
    assert_eq!(x_ticks(&svg), ["0", "1", "2", "3", "4", "5"]);
    assert_eq!(y_ticks(&svg), [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(has_text(&svg, "x") && has_text(&svg, "y"));
}

#[test]
fn xlabel_and_ylabel_name_the_axes() {
    let dir = TempDir::new().unwrap();
    let train = xy(&dir, "train.csv", [(0.0, 1.0), (1.0, 2.0), (2.0, 1.5)]);
    let p = pred(&dir, "pred.csv", [(0.0, 1.1), (1.0, 1.9), (2.0, 1.6)]);
    let svg = regression(
        &dir,
        &train,
        &p,
        &[
            "--xlabel",
            "time after impact (ms)",
            "--ylabel",
            "acceleration (g)",
        ],
    );
    assert!(has_text(&svg, "time after impact (ms)"), "{svg}");
    assert!(has_text(&svg, "acceleration (g)"), "{svg}");
    // The default names are gone, not drawn beside the new ones.
    assert!(!has_text(&svg, "x") && !has_text(&svg, "y"));
}

#[test]
fn unix_seconds_get_offset_tick_labels() {
    let dir = TempDir::new().unwrap();
    // A week of readings every 30000 s from 1.7e9 (November 2023), in Unix seconds.
    let rows: Vec<(f64, f64)> = (0..=20)
        .map(|i| (1.7e9 + 3e4 * f64::from(i), (f64::from(i) * 0.5).sin()))
        .collect();
    let train = xy(&dir, "train.csv", rows.iter().copied());
    let p = pred(&dir, "pred.csv", rows.iter().map(|&(x, y)| (x, 0.9 * y)));
    let svg = regression(&dir, &train, &p, &[]);
    // x spans 1.7e9 to 1.7006e9: ticks every 1e5 s, written relative to 1.7e9, which the axis
    // label states once.
    assert_eq!(
        x_ticks(&svg),
        [
            "0", "100000", "200000", "300000", "400000", "500000", "600000"
        ]
    );
    assert!(has_text(&svg, "x \u{2212} 1.7e9"), "{:?}", texts(&svg));
    for (_, t) in texts(&svg) {
        assert!(t.chars().count() <= 12, "label {t:?} is too long");
    }
}

/// `nw plot heatmap --weights W [extra...] --out DIR/heat.svg`; returns the SVG.
fn heatmap(dir: &TempDir, weights: &Path, extra: &[&str]) -> String {
    let out = dir.path().join("heat.svg");
    succeeds(
        nw().args(["plot", "heatmap", "--weights"])
            .arg(weights)
            .args(extra)
            .arg("--out")
            .arg(&out),
    );
    fs::read_to_string(&out).unwrap()
}

/// True if any text in the SVG calls something sorted.
fn says_sorted(svg: &str) -> bool {
    texts(svg)
        .iter()
        .any(|(_, t)| t.to_lowercase().contains("sorted"))
}

#[test]
fn heatmap_axes_say_sorted_only_for_sorted_inputs() {
    let dir = TempDir::new().unwrap();
    // Queries 2, 0, 1: not sorted; no training file: the keys' order is unknown.
    let weights = write(&dir, "w.csv", "x,k1,k2\n2,0.1,0.9\n0,0.8,0.2\n1,0.5,0.5\n");
    let svg = heatmap(&dir, &weights, &[]);
    assert!(!says_sorted(&svg), "{:?}", texts(&svg));
    assert!(has_text(&svg, "Queries (file order)"));
    assert!(has_text(&svg, "Keys (file order)"));

    // Sorted queries, and a training file whose x is sorted: the chapter's labels.
    let weights = write(&dir, "w.csv", "x,k1,k2\n0,0.8,0.2\n1,0.5,0.5\n2,0.1,0.9\n");
    let train = xy(&dir, "train.csv", [(0.0, 1.0), (2.0, 3.0)]);
    let svg = heatmap(&dir, &weights, &["--train", train.to_str().unwrap()]);
    assert!(has_text(&svg, "Sorted testing inputs"));
    assert!(has_text(&svg, "Sorted training inputs"));

    // A training file in another order: the keys follow it, so are not sorted.
    let unsorted = xy(&dir, "unsorted.csv", [(2.0, 3.0), (0.0, 1.0)]);
    let svg = heatmap(&dir, &weights, &["--train", unsorted.to_str().unwrap()]);
    assert!(has_text(&svg, "Sorted testing inputs"));
    assert!(has_text(&svg, "Keys (file order)"));
    assert!(!has_text(&svg, "Sorted training inputs"));
}

#[test]
fn heatmap_train_must_have_a_row_per_key() {
    let dir = TempDir::new().unwrap();
    let weights = write(&dir, "w.csv", "x,k1,k2\n0,0.8,0.2\n1,0.5,0.5\n");
    let train = xy(&dir, "train.csv", [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]);
    let out = dir.path().join("heat.svg");
    let err = fails_with(
        nw().args(["plot", "heatmap", "--weights"])
            .arg(&weights)
            .arg("--train")
            .arg(&train)
            .arg("--out")
            .arg(&out),
        1,
    );
    assert!(
        err.contains("train.csv has 3 rows but") && err.contains("w.csv has 2 key columns"),
        "{err}"
    );
    assert!(!out.exists());
    // Standard input can feed one of the two, not both.
    let err = fails_with(
        nw().args(["plot", "heatmap", "--weights", "-", "--train", "-", "--out"])
            .arg(&out),
        1,
    );
    assert!(
        err.contains("--weights and --train both read standard input"),
        "{err}"
    );
    assert!(!out.exists());
}
