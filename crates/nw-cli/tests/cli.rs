//! The real `nw` binary, driven through every subcommand, good input and bad.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

fn nw() -> Command {
    Command::cargo_bin("nw").expect("the nw binary")
}

/// The chapter's reference data and PyTorch's results, kept with the model crate's tests.
fn reference(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nw-model/tests/data")
        .join(name)
}

/// The chapter's training set as PyTorch drew it (embedded in nw-data, and kept as a file).
fn chapter_train_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../nw-data/data/d2l_train.csv")
}

fn golden() -> Value {
    serde_json::from_str(&fs::read_to_string(reference("d2l_golden_w0_0.5.json")).unwrap()).unwrap()
}

fn stdout_json(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `cmd`, expects failure, and returns stderr.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        !out.status.success(),
        "expected failure, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    err
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

/// The files in `dir`, sorted, so a test can say exactly what a command left behind.
fn files(dir: &TempDir) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn help_lists_every_subcommand() {
    let out = nw().arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for cmd in ["demo", "generate", "predict", "train", "sweep", "plot"] {
        assert!(text.contains(cmd), "{cmd} missing from --help");
    }
}

#[test]
fn generate_is_seeded() {
    let dir = TempDir::new().unwrap();
    let run = |seed: &str, name: &str| {
        nw().args(["generate", "--n-train", "40", "--seed", seed, "--train-out"])
            .arg(dir.path().join(name))
            .arg("--test-out")
            .arg(dir.path().join(format!("test-{name}")))
            .assert()
            .success();
        fs::read_to_string(dir.path().join(name)).unwrap()
    };
    let (a, b, c) = (run("3", "a.csv"), run("3", "b.csv"), run("4", "c.csv"));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let data = nw_data::read_dataset(dir.path().join("a.csv")).unwrap();
    assert_eq!(data.len(), 40);
    assert!(data.x().is_sorted());
    let test = nw_data::read_dataset(dir.path().join("test-a.csv")).unwrap();
    assert_eq!(test.len(), 50);
    assert_eq!(test.x()[31], 3.100_000_1);
}

#[test]
fn predict_nonparametric_matches_pytorch() {
    let g = golden();
    let json = stdout_json(
        nw().args(["predict", "--pooling", "nonparametric", "--json", "--train"])
            .arg(chapter_train_csv())
            .arg("--query")
            .arg(reference("d2l_test.csv")),
    );
    assert_eq!(json["pooling"], "nonparametric");
    assert_eq!(json["bandwidth"], 1.0);
    let got = json["predictions"].as_array().unwrap();
    let want = g["float32"]["nonparametric"]["y_hat"].as_array().unwrap();
    assert_eq!(got.len(), 50);
    for (a, b) in got.iter().zip(want) {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() <= 1e-5 * b.abs(), "{a} vs {b}");
    }
}

#[test]
fn predict_writes_csv_and_weights_in_query_order() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,0\n1,1\n2,4\n");
    // Queries out of order, with an extra column that is ignored.
    let query = write(&dir, "query.csv", "id,x\n7,2\n8,0.5\n9,1\n");
    let (out, weights) = (dir.path().join("pred.csv"), dir.path().join("w.csv"));
    nw().args(["predict", "--pooling", "parametric", "--w", "2"])
        .arg("--train")
        .arg(&train)
        .arg("--query")
        .arg(&query)
        .arg("--out")
        .arg(&out)
        .arg("--weights")
        .arg(&weights)
        .assert()
        .success();
    let text = fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("x,y_hat"));
    let rows: Vec<(f64, f64)> = lines
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![2.0, 0.5, 1.0]
    );
    // f64 Nadaraya-Watson with w = 2 as the independent reference.
    let (keys, values) = ([0.0f64, 1.0, 2.0], [0.0f64, 1.0, 4.0]);
    for &(q, y) in &rows {
        let e: Vec<f64> = keys
            .iter()
            .map(|k| (-((q - k) * 2.0).powi(2) / 2.0).exp())
            .collect();
        let want = e.iter().zip(&values).map(|(e, v)| e * v).sum::<f64>() / e.iter().sum::<f64>();
        assert!((y - want).abs() < 1e-6, "query {q}: {y} vs {want}");
    }
    let w = fs::read_to_string(&weights).unwrap();
    assert_eq!(w.lines().next(), Some("x,k1,k2,k3"));
    assert_eq!(w.lines().count(), 4);
}

