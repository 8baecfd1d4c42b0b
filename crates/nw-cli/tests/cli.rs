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
    assert!(text.contains("epoch 1, loss 42.113869"), "{text}");
    assert!(text.contains("epoch 5, loss 13.91208"), "{text}");
    assert!(text.contains("learned w = 11.4135"), "{text}");
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
        err.contains("train.csv:4: \"three\" is not a number (column y)"),
        "{err}"
    );
    let err = predict_fails("x,y\n0,1\n", "x\n1\nabc\n", &[]);
    assert!(
        err.contains("query.csv:3: \"abc\" is not a number (column x)"),
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
    assert!(err.contains("train.csv:1: bad header"), "{err}");
    let err = predict_fails("x,y\n0,1\n", "q\n1\n", &[]);
    assert!(
        err.contains("query.csv:1: bad header \"q\": no column \"x\""),
        "{err}"
    );
}

#[test]
fn nan_in_the_data_is_refused() {
    let err = predict_fails("x,y\n0,1\n1,NaN\n", "x\n1\n", &[]);
    assert!(
        err.contains("train.csv:3: \"NaN\" is not a finite f32 number (column y)"),
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
        err.contains("w.csv:3: \"bad\" is not a number (column k1)"),
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
    // PyTorch's losses for this data and w0 = 0.5 (the golden file), to 1e-5 relative: both
    // are f32 computations, rounded differently, so the sixth decimal may differ (the exact
    // epoch-1 loss is 42.1138674; PyTorch prints 42.113869).
    let g = golden();
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
    assert_eq!(files(&dir).len(), 6);
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
