//! Answers that must say when they are weak, through the real binary (issue 9, items 7-11),
//! and flag values refused as flag errors (item 12).

mod common;

use common::{codes, fails_with, json_and_stderr, nw, succeeds, write, xy};
use tempfile::TempDir;

#[test]
fn a_rule_of_thumb_computes_no_cv_unless_asked() {
    let dir = TempDir::new().unwrap();
    let train = xy(
        &dir,
        "t.csv",
        (0..40).map(|i| (f64::from(i), f64::from(i % 7))),
    );
    let (out, _) = succeeds(
        nw().args(["bandwidth", "--method", "silverman", "--train"])
            .arg(&train),
    );
    assert!(out.contains("not computed (add --cv)"), "{out}");
    let (report, _) = json_and_stderr(
        nw().args(["bandwidth", "--method", "scott", "--json", "--train"])
            .arg(&train),
    );
    assert!(report["cv"].is_null() && report["warnings"] == serde_json::json!([]));
    // On request, CV at the rule's bandwidth: the same number `--method cv` reports for it.
    let (with_cv, _) = json_and_stderr(
        nw().args([
            "bandwidth",
            "--method",
            "scott",
            "--cv",
            "--json",
            "--train",
        ])
        .arg(&train),
    );
    let cv = with_cv["cv"].as_f64().unwrap();
    assert!(cv > 0.0 && cv.is_finite());
    let err = fails_with(nw().args(["bandwidth", "--cv", "--train"]).arg(&train), 1);
    assert!(err.contains("--method cv reports it always"), "{err}");
}

#[test]
fn weak_cv_choices_are_warned_about_in_text_and_json() {
    let dir = TempDir::new().unwrap();
    let two = xy(&dir, "two.csv", [(0.0, 0.0), (1.0, 1.0)]);
    let constant = xy(&dir, "c.csv", (0..50).map(|i| (f64::from(i) * 0.1, 3.0)));
    let even = xy(
        &dir,
        "e.csv",
        (0..19).map(|i| (f64::from(i), f64::from(i).sin())),
    );
    for (file, want) in [
        (&two, &["flat"][..]),
        (&constant, &["constant_targets", "flat"]),
        (&even, &["lower_end", "flat"]),
    ] {
        let (report, stderr) =
            json_and_stderr(nw().args(["bandwidth", "--json", "--train"]).arg(file));
        assert_eq!(codes(&report), want, "{}", file.display());
        assert_eq!(stderr.matches("warning: ").count(), want.len(), "{stderr}");
        // The text report says it too, on stderr.
        let (_, stderr) = succeeds(nw().args(["bandwidth", "--train"]).arg(file));
        assert!(stderr.contains("warning: CV"), "{stderr}");
        // And `--bandwidth auto` passes the warnings on with its predictions.
        let query = write(&dir, "q.csv", "x\n0.5\n");
        let (report, stderr) = json_and_stderr(
            nw().args(["predict", "--bandwidth", "auto", "--json", "--train"])
                .arg(file)
                .arg("--query")
                .arg(&query),
        );
        assert_eq!(codes(&report), want);
        assert!(stderr.contains("warning: "), "{stderr}");
    }
}

#[test]
fn isolated_examples_are_counted_not_allowed_to_decide() {
    let dir = TempDir::new().unwrap();
    // 300 inputs on [0, 3) and one at 10: a compact kernel narrower than 7 leaves it alone.
    let mut rows: Vec<(f64, f64)> = (0..300)
        .map(|i| {
            let x = f64::from(i) * 0.01;
            (x, (2.0 * x).sin() + 0.1 * ((i * 37 % 11) as f64 - 5.0))
        })
        .collect();
    rows.push((10.0, 0.5));
    let train = xy(&dir, "t.csv", rows);
    let (report, stderr) = json_and_stderr(
        nw().args(["bandwidth", "--kernel", "epanechnikov", "--json", "--train"])
            .arg(&train),
    );
    assert_eq!(report["isolated"], 1);
    assert!(report["bandwidth"].as_f64().unwrap() < 1.0);
    assert_eq!(codes(&report), ["isolated"]);
    assert!(
        stderr.contains("1 of 301 examples have no other"),
        "{stderr}"
    );
    let (out, _) = succeeds(
        nw().args(["bandwidth", "--kernel", "epanechnikov", "--train"])
            .arg(&train),
    );
    assert!(
        out.contains("(1 of 301 examples with no other within reach left out)"),
        "{out}"
    );
    // The strict rule on request: no example left out, a bandwidth past the gap of 7.
    let (strict, _) = json_and_stderr(
        nw().args([
            "bandwidth",
            "--kernel",
            "epanechnikov",
            "--max-isolated",
            "0",
            "--json",
        ])
        .arg("--train")
        .arg(&train),
    );
    assert_eq!(strict["isolated"], 0);
    assert!(strict["bandwidth"].as_f64().unwrap() >= 7.0);
}

