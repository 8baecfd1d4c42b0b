//! Bandwidth selection: the rules of thumb, CV against a direct f64 computation, the search
//! against statsmodels on MASS `mcycle`, and the global minimum on data built to have several.

#![allow(clippy::print_stderr)]

mod common;

use nw_model::bandwidth::{self, Method, Search, cv, select};
use nw_model::{Algorithm, KernelKind, NonparametricPooling, Pooling, loo};
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
        let got = cv(
            KernelKind::Gaussian,
            &data,
            h as f32,
            Algorithm::Auto,
            Par::Rayon,
        )
        .unwrap()
        .cv;
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

/// `CV(h)` straight from the definition in f64: every example against all the others, the
/// mean over those with an estimate, and how many have none.
fn cv_f64(kind: KernelKind, x: &[f32], y: &[f32], h: f64) -> (f64, usize) {
    let n = x.len();
    let (mut sum, mut isolated) = (0.0, 0);
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
            isolated += 1;
            continue;
        }
        let (z, v) = s.iter().fold((0.0, 0.0), |(z, v), &(sj, yj)| {
            let e = (sj - m).exp();
            (z + e, v + e * yj)
        });
        sum += (v / z - f64::from(y[i])).powi(2);
    }
    (sum / (n - isolated) as f64, isolated)
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
    // The direct pass and the sorted sweep alike.
    for algorithm in [Algorithm::Direct, Algorithm::Sweep] {
        for kind in KernelKind::ALL {
            for h in [0.05f32, 0.3, 2.0] {
                let (want, isolated) = cv_f64(kind, &x, &y, f64::from(h));
                let got = cv(kind, &data, h, algorithm, Par::Rayon).unwrap();
                assert_eq!(got.isolated, isolated, "{algorithm:?} {kind:?} h {h}");
                assert!(
                    (got.cv - want).abs() <= 1e-5 * want,
                    "{algorithm:?} {kind:?} h {h}: {} vs {want}",
                    got.cv
                );
            }
        }
        // A compact kernel too narrow for any example to see another: no score, not a number.
        let none = cv(KernelKind::Epanechnikov, &data, 1e-7, algorithm, Par::Seq).unwrap();
        assert!(none.isolated > n - 4 && none.isolated < n, "{none:?}");
        let tie = cv(KernelKind::Epanechnikov, &data, 1e-30, algorithm, Par::Seq).unwrap();
        assert_eq!(tie.isolated, n - 2, "only the tied pair sees each other");
        assert!(cv(KernelKind::Gaussian, &data, 0.0, algorithm, Par::Seq).is_err());
        assert!(cv(KernelKind::Gaussian, &data, -1.0, algorithm, Par::Seq).is_err());
    }
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
        .map(|&h| {
            cv(
                KernelKind::Gaussian,
                &data,
                h as f32,
                Algorithm::Auto,
                Par::Rayon,
            )
            .unwrap()
            .cv
        })
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
    assert!(found.h > 0.0 && found.curve.windows(2).all(|w| w[0].h <= w[1].h));
    assert!(found.curve.len() >= 60 && found.warnings.is_empty());

    // A local search from the rule of thumb (what Nelder-Mead from statsmodels' start does)
    // walks downhill into the other basin.
    let mut log_h = f64::from(bandwidth::scott(&x, KernelKind::Gaussian).unwrap()).ln();
    let f = |l: f64| {
        cv(
            KernelKind::Gaussian,
            &data,
            l.exp() as f32,
            Algorithm::Auto,
            Par::Rayon,
        )
        .unwrap()
        .cv
    };
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

/// Gaussian `CV(h)` in f64 from the definition, summing only the keys within 40 bandwidths
/// of each ascending input (beyond, `exp(-800)` is 0 in f64 anyway, so this is exact).
fn cv_gaussian_sorted(x: &[f32], y: &[f32], h: f64) -> f64 {
    let n = x.len();
    let mut sum = 0.0;
    for i in 0..n {
        let xi = f64::from(x[i]);
        let lo = x.partition_point(|&v| f64::from(v) < xi - 40.0 * h);
        let hi = x.partition_point(|&v| f64::from(v) <= xi + 40.0 * h);
        let (mut z, mut v) = (0.0, 0.0);
        for j in (lo..hi).filter(|&j| j != i) {
            let u = (xi - f64::from(x[j])) / h;
            let e = (-0.5 * u * u).exp();
            z += e;
            v += e * f64::from(y[j]);
        }
        sum += (v / z - f64::from(y[i])).powi(2);
    }
    sum / n as f64
}

