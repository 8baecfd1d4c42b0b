//! The sorted sweeps against an f64 pooling written from `ln_k` alone and against the direct
//! path, for every kernel: windows empty, of one key and of every key, tied inputs, queries
//! outside the keys' span and far from them, inputs far from zero, a narrow window at the end
//! of a crowded segment; leave-one-out losses; the same bits on any number of threads.

mod common;

use common::{Rng, bits, on_threads};
use nw_tensor::Par;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{LooFit, Pooled, SortedKeys, loo, pool};
use nw_tensor::ops::sweep::{Algorithm, loo_sweep, loo_sweep_grad, pool_sweep};

/// The leave-one-out loss in f64 from `ln_k` alone.
fn reference_loss(kind: KernelKind, h: f64, x: &[f32], y: &[f32]) -> f64 {
    (0..x.len())
        .filter_map(|i| {
            reference(kind, h, x[i], x, y, i).map(|(yh, _)| (yh - f64::from(y[i])).powi(2))
        })
        .sum()
}

/// `(y, lse)` of query `q` in f64 from `ln_k`, skipping key `skip`; `None` without weight.
fn reference(
    kind: KernelKind,
    h: f64,
    q: f32,
    keys: &[f32],
    values: &[f32],
    skip: usize,
) -> Option<(f64, f64)> {
    let s: Vec<(f64, f64)> = keys
        .iter()
        .zip(values)
        .enumerate()
        .filter(|&(j, _)| j != skip)
        .map(|(_, (&k, &v))| (kind.ln_k((f64::from(k) - f64::from(q)) / h), f64::from(v)))
        .collect();
    let m = s.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return None;
    }
    let (z, v) = s.iter().fold((0.0, 0.0), |(z, v), &(l, y)| {
        let e = (l - m).exp();
        (z + e, v + e * y)
    });
    Some((v / z, m + z.ln()))
}

/// The direct path, for [`KernelKind::visit`].
struct Direct<'a> {
    queries: &'a [f32],
    keys: &'a SortedKeys,
    loo: bool,
}

impl KernelVisitor for Direct<'_> {
    type Output = (Pooled, Option<LooFit>);
    fn visit<K: Bandwidth>(self, kernel: K) -> Self::Output {
        let pooled = pool(&kernel, self.queries, self.keys, Par::Rayon);
        let fit = self
            .loo
            .then(|| loo(&kernel, self.keys, Par::Rayon).unwrap());
        (pooled, fit)
    }
}

/// Inputs on [0, 5] with a third of them rounded to a grid of 0.02 (so many are tied), a few
/// far out, and noisy values.
fn data(rng: &mut Rng, n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut x = rng.vec(n, 0.0, 5.0);
    for v in x.iter_mut().step_by(3) {
        *v = (*v * 50.0).round() / 50.0;
    }
    x[7] = 9.0;
    x[11] = -2.5;
    let y = x
        .iter()
        .map(|&v| v.sin() + 2.0 + rng.uniform(-0.3, 0.3))
        .collect();
    (x, y)
}

#[allow(clippy::too_many_arguments)]
/// Asserts `got` pools like the f64 reference: the same queries without an estimate, each
/// prediction within `tol` of the values' scale, each log-normalizer within `tol` relative.
fn check_against_reference(
    what: &str,
    kind: KernelKind,
    h: f32,
    queries: &[f32],
    x: &[f32],
    y: &[f32],
    got: &Pooled,
    tol: f64,
) {
    let scale = y.iter().fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    for (i, &q) in queries.iter().enumerate() {
        if q.is_nan() {
            assert!(
                got.y[i].is_nan() && got.lse[i].is_nan(),
                "{what}: NaN query"
            );
            continue;
        }
        match reference(kind, f64::from(h), q, x, y, usize::MAX) {
            None => assert!(
                got.y[i].is_nan(),
                "{what} {kind:?} h {h} q {q}: no estimate expected, got {}",
                got.y[i]
            ),
            Some((want_y, want_lse)) => {
                let (gy, gl) = (f64::from(got.y[i]), f64::from(got.lse[i]));
                assert!(
                    (gy - want_y).abs() <= tol * scale,
                    "{what} {kind:?} h {h} q {q}: y {gy} vs {want_y}"
                );
                assert!(
                    (gl - want_lse).abs() <= tol * (1.0 + want_lse.abs()),
                    "{what} {kind:?} h {h} q {q}: lse {gl} vs {want_lse}"
                );
            }
        }
    }
}