#[test]
fn training_that_learned_nothing_says_so_and_quiet_keeps_the_summary() {
    let dir = TempDir::new().unwrap();
    // Ten-minute Unix time stamps: the chapter's w is a bandwidth of seconds.
    let train = xy(
        &dir,
        "t.csv",
        (0..300).map(|i| (1.7e9 + 600.0 * f64::from(i), (f64::from(i) / 15.0).sin())),
    );
    let (report, stderr) = json_and_stderr(
        nw().args(["train", "--json", "--w0", "0.689486", "--train"])
            .arg(&train),
    );
    assert_eq!(codes(&report), ["loss_flat", "below_smallest_gap"]);
    assert!(stderr.contains("--model log-bandwidth"), "{stderr}");
    assert!(stderr.contains("nw bandwidth"), "{stderr}");
    // --quiet drops the epoch lines, keeps the result and the warnings.
    let (out, stderr) = succeeds(
        nw().args(["train", "--quiet", "--w0", "0.689486", "--train"])
            .arg(&train),
    );
    assert!(!out.contains("epoch "), "{out}");
    assert!(
        out.starts_with("initial w") && out.contains("learned w"),
        "{out}"
    );
    assert_eq!(stderr.matches("warning: ").count(), 2, "{stderr}");
    // The chapter's own run: nothing to warn about.
    let chapter =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nw-data/data/d2l_train.csv");
    let (out, _) = succeeds(
        nw().args([
            "train", "-q", "--model", "adaptive", "--epochs", "40", "--train",
        ])
        .arg(&chapter),
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    let (_, stderr) = succeeds(nw().args(["train", "--w0", "0.5", "--train"]).arg(&chapter));
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn bad_bandwidths_are_flag_errors() {
    let dir = TempDir::new().unwrap();
    let train = xy(&dir, "t.csv", [(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]);
    let query = write(&dir, "q.csv", "x\n0.5\n");
    for (value, says) in [
        ("-inf", "must be a positive finite number"),
        ("-1", "must be a positive finite number"),
        ("inf", "must be a positive finite number"),
        ("1e-40", "must be at least 1.1754944e-38"),
        ("0", "must be a positive finite number"),
        ("x", "not a number"),
    ] {
        let err = fails_with(
            nw().args(["predict", "--train"])
                .arg(&train)
                .arg("--query")
                .arg(&query)
                .args(["--bandwidth", value]),
            2,
        );
        assert!(err.contains(says), "{value}: {err}");
        assert!(err.contains("--bandwidth"), "{value}: {err}");
    }
    let err = fails_with(nw().args(["sweep", "--bandwidth", "1,1e-40"]), 2);
    assert!(err.contains("must be at least"), "{err}");
    let err = fails_with(
        nw().args([
            "predict",
            "--pooling",
            "parametric",
            "--w",
            "-inf",
            "--train",
        ])
        .arg(&train)
        .arg("--query")
        .arg(&query),
        2,
    );
    assert!(err.contains("must be a finite number"), "{err}");
}

#[test]
fn inputs_wider_than_f32_can_measure_name_the_cause() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "t.csv", "x,y\n-3.4e38,1\n0,2\n3.4e38,3\n");
    for args in [
        &["bandwidth"][..],
        &["bandwidth", "--method", "silverman", "--cv"],
    ] {
        let err = fails_with(nw().args(args).arg("--train").arg(&train), 1);
        assert!(
            err.contains("further than f32 can measure"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("got inf"), "{err}");
    }
}
