//! Inputs and bandwidths of extreme magnitude: a span below the search's lattice floor (a
//! panic), bandwidths at which f32 kernel constants under- or overflow (wrong predictions),
//! and CV bandwidths that must not depend on the unit the inputs are measured in. The
//! references are f64 sums written here from the kernels' textbook `ln_k`.

use nw_model::bandwidth::{self, Search, Spread, Warning};
use nw_model::{
    Far, KernelKind, ModelError, NonparametricPooling, ParametricPooling, PoolOptions, Pooling,
};
use nw_tensor::Par;

/// The Nadaraya-Watson prediction at `q` in f64 (NaN with no key in reach).
fn nw_f64(kind: KernelKind, h: f64, q: f32, keys: &[f32], values: &[f32]) -> f64 {
    let scores: Vec<f64> = keys
        .iter()
        .map(|&k| kind.ln_k((f64::from(q) - f64::from(k)) / h))
        .collect();
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return f64::NAN;
    }
    let (mut z, mut v) = (0.0, 0.0);
    for (s, &y) in scores.iter().zip(values) {
        let e = (s - max).exp();
        z += e;
        v += e * f64::from(y);
    }
    v / z
}

/// Leave-one-out CV of the Gaussian kernel at `h`, in f64.
fn cv_f64(h: f64, x: &[f32], y: &[f32]) -> f64 {
    let n = x.len();
    let mut sum = 0.0;
    for i in 0..n {
        let (keys, values): (Vec<f32>, Vec<f32>) =
            (0..n).filter(|&j| j != i).map(|j| (x[j], y[j])).unzip();
        let r = nw_f64(KernelKind::Gaussian, h, x[i], &keys, &values) - f64::from(y[i]);
        sum += r * r;
    }
    sum / n as f64
}

#[test]
fn a_span_below_the_lattice_floor_gets_a_bandwidth_not_a_panic() {
    let (x, y) = ([1e-36f32, 2e-36, 3e-36], [1.0f32, 2.0, 5.0]);
    let found = bandwidth::select(KernelKind::Gaussian, &x, &y, &Search::default(), Par::Seq)
        .expect("a bandwidth");
    assert!(
        found.h >= f32::MIN_POSITIVE && found.h.is_finite(),
        "{}",
        found.h
    );
    assert!(found.searched.0 <= found.h && found.h <= found.searched.1);
    // Every point of the curve is CV at its own (caller's) h.
    for p in &found.curve {
        let reference = cv_f64(f64::from(p.h), &x, &y);
        assert!((p.cv / reference - 1.0).abs() < 1e-5, "{p:?}: {reference}");
    }
    // And the chosen bandwidth predicts as the f64 estimator does.
    let out = NonparametricPooling::new(found.h)
        .unwrap()
        .pool(&x, &x, &y, false, Par::Seq)
        .unwrap();
    for (&q, &p) in x.iter().zip(&out.y_hat) {
        let reference = nw_f64(KernelKind::Gaussian, f64::from(found.h), q, &x, &y);
        assert!(
            (f64::from(p) - reference).abs() < 1e-5 * 5.0,
            "{q}: {p} {reference}"
        );
    }
}

#[test]
fn a_search_range_with_no_usable_bandwidth_is_an_error() {
    let spread = Spread {
        n: 3,
        span: 1e-40,
        min_gap: 1e-40,
    };
    let err = bandwidth::search_min(&spread, &Search::default(), |_| {
        panic!("no bandwidth should be evaluated")
    })
    .unwrap_err();
    assert!(matches!(err, ModelError::SearchRange { .. }), "{err:?}");
}

/// 40 keys on about `[0, 6] scale` with irregular gaps, their values, and 60 queries from
/// below the keys to beyond them.
fn scaled_set(scale: f64) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let unit: Vec<f64> = (0..40)
        .map(|i| (f64::from(i) + 0.6 * f64::from((i * 37) % 11) / 11.0) / 7.0)
        .collect();
    let keys = unit.iter().map(|&u| (u * scale) as f32).collect();
    let values = unit.iter().map(|&u| (2.0 * u.sin() + u) as f32).collect();
    let queries = (0..60)
        .map(|j| ((f64::from(j) * 0.11 - 0.4) * scale) as f32)
        .collect();
    (keys, values, queries)
}

