//! `--algorithm auto|direct|sweep` through the binary (issue 13): `nw predict`, `nw bandwidth`
//! and `nw train` give the direct pass's numbers with the sorted sweep, checked against f64
//! written here; the JSON reports say which was asked for; and `sweep` where it does not apply
//! is a clear error, while `auto` quietly takes the direct path there.

mod common;

use std::path::{Path, PathBuf};

use common::{fails_with, floats, json_and_stderr, nw, succeeds, write, xy};
use serde_json::Value;
use tempfile::TempDir;

/// 400 rows of `sin 2x` plus noise, inputs scattered on `[0, 6)`, from a fixed formula.
fn rows() -> Vec<(f64, f64)> {
    let frac = |v: f64| v - v.floor();
    (0..400)
        .map(|i| {
            let i = f64::from(i);
            let x = 6.0 * frac(i * 0.618_033_988_7 + 0.1);
            let noise = frac((i * 12.9898).sin() * 43_758.545_3) - 0.5;
            (x, (2.0 * x).sin() + 0.6 * noise)
        })
        .collect()
}

fn train_file(dir: &TempDir) -> PathBuf {
    xy(dir, "train.csv", rows())
}

/// Queries past both ends of the inputs, at an odd step.
fn query_file(dir: &TempDir) -> (PathBuf, Vec<f64>) {
    let q: Vec<f64> = (0..151).map(|i| -0.5 + f64::from(i) * 0.046_1).collect();
    let text: String = std::iter::once("x".to_string())
        .chain(q.iter().map(|v| v.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    (write(dir, "q.csv", &(text + "\n")), q)
}

/// Nadaraya-Watson at `q` in f64, leaving out row `skip`: the Gaussian or Epanechnikov
/// kernel; `None` without a row in reach.
fn nw_f64(compact: bool, h: f64, data: &[(f64, f64)], q: f64, skip: usize) -> Option<f64> {
    let (mut z, mut v) = (0.0, 0.0);
    for (j, &(x, y)) in data.iter().enumerate() {
        // The kernels see the inputs as f32.
        let u = (q - f64::from(x as f32)) / h;
        let w = if compact {
            (1.0 - u * u).max(0.0)
        } else {
            (-0.5 * u * u).exp()
        };
        if j != skip {
            z += w;
            v += w * f64::from(y as f32);
        }
    }
    (z > 0.0).then(|| v / z)
}

/// Leave-one-out CV in f64.
fn cv_f64(compact: bool, h: f64, data: &[(f64, f64)]) -> f64 {
    let (mut sum, mut scored) = (0.0, 0);
    for (i, &(x, y)) in data.iter().enumerate() {
        if let Some(p) = nw_f64(compact, h, data, f64::from(x as f32), i) {
            sum += (p - f64::from(y as f32)).powi(2);
            scored += 1;
        }
    }
    sum / f64::from(scored)
}

fn run_json(args: &[&str], train: &Path, extra: &[&str]) -> Value {
    json_and_stderr(
        nw().args(args)
            .arg("--train")
            .arg(train)
            .args(extra)
            .arg("--json"),
    )
    .0
}

#[test]
fn predictions_with_sweep_and_direct_agree_with_f64() {
    let dir = TempDir::new().unwrap();
    let train = train_file(&dir);
    let (query, q) = query_file(&dir);
    let data = rows();
    let mut differs = 0;
    for (kernel, compact) in [("gaussian", false), ("epanechnikov", true)] {
        let predict = |algorithm: &str, pooling: &[&str]| {
            let mut args = vec![
                "--query",
                query.to_str().unwrap(),
                "--kernel",
                kernel,
                "--far",
                "nan",
                "--algorithm",
                algorithm,
            ];
            args.extend(pooling);
            let report = run_json(&["predict"], &train, &args);
            assert_eq!(report["algorithm"], algorithm, "{report}");
            floats(&report["predictions"])
        };
        // The estimator (nonparametric), and a chapter's pooling beside it (parametric).
        for (pooling, h) in [
            (&["--bandwidth", "0.3"][..], 0.3),
            (&["--pooling", "parametric", "--w", "4"][..], 0.25),
        ] {
            let (s, d) = (predict("sweep", pooling), predict("direct", pooling));
            assert_eq!(s.len(), q.len());
            for (i, &qi) in q.iter().enumerate() {
                let what = format!("{kernel} {pooling:?} q {qi}");
                match nw_f64(compact, h, &data, f64::from(qi as f32), usize::MAX) {
                    None => assert!(s[i].is_nan() && d[i].is_nan(), "{what}: no estimate"),
                    Some(want) => {
                        // Values within 1.6 of 0: 1e-5 of their scale.
                        assert!((s[i] - want).abs() <= 1.6e-5, "{what}: sweep {}", s[i]);
                        assert!((d[i] - want).abs() <= 1.6e-5, "{what}: direct {}", d[i]);
                        assert!((s[i] - d[i]).abs() <= 1.6e-5, "{what}: paths");
                        differs += usize::from(s[i] != d[i]);
                    }
                }
            }
        }
    }
    assert!(
        differs > 0,
        "sweep printed the direct pass's digits everywhere"
    );
}

#[test]
fn bandwidths_by_sweep_and_direct_agree_and_the_sweep_scores_in_f64() {
    let dir = TempDir::new().unwrap();
    let train = train_file(&dir);
    let data = rows();
    for (kernel, compact) in [("gaussian", false), ("epanechnikov", true)] {
        let choose = |algorithm: &str| {
            let report = run_json(
                &["bandwidth"],
                &train,
                &["--kernel", kernel, "--algorithm", algorithm],
            );
            assert_eq!(report["algorithm"], algorithm, "{report}");
            (
                report["bandwidth"].as_f64().unwrap(),
                report["cv"].as_f64().unwrap(),
            )
        };
        let ((hs, cs), (hd, cd)) = (choose("sweep"), choose("direct"));
        assert!((cs - cd).abs() <= 1e-6 * cd, "{kernel}: cv {cs} vs {cd}");
        // The sweep's CV is the f64 one, and its choice is no worse than the direct pass's
        // by it; the direct pass's is as good within its f32 rounding of CV (~1e-8).
        let (fs, fd) = (cv_f64(compact, hs, &data), cv_f64(compact, hd, &data));
        assert!((cs - fs).abs() <= 1e-9 * fs, "{kernel}: {cs} vs f64 {fs}");
        assert!(
            fs <= fd * (1.0 + 1e-9),
            "{kernel}: f64 {fs} at {hs}, {fd} at {hd}"
        );
        assert!(
            fd <= fs * (1.0 + 1e-7),
            "{kernel}: f64 {fs} at {hs}, {fd} at {hd}"
        );
        // Near its minimum CV is flat to ~1e-9 over 1e-4 of h or more, below that rounding:
        // the direct pass's choice wanders within it.
        assert!((hs - hd).abs() <= 1e-3 * hd, "{kernel}: h {hs} vs {hd}");
    }
    // Auto on 400 rows: the cost model keeps the direct pass.
    let auto = run_json(&["bandwidth"], &train, &[]);
    let direct = run_json(&["bandwidth"], &train, &["--algorithm", "direct"]);
    assert_eq!(auto["algorithm"], "auto");
    assert_eq!(auto["bandwidth"], direct["bandwidth"]);
}

#[test]
fn training_the_scale_by_sweep_follows_the_direct_pass() {
    let dir = TempDir::new().unwrap();
    let train = train_file(&dir);
    let run = |algorithm: &str| {
        run_json(
            &["train"],
            &train,
            &[
                "--w0",
                "2",
                "--epochs",
                "3",
                "--lr",
                "0.01",
                "--algorithm",
                algorithm,
            ],
        )
    };
    let (s, d) = (run("sweep"), run("direct"));
    assert_eq!(s["algorithm"], "sweep");
    assert_eq!(d["algorithm"], "direct");
    let epochs = |r: &Value, field: &str| -> Vec<f64> {
        r["epochs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[field].as_f64().unwrap())
            .collect()
    };
    for (a, b) in epochs(&s, "loss").iter().zip(epochs(&d, "loss")) {
        assert!((a - b).abs() <= 1e-6 * b, "loss {a} vs {b}");
    }
    for (a, b) in epochs(&s, "w").iter().zip(epochs(&d, "w")) {
        assert!((a - b).abs() <= 1e-5 * b.abs(), "w {a} vs {b}");
    }
    // The first epoch at w = 2 (h = 1/2), against the f64 leave-one-out loss.
    let data = rows();
    let want = cv_f64(false, 0.5, &data) * data.len() as f64;
    let first = epochs(&s, "loss")[0];
    assert!((first - want).abs() <= 1e-9 * want, "{first} vs {want}");
}

#[test]
fn sweep_where_it_does_not_apply_is_a_clear_error_and_auto_goes_direct() {
    let dir = TempDir::new().unwrap();
    let train = train_file(&dir);
    let (query, _) = query_file(&dir);
    let out = dir.path().join("p.csv");
    let q = query.to_str().unwrap();
    let refused = |args: &[&str], what: &str| {
        let err = fails_with(
            nw().args(args)
                .arg("--train")
                .arg(&train)
                .args(["--algorithm", "sweep"]),
            1,
        );
        assert!(
            err.contains(&format!("error: algorithm sweep does not cover {what}"))
                && err.contains("use algorithm direct, or auto"),
            "{args:?}: {err}"
        );
    };
    let o = out.to_str().unwrap();
    refused(
        &["predict", "--query", q, "--degree", "1", "--out", o],
        "local linear or quadratic fits (degree 1 or 2)",
    );
    assert!(!out.exists(), "nothing is written");
    refused(&["bandwidth", "--degree", "1"], "local linear or quadratic");
    refused(&["bandwidth", "--method", "aic"], "the corrected AIC");
    refused(
        &["predict", "--query", q, "--diagnostics", "--out", o],
        "diagnostics",
    );
    let weights = dir.path().join("w.csv");
    let w = weights.to_str().unwrap();
    refused(
        &["predict", "--query", q, "--weights", w, "--out", o],
        "the attention weight matrix",
    );
    assert!(!weights.exists(), "nothing is written");
    assert!(!out.exists(), "nothing is written");
    refused(
        &["predict", "--query", q, "--path", "chapter"],
        "the chapter's tensor path",
    );
    refused(
        &["predict", "--query", q, "--pooling", "average"],
        "average",
    );
    refused(&["train", "--model", "adaptive"], "the adaptive kernel");
    refused(
        &["train", "--model", "log-bandwidth"],
        "the adaptive kernel",
    );
    refused(&["train", "--path", "chapter"], "the chapter's tensor path");

    // Auto with degree 1: the direct pass, byte for byte.
    let local = |algorithm: &str| {
        succeeds(
            nw().args([
                "predict",
                "--query",
                q,
                "--degree",
                "1",
                "--bandwidth",
                "auto",
            ])
            .arg("--train")
            .arg(&train)
            .args(["--algorithm", algorithm, "--json"]),
        )
        .0
    };
    let (auto, direct) = (local("auto"), local("direct"));
    assert_eq!(
        auto.replace("\"algorithm\": \"auto\"", ""),
        direct.replace("\"algorithm\": \"direct\"", "")
    );
    assert!(auto.contains("\"algorithm\": \"auto\""), "{auto}");
}

#[test]
fn sweep_with_several_inputs_is_refused() {
    let dir = TempDir::new().unwrap();
    let mut text = String::from("a,b,y\n");
    for (i, (x, y)) in rows().into_iter().enumerate() {
        text += &format!("{x},{},{y}\n", (i % 7) as f64);
    }
    let train = write(&dir, "t.csv", &text);
    for command in [&["bandwidth"][..], &["train", "--model", "log-bandwidth"]] {
        let err = fails_with(
            nw().args(command).arg("--train").arg(&train).args([
                "--x",
                "a,b",
                "--algorithm",
                "sweep",
            ]),
            1,
        );
        assert!(
            err.contains("algorithm sweep does not cover several inputs"),
            "{command:?}: {err}"
        );
    }
}