/// The minimum of `f` on `[lo, hi]` in `log h`, by golden section in f64.
fn golden_f64(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> (f64, f64) {
    let (mut a, mut b) = (lo.ln(), hi.ln());
    let r = (5f64.sqrt() - 1.0) / 2.0;
    while b - a > 1e-6 {
        let (c, d) = (b - r * (b - a), a + r * (b - a));
        if f(c.exp()) <= f(d.exp()) {
            b = d;
        } else {
            a = c;
        }
    }
    let h = ((a + b) / 2.0).exp();
    (h, f(h))
}

#[test]
fn the_search_reaches_below_a_thousandth_of_the_span_when_the_data_do() {
    // Issue 9, item 8: hourly time stamps in seconds, two observations an hour, over 2000
    // hours. The CV minimum (near 5000 s) lies below a thousandth of the span (7196 s), where
    // the old grid stopped and returned its floor, 3% worse.
    let mut rng = Rng(3);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..2000 {
        for _ in 0..2 {
            x.push(3600.0 * i as f32);
            let t = 2.0 * std::f64::consts::PI * f64::from(i) / 12.0;
            y.push((t.sin() + rng.normal()) as f32);
        }
    }
    let (want_h, want_cv) = golden_f64(|h| cv_gaussian_sorted(&x, &y, h), 3000.0, 7000.0);
    assert!(want_h < 1e-3 * 7196.4e3 * 0.8, "{want_h}");
    let found = select(KernelKind::Gaussian, &x, &y, &Search::default(), Par::Rayon).unwrap();
    assert!(
        (f64::from(found.h) / want_h - 1.0).abs() < 1e-3,
        "h {} vs f64 {want_h}",
        found.h
    );
    assert!(
        found.cv <= want_cv * (1.0 + 1e-5),
        "{} vs {want_cv}",
        found.cv
    );
    assert!(
        f64::from(found.searched.0) <= 3600.0,
        "{:?}",
        found.searched
    );
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

/// A CV curve with its minimum at `h_min` (a parabola in `log h`), for the search alone.
fn parabola(h_min: f64) -> impl FnMut(f32) -> nw_model::Result<bandwidth::CvPoint> {
    move |h| {
        let d = f64::from(h).ln() - h_min.ln();
        Ok(bandwidth::CvPoint {
            h,
            cv: 1.0 + d * d,
            isolated: 0,
        })
    }
}

#[test]
fn a_minimum_past_an_end_of_the_grid_is_found_by_extending_the_scan() {
    let spread = bandwidth::Spread {
        n: 100,
        span: 10.0,
        min_gap: 0.1,
    };
    let search = Search::default();
    // The grid runs from 0.01 (1e-3 spans, below the smallest gap) to 20 (2 spans).
    for h_min in [2e-3, 4e-5, 60.0, 5e3] {
        let found = bandwidth::search_min(&spread, &search, parabola(h_min)).unwrap();
        assert!(
            (f64::from(found.h) / h_min - 1.0).abs() < 1e-5,
            "{h_min}: found {}",
            found.h
        );
        assert!(found.warnings.is_empty(), "{h_min}: {:?}", found.warnings);
    }
    // Beyond the 3 decades the scan may extend, the end is reported, not passed off as a
    // minimum.
    let found = bandwidth::search_min(&spread, &search, parabola(1e-7)).unwrap();
    assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
    assert!(
        matches!(found.warnings[0], bandwidth::Warning::LowerEnd { h } if h < 2e-5),
        "{:?}",
        found.warnings
    );
    let found = bandwidth::search_min(&spread, &search, parabola(1e7)).unwrap();
    assert!(matches!(
        found.warnings[..],
        [bandwidth::Warning::UpperEnd { .. }]
    ));
}

fn codes(found: &bandwidth::Selection) -> Vec<&'static str> {
    found.warnings.iter().map(|w| w.code()).collect()
}

#[test]
fn weak_cv_curves_say_what_is_wrong() {
    let select_on = |x: &[f32], y: &[f32]| {
        select(KernelKind::Gaussian, x, y, &Search::default(), Par::Seq).unwrap()
    };
    // Issue 9, item 9. Yearly sunspot numbers: each year is best predicted by its two
    // neighbours, and CV keeps falling as h -> 0 (to 131.59, its f64 limit, flat below 0.24).
    let (x, y) = nw_data::read_dataset(common::data_path("sunspots_year.csv"))
        .unwrap()
        .into_parts();
    let found = select_on(&x, &y);
    assert!(codes(&found).contains(&"lower_end"), "{:?}", found.warnings);
    assert!((found.cv - 131.585_614_3).abs() < 1e-4, "{}", found.cv);
    // 19 evenly spaced points of a smooth curve: the same below a third of their spacing.
    let x: Vec<f32> = (0..19).map(|i| i as f32).collect();
    let y: Vec<f32> = x.iter().map(|v| v.sin()).collect();
    let found = select_on(&x, &y);
    assert!(codes(&found).contains(&"lower_end"), "{:?}", found.warnings);
    assert!(codes(&found).contains(&"flat"), "{:?}", found.warnings);
    // Two points: each predicts the other whatever h is.
    let found = select_on(&[0.0, 1.0], &[0.0, 1.0]);
    assert_eq!(codes(&found), ["flat"]);
    assert_eq!(found.cv, 1.0);
    // Constant targets: CV is 0 everywhere.
    let x: Vec<f32> = (0..50).map(|i| i as f32 * 0.1).collect();
    let found = select_on(&x, &[3.0; 50]);
    assert_eq!(codes(&found), ["constant_targets", "flat"]);
    // Every message says what to do.
    for w in &found.warnings {
        assert!(w.to_string().len() > 60, "{w}");
    }
    // An ordinary interior minimum: no warning at all.
    let (x, y) = mcycle();
    assert!(select_on(&x, &y).warnings.is_empty());
}

#[test]
fn one_isolated_example_does_not_decide_a_compact_kernels_bandwidth() {
    // Issue 9, item 10: 400 inputs on [0, 2) and one far out at 6. Every Epanechnikov
    // bandwidth below 4 leaves it without a neighbour; requiring one for every example
    // forces h >= 4 over data whose structure is 20 times finer.
    let mut rng = Rng(11);
    let mut x: Vec<f32> = (0..400).map(|_| (rng.next() * 2.0) as f32).collect();
    x.push(6.0);
    let y: Vec<f32> = x
        .iter()
        .map(|&v| (3.0 * v).sin() + 0.2 * rng.normal() as f32)
        .collect();
    let kind = KernelKind::Epanechnikov;
    let found = select(kind, &x, &y, &Search::default(), Par::Rayon).unwrap();
    assert_eq!(found.isolated, 1);
    assert!(found.h < 0.5, "{}", found.h);
    assert!(
        matches!(
            found.warnings[..],
            [bandwidth::Warning::Isolated {
                count: 1,
                n: 401,
                ..
            }]
        ),
        "{:?}",
        found.warnings
    );
    // Its CV is the f64 mean over the other 400 at that bandwidth.
    let (want, isolated) = cv_f64(kind, &x, &y, f64::from(found.h));
    assert_eq!(isolated, 1);
    assert!(
        (found.cv - want).abs() <= 1e-5 * want,
        "{} vs {want}",
        found.cv
    );
    // The strict rule (no example left out) is still there, and much worse.
    let strict = Search {
        max_isolated: 0.0,
        ..Search::default()
    };
    let forced = select(kind, &x, &y, &strict, Par::Rayon).unwrap();
    assert!(forced.h >= 4.0 && forced.isolated == 0, "{}", forced.h);
    let (at_forced, _) = cv_f64(kind, &x[..400], &y[..400], f64::from(forced.h));
    assert!(at_forced > 2.0 * found.cv, "{at_forced} vs {}", found.cv);
}

#[test]
fn search_settings_that_cannot_run_are_refused_not_hung() {
    let (x, y) = mcycle();
    for bad in [
        Search {
            tolerance: -1.0,
            ..Search::default()
        },
        Search {
            tolerance: f64::NAN,
            ..Search::default()
        },
        Search {
            per_decade: usize::MAX,
            ..Search::default()
        },
        Search {
            per_decade: 0,
            ..Search::default()
        },
        Search {
            lo: f64::NAN,
            ..Search::default()
        },
        Search {
            hi: 1e-9,
            ..Search::default()
        },
        Search {
            max_isolated: 1.0,
            ..Search::default()
        },
    ] {
        let err = select(KernelKind::Gaussian, &x, &y, &bad, Par::Seq).unwrap_err();
        assert!(
            matches!(err, nw_model::ModelError::Parameter { .. }),
            "{bad:?}: {err}"
        );
    }
    // The tightest tolerance allowed still ends.
    let tight = Search {
        tolerance: 1e-12,
        ..Search::default()
    };
    assert!(select(KernelKind::Gaussian, &x, &y, &tight, Par::Seq).is_ok());
}
