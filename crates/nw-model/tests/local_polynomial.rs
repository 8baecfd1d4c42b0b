//! The estimator's local linear and quadratic fits: predictions, slopes, leave-one-out CV,
//! the corrected AIC and R^2 against f64 weighted least squares written here from the
//! textbook kernels, and local linear against statsmodels' `KernelReg(reg_type='ll')` on
//! `mcycle` and Boston housing (recorded in `data/statsmodels_ll.json` by
//! `benches/peers/statsmodels_ll.py`).

#![allow(clippy::print_stderr)]

use nw_data::{ColumnRef, ReadOptions, Select};
use nw_model::{Bandwidth, Far, Inputs, KernelKind, ModelError, NadarayaWatson, PredictOptions};
use serde_json::Value;

/// Columns of a CSV file of the workspace, `columns` row-major and the target.
fn read(file: &str, columns: &[&str], target: &str) -> (Vec<f64>, Vec<f64>) {
    let mut refs: Vec<ColumnRef> = columns.iter().map(|c| ColumnRef::name(c)).collect();
    refs.push(ColumnRef::name(target));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let frame =
        nw_data::read_frame(path, &Select::columns(refs), &ReadOptions::default()).expect(file);
    let d = columns.len();
    let x = (0..frame.rows())
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .map(|(i, j)| frame.columns[j][i])
        .collect();
    (x, frame.columns[d].clone())
}

/// The local polynomial fit of `degree` at `q` in f64: the weighted least squares of `y` on
/// `(1, t, t^2 / 2...)` with `t = x - q` (one input: powers up to `degree`; several: degree
/// 1), weights `exp(sum_l ln_k((q_l - x_l) / h_l))`, leaving out row `skip`; returns
/// `(coefficients, each row's weight in the fit l_i(q))`, or `None` when the system is
/// singular (or no row is in reach).
fn wls(
    kind: KernelKind,
    degree: usize,
    h: &[f64],
    x: &[f64],
    y: &[f64],
    q: &[f64],
    skip: Option<usize>,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let d = h.len();
    let p = if d == 1 { degree + 1 } else { d + 1 };
    let design = |row: &[f64]| -> Vec<f64> {
        if d == 1 {
            (0..=degree)
                .map(|k| (row[0] - q[0]).powi(k as i32))
                .collect()
        } else {
            std::iter::once(1.0)
                .chain(row.iter().zip(q).map(|(a, b)| a - b))
                .collect()
        }
    };
    let n = y.len();
    let scores: Vec<f64> = (0..n)
        .map(|i| {
            if Some(i) == skip {
                return f64::NEG_INFINITY;
            }
            (0..d)
                .map(|l| kind.ln_k((q[l] - x[i * d + l]) / h[l]))
                .sum()
        })
        .collect();
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return None;
    }
    let w: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let mut m = vec![vec![0.0; p]; p];
    for i in 0..n {
        let z = design(&x[i * d..(i + 1) * d]);
        for a in 0..p {
            for b in 0..p {
                m[a][b] += w[i] * z[a] * z[b];
            }
        }
    }
    let inv = invert(m)?;
    // The fit's weights: l_i = w_i (M^-1 z_i)_k for coefficient k; keep all coefficients.
    let mut coef = vec![0.0; p];
    let mut l0 = vec![0.0; n];
    for i in 0..n {
        let z = design(&x[i * d..(i + 1) * d]);
        for k in 0..p {
            let li: f64 = (0..p).map(|b| inv[k][b] * z[b]).sum::<f64>() * w[i];
            coef[k] += li * y[i];
            if k == 0 {
                l0[i] = li;
            }
        }
    }
    Some((coef, l0))
}

/// The inverse of a small symmetric matrix by Gauss-Jordan with partial pivoting; `None` when
/// it is singular relative to its diagonal.
fn invert(mut m: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let p = m.len();
    let scale = (0..p).map(|i| m[i][i].abs()).fold(0.0, f64::max);
    let mut inv: Vec<Vec<f64>> = (0..p)
        .map(|i| (0..p).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for c in 0..p {
        let r = (c..p).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))?;
        if m[r][c].abs() <= 1e-12 * scale {
            return None;
        }
        m.swap(c, r);
        inv.swap(c, r);
        let pivot = m[c][c];
        for j in 0..p {
            m[c][j] /= pivot;
            inv[c][j] /= pivot;
        }
        for r in 0..p {
            if r != c {
                let f = m[r][c];
                for j in 0..p {
                    m[r][j] -= f * m[c][j];
                    inv[r][j] -= f * inv[c][j];
                }
            }
        }
    }
    Some(inv)
}

