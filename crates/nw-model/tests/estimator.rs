//! The estimator: with one input it gives the one-dimensional paths' numbers bit for bit;
//! with several, predictions and leave-one-out CV against an f64 computation written here from
//! the textbook kernels, CV's gradient against finite differences, and the CV search against
//! statsmodels' `KernelReg` on Boston housing (recorded in `data/statsmodels_boston.json`).

#![allow(clippy::print_stderr)]

mod common;

use nw_data::{ColumnRef, ReadOptions, Select};
use nw_model::bandwidth::{self, Search};
use nw_model::estimator::Warning;
use nw_model::{
    Bandwidth, Far, Inputs, KernelKind, ModelError, NadarayaWatson, NonparametricPooling, Par,
    Pooling,
};
use serde_json::Value;

/// Boston housing's `columns` (row-major) and `medv`.
fn boston(columns: &[&str]) -> (Vec<f64>, Vec<f64>) {
    let mut refs: Vec<ColumnRef> = columns.iter().map(|c| ColumnRef::name(c)).collect();
    refs.push(ColumnRef::name("medv"));
    // The workspace's copy of MASS `Boston` (see data/README.md).
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/boston.csv");
    let frame = nw_data::read_frame(path, &Select::columns(refs), &ReadOptions::default())
        .expect("boston.csv");
    let d = columns.len();
    let n = frame.rows();
    let x = (0..n)
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .map(|(i, j)| frame.columns[j][i])
        .collect();
    (x, frame.columns[d].clone())
}

/// Nadaraya-Watson with the product kernel at `q`, in f64 from [`KernelKind::ln_k`],
/// leaving out row `skip`; `None` without a row in reach.
fn nw_f64(
    kind: KernelKind,
    h: &[f64],
    x: &[f64],
    y: &[f64],
    q: &[f64],
    skip: Option<usize>,
) -> Option<f64> {
    let d = h.len();
    let scores: Vec<(f64, f64)> = x
        .chunks_exact(d)
        .zip(y)
        .enumerate()
        .filter(|&(i, _)| Some(i) != skip)
        .map(|(_, (row, &v))| {
            let s: f64 = (0..d).map(|l| kind.ln_k((q[l] - row[l]) / h[l])).sum();
            (s, v)
        })
        .collect();
    let max = scores.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return None;
    }
    let (num, den) = scores.iter().fold((0.0, 0.0), |(n, z), &(s, v)| {
        let e = (s - max).exp();
        (n + e * v, z + e)
    });
    Some(num / den)
}

/// Leave-one-out CV in f64: the mean squared error over the rows with an estimate.
fn cv_f64(kind: KernelKind, h: &[f64], x: &[f64], y: &[f64]) -> f64 {
    let d = h.len();
    let (sum, count) = (0..y.len())
        .filter_map(|i| nw_f64(kind, h, x, y, &x[i * d..(i + 1) * d], Some(i)).map(|p| (i, p)))
        .fold((0.0, 0usize), |(s, c), (i, p)| {
            (s + (p - y[i]).powi(2), c + 1)
        });
    sum / count as f64
}

fn fixed(kind: KernelKind, h: &[f64]) -> nw_model::Params {
    NadarayaWatson::params()
        .kernel(kind)
        .bandwidth(Bandwidth::PerInput(h.to_vec()))
}

