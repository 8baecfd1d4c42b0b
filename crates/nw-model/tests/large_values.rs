//! Targets near the top of f32's range (issue 9, item 4): a weighted mean of finite values is
//! finite and lies between their least and greatest, in every pooling, under every far-query
//! policy, in the chapter's tensors, in training losses and in cross-validation. The
//! references are f64 sums written here from the kernels' textbook `ln_k`.

mod common;

use nw_model::bandwidth;
use nw_model::{
    Adam, AdaptivePooling, Algorithm, AveragePooling, Far, Init, KernelKind, ModelError,
    NonparametricPooling, ParametricPooling, Path, PoolOptions, Pooling, Sgd, chapter, loo, train,
};
use nw_tensor::Par;

/// 2000 inputs on [0, 1) and targets drawn from `[lo, hi]` by a fixed recurrence.
fn data(lo: f32, hi: f32) -> (Vec<f32>, Vec<f32>) {
    let n = 2000;
    let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % n) as f32 / n as f32).collect();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            let t = ((i * 104_729) % 1000) as f32 / 999.0;
            lo + t * (hi - lo)
        })
        .collect();
    (x, y)
}

/// The kernel-weighted mean at `q` in f64 (`None` when no key is in reach).
fn reference(kind: KernelKind, h: f64, q: f32, x: &[f32], y: &[f32]) -> Option<f64> {
    let s: Vec<f64> = x
        .iter()
        .map(|&k| kind.ln_k((f64::from(q) - f64::from(k)) / h))
        .collect();
    let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return None;
    }
    let (mut z, mut v) = (0.0, 0.0);
    for (s, &t) in s.iter().zip(y) {
        let e = (s - m).exp();
        z += e;
        v += e * f64::from(t);
    }
    Some(v / z)
}