fn model(kind: KernelKind, degree: usize, h: &[f64], x: &[f64], y: &[f64]) -> NadarayaWatson {
    NadarayaWatson::params()
        .kernel(kind)
        .degree(degree)
        .bandwidth(Bandwidth::PerInput(h.to_vec()))
        .far(Far::Nan)
        .fit(Inputs::new(x, h.len()).unwrap(), y)
        .unwrap()
}

fn close(a: f64, b: f64, rel: f64, scale: f64) -> bool {
    (a - b).abs() <= rel * scale.max(b.abs())
}

fn statsmodels() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/statsmodels_ll.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .flat_map(|e| match e {
            Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap()).collect(),
            x => vec![x.as_f64().unwrap()],
        })
        .collect()
}

#[test]
fn local_linear_and_quadratic_fits_and_slopes_match_f64_least_squares() {
    let (x, y) = read("tests/data/mcycle.csv", &["x"], "y");
    let queries: Vec<f64> = (0..60).map(|i| 1.0 + i as f64).collect();
    for kind in [KernelKind::Gaussian, KernelKind::Epanechnikov] {
        for degree in [1, 2] {
            let h = [3.0];
            let m = model(kind, degree, &h, &x, &y);
            let options = PredictOptions {
                slopes: true,
                ..Default::default()
            };
            let out = m.predict_with(Inputs::column(&queries), &options).unwrap();
            let slopes = out.slopes.unwrap();
            let y_scale = y.iter().fold(0.0f64, |a, &v| a.max(v.abs()));
            for (i, &q) in queries.iter().enumerate() {
                match wls(kind, degree, &h, &x, &y, &[q], None) {
                    Some((coef, _)) => {
                        assert!(
                            close(out.y[i], coef[0], 1e-4, y_scale),
                            "{kind:?} degree {degree} at {q}: {} vs {}",
                            out.y[i],
                            coef[0]
                        );
                        assert!(
                            close(slopes[i], coef[1], 1e-4, y_scale / h[0]),
                            "{kind:?} degree {degree} slope at {q}: {} vs {}",
                            slopes[i],
                            coef[1]
                        );
                    }
                    None => assert!(out.y[i].is_nan()),
                }
            }
        }
    }
}

#[test]
fn local_linear_with_two_inputs_matches_f64_least_squares() {
    let (x, y) = read("../../data/boston.csv", &["lstat", "rm"], "medv");
    let h = [3.0, 0.5];
    let m = model(KernelKind::Gaussian, 1, &h, &x, &y);
    let queries = [
        5.0, 6.0, 10.0, 6.5, 20.0, 5.5, 2.0, 8.0, 30.0, 5.0, 37.0, 3.6,
    ];
    let options = PredictOptions {
        slopes: true,
        ..Default::default()
    };
    let out = m
        .predict_with(Inputs::new(&queries, 2).unwrap(), &options)
        .unwrap();
    let slopes = out.slopes.unwrap();
    for (i, q) in queries.chunks_exact(2).enumerate() {
        let (coef, _) = wls(KernelKind::Gaussian, 1, &h, &x, &y, q, None).unwrap();
        assert!(
            close(out.y[i], coef[0], 1e-4, 50.0),
            "{} vs {}",
            out.y[i],
            coef[0]
        );
        for j in 0..2 {
            assert!(
                close(slopes[2 * i + j], coef[1 + j], 1e-4, 50.0 / h[j]),
                "slope {j} at {q:?}: {} vs {}",
                slopes[2 * i + j],
                coef[1 + j]
            );
        }
    }
}

#[test]
fn slopes_follow_finite_differences_of_the_fit() {
    // The local slope estimates dy/dx; on a smooth function sampled densely with a small
    // bandwidth the fit's own derivative agrees with it to the bias of both (O(h^2)).
    let x: Vec<f64> = (0..2000).map(|i| i as f64 * 5.0 / 2000.0).collect();
    let y: Vec<f64> = x.iter().map(|&v| 2.0 * v.sin() + v.powf(0.8)).collect();
    for degree in [1, 2] {
        let m = model(KernelKind::Gaussian, degree, &[0.05], &x, &y);
        let step = 1e-2;
        let qs: Vec<f64> = (1..20).map(|i| 0.25 * i as f64).collect();
        let around: Vec<f64> = qs.iter().flat_map(|&q| [q - step, q + step]).collect();
        let options = PredictOptions {
            slopes: true,
            ..Default::default()
        };
        let at = m.predict_with(Inputs::column(&qs), &options).unwrap();
        let fd = m.predict(Inputs::column(&around)).unwrap().y;
        for (i, &q) in qs.iter().enumerate() {
            let numeric = (fd[2 * i + 1] - fd[2 * i]) / (2.0 * step);
            let slope = at.slopes.as_ref().unwrap()[i];
            let truth = 2.0 * q.cos() + 0.8 * q.powf(-0.2);
            assert!(
                (slope - numeric).abs() < 0.01,
                "degree {degree} at {q}: slope {slope}, finite difference {numeric}"
            );
            assert!(
                (slope - truth).abs() < 0.01,
                "degree {degree} at {q}: {slope} vs {truth}"
            );
        }
    }
}