#[test]
fn every_kernel_sweeps_like_f64_and_the_direct_path() {
    let mut rng = Rng::new(5);
    let (x, y) = data(&mut rng, 2500);
    let keys = SortedKeys::new(&x, &y).unwrap();
    let mut queries = rng.vec(150, -0.5, 5.5);
    // On keys, between tied keys, outside the span, far outside, and one without a value.
    queries.extend([x[0], x[3], 0.02, 5.0, -2.5, 9.0, -6.0, 30.0, 1e4, f32::NAN]);
    for kind in KernelKind::ALL {
        // From windows of a key or none, through a few segments, to every key in each.
        for h in [0.0007f32, 0.004, 0.06, 0.9, 40.0] {
            let sweep = pool_sweep(kind, h, &queries, &keys, Par::Rayon);
            check_against_reference("sweep", kind, h, &queries, &x, &y, &sweep, 1e-6);
            let (direct, _) = kind.visit(
                h,
                Direct {
                    queries: &queries,
                    keys: &keys,
                    loo: false,
                },
            );
            for (i, q) in queries.iter().enumerate() {
                assert_eq!(
                    sweep.dmin[i].to_bits(),
                    direct.dmin[i].to_bits(),
                    "{kind:?} h {h}: nearest distance of {q}"
                );
                assert_eq!(sweep.y[i].is_nan(), direct.y[i].is_nan(), "{kind:?} h {h}");
                if !direct.y[i].is_nan() {
                    assert!((sweep.y[i] - direct.y[i]).abs() <= 2e-5 * 3.5);
                }
            }
            let seq = on_threads(1, || pool_sweep(kind, h, &queries, &keys, Par::Seq));
            assert_eq!(bits(&seq.y), bits(&sweep.y), "{kind:?} h {h}: threads");
            assert_eq!(bits(&seq.lse), bits(&sweep.lse), "{kind:?} h {h}: threads");
        }
    }
}

