//! Several input columns through the binary: `--x a,b` on predict, bandwidth, train and the
//! fit figures, against an f64 computation written here, on Boston housing.

#![allow(clippy::print_stderr)]

mod common;

use std::path::PathBuf;

use common::{fails_with, json_and_stderr, nw, succeeds, write};
use serde_json::Value;

/// MASS `Boston`, as the workspace keeps it (see data/README.md).
fn boston() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/boston.csv")
}

/// Columns of `boston.csv` by name, in f64.
fn columns(names: &[&str]) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(boston()).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    names
        .iter()
        .map(|n| {
            let j = header
                .iter()
                .position(|h| h.trim_matches('"') == *n)
                .unwrap();
            rows.iter().map(|r| r[j]).collect()
        })
        .collect()
}

/// Gaussian Nadaraya-Watson with bandwidths `h` at `q`, in f64.
fn gaussian_f64(x: &[Vec<f64>], y: &[f64], h: &[f64], q: &[f64]) -> f64 {
    let scores: Vec<f64> = (0..y.len())
        .map(|i| {
            -0.5 * (0..h.len())
                .map(|l| ((q[l] - x[l][i]) / h[l]).powi(2))
                .sum::<f64>()
        })
        .collect();
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (num, den) = scores.iter().zip(y).fold((0.0, 0.0), |(n, z), (&s, &v)| {
        let e = (s - max).exp();
        (n + e * v, z + e)
    });
    num / den
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn predict_with_two_inputs_matches_an_f64_reference() {
    let dir = tempfile::tempdir().unwrap();
    let query = write(
        &dir,
        "q.csv",
        "rm,lstat\n6.5,5.0\n5.9,12.3\n7.8,3.1\n4.5,30.0\n",
    );
    let (report, _) = json_and_stderr(nw().args([
        "predict",
        "--train",
        boston().to_str().unwrap(),
        "--query",
        query.to_str().unwrap(),
        "--x",
        "lstat,rm",
        "--y",
        "medv",
        "--bandwidth",
        "2,0.4",
        "--json",
    ]));
    let data = columns(&["lstat", "rm", "medv"]);
    let got = floats(&report["predictions"]);
    let queries = [[5.0, 6.5], [12.3, 5.9], [3.1, 7.8], [30.0, 4.5]];
    for (q, &g) in queries.iter().zip(&got) {
        let want = gaussian_f64(&data[..2], &data[2], &[2.0, 0.4], q);
        assert!((g - want).abs() < 1e-4, "{q:?}: {g} vs {want}");
    }
    assert_eq!(floats(&report["bandwidths"]), [2.0, 0.4]);
    assert!(report.get("bandwidth").is_none());
    assert_eq!(report["columns"]["x"], serde_json::json!(["lstat", "rm"]));
    assert_eq!(report["queries"][1], serde_json::json!([12.3, 5.9]));
    // The CSV names the inputs' columns.
    let (text, _) = succeeds(nw().args([
        "predict",
        "--train",
        boston().to_str().unwrap(),
        "--query",
        query.to_str().unwrap(),
        "--x",
        "lstat,rm",
        "--y",
        "medv",
        "--bandwidth",
        "2",
    ]));
    assert!(text.starts_with("lstat,rm,y_hat\n5,6.5,"), "{text}");
}

#[test]
fn bandwidth_reports_one_bandwidth_per_input() {
    let (report, _) = json_and_stderr(nw().args([
        "bandwidth",
        "--train",
        boston().to_str().unwrap(),
        "--x",
        "lstat,rm",
        "--y",
        "medv",
        "--json",
    ]));
    let h = floats(&report["bandwidths"]);
    assert_eq!(h.len(), 2);
    assert!(h.iter().all(|&h| h > 0.0 && h.is_finite()), "{h:?}");
    assert!(report.get("bandwidth").is_none());
    let cv = report["cv"].as_f64().unwrap();
    // statsmodels' KernelReg(cv_ls) reaches 20.23 here (crates/nw-model/tests/data).
    assert!(cv < 20.24, "CV {cv}");
    assert!(report["evaluations"].as_u64().unwrap() > 3);
    assert!(report["warnings"].is_array());
    // One input: both spellings, the same number.
    let (one, _) = json_and_stderr(nw().args([
        "bandwidth",
        "--train",
        boston().to_str().unwrap(),
        "--x",
        "lstat",
        "--y",
        "medv",
        "--json",
    ]));
    assert_eq!(one["bandwidths"][0], one["bandwidth"]);
}

#[test]
fn learn_one_log_bandwidth_per_input() {
    let (report, _) = json_and_stderr(nw().args([
        "train",
        "--train",
        boston().to_str().unwrap(),
        "--x",
        "lstat,rm",
        "--y",
        "medv",
        "--model",
        "log-bandwidth",
        "--epochs",
        "30",
        "--json",
    ]));
    let epochs = report["epochs"].as_array().unwrap();
    let first = epochs[0]["loss"].as_f64().unwrap();
    let last = epochs[29]["loss"].as_f64().unwrap();
    assert!(last < first, "loss {first} -> {last}");
    assert!(epochs[0].get("grad_lstat").is_some() && epochs[0].get("ln_h_rm").is_some());
    assert_eq!(floats(&report["bandwidths"]).len(), 2);
}

#[test]
fn surface_and_partial_figures_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let surface = dir.path().join("surface.png");
    succeeds(nw().args([
        "plot",
        "surface",
        "--train",
        boston().to_str().unwrap(),
        "--x",
        "lstat,rm",
        "--y",
        "medv",
        "--bandwidth",
        "2,0.4",
        "--grid",
        "40",
        "--out",
        surface.to_str().unwrap(),
    ]));
    assert!(std::fs::read(&surface).unwrap().starts_with(b"\x89PNG"));
    let partial = dir.path().join("partial.svg");
    succeeds(nw().args([
        "plot",
        "partial",
        "--train",
        boston().to_str().unwrap(),
        "--x",
        "lstat,rm,ptratio",
        "--y",
        "medv",
        "--along",
        "rm",
        "--bandwidth",
        "3,0.5,1",
        "--out",
        partial.to_str().unwrap(),
    ]));
    let svg = std::fs::read_to_string(&partial).unwrap();
    assert!(svg.contains("rm") && svg.contains("medv"), "axis names");
}

