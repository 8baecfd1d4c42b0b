//! Bandwidth selection: the rules of thumb, CV against a direct f64 computation, the search
//! against statsmodels on MASS `mcycle`, and the global minimum on data built to have several.

#![allow(clippy::print_stderr)]

mod common;

use nw_model::bandwidth::{self, Method, Search, cv, select};
use nw_model::{KernelKind, NonparametricPooling, Pooling, loo};
use nw_tensor::Par;
use serde_json::Value;

fn mcycle() -> (Vec<f32>, Vec<f32>) {
    nw_data::read_dataset(common::data_path("mcycle.csv"))
        .expect("mcycle.csv")
        .into_parts()
}

fn statsmodels() -> Value {
    let text = std::fs::read_to_string(common::data_path("statsmodels_mcycle.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["mcycle"].clone()
}

use common::floats;

#[test]
fn mcycle_agrees_with_statsmodels() {
    let (x, y) = mcycle();
    assert_eq!(x.len(), 133);
    let sm = statsmodels();
    let found = select(KernelKind::Gaussian, &x, &y, &Search::default(), Par::Rayon).unwrap();
    let want_h = sm["cv_ls"]["bw"].as_f64().unwrap();
    let want_cv = sm["cv_ls"]["cv_loo_statsmodels"].as_f64().unwrap();
    eprintln!(
        "mcycle: h {} (statsmodels {want_h}), cv {} (statsmodels {want_cv})",
        found.h, found.cv
    );
    assert!(
        (f64::from(found.h) - want_h).abs() <= 1e-3 * want_h,
        "h {} vs {want_h}",
        found.h
    );
    assert!(
        (found.cv - want_cv).abs() <= 1e-4 * want_cv,
        "cv {} vs {want_cv}",
        found.cv
    );
    // The rule of thumb statsmodels starts from is our Scott's rule.
    let h0 = sm["cv_ls"]["h0_start_rule_of_thumb"].as_f64().unwrap();
    let scott = bandwidth::scott(&x, KernelKind::Gaussian).unwrap();
    assert!(
        (f64::from(scott) - h0).abs() <= 1e-6 * h0,
        "{scott} vs {h0}"
    );

    // CV and fitted values at statsmodels' bandwidth and at the two fixed ones.
    let grid: Vec<f32> = floats(&sm["grid"]).iter().map(|&g| g as f32).collect();
    let data = loo::prepare(&x, &y).unwrap();
    let mut cases = vec![(
        want_h,
        want_cv,
        floats(&sm["cv_ls"]["fit_grid_statsmodels"]),
    )];
    for fixed in sm["fixed"].as_array().unwrap() {
        cases.push((
            fixed["bw"].as_f64().unwrap(),
            fixed["cv_loo_statsmodels"].as_f64().unwrap(),
            floats(&fixed["fit_grid_statsmodels"]),
        ));
    }
    for (h, want_cv, want_fit) in cases {
        let got = cv(KernelKind::Gaussian, &data, h as f32, Par::Rayon).unwrap();
        assert!(
            (got - want_cv).abs() <= 1e-4 * want_cv,
            "h {h}: cv {got} vs {want_cv}"
        );
        let fit = NonparametricPooling::new(h as f32)
            .unwrap()
            .pool(&grid, &x, &y, false, Par::Rayon)
            .unwrap();
        for (i, (&a, &b)) in fit.y_hat.iter().zip(&want_fit).enumerate() {
            // Relative to the value, or to 1 g where the fit crosses zero.
            let tol = 1e-4 * b.abs().max(1.0);
            assert!(
                (f64::from(a) - b).abs() <= tol,
                "h {h}, grid point {i}: {a} vs {b}"
            );
        }
    }
}

/// A seeded stream for test data: splitmix64, uniforms, and Box-Muller normals.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `CV(h)` straight from the definition in f64: every example against all the others.
fn cv_f64(kind: KernelKind, x: &[f32], y: &[f32], h: f64) -> f64 {
    let n = x.len();
    let mut sum = 0.0;
    for i in 0..n {
        let s: Vec<(f64, f64)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| {
                (
                    kind.ln_k((f64::from(x[i]) - f64::from(x[j])) / h),
                    f64::from(y[j]),
                )
            })
            .collect();
        let m = s.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        if m == f64::NEG_INFINITY {
            return f64::INFINITY;
        }
        let (z, v) = s.iter().fold((0.0, 0.0), |(z, v), &(sj, yj)| {
            let e = (sj - m).exp();
            (z + e, v + e * yj)
        });
        sum += (v / z - f64::from(y[i])).powi(2);
    }
    sum / n as f64
}

#[test]
fn cv_is_the_mean_leave_one_out_error_for_every_kernel() {
    let mut rng = Rng(5);
    let n = 300;
    let mut x: Vec<f32> = (0..n).map(|_| (rng.next() * 6.0) as f32).collect();
    x[7] = x[3]; // a tie: both stay in each other's pool
    let y: Vec<f32> = x
        .iter()
        .map(|&v| v.sin() + 0.3 * rng.normal() as f32)
        .collect();
    let data = loo::prepare(&x, &y).unwrap();
    for kind in KernelKind::ALL {
        for h in [0.05f32, 0.3, 2.0] {
            let want = cv_f64(kind, &x, &y, f64::from(h));
            let got = cv(kind, &data, h, Par::Rayon).unwrap();
            if want.is_infinite() {
                assert!(got.is_infinite(), "{kind:?} h {h}: {got}");
            } else {
                assert!(
                    (got - want).abs() <= 1e-5 * want,
                    "{kind:?} h {h}: {got} vs {want}"
                );
            }
        }
    }
    // A compact kernel too narrow for some example to see another: no score, not a number.
    assert_eq!(
        cv(KernelKind::Epanechnikov, &data, 1e-6, Par::Seq).unwrap(),
        f64::INFINITY
    );
    assert!(cv(KernelKind::Gaussian, &data, 0.0, Par::Seq).is_err());
    assert!(cv(KernelKind::Gaussian, &data, -1.0, Par::Seq).is_err());
}

#[test]
fn rules_of_thumb() {
    // x = 1..=10: sd (population) = sqrt(8.25), sample sd = sqrt(9.1667), IQR = 4.5.
    let x: Vec<f32> = (1..=10).map(|i| i as f32).collect();
    let n5 = 10f64.powf(-0.2);
    let scott = bandwidth::scott(&x, KernelKind::Gaussian).unwrap();
    assert!((f64::from(scott) - 1.06 * 8.25f64.sqrt() * n5).abs() < 1e-6);
    let silverman = bandwidth::silverman(&x, KernelKind::Gaussian).unwrap();
    let s = (82.5f64 / 9.0).sqrt().min(4.5 / 1.349);
    assert!((f64::from(silverman) - 0.9 * s * n5).abs() < 1e-6);
    // Other kernels: the equivalent bandwidth, wider for compact kernels.
    let epa = bandwidth::silverman(&x, KernelKind::Epanechnikov).unwrap();
    assert!(
        (f64::from(epa / silverman) - KernelKind::Epanechnikov.gaussian_equivalent()).abs() < 1e-5
    );
    assert!(epa > 2.0 * silverman);
    // No spread, no rule.
    assert!(bandwidth::scott(&[2.0, 2.0, 2.0], KernelKind::Gaussian).is_err());
    assert_eq!(Method::Cv.name(), "cv");
}

/// Data whose CV curve has two minima: a slow wave sampled densely enough to follow, and a
/// fast wave that only a narrow bandwidth resolves.
fn two_scales() -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng(1);
    let n = 300;
    let mut x: Vec<f64> = (0..n).map(|_| rng.next() * 10.0).collect();
    x.sort_by(f64::total_cmp);
    let y: Vec<f32> = x
        .iter()
        .map(|&x| (3.0 * (0.6 * x).sin() + 0.5 * (25.0 * x).sin() + 0.3 * rng.normal()) as f32)
        .collect();
    (x.iter().map(|&v| v as f32).collect(), y)
}