#[test]
fn one_input_gives_the_pooling_s_numbers_bit_for_bit() {
    let (x, y) = common::train();
    let (q, _) = common::test();
    let (x64, y64): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(&y)
        .map(|(&a, &b)| (f64::from(a), f64::from(b)))
        .unzip();
    let q64: Vec<f64> = q.iter().map(|&v| f64::from(v)).collect();
    for (kind, h) in [
        (KernelKind::Gaussian, 1.0f32),
        (KernelKind::Gaussian, 0.3),
        (KernelKind::Epanechnikov, 0.7),
        (KernelKind::Laplace, 0.25),
    ] {
        let model = NadarayaWatson::params()
            .kernel(kind)
            .bandwidth(Bandwidth::Fixed(f64::from(h)))
            .far(Far::Nan)
            .fit(Inputs::column(&x64), &y64)
            .unwrap();
        let ours = model.predict(Inputs::column(&q64)).unwrap().y;
        let options = nw_model::PoolOptions {
            far: Far::Nan,
            ..Default::default()
        };
        let pooling = NonparametricPooling::with_kernel(kind, h).unwrap();
        let want = pooling.pool_with(&q, &x, &y, &options).unwrap().y_hat;
        for (a, b) in ours.iter().zip(&want) {
            assert_eq!(
                (*a as f32).to_bits(),
                b.to_bits(),
                "{kind:?} h {h}: {a} vs {b}"
            );
            assert_eq!(*a, f64::from(*b));
        }
    }
    // The cross-validated choice is the one-input search's, to the bit.
    let model = NadarayaWatson::params()
        .fit(Inputs::column(&x64), &y64)
        .unwrap();
    let found =
        bandwidth::select(KernelKind::Gaussian, &x, &y, &Search::default(), Par::Rayon).unwrap();
    assert_eq!(model.bandwidths(), [f64::from(found.h)]);
    assert_eq!(model.cv(), Some(found.cv));
    assert_eq!(model.chosen().evaluations, found.curve.len());
    let rule = NadarayaWatson::params()
        .bandwidth(Bandwidth::Silverman)
        .fit(Inputs::column(&x64), &y64)
        .unwrap();
    assert_eq!(
        rule.bandwidths(),
        [f64::from(
            bandwidth::silverman(&x, KernelKind::Gaussian).unwrap()
        )]
    );
}

#[test]
fn unix_seconds_keep_their_resolution() {
    let x: Vec<f64> = (0..400).map(|i| 1.7e9 + 600.0 * f64::from(i)).collect();
    let y: Vec<f64> = (0..400)
        .map(|i| (f64::from(i) / 25.0).sin() + 20.0)
        .collect();
    let model = fixed(KernelKind::Gaussian, &[1800.0])
        .fit(Inputs::column(&x), &y)
        .unwrap();
    let q: Vec<f64> = (0..399).map(|i| x[i] + 300.0).collect();
    let ours = model.predict(Inputs::column(&q)).unwrap().y;
    for (i, (&a, &qi)) in ours.iter().zip(&q).enumerate() {
        let want = nw_f64(KernelKind::Gaussian, &[1800.0], &x, &y, &[qi], None).unwrap();
        assert!((a - want).abs() < 2e-5, "query {i}: {a} vs {want}");
    }
}

#[test]
fn several_inputs_match_an_f64_reference() {
    let (x, y) = boston(&["lstat", "rm", "ptratio"]);
    let (x2, _) = boston(&["lstat", "rm"]);
    let spread = y.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - y.iter().copied().fold(f64::INFINITY, f64::min);
    for (kind, h, x) in [
        (KernelKind::Gaussian, vec![1.0, 0.5], &x2),
        (KernelKind::Gaussian, vec![2.5, 0.3, 0.8], &x),
        (KernelKind::Laplace, vec![1.5, 0.4], &x2),
        (KernelKind::Epanechnikov, vec![4.0, 1.0, 2.0], &x),
        (KernelKind::Tricube, vec![5.0, 1.5], &x2),
    ] {
        let d = h.len();
        let model = fixed(kind, &h)
            .far(Far::Nan)
            .fit(Inputs::new(x, d).unwrap(), &y)
            .unwrap();
        // Every fifth training row, and points between rows.
        let q: Vec<f64> = x
            .chunks_exact(d)
            .step_by(5)
            .zip(x.chunks_exact(d).skip(1).step_by(5))
            .flat_map(|(a, b)| {
                let mid: Vec<f64> = a.iter().zip(b).map(|(u, v)| (u + v) / 2.0).collect();
                a.iter().copied().chain(mid).collect::<Vec<f64>>()
            })
            .collect();
        let ours = model.predict(Inputs::new(&q, d).unwrap()).unwrap().y;
        for (i, (row, &a)) in q.chunks_exact(d).zip(&ours).enumerate() {
            match nw_f64(kind, &h, x, &y, row, None) {
                Some(want) => assert!(
                    (a - want).abs() <= 1e-5 * spread,
                    "{kind:?} {h:?} query {i}: {a} vs {want}"
                ),
                None => assert!(a.is_nan(), "{kind:?} query {i}: {a} without an estimate"),
            }
        }
    }
}