#[test]
fn leave_one_out_cv_aic_and_r_squared_match_brute_force_refits() {
    let (x, y) = read("tests/data/mcycle.csv", &["x"], "y");
    let n = y.len();
    for degree in [0, 1, 2] {
        let h = [2.5];
        let m = model(KernelKind::Gaussian, degree, &h, &x, &y);
        // CV: each row refitted without itself.
        let loo = m.cross_validate(&h).unwrap();
        let cv: f64 = (0..n)
            .map(|i| {
                let (coef, _) =
                    wls(KernelKind::Gaussian, degree, &h, &x, &y, &[x[i]], Some(i)).unwrap();
                (coef[0] - y[i]).powi(2)
            })
            .sum::<f64>()
            / n as f64;
        assert!(
            close(loo.cv, cv, 1e-5, 0.0),
            "degree {degree}: CV {} vs {cv}",
            loo.cv
        );
        // AIC and R^2 from the full fit and its smoother's diagonal.
        let (mut rss, mut trace) = (0.0, 0.0);
        for i in 0..n {
            let (coef, l) = wls(KernelKind::Gaussian, degree, &h, &x, &y, &[x[i]], None).unwrap();
            rss += (coef[0] - y[i]).powi(2);
            trace += l[i];
        }
        let nf = n as f64;
        let aic = (rss / nf).ln() + (1.0 + trace / nf) / (1.0 - (trace + 2.0) / nf);
        let mean = y.iter().sum::<f64>() / nf;
        let tss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
        let stats = m.fit_stats().unwrap();
        assert!(
            close(stats.trace, trace, 1e-5, 0.0),
            "{} vs {trace}",
            stats.trace
        );
        assert!(close(stats.aic, aic, 1e-5, 1.0), "{} vs {aic}", stats.aic);
        assert!(close(stats.r_squared, 1.0 - rss / tss, 1e-5, 1.0));
        assert_eq!(stats.no_fit, 0);
    }
}

#[test]
fn two_input_cv_and_aic_match_brute_force_refits() {
    let (x, y) = read("../../data/boston.csv", &["lstat", "rm"], "medv");
    let n = y.len();
    let h = [3.0, 0.5];
    let m = model(KernelKind::Gaussian, 1, &h, &x, &y);
    let loo = m.cross_validate(&h).unwrap();
    let (mut sse, mut rss, mut trace) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let q = &x[2 * i..2 * i + 2];
        let (coef, _) = wls(KernelKind::Gaussian, 1, &h, &x, &y, q, Some(i)).unwrap();
        sse += (coef[0] - y[i]).powi(2);
        let (coef, l) = wls(KernelKind::Gaussian, 1, &h, &x, &y, q, None).unwrap();
        rss += (coef[0] - y[i]).powi(2);
        trace += l[i];
    }
    assert!(
        close(loo.cv, sse / n as f64, 1e-5, 0.0),
        "{} vs {}",
        loo.cv,
        sse / n as f64
    );
    let stats = m.fit_stats().unwrap();
    let nf = n as f64;
    let aic = (rss / nf).ln() + (1.0 + trace / nf) / (1.0 - (trace + 2.0) / nf);
    assert!(close(stats.aic, aic, 1e-5, 1.0), "{} vs {aic}", stats.aic);
    assert!(close(stats.trace, trace, 1e-5, 0.0));
}