#[test]
fn train_matches_the_chapter_and_reports_json() {
    let g = golden();
    let json = stdout_json(
        nw().args(["train", "--w0", "0.5", "--json", "--train"])
            .arg(chapter_train_csv()),
    );
    let epochs = json["epochs"].as_array().unwrap();
    let want = g["float32"]["training"]["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 5);
    for (e, w) in epochs.iter().zip(want) {
        assert_eq!(e["epoch"], w["epoch"]);
        for (ours, theirs) in [("loss", "loss_sum"), ("grad", "grad_w"), ("w", "w_after")] {
            let (a, b) = (e[ours].as_f64().unwrap(), w[theirs].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-5 * b.abs(),
                "epoch {} {ours}: {a} vs {b}",
                e["epoch"]
            );
        }
    }
    let w = json["w"].as_f64().unwrap();
    assert!((json["bandwidth"].as_f64().unwrap() - 1.0 / w).abs() < 1e-6);

    // The text form prints the chapter's lines.
    let out = nw()
        .args(["train", "--w0", "0.5", "--path", "chapter", "--train"])
        .arg(chapter_train_csv())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    // PyTorch printed 42.113869 and 13.912088; f32 sums round differently on each build (with
    // FMA or without), so the lines are read back and held to 1e-5 relative.
    let printed = |prefix: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(prefix)).expect(prefix);
        line[prefix.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    for (prefix, want) in [
        ("epoch 1, loss ", 42.113_869),
        ("epoch 5, loss ", 13.912_088),
        ("learned w = ", 11.413_58),
    ] {
        let got = printed(prefix);
        assert!(
            (got - want).abs() <= 1e-5 * want,
            "{prefix}{got} vs {want}\n{text}"
        );
    }
}

#[test]
fn sweep_reports_each_size() {
    let json = stdout_json(nw().args([
        "sweep",
        "--n-train",
        "50,200",
        "--bandwidth",
        "1,0.3",
        "--json",
    ]));
    let curves = json["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 2);
    for c in curves {
        let points = c["points"].as_array().unwrap();
        assert_eq!(
            points
                .iter()
                .map(|p| p["n_train"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            vec![50, 200]
        );
        assert!(points.iter().all(|p| p["mse"].as_f64().unwrap() > 0.0));
    }
    // With four times the data, the narrower kernel's error drops.
    let narrow = curves[1]["points"].as_array().unwrap();
    assert!(narrow[1]["mse"].as_f64().unwrap() < narrow[0]["mse"].as_f64().unwrap());
}

#[test]
fn a_missing_file_is_named_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("pred.csv");
    let err = fails(
        nw().args([
            "predict",
            "--train",
            "/no/such/train.csv",
            "--query",
            "/no/such/q.csv",
        ])
        .arg("--out")
        .arg(&out),
    );
    assert!(err.contains("cannot open /no/such/train.csv"), "{err}");
    assert_eq!(files(&dir), Vec::<String>::new());
}

/// `nw predict` on these training and query files, expected to fail with nothing written.
fn predict_fails(train: &str, query: &str, extra: &[&str]) -> String {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", train);
    let query = write(&dir, "query.csv", query);
    let err = fails(
        nw().arg("predict")
            .arg("--train")
            .arg(&train)
            .arg("--query")
            .arg(&query)
            .arg("--out")
            .arg(dir.path().join("pred.csv"))
            .arg("--weights")
            .arg(dir.path().join("w.csv"))
            .args(extra),
    );
    assert_eq!(files(&dir), ["query.csv", "train.csv"], "{err}");
    err
}

#[test]
fn a_non_numeric_cell_is_named_with_its_line() {
    let err = predict_fails("x,y\n0,1\n1,2\n2,three\n", "x\n1\n", &[]);
    assert!(
        err.contains("train.csv:4: \"three\" is not a number (column \"y\")"),
        "{err}"
    );
    let err = predict_fails("x,y\n0,1\n", "x\n1\nabc\n", &[]);
    assert!(
        err.contains("query.csv:3: \"abc\" is not a number (column \"x\")"),
        "{err}"
    );
}

#[test]
fn an_empty_file_is_refused() {
    let err = predict_fails("", "x\n1\n", &[]);
    assert!(err.contains("train.csv:1: file is empty"), "{err}");
    let err = predict_fails("x,y\n0,1\n", "x\n", &[]);
    assert!(err.contains("query.csv:1: no data rows"), "{err}");
}

#[test]
fn mismatched_columns_are_refused() {
    let err = predict_fails("x,y\n0,1\n1\n", "x\n1\n", &[]);
    assert!(err.contains("train.csv:3: missing column"), "{err}");
    let err = predict_fails("x,y\n0,1,5\n", "x\n1\n", &[]);
    assert!(err.contains("train.csv:2: extra column"), "{err}");
    let err = predict_fails("x,z\n0,1\n", "x\n1\n", &[]);
    assert!(
        err.contains("train.csv:1: no column \"y\" (the columns are \"x\", \"z\")"),
        "{err}"
    );
    let err = predict_fails("x,y\n0,1\n", "q,r,s\n1,2,3\n", &[]);
    assert!(
        err.contains("query.csv:1: no column \"x\" (the columns are \"q\", \"r\", \"s\")"),
        "{err}"
    );
}

#[test]
fn nan_in_the_data_is_refused() {
    let err = predict_fails("x,y\n0,1\n1,NaN\n", "x\n1\n", &[]);
    assert!(
        err.contains(
            "train.csv:3: missing value \"NaN\" in column \"y\"; --missing drop leaves such \
             rows out"
        ),
        "{err}"
    );
    let err = predict_fails("x,y\n0,1\n", "x\ninf\n", &[]);
    assert!(err.contains("query.csv:2: \"inf\""), "{err}");
}

#[test]
fn a_zero_or_negative_bandwidth_is_refused() {
    for h in ["0", "-1", "nan", "inf"] {
        let err = predict_fails("x,y\n0,1\n", "x\n1\n", &["--bandwidth", h]);
        assert!(err.contains("--bandwidth"), "{h}: {err}");
        assert!(err.contains("positive"), "{h}: {err}");
    }
    let err = predict_fails("x,y\n0,1\n", "x\n1\n", &["--pooling", "parametric"]);
    assert!(err.contains("needs --w"), "{err}");
}

#[test]
fn a_far_query_takes_its_nearest_key_under_the_gaussian_kernel() {
    // Every kernel value of a query at 100 underflows with w = 1e4, but the softmax shifts
    // by the largest score first, so the nearest key keeps weight 1: a defined answer, no NaN.
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,1\n1,2\n");
    let query = write(&dir, "query.csv", "x\n-100\n100\n");
    let json = stdout_json(
        nw().args([
            "predict",
            "--pooling",
            "parametric",
            "--w",
            "10000",
            "--json",
            "--train",
        ])
        .arg(&train)
        .arg("--query")
        .arg(&query),
    );
    assert_eq!(json["predictions"], serde_json::json!([1.0, 2.0]));
}

#[test]
fn train_refuses_bad_data_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,1\n1,x\n");
    let err = fails(
        nw().arg("train")
            .arg("--train")
            .arg(&train)
            .arg("--out")
            .arg(dir.path().join("epochs.csv"))
            .arg("--plot")
            .arg(dir.path().join("loss.png")),
    );
    assert!(err.contains("train.csv:3: \"x\" is not a number"), "{err}");
    assert_eq!(files(&dir), ["train.csv"]);
    // A figure path without a known extension is refused before any work.
    let good = write(&dir, "good.csv", "x,y\n0,1\n1,2\n");
    let err = fails(
        nw().arg("train")
            .arg("--train")
            .arg(&good)
            .arg("--plot")
            .arg(dir.path().join("loss.jpg")),
    );
    assert!(
        err.contains("loss.jpg: cannot tell the figure format"),
        "{err}"
    );
    assert_eq!(files(&dir), ["good.csv", "train.csv"]);
}

#[test]
fn train_writes_its_epochs_and_loss_curve() {
    let dir = TempDir::new().unwrap();
    let (csv, plot) = (dir.path().join("epochs.csv"), dir.path().join("loss.svg"));
    nw().args(["train", "--w0", "0.5", "--epochs", "3", "--train"])
        .arg(chapter_train_csv())
        .arg("--out")
        .arg(&csv)
        .arg("--plot")
        .arg(&plot)
        .assert()
        .success();
    let cols = nw_data::read_columns(&csv, &["epoch", "loss", "w"]).unwrap();
    assert_eq!(cols[0], [1.0, 2.0, 3.0]);
    let want = golden();
    let first = want["float32"]["training"]["epochs"][0]["loss_sum"]
        .as_f64()
        .unwrap();
    assert!((f64::from(cols[1][0]) - first).abs() <= 1e-5 * first);
    let svg = fs::read_to_string(&plot).unwrap();
    assert!(svg.starts_with("<svg"));
    assert_eq!(svg.matches("<circle").count(), 3, "a dot per epoch");
}

#[test]
fn demo_runs_the_chapter_and_writes_six_figures() {
    let dir = TempDir::new().unwrap();
    let out = nw()
        .args(["demo", "--format", "svg", "--seed", "3", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("50 test points"), "{text}");
    for what in [
        "average pooling:",
        "nonparametric pooling:",
        "parametric pooling:",
    ] {
        let line = text.lines().find(|l| l.starts_with(what)).expect(what);
        let mse: f64 = line
            .split("test MSE ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(mse.is_finite() && mse > 0.0, "{line}");
    }
    for k in 1..=5 {
        assert!(text.contains(&format!("epoch {k}, loss ")), "{text}");
    }
    assert!(text.contains("learned w = "), "{text}");
    let names = [
        "adaptive_attention.svg",
        "adaptive_pooling.svg",
        "adaptive_training_loss.svg",
        "average_pooling.svg",
        "nonparametric_attention.svg",
        "nonparametric_pooling.svg",
        "parametric_attention.svg",
        "parametric_pooling.svg",
        "training_loss.svg",
    ];
    assert_eq!(files(&dir), names);
    for name in names {
        assert!(text.contains(name), "{name} not named in {text}");
        let svg = fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(svg.starts_with("<svg"), "{name}");
    }
    let heat = fs::read_to_string(dir.path().join("nonparametric_attention.svg")).unwrap();
    assert!(heat.contains("Sorted training inputs"));
    let reg = fs::read_to_string(dir.path().join("parametric_pooling.svg")).unwrap();
    assert!(reg.contains("Truth") && reg.contains("Pred"));
    assert_eq!(
        reg.matches("<circle").count(),
        50,
        "a dot per training point"
    );
}

#[test]
fn plot_draws_each_figure_from_csv() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,0\n1,2\n2,3\n3,1\n");
    let pred = write(&dir, "pred.csv", "x,y_hat\n0,0.5\n1.5,2\n3,1.5\n");
    let truth = write(&dir, "truth.csv", "x,y\n0,0\n1.5,2.5\n3,1\n");
    let out = dir.path().join("reg.svg");
    nw().args(["plot", "regression", "--train"])
        .arg(&train)
        .arg("--pred")
        .arg(&pred)
        .arg("--truth")
        .arg(&truth)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let svg = fs::read_to_string(&out).unwrap();
    assert!(svg.contains("Truth") && svg.contains("Pred"));
    assert_eq!(svg.matches("<circle").count(), 4);

    let weights = write(
        &dir,
        "w.csv",
        "x,k1,k2,k3\n0,0.5,0.25,0.25\n1,0.2,0.6,0.2\n",
    );
    let out = dir.path().join("heat.svg");
    nw().args(["plot", "heatmap", "--weights"])
        .arg(&weights)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let svg = fs::read_to_string(&out).unwrap();
    // 2 x 3 cells, the 256 colour-bar stripes, the background and the bar's frame.
    let cells = svg.matches("<rect").count();
    assert_eq!(cells, 6 + 256 + 2, "{cells}");

    let epochs = write(
        &dir,
        "e.csv",
        "epoch,loss,grad,w\n1,9,1,1\n2,5,1,1\n3,4,1,1\n",
    );
    let out = dir.path().join("loss.png");
    nw().args(["plot", "loss", "--epochs"])
        .arg(&epochs)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let png = fs::read(&out).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn plot_refuses_files_that_do_not_fit_together() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,0\n1,2\n");
    let pred = write(&dir, "pred.csv", "x,y_hat\n0,0.5\n1,2\n");
    let truth = write(&dir, "truth.csv", "x,y\n0,0\n1.5,2.5\n");
    let before = files(&dir);
    let err = fails(
        nw().args(["plot", "regression", "--train"])
            .arg(&train)
            .arg("--pred")
            .arg(&pred)
            .arg("--truth")
            .arg(&truth)
            .arg("--out")
            .arg(dir.path().join("reg.png")),
    );
    assert!(err.contains("truth.csv:3: x is 1.5"), "{err}");
    let epochs = write(&dir, "e.csv", "epoch,loss\n1,9\n3,5\n");
    let err = fails(
        nw().args(["plot", "loss", "--epochs"])
            .arg(&epochs)
            .arg("--out")
            .arg(dir.path().join("loss.png")),
    );
    assert!(err.contains("e.csv:3: epoch 3, expected 2"), "{err}");
    let weights = write(&dir, "w.csv", "x,k1\n0,0.5\n1,bad\n");
    let err = fails(
        nw().args(["plot", "heatmap", "--weights"])
            .arg(&weights)
            .arg("--out")
            .arg(dir.path().join("h.png")),
    );
    assert!(
        err.contains("w.csv:3: \"bad\" is not a number (column \"k1\")"),
        "{err}"
    );
    let mut expected = before;
    expected.extend(["e.csv".to_string(), "w.csv".to_string()]);
    expected.sort();
    assert_eq!(files(&dir), expected);
}

#[test]
fn demo_reference_prints_the_chapters_own_numbers() {
    let dir = TempDir::new().unwrap();
    let out = nw()
        .args(["demo", "--reference", "--format", "svg", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // PyTorch's test MSEs of the three poolings on this data (the golden file).
    let g = golden();
    for (prefix, key) in [
        ("average pooling:", "average_pooling"),
        ("nonparametric pooling:", "nonparametric"),
        ("parametric pooling:", "parametric"),
    ] {
        let line = text.lines().find(|l| l.starts_with(prefix)).expect(prefix);
        let got: f64 = line
            .split("test MSE ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let want = g["float32"]["test_mse_vs_y_truth"][key].as_f64().unwrap();
        assert!(
            (got - want).abs() <= 1e-5 * want,
            "{prefix} {got} vs PyTorch's {want}"
        );
    }
    // PyTorch's losses for this data and w0 = 0.5 (the golden file), to 1e-5 relative: both
    // are f32 computations, rounded differently, so the sixth decimal may differ (the exact
    // epoch-1 loss is 42.1138674; PyTorch prints 42.113869).
    for e in g["float32"]["training"]["epochs"].as_array().unwrap() {
        let prefix = format!("epoch {}, loss ", e["epoch"]);
        let line = text
            .lines()
            .find(|l| l.starts_with(&prefix))
            .expect("epoch line");
        let ours: f64 = line[prefix.len()..].parse().unwrap();
        let theirs = e["loss_sum"].as_f64().unwrap();
        assert!((ours - theirs).abs() <= 1e-5 * theirs, "{line} vs {theirs}");
    }
    assert!(text.contains("w0 = 0.500000"), "{text}");
    assert_eq!(files(&dir).len(), 9);
    // The reference data has no seed: asking for one is a usage error.
    let err = fails(
        nw().args(["demo", "--reference", "--seed", "3"])
            .arg("--out")
            .arg(dir.path()),
    );
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn predict_paths_agree_with_each_other_and_with_pytorch() {
    let g = golden();
    let run = |path: &str, pooling: &str, extra: &[&str]| -> Vec<f64> {
        let json = stdout_json(
            nw().args(["predict", "--json", "--path", path, "--pooling", pooling])
                .args(extra)
                .arg("--train")
                .arg(chapter_train_csv())
                .arg("--query")
                .arg(reference("d2l_test.csv")),
        );
        assert_eq!(json["path"], path);
        json["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    // Parametric pooling at PyTorch's learned w, on both paths.
    let w = g["float32"]["parametric"]["w"].as_f64().unwrap();
    let want: Vec<f64> = g["float32"]["parametric"]["y_hat"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for path in ["fused", "chapter"] {
        let got = run(path, "parametric", &["--w", &w.to_string()]);
        assert_eq!(got.len(), 50);
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * b.abs(),
                "{path} query {i}: {a} vs {b}"
            );
        }
        // w = 0.5 is bandwidth 2: one kernel, the same bits.
        let a = run(path, "parametric", &["--w", "0.5"]);
        assert_eq!(a, run(path, "nonparametric", &["--bandwidth", "2"]));
    }
}

fn mcycle_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../nw-model/tests/data/mcycle.csv")
}

fn statsmodels_mcycle() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../nw-model/tests/data/statsmodels_mcycle.json");
    serde_json::from_str::<Value>(&fs::read_to_string(path).unwrap()).unwrap()["mcycle"].clone()
}

#[test]
fn bandwidth_cv_matches_statsmodels_and_draws_its_curve() {
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("cv.svg");
    let json = stdout_json(
        nw().args(["bandwidth", "--json", "--train"])
            .arg(mcycle_csv())
            .arg("--plot")
            .arg(&plot),
    );
    let sm = statsmodels_mcycle();
    let (h, want_h) = (
        json["bandwidth"].as_f64().unwrap(),
        sm["cv_ls"]["bw"].as_f64().unwrap(),
    );
    assert!((h - want_h).abs() <= 1e-3 * want_h, "{h} vs {want_h}");
    let (cv, want_cv) = (
        json["cv"].as_f64().unwrap(),
        sm["cv_ls"]["cv_loo_statsmodels"].as_f64().unwrap(),
    );
    assert!((cv - want_cv).abs() <= 1e-4 * want_cv, "{cv} vs {want_cv}");
    assert_eq!(
        (json["method"].as_str(), json["kernel"].as_str()),
        (Some("cv"), Some("gaussian"))
    );
    let curve = json["curve"].as_array().unwrap();
    assert!(curve.len() >= 64);
    let hs: Vec<f64> = curve.iter().map(|p| p[0].as_f64().unwrap()).collect();
    assert!(hs.windows(2).all(|w| w[0] <= w[1]) && hs[0] > 0.0);
    // Every point of the curve is at least the chosen minimum.
    assert!(
        curve
            .iter()
            .all(|p| p[1].as_f64().unwrap() >= cv * (1.0 - 1e-9))
    );
    let svg = fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("chosen h = 0.91"), "marker label missing");

    // The rules of thumb: Scott's is statsmodels' start.
    let json = stdout_json(
        nw().args(["bandwidth", "--json", "--method", "scott", "--train"])
            .arg(mcycle_csv()),
    );
    let h0 = sm["cv_ls"]["h0_start_rule_of_thumb"].as_f64().unwrap();
    assert!((json["bandwidth"].as_f64().unwrap() - h0).abs() < 1e-5 * h0);
    assert!(json["curve"].as_array().unwrap().is_empty());
    // A curve needs cv.
    let err = fails(
        nw().args(["bandwidth", "--method", "silverman", "--train"])
            .arg(mcycle_csv())
            .arg("--plot")
            .arg(dir.path().join("x.png")),
    );
    assert!(err.contains("needs --method cv"), "{err}");
    assert!(!dir.path().join("x.png").exists());
}

#[test]
fn predict_bandwidth_auto_uses_the_cv_choice() {
    let sm = statsmodels_mcycle();
    let want_h = sm["cv_ls"]["bw"].as_f64().unwrap();
    let json = stdout_json(
        nw().args(["predict", "--json", "--bandwidth", "auto", "--train"])
            .arg(mcycle_csv())
            .arg("--query")
            .arg(mcycle_csv()),
    );
    let h = json["bandwidth"].as_f64().unwrap();
    assert!((h - want_h).abs() < 1e-3 * want_h, "{h} vs {want_h}");
    assert_eq!(json["bandwidth_method"], "cv");
    // At statsmodels' own bandwidth, the fit at the training inputs is statsmodels' (to 1e-4,
    // or 1e-4 g where it crosses zero).
    let json = stdout_json(
        nw().args([
            "predict",
            "--json",
            "--bandwidth",
            &want_h.to_string(),
            "--train",
        ])
        .arg(mcycle_csv())
        .arg("--query")
        .arg(mcycle_csv()),
    );
    let want = sm["cv_ls"]["fit_train_points_statsmodels"]
        .as_array()
        .unwrap();
    for (a, b) in json["predictions"].as_array().unwrap().iter().zip(want) {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{a} vs {b}");
    }
    let err = predict_fails("x,y\n0,1\n", "x\n1\n", &["--bandwidth", "automatic"]);
    assert!(err.contains("auto"), "{err}");
}

#[test]
fn outputs_are_written_all_or_none() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,1\n1,3\n2,5\n");
    let query = write(&dir, "query.csv", "x\n1\n1.5\n");
    let missing = dir.path().join("no/such/dir/out.csv");
    // predict: the weights file is fine, the predictions' folder is missing.
    let err = fails(
        nw().arg("predict")
            .arg("--train")
            .arg(&train)
            .arg("--query")
            .arg(&query)
            .arg("--weights")
            .arg(dir.path().join("w.csv"))
            .arg("--out")
            .arg(&missing),
    );
    assert!(err.contains("no/such/dir/out.csv"), "{err}");
    // train: the plot is fine, the epochs' folder is missing.
    fails(
        nw().args(["train", "--w0", "0.5", "--train"])
            .arg(&train)
            .arg("--plot")
            .arg(dir.path().join("loss.png"))
            .arg("--out")
            .arg(&missing),
    );
    // generate: the training file is fine, the test file's folder is missing.
    fails(
        nw().arg("generate")
            .arg("--train-out")
            .arg(dir.path().join("t.csv"))
            .arg("--test-out")
            .arg(&missing),
    );
    // demo: one figure's name is taken by a folder.
    let figures = dir.path().join("figures");
    fs::create_dir_all(figures.join("training_loss.png")).unwrap();
    let err = fails(nw().arg("demo").arg("--out").arg(&figures));
    assert!(err.contains("training_loss.png"), "{err}");
    let mut left: Vec<String> = fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["training_loss.png"], "figures left half-written");
    assert_eq!(files(&dir), ["figures", "query.csv", "train.csv"]);
    // One file for two outputs is refused before anything is written.
    let same = dir.path().join("same.csv");
    let err = fails(
        nw().arg("generate")
            .arg("--train-out")
            .arg(&same)
            .arg("--test-out")
            .arg(&same),
    );
    assert!(err.contains("are the same file"), "{err}");
    assert!(!same.exists());
}

#[test]
fn dev_stdout_adds_to_the_output_instead_of_replacing_it() {
    // With stdout redirected to a file, `--out /dev/stdout` must write through the handle:
    // renaming over the file behind it would erase the report printed beside it.
    let dir = TempDir::new().unwrap();
    let captured = dir.path().join("captured.txt");
    let file = fs::File::create(&captured).unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("nw"))
        .args([
            "train",
            "--w0",
            "0.5",
            "--epochs",
            "2",
            "--out",
            "/dev/stdout",
            "--train",
        ])
        .arg(chapter_train_csv())
        .stdout(file)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let text = fs::read_to_string(&captured).unwrap();
    assert!(text.contains("epoch,loss,grad,w"), "{text}");
    assert!(
        text.contains("epoch 2, loss ") && text.contains("learned w = "),
        "{text}"
    );
    // `-` is standard output too.
    let out = nw()
        .args(["generate", "--n-train", "3", "--train-out", "-"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 4);
}

#[test]
fn far_queries_follow_the_policy_and_are_counted() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,1\n1,3\n10,7\n");
    let query = write(&dir, "query.csv", "x\n0.5\n5\n30\n");
    let run = |far: &str, out: &Path| {
        nw().args([
            "predict",
            "--kernel",
            "epanechnikov",
            "--bandwidth",
            "1",
            "--far",
            far,
        ])
        .arg("--train")
        .arg(&train)
        .arg("--query")
        .arg(&query)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
    };
    // The default refuses, names the first far query, and writes nothing.
    let out = nw()
        .args(["predict", "--kernel", "epanechnikov"])
        .arg("--train")
        .arg(&train)
        .arg("--query")
        .arg(&query)
        .arg("--out")
        .arg(dir.path().join("default.csv"))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success());
    assert!(err.contains("2 queries have no kernel estimate"), "{err}");
    assert!(
        err.contains("query 2 at x = 5") && err.contains("--far nan|nearest|mean"),
        "{err}"
    );
    assert!(!dir.path().join("default.csv").exists());
    let out = run("error", &dir.path().join("e.csv"));
    assert!(!out.status.success());

    for (far, want) in [("nan", "NaN"), ("nearest", "1"), ("mean", "3.6666667")] {
        let path = dir.path().join(format!("{far}.csv"));
        let out = run(far, &path);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("2 of 3 queries had no kernel estimate"),
            "{err}"
        );
        let text = fs::read_to_string(&path).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows[0], "x,y_hat");
        // 0.5 sits between 0 and 1 with equal weights: 2.
        assert_eq!(rows[1], "0.5,2");
        let far_value = |row: &str| row.split(',').nth(1).unwrap().to_string();
        // 5 is nearest to 1 (target 3) under nearest; 30 is nearest to 10 (target 7).
        match far {
            "nearest" => assert_eq!(
                (far_value(rows[2]), far_value(rows[3])),
                ("3".into(), "7".into())
            ),
            _ => assert_eq!(
                (far_value(rows[2]), far_value(rows[3])),
                (want.to_string(), want.to_string())
            ),
        }
    }
    // JSON says null for NaN, and counts.
    let json = stdout_json(
        nw().args(["predict", "--json", "--kernel", "uniform", "--far", "nan"])
            .arg("--train")
            .arg(&train)
            .arg("--query")
            .arg(&query),
    );
    assert_eq!(json["far_queries"], 2);
    assert_eq!(json["predictions"][1], Value::Null);
    // And says so where the weak answers are listed.
    assert_eq!(json["warnings"][0]["code"], "far_queries");
    assert!(
        json["warnings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("2 of 3 queries had no kernel estimate")
    );
}