/// `d CV / d ln h_l` by central differences of the f64 CV.
fn cv_gradient_fd(kind: KernelKind, h: &[f64], x: &[f64], y: &[f64]) -> Vec<f64> {
    let step = 1e-4;
    (0..h.len())
        .map(|l| {
            let at = |s: f64| {
                let mut g = h.to_vec();
                g[l] *= s.exp();
                cv_f64(kind, &g, x, y)
            };
            (at(step) - at(-step)) / (2.0 * step)
        })
        .collect()
}

#[test]
fn cv_and_its_gradient_match_f64_and_finite_differences() {
    for (columns, kind, h) in [
        (&["lstat", "rm"][..], KernelKind::Gaussian, vec![1.0, 0.5]),
        (
            &["lstat", "rm", "ptratio"][..],
            KernelKind::Gaussian,
            vec![2.0, 0.4, 1.0],
        ),
        (&["lstat", "rm"][..], KernelKind::Laplace, vec![1.5, 0.4]),
        (&["lstat", "rm"][..], KernelKind::Biweight, vec![6.0, 2.0]),
    ] {
        let (x, y) = boston(columns);
        let d = h.len();
        let model = fixed(kind, &h)
            .fit(Inputs::new(&x, d).unwrap(), &y)
            .unwrap();
        let loo = model.cross_validate(&h).unwrap();
        let want = cv_f64(kind, &h, &x, &y);
        assert!(
            (loo.cv - want).abs() <= 1e-5 * want,
            "{kind:?} {h:?}: CV {} vs {want}",
            loo.cv
        );
        let scored = (y.len() - loo.isolated) as f64;
        let fd = cv_gradient_fd(kind, &h, &x, &y);
        let norm = fd.iter().map(|g| g * g).sum::<f64>().sqrt();
        for (l, (&g, &f)) in loo.grad.iter().zip(&fd).enumerate() {
            let g = g / scored;
            assert!(
                (g - f).abs() <= 1e-3 * norm + 1e-6,
                "{kind:?} {h:?} dCV/dln h_{l}: {g} vs finite differences {f}"
            );
        }
    }
}