#[test]
fn predictions_at_extreme_scales_match_f64() {
    // The reviewer's three points: the answer `--path chapter` gives.
    let x = [1e25f32, 2e25, 3e25];
    let out = NonparametricPooling::new(1e25)
        .unwrap()
        .pool(&x, &x, &[1.0, 2.0, 3.0], false, Par::Seq)
        .unwrap();
    for (&q, &p) in x.iter().zip(&out.y_hat) {
        let reference = nw_f64(KernelKind::Gaussian, 1e25, q, &x, &[1.0, 2.0, 3.0]);
        assert!(
            (f64::from(p) - reference).abs() < 1e-6,
            "{q}: {p} {reference}"
        );
    }
    assert!((out.y_hat[0] - 1.5036).abs() < 1e-4, "{:?}", out.y_hat);

    for scale in [1e25, 1e-20] {
        let (keys, values, queries) = scaled_set(scale);
        for kind in KernelKind::ALL {
            for h in [scale, 0.3 * scale] {
                let h = h as f32;
                let options = PoolOptions {
                    diagnostics: true,
                    far: Far::Nan,
                    par: Par::Seq,
                    ..PoolOptions::default()
                };
                let poolings: [Box<dyn Pooling>; 2] = [
                    Box::new(NonparametricPooling::with_kernel(kind, h).unwrap()),
                    Box::new(ParametricPooling::with_kernel(kind, 1.0 / h).unwrap()),
                ];
                for pooling in poolings {
                    let out = pooling
                        .pool_with(&queries, &keys, &values, &options)
                        .unwrap();
                    let h64 = f64::from(1.0 / (1.0 / h));
                    let h64 = if pooling.name() == "parametric" {
                        h64
                    } else {
                        f64::from(h)
                    };
                    let diagnostics = out.diagnostics.unwrap();
                    for (i, &q) in queries.iter().enumerate() {
                        let reference = nw_f64(kind, h64, q, &keys, &values);
                        let got = f64::from(out.y_hat[i]);
                        let what = format!("{} {} h {h} q {q}", pooling.name(), kind.name());
                        if reference.is_nan() {
                            assert!(got.is_nan(), "{what}: {got}");
                        } else {
                            // Values span about 8: 1e-5 of them.
                            assert!((got - reference).abs() < 1e-4, "{what}: {got} {reference}");
                        }
                        let dmin = keys
                            .iter()
                            .map(|&k| (f64::from(q) - f64::from(k)).abs())
                            .fold(f64::INFINITY, f64::min);
                        let d = f64::from(diagnostics.nearest_distance[i]);
                        assert!(
                            (d - dmin).abs() <= 1e-6 * dmin.max(scale),
                            "{what}: {d} {dmin}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn inputs_beyond_f32_in_units_of_a_tiny_bandwidth_are_refused() {
    let err = NonparametricPooling::new(1e-30)
        .unwrap()
        .pool(&[1.5e9], &[1e9, 2e9], &[1.0, 2.0], false, Par::Seq)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::OutOfScale {
                what: "queries",
                index: 0,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("1500000000"), "{err}");
}

/// 80 inputs with irregular gaps and noisy targets: a CV curve with one clear minimum near
/// `h = 0.085` at scale 1.
fn cv_set(scale: f64) -> (Vec<f32>, Vec<f32>) {
    (0..80)
        .map(|i| {
            let u = (f64::from(i) + 0.37 * f64::from((i * 37) % 11) / 11.0) / 10.0;
            let noise = 0.4 * f64::from((i * 7919) % 13 - 6) / 6.0;
            ((u * scale) as f32, (u.sin() + noise) as f32)
        })
        .unzip()
}

#[test]
fn the_cv_bandwidth_does_not_depend_on_the_inputs_unit() {
    let mut relative = Vec::new();
    let powers = [2f64.powi(50), 2f64.powi(-50), 2f64.powi(100)];
    for scale in [1.0, 1e15, 1e-15, 1e30].into_iter().chain(powers) {
        let (x, y) = cv_set(scale);
        let mut observed = Vec::new();
        let found = bandwidth::select_observed(
            KernelKind::Gaussian,
            &x,
            &y,
            &Search::default(),
            Par::Seq,
            &mut |p| observed.push(*p),
        )
        .unwrap();
        assert!(found.warnings.is_empty(), "{scale}: {:?}", found.warnings);
        // Reported in the caller's units: the curve is what the observer saw, and the choice
        // is CV's minimum in f64 to the f32 kernels' rounding.
        observed.sort_by(|p, q| p.h.total_cmp(&q.h));
        assert_eq!(observed, found.curve, "{scale}");
        assert!(found.searched.0 <= found.h && found.h <= found.searched.1);
        let h = f64::from(found.h);
        let at = cv_f64(h, &x, &y);
        assert!(
            (found.cv / at - 1.0).abs() < 1e-5,
            "{scale}: {} {at}",
            found.cv
        );
        for side in [0.99, 1.01] {
            assert!(
                cv_f64(h * side, &x, &y) > at,
                "{scale}: not a minimum at {h}"
            );
        }
        relative.push(h / scale);
    }
    // Inputs scaled by a decimal factor are rounded to f32 differently, and CV's own f32
    // rounding (~1e-7) moves the flat bottom of its minimum by a few 1e-4 of h: f64 puts
    // it at 0.0849785 for all four scales.
    for r in &relative {
        assert!((r / 0.0849785 - 1.0).abs() < 1e-3, "{relative:?}");
    }
    // Inputs scaled by a power of two are the same numbers in the unit the search runs in,
    // so they get the same answer, bit for bit.
    assert_eq!(relative[4], relative[5], "{relative:?}");
    assert_eq!(relative[4], relative[6], "{relative:?}");
}

#[test]
fn warnings_of_a_rescaled_search_name_the_callers_bandwidths() {
    // Noise-free targets: CV is lowest at the smallest bandwidth searched.
    // Powers of two, so that each set is the other exactly scaled.
    for scale in [2f64.powi(-100), 2f64.powi(100)] {
        let x: Vec<f32> = (0..50).map(|i| (f64::from(i) * scale) as f32).collect();
        let y: Vec<f32> = (0..50).map(|i| (f64::from(i) * 0.1).sin() as f32).collect();
        let found =
            bandwidth::select(KernelKind::Gaussian, &x, &y, &Search::default(), Par::Seq).unwrap();
        // The searched range in the caller's units: the grid starts a decade or more below
        // the spacing of the inputs.
        let (lo, hi) = found.searched;
        assert!(f64::from(lo) < 0.1 * scale, "{scale}: {lo}");
        assert!(f64::from(lo) > 1e-6 * scale, "{scale}: {lo}");
        // Every bandwidth a warning names lies in that range, not in the search's own unit
        // (2^94 or 2^-106 times off). Which warnings appear depends on the last bits of CV
        // (a portable build without FMA rounds differently), so none is required.
        for w in &found.warnings {
            let named: Vec<f32> = match *w {
                Warning::LowerEnd { h } | Warning::UpperEnd { h } => vec![h],
                Warning::Flat { from, to } => vec![from, to],
                _ => vec![],
            };
            for h in named {
                assert!((lo..=hi).contains(&h), "{scale}: {w:?} outside {lo}..{hi}");
            }
        }
    }
    let w = Warning::Flat { from: 1.0, to: 8.0 }.rescaled(2f64.powi(100));
    assert_eq!(
        w,
        Warning::Flat {
            from: 2f32.powi(100),
            to: 2f32.powi(103)
        }
    );
}
