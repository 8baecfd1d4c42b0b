//! Saving: the format follows the extension, the file appears whole or not at all, and every
//! failure names the path.

mod common;

use std::fs;
use std::path::Path;

use common::png_size;
use nw_viz::{Figure, Format, Heatmap, LossCurve, RegressionPlot, Series, SeriesPlot, VizError};

/// Every name in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn plot() -> RegressionPlot<'static> {
    RegressionPlot::new(&[0.0, 1.0, 2.0], &[1.0, 2.0, 1.5]).truth(&[1.0, 2.5, 1.0])
}

#[test]
fn the_extension_picks_the_format_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("fig.svg");
    plot().save(&svg_path).unwrap();
    assert_eq!(
        fs::read_to_string(&svg_path).unwrap(),
        plot().render_svg().unwrap()
    );

    let png_path = dir.path().join("FIG.PNG");
    plot().size(800, 300).save(&png_path).unwrap();
    assert_eq!(png_size(&fs::read(&png_path).unwrap()), (800, 300));
    assert_eq!(Format::from_path(&png_path).unwrap(), Format::Png);

    assert_eq!(names(dir.path()), ["FIG.PNG", "fig.svg"]);
}

#[test]
fn every_figure_saves_as_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let x = [1.0, 10.0, 100.0];
    let w = [0.5, 0.5, 0.25, 0.75];
    let series = SeriesPlot::new("n", "mse")
        .series(Series::new("nw", &x, &[0.3, 0.1, 0.05]))
        .log_x(true);
    let loss = LossCurve::new(&[3.0, 2.0, 1.5]);
    let heatmap = Heatmap::new(&w, 2, 2);
    for ext in ["png", "svg"] {
        plot()
            .save(dir.path().join(format!("regression.{ext}")))
            .unwrap();
        series
            .save(dir.path().join(format!("series.{ext}")))
            .unwrap();
        loss.save(dir.path().join(format!("loss.{ext}"))).unwrap();
        heatmap
            .save(dir.path().join(format!("heatmap.{ext}")))
            .unwrap();
    }
    for name in names(dir.path()) {
        let bytes = fs::read(dir.path().join(&name)).unwrap();
        if name.ends_with(".png") {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
        } else {
            assert!(
                bytes.starts_with(b"<svg") && bytes.ends_with(b"</svg>\n"),
                "{name}"
            );
        }
    }
    assert_eq!(names(dir.path()).len(), 8);
}

#[test]
fn an_unknown_extension_is_refused_before_drawing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["fig.jpg", "fig", "fig.svg.tmp"] {
        let path = dir.path().join(name);
        let err = plot().save(&path).unwrap_err();
        assert!(matches!(&err, VizError::UnsupportedFormat { path: p } if p == &path));
        assert_eq!(
            err.to_string(),
            format!(
                "{}: cannot tell the figure format: use a .png or .svg extension",
                path.display()
            )
        );
    }
    assert!(names(dir.path()).is_empty());
}

#[test]
fn bad_data_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fig.png");
    let err = RegressionPlot::new(&[0.0, 1.0], &[f64::NAN, 0.0])
        .save(&path)
        .unwrap_err();
    assert!(matches!(err, VizError::NonFinite { index: 0, .. }));
    assert!(names(dir.path()).is_empty());
}

#[test]
fn an_unwritable_path_leaves_nothing_behind_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // A directory that does not exist.
    let missing = dir.path().join("no/such/dir/fig.svg");
    let err = plot().save(&missing).unwrap_err();
    assert!(
        matches!(&err, VizError::Write { path, .. } if path == &missing),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("cannot write {}: ", missing.display())),
        "{err}"
    );
    assert!(names(dir.path()).is_empty());

    // A destination that is a directory: the figure is rendered and written to a temporary
    // file, the rename fails, and the temporary file is removed.
    let taken = dir.path().join("taken.png");
    fs::create_dir(&taken).unwrap();
    fs::write(taken.join("keep"), "mine").unwrap();
    let err = plot().save(&taken).unwrap_err();
    assert!(
        matches!(&err, VizError::Write { path, .. } if path == &taken),
        "{err:?}"
    );
    assert_eq!(names(dir.path()), ["taken.png"]);
    assert_eq!(fs::read_to_string(taken.join("keep")).unwrap(), "mine");
}

#[test]
fn an_old_file_is_replaced_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fig.svg");
    fs::write(&path, "x".repeat(1_000_000)).unwrap();
    plot().save(&path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("<svg") && text.ends_with("</svg>\n"));
    assert_eq!(names(dir.path()), ["fig.svg"]);
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(plot().render_svg().unwrap(), plot().render_svg().unwrap());
    assert_eq!(plot().render_png().unwrap(), plot().render_png().unwrap());
}