#[test]
fn local_linear_matches_statsmodels_kernelreg_ll() {
    let reference = statsmodels();
    for case in reference["cases"].as_array().unwrap() {
        let inputs: Vec<&str> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let file = format!("../../{}", case["file"].as_str().unwrap());
        let (x, y) = read(&file, &inputs, case["target"].as_str().unwrap());
        let d = inputs.len();
        let queries = numbers(&case["queries"]);
        // At statsmodels' bandwidths: its fit and slopes, at the training rows and queries.
        let h = numbers(&case["bandwidths"]);
        let m = model(KernelKind::Gaussian, 1, &h, &x, &y);
        let options = PredictOptions {
            slopes: true,
            ..Default::default()
        };
        let y_scale = y.iter().fold(0.0f64, |a, &v| a.max(v.abs()));
        for (points, fit, slopes) in [
            (&x, "fit_train", "slopes_train"),
            (&queries, "fit_queries", "slopes_queries"),
        ] {
            let out = m
                .predict_with(Inputs::new(points, d).unwrap(), &options)
                .unwrap();
            for (ours, theirs) in out.y.iter().zip(numbers(&case[fit])) {
                assert!(
                    close(*ours, theirs, 1e-4, 1e-2 * y_scale),
                    "{}: {fit} {ours} vs statsmodels {theirs}",
                    case["name"]
                );
            }
            let s = out.slopes.unwrap();
            for (k, (ours, theirs)) in s.iter().zip(numbers(&case[slopes])).enumerate() {
                let scale = 1e-2 * y_scale / h[k % d];
                assert!(
                    close(*ours, theirs, 1e-4, scale),
                    "{}: {slopes} {ours} vs statsmodels {theirs}",
                    case["name"]
                );
            }
        }
        // CV at statsmodels' bandwidths is its own objective.
        let cv_theirs = case["cv_statsmodels"].as_f64().unwrap();
        let at_theirs = m.cross_validate(&h).unwrap().cv;
        assert!(
            close(at_theirs, cv_theirs, 1e-5, 0.0),
            "{at_theirs} vs {cv_theirs}"
        );
        // Our search finds a CV no larger than statsmodels' Nelder-Mead (to f32 rounding).
        let searched = NadarayaWatson::params()
            .degree(1)
            .fit(Inputs::new(&x, d).unwrap(), &y)
            .unwrap();
        let cv = searched.cv().unwrap();
        eprintln!(
            "{}: statsmodels h {h:?} CV {cv_theirs}; ours h {:?} CV {cv}",
            case["name"],
            searched.bandwidths()
        );
        assert!(
            cv <= cv_theirs * (1.0 + 1e-6),
            "{cv} > statsmodels' {cv_theirs}"
        );
    }
}

#[test]
fn weak_local_fits_say_so() {
    // Two clusters far apart: between them an Epanechnikov window holds no key, and at the
    // clusters' edge a local line is fitted to keys on one side.
    let x = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2];
    let y = [0.0, 1.0, 0.0, 5.0, 6.0, 5.0];
    let m = model(KernelKind::Epanechnikov, 1, &[0.5], &x, &y);
    let out = m.predict(Inputs::column(&[0.1, 5.0])).unwrap();
    assert!(out.y[0].is_finite());
    assert!(out.y[1].is_nan());
    assert_eq!(out.far, vec![1]);
    // Far::Error names the query and says why a local fit has none.
    let strict = m.clone().with_far(Far::Error);
    assert_eq!(
        strict.predict(Inputs::column(&[0.1, 5.0])).unwrap_err(),
        ModelError::NoLocalFit {
            count: 1,
            index: 1,
            degree: 1
        }
    );
    // Nadaraya-Watson names a far query by the caller's value, not as measured from the
    // inputs' origin (here their midpoint, 1e6 + 1).
    let far_x = [1e6, 1e6 + 1.0, 1e6 + 2.0];
    let nw_far = model(
        KernelKind::Epanechnikov,
        0,
        &[0.5],
        &far_x,
        &[1.0, 2.0, 3.0],
    )
    .with_far(Far::Error);
    assert_eq!(
        nw_far.predict(Inputs::column(&[1e6 + 10.0])).unwrap_err(),
        ModelError::FarQueries {
            count: 1,
            index: 0,
            query: 1e6 + 10.0
        }
    );
    // Degrees the estimator does not offer, and slopes of a local constant.
    let two = [0.0, 1.0, 1.0, 0.0];
    let err = NadarayaWatson::params()
        .degree(2)
        .bandwidth(Bandwidth::Fixed(1.0))
        .fit(Inputs::new(&two, 2).unwrap(), &[1.0, 2.0])
        .unwrap_err();
    assert_eq!(err, ModelError::Degree { degree: 2, dim: 2 });
    let nw = model(KernelKind::Gaussian, 0, &[1.0], &x, &y);
    let options = PredictOptions {
        slopes: true,
        ..Default::default()
    };
    assert_eq!(
        nw.predict_with(Inputs::column(&[1.0]), &options)
            .unwrap_err(),
        ModelError::SlopesDegree
    );
}