#[test]
fn diagnostics_in_json_and_csv() {
    let dir = TempDir::new().unwrap();
    let train = write(&dir, "train.csv", "x,y\n0,1\n1,3\n2,5\n");
    let query = write(&dir, "query.csv", "x\n1\n1.5\n");
    let json = stdout_json(
        nw().args(["predict", "--json", "--diagnostics", "--bandwidth", "0.5"])
            .arg("--train")
            .arg(&train)
            .arg("--query")
            .arg(&query),
    );
    let d = &json["diagnostics"];
    // f64 reference: Gaussian weights K(u) = exp(-u^2/2)/sqrt(2 pi), u = (q - k) / 0.5.
    let k = |u: f64| (-u * u / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    for (i, q) in [1.0f64, 1.5].into_iter().enumerate() {
        let w: Vec<f64> = [0.0, 1.0, 2.0].iter().map(|x| k((q - x) / 0.5)).collect();
        let sum: f64 = w.iter().sum();
        let sq: f64 = w.iter().map(|v| v * v).sum();
        let lws = d["log_weight_sum"][i].as_f64().unwrap();
        assert!((lws - sum.ln()).abs() < 1e-5, "{lws} vs {}", sum.ln());
        let eff = d["effective_keys"][i].as_f64().unwrap();
        assert!((eff - sum * sum / sq).abs() < 1e-4 * eff, "{eff}");
        let dmin = d["nearest_distance"][i].as_f64().unwrap();
        assert!((dmin - if i == 0 { 0.0 } else { 0.5 }).abs() < 1e-7);
    }
    let out = dir.path().join("pred.csv");
    nw().args(["predict", "--diagnostics", "--bandwidth", "0.5"])
        .arg("--train")
        .arg(&train)
        .arg("--query")
        .arg(&query)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let cols = nw_data::read_columns(&out, &["effective_keys", "nearest_distance"]).unwrap();
    assert_eq!(cols[1], [0.0, 0.5]);
    assert!(
        cols[0][1] > cols[0][0],
        "midway between two keys, two count"
    );
}

#[test]
fn every_kernel_runs_from_the_command_line() {
    for kernel in [
        "gaussian",
        "epanechnikov",
        "uniform",
        "triangular",
        "biweight",
        "triweight",
        "tricube",
        "cosine",
        "laplace",
    ] {
        let json = stdout_json(
            nw().args([
                "predict",
                "--json",
                "--far",
                "nearest",
                "--bandwidth",
                "0.7",
                "--kernel",
                kernel,
            ])
            .arg("--train")
            .arg(chapter_train_csv())
            .arg("--query")
            .arg(reference("d2l_test.csv")),
        );
        assert_eq!(json["kernel"], kernel);
        assert_eq!(json["predictions"].as_array().unwrap().len(), 50);
        // Adam with a small rate: SGD's first step at lr 0.5 can jump a compact kernel out
        // of reach of some example, which is reported, not trained through.
        let json = stdout_json(
            nw().args([
                "train", "--json", "--w0", "1", "--epochs", "3", "--kernel", kernel,
            ])
            .args(["--optimizer", "adam", "--lr", "0.05"])
            .arg("--train")
            .arg(chapter_train_csv()),
        );
        assert_eq!(json["kernel"], kernel);
        assert!(json["w"].as_f64().unwrap().is_finite());
        let json = stdout_json(
            nw().args(["bandwidth", "--json", "--kernel", kernel])
                .arg("--train")
                .arg(chapter_train_csv()),
        );
        assert!(json["bandwidth"].as_f64().unwrap() > 0.0 && json["cv"].as_f64().unwrap() > 0.0);
    }
    // The chapter's tensors are the Gaussian's alone.
    let err = fails(
        nw().args([
            "predict", "--path", "chapter", "--kernel", "cosine", "--train",
        ])
        .arg(chapter_train_csv())
        .arg("--query")
        .arg(reference("d2l_test.csv")),
    );
    assert!(err.contains("gaussian"), "{err}");
}

#[test]
fn the_learnable_poolings_of_exercise_4_train_and_predict() {
    let dir = TempDir::new().unwrap();
    let json = stdout_json(
        nw().args([
            "train", "--json", "--model", "adaptive", "--epochs", "200", "--train",
        ])
        .arg(chapter_train_csv()),
    );
    assert_eq!(
        (json["model"].as_str(), json["optimizer"].as_str()),
        (Some("adaptive"), Some("adam"))
    );
    let epochs = json["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 200);
    let loss = |e: &Value| e["loss"].as_f64().unwrap();
    assert!(loss(&epochs[199]) < 0.8 * loss(&epochs[0]));
    let (a, b, c) = (
        json["a"].as_f64().unwrap(),
        json["b"].as_f64().unwrap(),
        json["center"].as_f64().unwrap(),
    );
    // The learned pooling predicts the chapter's test points better than its learned scale
    // (PyTorch's test MSE there: 0.0899).
    let pred = stdout_json(
        nw().args(["predict", "--json", "--pooling", "adaptive"])
            .args([
                "--a",
                &a.to_string(),
                "--b",
                &b.to_string(),
                "--center",
                &c.to_string(),
            ])
            .arg("--train")
            .arg(chapter_train_csv())
            .arg("--query")
            .arg(reference("d2l_test.csv")),
    );
    let truth: Vec<f64> = fs::read_to_string(reference("d2l_test.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let mse: f64 = pred["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&truth)
        .map(|(p, t)| (p.as_f64().unwrap() - t).powi(2))
        .sum::<f64>()
        / 50.0;
    assert!(mse < 0.0899, "{mse}");
    // One log-bandwidth, on mcycle: gradient descent finds the CV minimum statsmodels finds.
    let json = stdout_json(
        nw().args(["train", "--json", "--model", "log-bandwidth", "--train"])
            .arg(mcycle_csv())
            .arg("--out")
            .arg(dir.path().join("epochs.csv")),
    );
    let h = json["a"].as_f64().unwrap().exp();
    let want = statsmodels_mcycle()["cv_ls"]["bw"].as_f64().unwrap();
    assert!((h - want).abs() < 2e-3 * want, "{h} vs {want}");
    let cols =
        nw_data::read_columns(dir.path().join("epochs.csv"), &["epoch", "grad_a", "b"]).unwrap();
    assert_eq!(cols[0].len(), 300);
    assert!(cols[2].iter().all(|&b| b == 0.0));
    // Flags of other models are refused, not ignored.
    let err = fails(
        nw().args(["train", "--model", "adaptive", "--w0", "1", "--train"])
            .arg(chapter_train_csv()),
    );
    assert!(err.contains("--model scale"), "{err}");
    let err = predict_fails("x,y\n0,1\n", "x\n1\n", &["--a", "1"]);
    assert!(err.contains("--pooling adaptive"), "{err}");
}