fn range(y: &[f32]) -> (f32, f32) {
    y.iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Queries inside the inputs, at their ends, and far outside (no estimate for a compact
/// kernel of bandwidth 0.1).
const QUERIES: [f32; 6] = [0.0, 0.25, 0.5, 0.999, 3.0, -5.0];

#[test]
fn every_pooling_and_far_policy_gives_a_mean_within_the_targets() {
    for (lo, hi) in [
        (1e36, 1e37),
        (-1e37, 1e37),
        (2e38, f32::MAX),
        (-f32::MAX, -3e38),
    ] {
        let (x, y) = data(lo, hi);
        let abs: Vec<f32> = y.iter().map(|v| v.abs()).collect();
        let (min, max) = range(&y);
        for kind in KernelKind::ALL {
            let h = 0.1;
            let poolings: Vec<Box<dyn Pooling>> = vec![
                Box::new(NonparametricPooling::with_kernel(kind, h).unwrap()),
                Box::new(ParametricPooling::with_kernel(kind, 1.0 / h).unwrap()),
                Box::new(AdaptivePooling::new(kind, h.ln(), 0.0, 0.5).unwrap()),
                Box::new(AveragePooling),
            ];
            for pooling in &poolings {
                for far in Far::ALL {
                    let options = PoolOptions {
                        far,
                        ..PoolOptions::default()
                    };
                    let what = format!("{} {kind:?} far {far:?} y in [{lo}, {hi}]", pooling.name());
                    let out = match pooling.pool_with(&QUERIES, &x, &y, &options) {
                        Ok(out) => out,
                        // Only a compact kernel, with queries out of its reach, may refuse.
                        Err(ModelError::FarQueries { .. }) if far == Far::Error => {
                            assert!(kind.support().is_some(), "{what}");
                            continue;
                        }
                        Err(e) => panic!("{what}: {e}"),
                    };
                    for (i, &got) in out.y_hat.iter().enumerate() {
                        if out.far.contains(&i) && far == Far::Nan {
                            assert!(got.is_nan(), "{what}");
                            continue;
                        }
                        assert!(
                            got.is_finite() && (min..=max).contains(&got),
                            "{what}: query {} gives {got}, outside [{min}, {max}]",
                            QUERIES[i]
                        );
                        if pooling.name() == "nonparametric" && !out.far.contains(&i) {
                            // Relative to the weighted mean of |y|: targets of both signs
                            // cancel, and no f32 sum resolves a mean far below their size.
                            let q = QUERIES[i];
                            let want = reference(kind, f64::from(h), q, &x, &y).unwrap();
                            let size = reference(kind, f64::from(h), q, &x, &abs).unwrap();
                            let err = (f64::from(got) - want).abs();
                            assert!(err <= 1e-5 * size, "{what}: {got} vs {want}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_chapters_tensors_stay_finite_with_targets_near_f32_max() {
    let (x, y) = data(3.0e38, f32::MAX);
    let (min, max) = range(&y);
    let queries = [0.1f32, 0.5, 0.9];
    let n = queries.len();
    let (y_hat, _) = chapter::forward(
        &nw_tensor::Tensor::from_slice(&queries),
        &chapter::tile(&x, n).unwrap(),
        &chapter::tile(&y, n).unwrap(),
        10.0,
        Par::Seq,
    )
    .unwrap();
    let (y_np, _) = chapter::nonparametric(&queries, &x, &y, Par::Seq).unwrap();
    for (i, &q) in queries.iter().enumerate() {
        let want = reference(KernelKind::Gaussian, 0.1, q, &x, &y).unwrap();
        let got = y_hat.data()[i];
        assert!(got.is_finite() && (min..=max).contains(&got), "{got}");
        assert!((f64::from(got) - want).abs() <= 1e-5 * want.abs());
        let got = y_np.data()[i];
        assert!(got.is_finite() && (min..=max).contains(&got), "{got}");
    }
}

#[test]
fn training_losses_of_huge_targets_are_finite_f64_sums() {
    // y = 1e30 (1 + small wiggle): the summed squared leave-one-out error is near 1e58, beyond
    // f32; before, training reported "diverged" because an f32 sum overflowed.
    let (x, _) = data(0.0, 1.0);
    let y: Vec<f32> = x
        .iter()
        .map(|&v| 1e30 * (1.0 + 0.1 * (8.0 * v).sin()))
        .collect();
    let w = 20.0f32;
    let lg = loo::loss_grad(&x, &y, w, Par::Rayon).unwrap();
    let want = common::loo_loss_f64(&x, &y, f64::from(w));
    assert!(want > 1e50 && want < 1e70, "{want}");
    assert!(
        (lg.loss - want).abs() <= 1e-5 * want,
        "{} vs {want}",
        lg.loss
    );
    assert!(lg.grad.is_finite());

    // Adam's steps do not depend on the gradient's scale: it trains.
    let report = train(
        &x,
        &y,
        Init::Value(w),
        20,
        &mut Adam::new(0.5),
        Path::Fused,
        Par::Rayon,
    )
    .unwrap();
    assert!((report.epochs[0].loss - want).abs() <= 1e-5 * want);
    assert!(report.epochs.iter().all(|e| e.loss.is_finite()));
    // Plain SGD with the chapter's rate takes a step of 0.5 x 1e55: that is divergence, and
    // training says so about `w`, not about an overflowing loss.
    let err = train(
        &x,
        &y,
        Init::Value(w),
        5,
        &mut Sgd { lr: 0.5 },
        Path::Fused,
        Par::Rayon,
    )
    .unwrap_err();
    assert!(
        matches!(err, ModelError::Diverged { what: "w", .. }),
        "{err}"
    );
}

#[test]
fn cross_validation_of_huge_targets_is_finite() {
    let (x, y) = data(-1e37, 1e37);
    let data = loo::prepare(&x, &y).unwrap();
    let algorithms = [Algorithm::Direct, Algorithm::Sweep];
    for (kind, algorithm) in [KernelKind::Gaussian, KernelKind::Epanechnikov]
        .into_iter()
        .flat_map(|k| algorithms.map(|a| (k, a)))
    {
        let h = 0.05;
        let cv = bandwidth::cv(kind, &data, h, algorithm, Par::Rayon)
            .unwrap()
            .cv;
        let mut want = 0.0;
        for i in 0..x.len() {
            let (k, v): (Vec<f32>, Vec<f32>) = (0..x.len())
                .filter(|&j| j != i)
                .map(|j| (x[j], y[j]))
                .unzip();
            let yh = reference(kind, f64::from(h), x[i], &k, &v).unwrap();
            want += (yh - f64::from(y[i])).powi(2);
        }
        want /= x.len() as f64;
        assert!(
            cv.is_finite() && (cv - want).abs() <= 1e-4 * want,
            "{kind:?} {algorithm:?}: {cv} vs {want}"
        );
    }
}
