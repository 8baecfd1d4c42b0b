//! Adaptive pooling (exercise 4): the hand-derived gradients against finite differences of an
//! independent f64 loss, and training that lowers the leave-one-out loss.

#![allow(clippy::print_stderr)]

mod common;

use nw_model::pooling::adaptive::loss_grad;
use nw_model::{Adam, AdaptivePooling, KernelKind, Learn, Pooling, loo, loss, train_adaptive};
use nw_tensor::Par;

/// The leave-one-out loss of adaptive pooling in f64, from `ln_k` alone.
fn loss_f64(kind: KernelKind, x: &[f32], y: &[f32], a: f64, b: f64, c: f64) -> f64 {
    (0..x.len())
        .map(|i| {
            let h = (a + b * (f64::from(x[i]) - c)).exp();
            let s: Vec<(f64, f64)> = (0..x.len())
                .filter(|&j| j != i)
                .map(|j| {
                    (
                        kind.ln_k((f64::from(x[i]) - f64::from(x[j])) / h),
                        f64::from(y[j]),
                    )
                })
                .collect();
            let m = s.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
            let (z, v) = s.iter().fold((0.0, 0.0), |(z, v), &(sj, yj)| {
                ((z + (sj - m).exp()), v + (sj - m).exp() * yj)
            });
            (v / z - f64::from(y[i])).powi(2)
        })
        .sum()
}

#[test]
fn gradients_match_finite_differences() {
    let (x, y) = common::train();
    let data = loo::prepare(&x, &y).unwrap();
    let c = 2.5f32;
    for kind in [
        KernelKind::Gaussian,
        KernelKind::Laplace,
        KernelKind::Biweight,
    ] {
        // Wide enough that the biweight leaves no example alone on these 50 points.
        for (a, b) in [(-0.3f32, 0.0f32), (-0.4, 0.15), (-0.2, -0.1)] {
            let (l, ga, gb) = loss_grad(kind, &data, (a, b, c), Par::Seq).unwrap();
            let (a64, b64, c64) = (f64::from(a), f64::from(b), f64::from(c));
            let want = loss_f64(kind, &x, &y, a64, b64, c64);
            assert!(
                (l - want).abs() <= 1e-5 * want,
                "{kind:?} a {a} b {b}: loss {l} vs {want}"
            );
            let step = 1e-6;
            let fa = (loss_f64(kind, &x, &y, a64 + step, b64, c64)
                - loss_f64(kind, &x, &y, a64 - step, b64, c64))
                / (2.0 * step);
            let fb = (loss_f64(kind, &x, &y, a64, b64 + step, c64)
                - loss_f64(kind, &x, &y, a64, b64 - step, c64))
                / (2.0 * step);
            let tol = |f: f64| 1e-3 * f.abs().max(0.01 * want);
            assert!(
                (ga - fa).abs() <= tol(fa),
                "{kind:?} a {a} b {b}: dL/da {ga} vs {fa}"
            );
            assert!(
                (gb - fb).abs() <= tol(fb),
                "{kind:?} a {a} b {b}: dL/db {gb} vs {fb}"
            );
        }
    }
}

#[test]
fn training_lowers_the_loss_and_beats_one_bandwidth_on_the_chapter() {
    let (x, y) = common::train();
    let (tx, truth) = common::test();
    let mut losses = Vec::new();
    let report = train_adaptive(
        &x,
        &y,
        KernelKind::Gaussian,
        Learn::Adaptive,
        300,
        &mut Adam::new(0.05),
        Par::Rayon,
        &mut |e| losses.push(e.loss),
    )
    .unwrap();
    assert_eq!(report.epochs.len(), 300);
    assert!(
        losses[299] < 0.8 * losses[0],
        "{} -> {}",
        losses[0],
        losses[299]
    );
    let pooling = report.pooling;
    let fit = pooling.pool(&tx, &x, &y, false, Par::Rayon).unwrap();
    let mse = loss::mse(&fit.y_hat, &truth).unwrap();
    let (a, b, c) = pooling.params();
    eprintln!(
        "adaptive: a {a} b {b} c {c}, h from {} to {}, test MSE {mse}",
        pooling.bandwidth_at(0.0),
        pooling.bandwidth_at(5.0)
    );
    // The learned scale of the chapter reaches test MSE 0.0899 on these data (golden file).
    assert!(mse < 0.0899, "{mse}");
    // One log-bandwidth only: b stays 0.
    let one = train_adaptive(
        &x,
        &y,
        KernelKind::Epanechnikov,
        Learn::LogBandwidth,
        50,
        &mut Adam::new(0.05),
        Par::Seq,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(one.pooling.params().1, 0.0);
    assert!(AdaptivePooling::new(KernelKind::Gaussian, f32::NAN, 0.0, 0.0).is_err());
}