#[test]
fn leave_one_out_sweeps_like_f64_and_the_direct_path() {
    let mut rng = Rng::new(9);
    let (x, y) = data(&mut rng, 500);
    let keys = SortedKeys::new(&x, &y).unwrap();
    for kind in KernelKind::ALL {
        // No bandwidth is a multiple of the 0.02 grid, so no tied pair sits on a support's edge.
        for h in [0.002f32, 0.03, 0.41, 30.31] {
            let fit = loo_sweep(kind, h, &keys, Par::Rayon).unwrap();
            let (mut loss, mut far) = (0.0, 0);
            for i in 0..x.len() {
                match reference(kind, f64::from(h), x[i], &x, &y, i) {
                    Some((yh, _)) => {
                        loss += (yh - f64::from(y[i])).powi(2);
                        assert!(
                            (f64::from(fit.y_hat[i]) - yh).abs() <= 1e-6 * 3.5,
                            "{kind:?} h {h} row {i}: {} vs {yh}",
                            fit.y_hat[i]
                        );
                    }
                    None => {
                        far += 1;
                        assert!(fit.y_hat[i].is_nan(), "{kind:?} h {h} row {i}");
                    }
                }
            }
            assert_eq!(fit.far, far, "{kind:?} h {h}");
            assert!(
                (fit.loss - loss).abs() <= 1e-9 * loss,
                "{kind:?} h {h}: loss {} vs {loss}",
                fit.loss
            );
            let (_, direct) = kind.visit(
                h,
                Direct {
                    queries: &[],
                    keys: &keys,
                    loo: true,
                },
            );
            let direct = direct.unwrap();
            assert_eq!(direct.far, fit.far, "{kind:?} h {h}: far");
            assert!(
                (direct.loss - fit.loss).abs() <= 1e-5 * loss,
                "{kind:?} h {h}: {} vs direct {}",
                fit.loss,
                direct.loss
            );
            let seq = on_threads(1, || loo_sweep(kind, h, &keys, Par::Seq).unwrap());
            assert_eq!(bits(&seq.y_hat), bits(&fit.y_hat), "{kind:?} h {h}");
            assert_eq!(seq.loss.to_bits(), fit.loss.to_bits(), "{kind:?} h {h}");
            // The gradient in ln h: against the direct path's, and against a central
            // difference of the f64 loss (a step small enough to cross no support edge).
            let g = loo_sweep_grad(kind, h, &keys, Par::Rayon).unwrap();
            assert_eq!(g.loss.to_bits(), fit.loss.to_bits(), "{kind:?} h {h}");
            let step = 1e-7;
            let fd = (reference_loss(kind, f64::from(h) * f64::exp(step), &x, &y)
                - reference_loss(kind, f64::from(h) * f64::exp(-step), &x, &y))
                / (2.0 * step);
            let scale = g
                .terms
                .iter()
                .map(|t| t.abs())
                .sum::<f64>()
                .max(1e-3 * loss);
            assert!(
                (g.grad - fd).abs() <= 1e-4 * scale,
                "{kind:?} h {h}: grad {} vs difference {fd}",
                g.grad
            );
            // The direct path's f32 slopes lose the gradient of an example hundreds of
            // bandwidths from the rest (u^2 ~ 1e6 cancels in f32); the sweep's f64 matches the
            // difference there, so the paths are compared where the direct one is accurate.
            let accurate = kind.support().is_some() || h >= 0.4;
            assert!(
                !accurate || (g.grad - direct.grad).abs() <= 1e-4 * scale,
                "{kind:?} h {h}: grad {} vs direct {}",
                g.grad,
                direct.grad
            );
            let terms: f64 = g.terms.iter().sum();
            assert!((terms - g.grad).abs() <= 1e-9 * scale);
        }
    }
}

#[test]
fn inputs_far_from_zero_lose_nothing() {
    // Keys at 1e6 plus multiples of 1/16 (f32's spacing there): raw powers of x would cancel
    // every digit; measured from their segments' centres they lose none.
    let x: Vec<f32> = (0..3000)
        .map(|k| 1.0e6 + (k as f32 * 7.0 % 3000.0) / 16.0)
        .collect();
    let y: Vec<f32> = (0..3000).map(|k| (k as f32 / 50.0).sin() * 10.0).collect();
    let keys = SortedKeys::new(&x, &y).unwrap();
    let queries: Vec<f32> = (0..200).map(|k| 1.0e6 - 3.0 + k as f32 * 1.0).collect();
    for kind in KernelKind::ALL {
        for h in [0.3f32, 4.0, 60.0] {
            let got = pool_sweep(kind, h, &queries, &keys, Par::Rayon);
            check_against_reference("far from zero", kind, h, &queries, &x, &y, &got, 1e-6);
        }
    }
}

#[test]
fn a_narrow_window_at_the_end_of_a_crowded_segment_keeps_its_digits() {
    // 200,000 inputs crowded near 0 with values of +-1000 share a segment with a few inputs
    // near its far end valued about 1: a query whose window holds only those few differences
    // two prefix sums about 10^8 larger than its window.
    let mut rng = Rng::new(3);
    let mut x = rng.vec(200_000, 0.0, 0.4);
    let mut y: Vec<f32> = (0..x.len())
        .map(|i| if i % 2 == 0 { 1000.0 } else { -999.0 })
        .collect();
    for k in 0..5 {
        x.push(0.95 + k as f32 * 0.01);
        y.push(1.0 + k as f32 * 0.1);
    }
    let keys = SortedKeys::new(&x, &y).unwrap();
    let queries = [1.45f32, 1.5, 1.9, 1.98, 1.405, 0.2];
    for kind in [
        KernelKind::Epanechnikov,
        KernelKind::Uniform,
        KernelKind::Tricube,
        KernelKind::Cosine,
    ] {
        let got = pool_sweep(kind, 1.0, &queries, &keys, Par::Rayon);
        for (i, &q) in queries.iter().enumerate() {
            let (want, _) = reference(kind, 1.0, q, &x, &y, usize::MAX).unwrap();
            // Relative to the values this query averages, not to the crowd's 1000.
            let scale = if q > 1.4 { 1.5 } else { 1000.0 };
            assert!(
                (f64::from(got.y[i]) - want).abs() <= 1e-6 * scale,
                "{kind:?} q {q}: {} vs {want}",
                got.y[i]
            );
        }
    }
}

