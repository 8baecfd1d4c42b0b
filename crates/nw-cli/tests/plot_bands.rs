//! `nw plot regression` fitting its own curves: confidence bands, a second fit to compare,
//! and the flag combinations it refuses, through the real binary.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{fails_with, json_and_stderr, nw, succeeds};
use tempfile::TempDir;

/// The chapter's 50 training points and its test grid with the truth (`nw generate`).
fn chapter(dir: &TempDir) -> (PathBuf, PathBuf) {
    let (train, test) = (dir.path().join("train.csv"), dir.path().join("test.csv"));
    succeeds(
        nw().args(["generate", "--seed", "0", "--train-out"])
            .arg(&train)
            .arg("--test-out")
            .arg(&test),
    );
    (train, test)
}

/// The elements of one tag whose `fill` is `color`.
fn filled<'a>(svg: &'a str, tag: &str, color: &str) -> Vec<&'a str> {
    let open = format!("<{tag} ");
    let fill = format!("fill=\"{color}\"");
    svg.lines()
        .filter(|l| l.starts_with(&open) && l.contains(&fill))
        .collect()
}

/// The number of `x,y` pairs in an element's `points`.
fn vertex_count(element: &str) -> usize {
    let start = element.find("points=\"").unwrap() + 8;
    let len = element[start..].find('"').unwrap();
    element[start..start + len].split_whitespace().count()
}

/// True if some text element reads exactly `s`.
fn has_text(svg: &str, s: &str) -> bool {
    let mut lines = svg.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("<text") && lines.next() == Some(s) {
            return true;
        }
    }
    false
}

/// `nw predict --degree D --bandwidth auto --json` on `train`: the CV bandwidth, as an
/// independent run of the estimator reports it.
fn cv_bandwidth(train: &Path, query: &Path, degree: &str) -> f64 {
    let (report, _) = json_and_stderr(
        nw().args([
            "predict",
            "--bandwidth",
            "auto",
            "--degree",
            degree,
            "--json",
        ])
        .arg("--train")
        .arg(train)
        .arg("--query")
        .arg(query),
    );
    report["bandwidth"].as_f64().unwrap()
}

/// `h` to four significant digits, as the legend writes it.
fn four(h: f64) -> String {
    format!("{h:.3e}").parse::<f64>().unwrap().to_string()
}

#[test]
fn a_local_linear_fit_is_drawn_with_its_bootstrap_band_at_the_truths_inputs() {
    let dir = TempDir::new().unwrap();
    let (train, test) = chapter(&dir);
    let out = dir.path().join("band.svg");
    let (_, err) = succeeds(
        nw().args([
            "plot",
            "regression",
            "--degree",
            "1",
            "--bands",
            "bootstrap",
        ])
        .args(["--replicates", "199", "--seed", "3"])
        .arg("--train")
        .arg(&train)
        .arg("--truth")
        .arg(&test)
        .arg("--out")
        .arg(&out),
    );
    let svg = fs::read_to_string(&out).unwrap();
    // One band around the magenta fit, over the truth's 50 inputs: 50 up and 50 back.
    let bands = filled(&svg, "polygon", "#BF00BF");
    assert_eq!(bands.len(), 1, "{err}");
    assert_eq!(vertex_count(bands[0]), 100);
    let h = cv_bandwidth(&train, &test, "1");
    let label = format!("Local linear, h = {}", four(h));
    for text in ["Truth", label.as_str(), "95% bootstrap band"] {
        assert!(has_text(&svg, text), "no {text:?} in the legend");
    }
    // The 50 training points.
    assert_eq!(svg.matches("<circle").count(), 50);
    assert!(err.contains(&label), "{err}");
}

#[test]
fn a_second_fit_is_drawn_beside_the_first_each_with_its_own_bandwidth_and_band() {
    let dir = TempDir::new().unwrap();
    let (train, test) = chapter(&dir);
    let out = dir.path().join("compare.svg");
    succeeds(
        nw().args([
            "plot",
            "regression",
            "--degree",
            "1",
            "--compare-degree",
            "0",
        ])
        .args(["--bands", "asymptotic", "--level", "0.9"])
        .arg("--train")
        .arg(&train)
        .arg("--out")
        .arg(&out),
    );
    let svg = fs::read_to_string(&out).unwrap();
    // Without --truth: 400 inputs across the training inputs.
    let (magenta, green) = (
        filled(&svg, "polygon", "#BF00BF"),
        filled(&svg, "polygon", "#2CA02C"),
    );
    assert_eq!((magenta.len(), green.len()), (1, 1));
    assert_eq!(vertex_count(magenta[0]), 800);
    assert_eq!(vertex_count(green[0]), 800);
    let local_linear = format!(
        "Local linear, h = {}",
        four(cv_bandwidth(&train, &test, "1"))
    );
    let nadaraya_watson = format!(
        "Nadaraya-Watson, h = {}",
        four(cv_bandwidth(&train, &test, "0"))
    );
    assert_ne!(local_linear[15..], nadaraya_watson[18..]);
    for text in [local_linear.as_str(), nadaraya_watson.as_str(), "90% band"] {
        assert!(has_text(&svg, text), "no {text:?} in the legend");
    }
    assert!(!has_text(&svg, "Truth"));
}

