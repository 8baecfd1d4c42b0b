//! Local polynomial fits, slopes, AIC and confidence bands through the binary: `--degree`,
//! `--slopes`, `--method aic`, `--bands`, against f64 weighted least squares written here, on
//! MASS `mcycle`.

mod common;

use std::path::PathBuf;

use common::{codes, fails_with, floats, json_and_stderr, nw, succeeds, write};
use tempfile::TempDir;

/// MASS `mcycle`, as the workspace keeps it (see data/README.md).
fn mcycle() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/mcycle.csv")
}

fn rows() -> (Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(mcycle()).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.parse::<f64>().unwrap(), b.parse::<f64>().unwrap())
        })
        .unzip()
}

/// The Gaussian local linear fit at `q` in f64: `(a, b, l)` with `l` each row's weight in `a`.
fn local_linear(x: &[f64], y: &[f64], h: f64, q: f64) -> (f64, f64, Vec<f64>) {
    let w: Vec<f64> = x
        .iter()
        .map(|&k| (-0.5 * ((k - q) / h).powi(2)).exp())
        .collect();
    let (mut s0, mut s1, mut s2, mut t0, mut t1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for ((&k, &v), &w) in x.iter().zip(y).zip(&w) {
        let t = k - q;
        s0 += w;
        s1 += w * t;
        s2 += w * t * t;
        t0 += w * v;
        t1 += w * t * v;
    }
    let d = s0 * s2 - s1 * s1;
    let l = x
        .iter()
        .zip(&w)
        .map(|(&k, &w)| w * (s2 - s1 * (k - q)) / d)
        .collect();
    ((s2 * t0 - s1 * t1) / d, (s0 * t1 - s1 * t0) / d, l)
}

const QUERIES: &str = "x\n2.4\n8\n15\n21.5\n30\n42\n57.6\n";

#[test]
fn local_linear_predictions_and_slopes_match_f64_least_squares() {
    let dir = TempDir::new().unwrap();
    let q = write(&dir, "q.csv", QUERIES);
    let (report, _) = json_and_stderr(
        nw().args([
            "predict",
            "--degree",
            "1",
            "--bandwidth",
            "2",
            "--slopes",
            "--json",
            "--train",
        ])
        .arg(mcycle())
        .arg("--query")
        .arg(&q),
    );
    assert_eq!(report["degree"], 1);
    let (x, y) = rows();
    let queries = floats(&report["queries"]);
    let fits = floats(&report["predictions"]);
    let slopes = floats(&report["slopes"]["x"]);
    for ((&q, &f), &s) in queries.iter().zip(&fits).zip(&slopes) {
        let (a, b, _) = local_linear(&x, &y, 2.0, q);
        assert!(
            (f - a).abs() <= 1e-4 * a.abs().max(10.0),
            "fit at {q}: {f} vs {a}"
        );
        assert!(
            (s - b).abs() <= 1e-4 * b.abs().max(5.0),
            "slope at {q}: {s} vs {b}"
        );
    }
    // The table has the slope column after the estimate.
    let (table, _) = succeeds(
        nw().args([
            "predict",
            "--degree",
            "1",
            "--bandwidth",
            "2",
            "--slopes",
            "--train",
        ])
        .arg(mcycle())
        .arg("--query")
        .arg(&q),
    );
    assert!(table.starts_with("x,y_hat,dy_dx\n"), "{table}");
}

#[test]
fn asymptotic_band_matches_the_f64_standard_error() {
    let dir = TempDir::new().unwrap();
    let q = write(&dir, "q.csv", QUERIES);
    let (report, _) = json_and_stderr(
        nw().args([
            "predict",
            "--degree",
            "1",
            "--bandwidth",
            "2",
            "--bands",
            "asymptotic",
            "--bias",
            "ignore",
            "--variance",
            "homoscedastic",
            "--json",
            "--train",
        ])
        .arg(mcycle())
        .arg("--query")
        .arg(&q),
    );
    let (x, y) = rows();
    let n = x.len() as f64;
    // sigma^2 = RSS / (n - tr H) from the full fit at the training rows.
    let (mut rss, mut trace) = (0.0, 0.0);
    for (i, &xi) in x.iter().enumerate() {
        let (a, _, l) = local_linear(&x, &y, 2.0, xi);
        rss += (y[i] - a).powi(2);
        trace += l[i];
    }
    let sigma2 = rss / (n - trace);
    let band = &report["band"];
    assert!((band["residual_variance"].as_f64().unwrap() - sigma2).abs() <= 1e-5 * sigma2);
    let z = band["critical"].as_f64().unwrap();
    assert!((z - 1.959963984540054).abs() < 1e-12);
    let (se, lo, hi) = (
        floats(&band["se"]),
        floats(&band["lo"]),
        floats(&band["hi"]),
    );
    for (i, &q) in floats(&report["queries"]).iter().enumerate() {
        let (a, _, l) = local_linear(&x, &y, 2.0, q);
        let want = (sigma2 * l.iter().map(|l| l * l).sum::<f64>()).sqrt();
        assert!(
            (se[i] - want).abs() <= 1e-4 * want,
            "se at {q}: {} vs {want}",
            se[i]
        );
        assert!((lo[i] - (a - z * want)).abs() <= 1e-3 * want, "lo at {q}");
        assert!((hi[i] - (a + z * want)).abs() <= 1e-3 * want, "hi at {q}");
    }
    // Ignoring the bias is a weak answer about the function, and says so.
    assert!(codes(&report).contains(&"band_covers_expectation".to_string()));
}

#[test]
fn bootstrap_bands_are_reproducible_from_the_seed() {
    let dir = TempDir::new().unwrap();
    let q = write(&dir, "q.csv", QUERIES);
    let run = |seed: &str, extra: &[&str]| {
        let (out, _) = succeeds(
            nw().args([
                "predict",
                "--degree",
                "1",
                "--bandwidth",
                "2",
                "--bands",
                "bootstrap",
                "--replicates",
                "499",
                "--seed",
                seed,
            ])
            .args(extra)
            .arg("--train")
            .arg(mcycle())
            .arg("--query")
            .arg(&q),
        );
        out
    };
    let a = run("7", &[]);
    assert_eq!(a, run("7", &[]));
    assert_ne!(a, run("8", &[]));
    assert!(a.starts_with("x,y_hat,center,se,lo,hi\n"), "{a}");
    // A simultaneous band is wider than the pointwise one at every query.
    let width = |text: &str| -> Vec<f64> {
        text.lines()
            .skip(1)
            .map(|l| {
                let v: Vec<f64> = l.split(',').map(|s| s.parse().unwrap()).collect();
                v[5] - v[4]
            })
            .collect()
    };
    let pointwise = width(&a);
    let simultaneous = width(&run("7", &["--simultaneous"]));
    for (p, s) in pointwise.iter().zip(&simultaneous) {
        assert!(s > p, "{s} <= {p}");
    }
}

#[test]
fn bandwidth_by_cv_and_aic_for_local_linear() {
    let (report, _) = json_and_stderr(
        nw().args(["bandwidth", "--degree", "1", "--json", "--train"])
            .arg(mcycle()),
    );
    assert_eq!(report["degree"], 1);
    // statsmodels' KernelReg(reg_type='ll', bw='cv_ls') reaches 561.339454 at h = 1.47580.
    let cv = report["cv"].as_f64().unwrap();
    assert!(cv <= 561.339454 * (1.0 + 1e-7), "{cv}");
    let r2 = report["fit"]["r_squared"].as_f64().unwrap();
    assert!((0.5..1.0).contains(&r2), "{r2}");
    let (aic, _) = json_and_stderr(
        nw().args([
            "bandwidth",
            "--degree",
            "1",
            "--method",
            "aic",
            "--json",
            "--train",
        ])
        .arg(mcycle()),
    );
    assert_eq!(aic["method"], "aic");
    let value = aic["aic"].as_f64().unwrap();
    assert!((value - aic["fit"]["aic"].as_f64().unwrap()).abs() < 1e-9);
    assert!(value.is_finite());
}

#[test]
fn local_fit_flags_refuse_what_they_cannot_do() {
    let dir = TempDir::new().unwrap();
    let q = write(&dir, "q.csv", QUERIES);
    let out = dir.path().join("out.csv");
    let predict = |args: &[&str]| {
        let mut cmd = nw();
        cmd.arg("predict")
            .args(args)
            .arg("--train")
            .arg(mcycle())
            .arg("--query")
            .arg(&q)
            .arg("--out")
            .arg(&out);
        cmd
    };
    let err = fails_with(&mut predict(&["--slopes"]), 1);
    assert!(err.contains("--degree 1 or 2"), "{err}");
    let err = fails_with(&mut predict(&["--method", "aic", "--bandwidth", "2"]), 1);
    assert!(err.contains("--bandwidth auto"), "{err}");
    let err = fails_with(&mut predict(&["--degree", "1", "--weights", "w.csv"]), 1);
    assert!(err.contains("--degree 0"), "{err}");
    let err = fails_with(&mut predict(&["--degree", "1", "--pooling", "average"]), 1);
    assert!(err.contains("fused path"), "{err}");
    // Usage errors from the parser.
    fails_with(&mut predict(&["--degree", "3"]), 2);
    fails_with(
        &mut predict(&["--bands", "asymptotic", "--level", "1.5"]),
        2,
    );
    fails_with(&mut predict(&["--replicates", "99"]), 2);
    // Too few replicates to put one beyond a 99.9% band's ends.
    let err = fails_with(
        &mut predict(&[
            "--degree",
            "1",
            "--bands",
            "bootstrap",
            "--level",
            "0.999",
            "--replicates",
            "99",
        ]),
        1,
    );
    assert!(err.contains("at least 1999 replicates"), "{err}");
    assert!(!out.exists(), "a refused run wrote its output");
    // Local quadratic needs one input.
    let boston = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/boston.csv");
    let qb = write(&dir, "qb.csv", "lstat,rm\n5,6\n");
    let err = fails_with(
        nw().args([
            "predict", "--degree", "2", "--x", "lstat,rm", "--y", "medv", "--train",
        ])
        .arg(&boston)
        .arg("--query")
        .arg(&qb),
        1,
    );
    assert!(err.contains("degree 2 with 2 input(s)"), "{err}");
}

#[test]
fn a_query_with_no_local_fit_is_reported() {
    let dir = TempDir::new().unwrap();
    // Two clusters: between them an Epanechnikov window holds no key.
    let train = write(
        &dir,
        "t.csv",
        "x,y\n0,0\n0.1,1\n0.2,0\n10,5\n10.1,6\n10.2,5\n",
    );
    let q = write(&dir, "q.csv", "x\n0.1\n5\n");
    let (report, _) = json_and_stderr(
        nw().args([
            "predict",
            "--degree",
            "1",
            "--kernel",
            "epanechnikov",
            "--bandwidth",
            "0.5",
            "--far",
            "nan",
            "--slopes",
            "--bands",
            "asymptotic",
            "--json",
            "--train",
        ])
        .arg(&train)
        .arg("--query")
        .arg(&q),
    );
    assert_eq!(report["far_queries"], 1);
    let c = codes(&report);
    assert!(c.contains(&"far_queries".to_string()), "{c:?}");
    assert!(c.contains(&"no_band".to_string()), "{c:?}");
    assert!(report["slopes"]["x"][1].is_null());
    assert!(report["band"]["se"][1].is_null());
}