#[test]
fn the_gaussian_holds_its_bound_near_and_far_from_the_keys() {
    // Queries from on a key to 40 bandwidths from every key: the series serves those within
    // 4 bandwidths of a key, the direct f64 path the rest; every log-normalizer and prediction
    // keeps f32 accuracy either way.
    let mut rng = Rng::new(12);
    let x = rng.vec(4000, 0.0, 10.0);
    let y: Vec<f32> = x.iter().map(|&v| (3.0 * v).cos() + 0.1 * v).collect();
    let keys = SortedKeys::new(&x, &y).unwrap();
    let h = 0.05f32;
    let queries: Vec<f32> = (0..120)
        .map(|k| 10.0 + k as f32 * h / 3.0)
        .chain([x[5], 5.0, -0.1, -2.0])
        .collect();
    let got = pool_sweep(KernelKind::Gaussian, h, &queries, &keys, Par::Rayon);
    check_against_reference(
        "gaussian",
        KernelKind::Gaussian,
        h,
        &queries,
        &x,
        &y,
        &got,
        3e-7,
    );
}

#[test]
fn the_algorithm_choice_is_by_its_cost_model() {
    let mut rng = Rng::new(1);
    let x = rng.vec(20_000, 0.0, 1.0);
    let keys = SortedKeys::new(&x, &x).unwrap();
    for kind in KernelKind::ALL {
        // A window of thousands of keys per query: the sweep pays.
        assert!(Algorithm::Auto.sweeps(kind, 0.1, &keys, 20_000), "{kind:?}");
        // A key or two per window for a few hundred queries: building the sums would not pay.
        assert!(!Algorithm::Auto.sweeps(kind, 1e-6, &keys, 300), "{kind:?}");
        // A handful of queries over many keys: building the sums would not pay.
        assert!(!Algorithm::Auto.sweeps(kind, 0.001, &keys, 3), "{kind:?}");
        assert!(Algorithm::Sweep.sweeps(kind, 1e-6, &keys, 1));
        assert!(!Algorithm::Direct.sweeps(kind, 0.1, &keys, 20_000));
    }
}

#[test]
fn bandwidths_a_sweep_cannot_index_go_to_the_direct_path() {
    // An infinite bandwidth (every key alike) and one so small that the span would need more
    // than 10^15 segments: the sweeps hand both to the direct path, with its answers.
    let mut rng = Rng::new(4);
    let (x, y) = data(&mut rng, 300);
    let keys = SortedKeys::new(&x, &y).unwrap();
    let queries = rng.vec(20, 0.0, 5.0);
    for kind in [KernelKind::Gaussian, KernelKind::Epanechnikov] {
        for h in [f32::INFINITY, 1e-20] {
            let got = pool_sweep(kind, h, &queries, &keys, Par::Rayon);
            let (want, _) = kind.visit(
                h,
                Direct {
                    queries: &queries,
                    keys: &keys,
                    loo: false,
                },
            );
            assert_eq!(bits(&got.y), bits(&want.y), "{kind:?} h {h}");
            assert!(!Algorithm::Auto.sweeps(kind, h, &keys, 20));
            let fit = loo_sweep(kind, h, &keys, Par::Rayon).unwrap();
            assert!(fit.loss.is_finite() || fit.far == x.len(), "{kind:?} h {h}");
        }
    }
    // Every key alike: the mean of all values.
    let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len() as f64;
    let got = pool_sweep(
        KernelKind::Gaussian,
        f32::INFINITY,
        &[1.0],
        &keys,
        Par::Rayon,
    );
    assert!((f64::from(got.y[0]) - mean).abs() < 1e-5);
}