#[test]
fn a_simultaneous_band_is_named_so_and_a_png_is_written() {
    let dir = TempDir::new().unwrap();
    let (train, _) = chapter(&dir);
    let out = dir.path().join("sup.png");
    succeeds(
        nw().args([
            "plot",
            "regression",
            "--degree",
            "2",
            "--bands",
            "bootstrap",
        ])
        .args(["--simultaneous", "--replicates", "99", "--bandwidth", "0.8"])
        .arg("--train")
        .arg(&train)
        .arg("--out")
        .arg(&out),
    );
    assert_eq!(&fs::read(&out).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    let svg_out = dir.path().join("sup.svg");
    succeeds(
        nw().args([
            "plot",
            "regression",
            "--degree",
            "2",
            "--bands",
            "bootstrap",
        ])
        .args(["--simultaneous", "--replicates", "99", "--bandwidth", "0.8"])
        .arg("--train")
        .arg(&train)
        .arg("--out")
        .arg(&svg_out),
    );
    let svg = fs::read_to_string(&svg_out).unwrap();
    assert!(has_text(&svg, "Local quadratic, h = 0.8"));
    assert!(has_text(&svg, "95% simultaneous bootstrap band"));
}

#[test]
fn flags_that_do_not_fit_together_fail_before_anything_is_written() {
    let dir = TempDir::new().unwrap();
    let (train, test) = chapter(&dir);
    let pred = dir.path().join("pred.csv");
    fs::write(&pred, "x,y_hat\n0,1\n1,2\n").unwrap();
    let two_inputs = dir.path().join("two.csv");
    fs::write(&two_inputs, "a,b,y\n0,1,2\n1,2,3\n2,3,1\n3,1,2\n").unwrap();
    let out = dir.path().join("fig.svg");
    let run = |args: &[&str], code: i32| -> String {
        let mut cmd = nw();
        cmd.args(["plot", "regression"]).args(args);
        if !args.contains(&"--train") {
            cmd.arg("--train").arg(&train);
        }
        let err = fails_with(cmd.arg("--out").arg(&out), code);
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
        err
    };
    let err = run(
        &["--pred", pred.to_str().unwrap(), "--bands", "asymptotic"],
        1,
    );
    assert!(
        err.contains("--bands") && err.contains("drop --pred"),
        "{err}"
    );
    let err = run(&["--pred", pred.to_str().unwrap(), "--degree", "1"], 2);
    assert!(err.contains("--pred") && err.contains("--degree"), "{err}");
    let err = run(
        &["--pred", pred.to_str().unwrap(), "--compare-degree", "1"],
        2,
    );
    assert!(err.contains("--compare-degree"), "{err}");
    let err = run(&["--degree", "1", "--compare-degree", "1"], 1);
    assert!(
        err.contains("--compare-degree 1 is --degree's too"),
        "{err}"
    );
    let err = run(&["--level", "0.9"], 2);
    assert!(err.contains("--bands"), "{err}");
    let err = run(&["--bands", "asymptotic", "--level", "1.5"], 2);
    assert!(err.contains("above 0 and below 1"), "{err}");
    let err = run(&["--degree", "3"], 2);
    assert!(err.contains("--degree"), "{err}");
    let err = run(
        &[
            "--train",
            two_inputs.to_str().unwrap(),
            "--x",
            "a,b",
            "--bands",
            "asymptotic",
        ],
        1,
    );
    assert!(
        err.contains("one input") && err.contains("nw plot partial"),
        "{err}"
    );

    // An old figure survives a failed run untouched.
    fs::write(&out, "old").unwrap();
    let mut cmd = nw();
    cmd.args([
        "plot",
        "regression",
        "--bands",
        "asymptotic",
        "--degree",
        "1",
        "--compare-degree",
        "1",
    ])
    .arg("--train")
    .arg(&train)
    .arg("--truth")
    .arg(&test)
    .arg("--out")
    .arg(&out);
    fails_with(&mut cmd, 1);
    assert_eq!(fs::read_to_string(&out).unwrap(), "old");
}