#[test]
fn several_inputs_refuse_what_they_cannot_serve() {
    let train = boston();
    let train = train.to_str().unwrap();
    let err = fails_with(
        nw().args([
            "predict",
            "--train",
            train,
            "--query",
            train,
            "--x",
            "lstat,rm",
            "--y",
            "medv",
            "--bandwidth",
            "1,2,3",
        ]),
        1,
    );
    assert!(err.contains("3 bandwidths for 2 input columns"), "{err}");
    let err = fails_with(
        nw().args([
            "predict",
            "--train",
            train,
            "--query",
            train,
            "--x",
            "lstat,rm",
            "--y",
            "medv",
            "--pooling",
            "parametric",
            "--w",
            "1",
        ]),
        1,
    );
    assert!(
        err.contains("several inputs are fitted by nonparametric pooling"),
        "{err}"
    );
    let err = fails_with(
        nw().args(["train", "--train", train, "--x", "lstat,rm", "--y", "medv"]),
        1,
    );
    assert!(err.contains("--model log-bandwidth"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let query = write(&dir, "q.csv", "lstat\n5\n");
    let err = fails_with(
        nw().args([
            "predict",
            "--train",
            train,
            "--query",
            query.to_str().unwrap(),
            "--x",
            "lstat,rm",
            "--y",
            "medv",
        ]),
        1,
    );
    assert!(err.contains("rm") && err.contains("q.csv"), "{err}");
    let out = dir.path().join("s.png");
    let err = fails_with(
        nw().args([
            "plot",
            "surface",
            "--train",
            train,
            "--x",
            "lstat",
            "--y",
            "medv",
            "--out",
            out.to_str().unwrap(),
        ]),
        1,
    );
    assert!(err.contains("two inputs"), "{err}");
    let err = fails_with(
        nw().args([
            "plot",
            "partial",
            "--train",
            train,
            "--x",
            "lstat,rm",
            "--y",
            "medv",
            "--along",
            "age",
            "--out",
            out.to_str().unwrap(),
        ]),
        1,
    );
    assert!(
        err.contains("--along age is not one of the inputs"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn an_input_wider_than_the_kernel_resolves_is_a_warning() {
    // `a` spans 199,000 bandwidths: the d-dimensional kernel's f32 offsets resolve it to
    // about 0.006 of one, more than the thousandth a warning allows.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b,y\n");
    for i in 0..200 {
        text += &format!("{},{},{}\n", i * 1000, i % 7, f64::from(i).sin());
    }
    let train = write(&dir, "wide.csv", &text);
    let train = train.to_str().unwrap();
    let run = |h: &str| {
        json_and_stderr(nw().args([
            "predict",
            "--train",
            train,
            "--query",
            train,
            "--x",
            "a,b",
            "--bandwidth",
            h,
            "--far",
            "nan",
            "--json",
        ]))
    };
    let (report, err) = run("1,1");
    let codes = common::codes(&report);
    assert!(codes.iter().any(|c| c == "resolution"), "{codes:?}");
    assert!(
        err.contains("the values of a (training rows and queries) lie too far apart"),
        "{err}"
    );
    // At a bandwidth of 100 the same rounding is far below a thousandth of it.
    let (report, _) = run("100,1");
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["code"] != "resolution"),
        "{report}"
    );
}

#[test]
fn learning_names_an_input_smoothed_out() {
    // y follows `a` only; `b` is noise, and its learned bandwidth outgrows its span.
    let dir = tempfile::tempdir().unwrap();
    let mut state = 7u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut text = String::from("a,b,y\n");
    for _ in 0..300 {
        let (a, b) = (uniform() * 6.0, uniform() * 6.0);
        text += &format!("{a},{b},{}\n", (2.0 * a).sin() + 0.2 * (uniform() - 0.5));
    }
    let train = write(&dir, "ab.csv", &text);
    let (report, err) = json_and_stderr(nw().args([
        "train",
        "--train",
        train.to_str().unwrap(),
        "--x",
        "a,b",
        "--model",
        "log-bandwidth",
        "--epochs",
        "800",
        "--json",
    ]));
    let h = floats(&report["bandwidths"]);
    assert!(h[0] < 0.3 && h[1] > 6.0, "{h:?}");
    let codes = common::codes(&report);
    assert_eq!(codes, ["above_span"]);
    assert!(err.contains("the learned bandwidth of b,"), "{err}");
}

#[test]
fn a_constant_input_and_a_far_query_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(&dir, "c.csv", "a,b,y\n1,3,1\n2,3,4\n3,3,9\n4,3,16\n");
    let err = fails_with(
        nw().args([
            "bandwidth",
            "--train",
            train.to_str().unwrap(),
            "--x",
            "a,b",
        ]),
        1,
    );
    assert!(
        err.contains("column \"b\" of") && err.contains("c.csv is 3 in every row"),
        "{err}"
    );
    // Given bandwidths need no spread.
    let query = write(&dir, "q.csv", "a,b\n2.5,3\n40,3\n");
    let (text, _) = succeeds(nw().args([
        "predict",
        "--train",
        train.to_str().unwrap(),
        "--query",
        query.to_str().unwrap(),
        "--x",
        "a,b",
        "--bandwidth",
        "1,1",
    ]));
    assert!(text.starts_with("a,b,y_hat\n2.5,3,"), "{text}");
    let err = fails_with(
        nw().args([
            "predict",
            "--train",
            train.to_str().unwrap(),
            "--query",
            query.to_str().unwrap(),
            "--x",
            "a,b",
            "--bandwidth",
            "1,1",
            "--kernel",
            "epanechnikov",
        ]),
        1,
    );
    assert!(
        err.contains("the first is query 2 (a = 40, b = 3) of"),
        "{err}"
    );
}