fn statsmodels() -> Value {
    let text = std::fs::read_to_string(common::data_path("statsmodels_boston.json")).expect("json");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn cv_matches_statsmodels_recorded_values_and_gradients() {
    let sm = statsmodels();
    for point in sm["fixed"].as_array().expect("fixed points") {
        let columns: Vec<&str> = point["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let h = common::floats(&point["bandwidths"]);
        let (x, y) = boston(&columns);
        let model = fixed(KernelKind::Gaussian, &h)
            .fit(Inputs::new(&x, h.len()).unwrap(), &y)
            .unwrap();
        let loo = model.cross_validate(&h).unwrap();
        let want = point["cv"].as_f64().unwrap();
        assert!(
            (loo.cv - want).abs() <= 1e-5 * want,
            "{columns:?}: {} vs {want}",
            loo.cv
        );
        let fd = common::floats(&point["grad_ln_h"]);
        let norm = fd.iter().map(|g| g * g).sum::<f64>().sqrt();
        for (&g, &f) in loo.grad.iter().zip(&fd) {
            let g = g / y.len() as f64;
            assert!((g - f).abs() <= 1e-3 * norm, "{columns:?}: {g} vs {f}");
        }
    }
}

#[test]
fn the_cv_search_is_no_worse_than_statsmodels_on_boston() {
    let sm = statsmodels();
    for case in sm["cases"].as_array().expect("cases") {
        let columns: Vec<&str> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let (x, y) = boston(&columns);
        let d = columns.len();
        let model = NadarayaWatson::params()
            .fit(Inputs::new(&x, d).unwrap(), &y)
            .unwrap();
        let ours = cv_f64(KernelKind::Gaussian, model.bandwidths(), &x, &y);
        let theirs = case["cv"].as_f64().unwrap();
        eprintln!(
            "{columns:?}: ours h {:?} CV {ours} ({} evaluations), statsmodels h {} CV {theirs}",
            model.bandwidths(),
            model.chosen().evaluations,
            case["bandwidths"]
        );
        // Our reported CV is the f32 kernels' estimate of the f64 one.
        let reported = model.cv().unwrap();
        assert!(
            (reported - ours).abs() <= 1e-5 * ours,
            "{reported} vs {ours}"
        );
        if d == 1 {
            // One input: both find the same minimum, ours to the resolution of f32 CV scores
            // (whose rounding, ~1e-7 relative, hides differences below it).
            assert!(
                ours <= theirs * (1.0 + 1e-8),
                "{columns:?}: {ours} vs {theirs}"
            );
        } else {
            assert!(
                ours <= theirs,
                "{columns:?}: CV {ours} above statsmodels' {theirs}"
            );
        }
    }
}

#[test]
fn an_input_that_says_nothing_is_named_in_a_warning() {
    // y depends on the first input only; the second is noise.
    let n = 400;
    let mut state = 12345u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let (a, b) = (uniform() * 6.0, uniform() * 6.0);
        x.extend([a, b]);
        y.push((2.0 * a).sin() + 0.2 * (uniform() - 0.5));
    }
    // (The uniform kernel, on these data, keeps the noise input at 0.85 of its span: a local
    // minimum CV prefers by chance, ten times wider is 0.1% worse.)
    for kind in [KernelKind::Gaussian, KernelKind::Epanechnikov] {
        noise_is_named(kind, &x, &y);
    }
}

fn noise_is_named(kind: KernelKind, x: &[f64], y: &[f64]) {
    let model = NadarayaWatson::params()
        .kernel(kind)
        .fit(Inputs::new(x, 2).unwrap(), y)
        .unwrap();
    let warnings = &model.chosen().warnings;
    eprintln!("{kind:?}: h {:?}: {warnings:?}", model.bandwidths());
    assert!(
        warnings.iter().any(|w| w.input() == Some(1)
            && matches!(
                w,
                Warning::UpperEnd { .. } | Warning::Flat { .. } | Warning::Insensitive { .. }
            )),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().all(|w| w.input() != Some(0)),
        "{warnings:?}"
    );
    assert!(model.bandwidths()[1] > 6.0, "{:?}", model.bandwidths());
}

#[test]
fn a_minimum_on_the_edge_of_a_compact_kernel_s_reach_says_so() {
    // Biweight on three Boston inputs: the lowest CV the search reaches has an example with
    // its one neighbour at the very edge of the support, so 0.1% wider bandwidths bring it
    // back into CV (with the largest error of all) and the score jumps.
    let (x, y) = boston(&["lstat", "rm", "ptratio"]);
    let model = NadarayaWatson::params()
        .kernel(KernelKind::Biweight)
        .fit(Inputs::new(&x, 3).unwrap(), &y)
        .unwrap();
    let warnings = &model.chosen().warnings;
    let edge = warnings
        .iter()
        .find_map(|w| match w {
            Warning::EdgeOfReach {
                isolated,
                wider,
                cv_wider,
            } => Some((*isolated, *wider, *cv_wider)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{warnings:?}"));
    assert_eq!(edge.0, model.chosen().isolated);
    assert!(edge.1 < edge.0 && edge.2 > model.cv().unwrap(), "{edge:?}");
    // The f64 CV at 0.1% wider bandwidths agrees with the warning's.
    let wider: Vec<f64> = model
        .bandwidths()
        .iter()
        .map(|h| ((h.ln() + 1e-3).exp() as f32) as f64)
        .collect();
    let want = cv_f64(KernelKind::Biweight, &wider, &x, &y);
    assert!((edge.2 - want).abs() <= 1e-4 * want, "{} vs {want}", edge.2);
}

#[test]
fn the_fit_is_the_same_on_any_number_of_threads() {
    let (x, y) = boston(&["lstat", "rm"]);
    let fit = |par| {
        NadarayaWatson::params()
            .par(par)
            .fit(Inputs::new(&x, 2).unwrap(), &y)
            .unwrap()
    };
    let (seq, rayon) = (fit(Par::Seq), fit(Par::Rayon));
    assert_eq!(seq.bandwidths(), rayon.bandwidths());
    assert_eq!(seq.cv(), rayon.cv());
}

#[test]
fn bad_arguments_are_named_errors() {
    assert_eq!(
        Inputs::new(&[1.0, 2.0, 3.0], 2).unwrap_err(),
        ModelError::Inputs { len: 3, dim: 2 }
    );
    let x = [0.0, 0.0, 1.0, 1.0, 2.0, 0.5, 3.0, 2.0];
    let y = [1.0, 2.0, 3.0, 4.0];
    let model = fixed(KernelKind::Gaussian, &[1.0, 1.0])
        .fit(Inputs::new(&x, 2).unwrap(), &y)
        .unwrap();
    assert_eq!(
        model.predict(Inputs::column(&[1.0])).unwrap_err(),
        ModelError::Dimension {
            expected: 2,
            got: 1
        }
    );
    let err = model
        .predict(Inputs::new(&[1.0, 2.0, 1.0, f64::NAN], 2).unwrap())
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::NotFinite {
                what: "queries",
                row: 1,
                input: Some(1),
                value
            } if value.is_nan()
        ),
        "{err:?}"
    );
    let err = fixed(KernelKind::Gaussian, &[1.0, 1.0, 1.0])
        .fit(Inputs::new(&x, 2).unwrap(), &y)
        .unwrap_err();
    assert_eq!(
        err,
        ModelError::Bandwidths {
            expected: 2,
            got: 3
        }
    );
    let err = NadarayaWatson::params()
        .bandwidth(Bandwidth::Fixed(-1.0))
        .fit(Inputs::new(&x, 2).unwrap(), &y)
        .unwrap_err();
    assert!(matches!(err, ModelError::Bandwidth(_)), "{err}");
    let mut bad = x;
    bad[5] = f64::INFINITY;
    let err = NadarayaWatson::params()
        .fit(Inputs::new(&bad, 2).unwrap(), &y)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "inputs row 3, input 2 is inf, not a finite number"
    );
    // A compact kernel's query with no row in reach: refused by default, NaN on request.
    let model = fixed(KernelKind::Epanechnikov, &[0.5, 0.5])
        .fit(Inputs::new(&x, 2).unwrap(), &y)
        .unwrap();
    let far = [10.0, 10.0, 1.0, 1.0];
    assert_eq!(
        model.predict(Inputs::new(&far, 2).unwrap()).unwrap_err(),
        ModelError::FarRows { count: 1, index: 0 }
    );
    let p = model
        .clone()
        .with_far(Far::Nan)
        .predict(Inputs::new(&far, 2).unwrap())
        .unwrap();
    assert!(p.y[0].is_nan() && p.y[1] == 2.0 && p.far == [0]);
    let p = model
        .with_far(Far::Nearest)
        .predict(Inputs::new(&far, 2).unwrap())
        .unwrap();
    assert_eq!(p.y[0], 4.0);
}

#[test]
fn the_uniform_kernel_s_flat_gradient_still_gets_a_search() {
    // Its CV is piecewise constant in h, so a gradient search would stop where it starts: the
    // answer must beat a plain grid of bandwidths, scored in f64 with the same allowance of
    // isolated examples (1% of 506: 5).
    let (x, y) = boston(&["lstat", "rm"]);
    let kind = KernelKind::Uniform;
    let model = NadarayaWatson::params()
        .kernel(kind)
        .fit(Inputs::new(&x, 2).unwrap(), &y)
        .unwrap();
    let scored = |h: &[f64]| {
        let isolated = (0..y.len())
            .filter(|&i| nw_f64(kind, h, &x, &y, &x[2 * i..2 * i + 2], Some(i)).is_none())
            .count();
        (isolated <= 5).then(|| cv_f64(kind, h, &x, &y))
    };
    let ours = scored(model.bandwidths()).expect("within the isolation allowance");
    let grid = |lo: f64, hi: f64, i: usize| lo * (hi / lo).powf(i as f64 / 11.0);
    let best_grid = (0..12)
        .flat_map(|i| (0..12).map(move |k| [grid(1.0, 8.0, i), grid(0.1, 1.5, k)]))
        .filter_map(|h| scored(&h))
        .fold(f64::INFINITY, f64::min);
    eprintln!(
        "uniform: ours {:?} CV {ours}, grid {best_grid}",
        model.bandwidths()
    );
    assert!(
        ours <= best_grid,
        "CV {ours} above a plain grid's {best_grid}"
    );
    assert!(model.chosen().evaluations > 100);
}