#[test]
fn the_search_finds_the_global_minimum_where_a_local_search_does_not() {
    let (x, y) = two_scales();
    let data = loo::prepare(&x, &y).unwrap();
    // A dense scan shows the two minima.
    let hs: Vec<f64> = (0..600)
        .map(|k| (0.005f64.ln() + (20f64.ln() - 0.005f64.ln()) * f64::from(k) / 599.0).exp())
        .collect();
    let scan: Vec<f64> = hs
        .iter()
        .map(|&h| cv(KernelKind::Gaussian, &data, h as f32, Par::Rayon).unwrap())
        .collect();
    let minima: Vec<usize> = (1..scan.len() - 1)
        .filter(|&k| scan[k] <= scan[k - 1] && scan[k] <= scan[k + 1])
        .collect();
    assert!(
        minima.len() >= 2,
        "minima at {:?}",
        minima.iter().map(|&k| hs[k]).collect::<Vec<_>>()
    );
    let global = *minima
        .iter()
        .min_by(|&&a, &&b| scan[a].total_cmp(&scan[b]))
        .unwrap();
    let worst_local = *minima
        .iter()
        .max_by(|&&a, &&b| scan[a].total_cmp(&scan[b]))
        .unwrap();
    assert!(
        hs[global] < 0.1 && hs[worst_local] > 0.15,
        "{} {}",
        hs[global],
        hs[worst_local]
    );

    let found = select(KernelKind::Gaussian, &x, &y, &Search::default(), Par::Rayon).unwrap();
    assert!(
        found.cv <= scan[global] * (1.0 + 1e-9),
        "{} vs scan {}",
        found.cv,
        scan[global]
    );
    assert!(
        (f64::from(found.h) / hs[global] - 1.0).abs() < 0.02,
        "h {} vs {}",
        found.h,
        hs[global]
    );
    assert!(found.h > 0.0 && found.curve.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(found.curve.len() >= Search::default().grid);

    // A local search from the rule of thumb (what Nelder-Mead from statsmodels' start does)
    // walks downhill into the other basin.
    let mut log_h = f64::from(bandwidth::scott(&x, KernelKind::Gaussian).unwrap()).ln();
    let f = |l: f64| cv(KernelKind::Gaussian, &data, l.exp() as f32, Par::Rayon).unwrap();
    let mut step = 0.1;
    while step > 1e-6 {
        if f(log_h - step) < f(log_h) {
            log_h -= step;
        } else if f(log_h + step) < f(log_h) {
            log_h += step;
        } else {
            step /= 2.0;
        }
    }
    let local = f(log_h);
    eprintln!(
        "two scales: global h {} cv {}; local search from the rule of thumb h {} cv {local}",
        found.h,
        found.cv,
        log_h.exp()
    );
    assert!(log_h.exp() > 0.15 && local > 1.3 * found.cv);
}
