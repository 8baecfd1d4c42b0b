//! The kernels: each textbook formula at fixed points, its integral, variance, roughness and
//! support by quadrature; the fused loop's weights and slopes for every kernel against an f64
//! pooling written from `ln_k` alone; and queries out of a compact kernel's reach.

mod common;

use common::Rng;
use nw_tensor::Par;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{LooFit, Pooled, SortedKeys, loo, loo_scalar, pool, pool_diagnosed};

/// `int f(u) du` over `[a, b]` by composite Simpson with `n` (even) panels.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// `int f(u) du` over the kernel's support (or [-40, 40], beyond which no kernel here has
/// mass an f64 can see), split at 0 where the triangular, tricube and Laplace have a kink.
fn integrate(kind: KernelKind, f: impl Fn(f64) -> f64) -> f64 {
    let s = kind.support().unwrap_or(40.0);
    simpson(&f, -s, 0.0, 200_000) + simpson(&f, 0.0, s, 200_000)
}

fn k(kind: KernelKind, u: f64) -> f64 {
    kind.ln_k(u).exp()
}

#[test]
fn each_kernel_is_its_textbook_formula() {
    use std::f64::consts::PI;
    // (kind, u, K(u)) computed by hand from the textbook definitions.
    let cases = [
        (KernelKind::Gaussian, 0.0, 1.0 / (2.0 * PI).sqrt()),
        (
            KernelKind::Gaussian,
            1.5,
            (-1.125f64).exp() / (2.0 * PI).sqrt(),
        ),
        (KernelKind::Epanechnikov, 0.0, 0.75),
        (KernelKind::Epanechnikov, 0.5, 0.5625),
        (KernelKind::Epanechnikov, -0.8, 0.75 * 0.36),
        (KernelKind::Uniform, 0.3, 0.5),
        (KernelKind::Uniform, -1.0, 0.5),
        (KernelKind::Triangular, 0.25, 0.75),
        (KernelKind::Triangular, -0.5, 0.5),
        (KernelKind::Biweight, 0.5, 15.0 / 16.0 * 0.5625),
        (KernelKind::Triweight, 0.5, 35.0 / 32.0 * 0.421_875),
        (KernelKind::Tricube, 0.5, 70.0 / 81.0 * 0.669_921_875),
        (KernelKind::Cosine, 0.5, PI / 4.0 * (PI / 4.0).cos()),
        (KernelKind::Cosine, 0.0, PI / 4.0),
        (KernelKind::Laplace, 0.0, 0.5),
        (KernelKind::Laplace, -2.0, (-2.0f64).exp() / 2.0),
    ];
    for (kind, u, want) in cases {
        let got = k(kind, u);
        assert!(
            (got - want).abs() < 1e-15,
            "{kind:?} at {u}: {got} vs {want}"
        );
    }
    // The Epanechnikov kernel is quadratic, not the triangle some libraries ship under its
    // name: at u = 1/2 it is 9/16 of 1, against the triangle's 1/2.
    assert!(
        (k(KernelKind::Epanechnikov, 0.5) / k(KernelKind::Epanechnikov, 0.0) - 0.75).abs() < 1e-15
    );
}

#[test]
fn each_kernel_integrates_to_one_with_its_stated_moments_and_support() {
    for kind in KernelKind::ALL {
        let mass = integrate(kind, |u| k(kind, u));
        assert!((mass - 1.0).abs() < 1e-9, "{kind:?}: integral {mass}");
        let mu2 = integrate(kind, |u| u * u * k(kind, u));
        assert!((mu2 - kind.variance()).abs() < 1e-9, "{kind:?}: mu2 {mu2}");
        let r = integrate(kind, |u| k(kind, u).powi(2));
        assert!((r - kind.roughness()).abs() < 1e-9, "{kind:?}: R {r}");
        match kind.support() {
            Some(s) => {
                assert!(k(kind, s * 0.999) > 0.0 || kind == KernelKind::Uniform);
                assert_eq!(kind.ln_k(s * 1.0001), f64::NEG_INFINITY, "{kind:?}");
                assert_eq!(kind.ln_k(-s * 1.0001), f64::NEG_INFINITY, "{kind:?}");
            }
            None => assert!(k(kind, 10.0) > 0.0, "{kind:?}"),
        }
        // Symmetric, and not increasing away from 0.
        for i in 0..100 {
            let u = f64::from(i) * 0.011;
            assert_eq!(kind.ln_k(u), kind.ln_k(-u), "{kind:?}");
            assert!(kind.ln_k(u + 0.011) <= kind.ln_k(u), "{kind:?} at {u}");
        }
        assert_eq!(KernelKind::from_name(kind.name()), Some(kind));
    }
    // The Gaussian is its own equivalent; the others scale as their canonical bandwidths.
    assert!((KernelKind::Gaussian.gaussian_equivalent() - 1.0).abs() < 1e-15);
    assert!((KernelKind::Epanechnikov.gaussian_equivalent() - 2.214_5).abs() < 1e-3);
}

/// Pooling and leave-one-out with `kind` at bandwidth `h`, fused and twin.
struct Run<'a> {
    queries: &'a [f32],
    keys: &'a SortedKeys,
}

impl KernelVisitor for Run<'_> {
    type Output = (Pooled, Pooled, LooFit, LooFit);
    fn visit<K: Bandwidth>(self, kernel: K) -> Self::Output {
        (
            pool_diagnosed(&kernel, self.queries, self.keys, Par::Rayon),
            pool(&kernel, self.queries, self.keys, Par::Seq),
            loo(&kernel, self.keys, Par::Rayon).unwrap(),
            loo_scalar(&kernel, self.keys).unwrap(),
        )
    }
}

/// `(y, lse, effective)` in f64 from `ln_k` alone; `None` when no key has weight.
fn reference(
    kind: KernelKind,
    h: f64,
    q: f32,
    keys: &[f32],
    values: &[f32],
) -> Option<(f64, f64, f64)> {
    let s: Vec<f64> = keys
        .iter()
        .map(|&k| kind.ln_k((f64::from(q) - f64::from(k)) / h))
        .collect();
    let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return None;
    }
    let e: Vec<f64> = s.iter().map(|s| (s - m).exp()).collect();
    let z: f64 = e.iter().sum();
    let v: f64 = e.iter().zip(values).map(|(e, &v)| e * f64::from(v)).sum();
    let e2: f64 = e.iter().map(|e| e * e).sum();
    Some((v / z, m + z.ln(), z * z / e2))
}

/// Leave-one-out loss in f64 from `ln_k` alone, with the count of examples left without an
/// estimate.
fn loo_loss(kind: KernelKind, h: f64, x: &[f32], y: &[f32]) -> (f64, usize) {
    let mut loss = 0.0;
    let mut far = 0;
    for i in 0..x.len() {
        let (k, v): (Vec<f32>, Vec<f32>) = (0..x.len())
            .filter(|&j| j != i)
            .map(|j| (x[j], y[j]))
            .unzip();
        match reference(kind, h, x[i], &k, &v) {
            Some((yh, _, _)) => loss += (yh - f64::from(y[i])).powi(2),
            None => far += 1,
        }
    }
    (loss, far)
}

#[test]
fn every_kernel_pools_and_differentiates_like_its_formula() {
    let mut rng = Rng::new(41);
    let n = 700;
    let x = rng.vec(n, 0.0, 5.0);
    let y: Vec<f32> = x
        .iter()
        .map(|&v| v.sin() + 2.0 + rng.uniform(-0.3, 0.3))
        .collect();
    let keys = SortedKeys::new(&x, &y).unwrap();
    let mut queries = rng.vec(60, -0.2, 5.2);
    queries.extend([x[3], 0.0, 5.0]);
    for kind in KernelKind::ALL {
        for h in [0.15f32, 0.6] {
            let (fused, seq, fit, twin) = kind.visit(
                h,
                Run {
                    queries: &queries,
                    keys: &keys,
                },
            );
            for (i, &q) in queries.iter().enumerate() {
                let Some((want_y, want_lse, want_eff)) = reference(kind, f64::from(h), q, &x, &y)
                else {
                    assert!(
                        fused.y[i].is_nan(),
                        "{kind:?} h {h} q {q}: no estimate expected"
                    );
                    continue;
                };
                let got = f64::from(fused.y[i]);
                assert!(
                    (got - want_y).abs() <= 1e-5 * want_y.abs(),
                    "{kind:?} h {h} q {q}: {got} vs {want_y}"
                );
                assert_eq!(
                    fused.y[i].to_bits(),
                    seq.y[i].to_bits(),
                    "{kind:?}: threads"
                );
                let lse = f64::from(fused.lse[i]);
                assert!(
                    (lse - want_lse).abs() <= 1e-5 * (1.0 + want_lse.abs()),
                    "{kind:?} h {h}: lse {lse} vs {want_lse}"
                );
                let eff = f64::from(fused.effective.as_ref().unwrap()[i]);
                assert!(
                    (eff - want_eff).abs() <= 1e-4 * want_eff,
                    "{kind:?} h {h}: eff {eff} vs {want_eff}"
                );
            }
            // Leave-one-out: loss against f64, gradient against a central difference in ln h.
            let (loss, far) = loo_loss(kind, f64::from(h), &x, &y);
            assert_eq!(fit.far, far, "{kind:?} h {h}");
            assert!(
                (fit.loss - loss).abs() <= 1e-5 * loss,
                "{kind:?} h {h}: loss {} vs {loss}",
                fit.loss
            );
            assert!(
                (twin.loss - loss).abs() <= 1e-5 * loss,
                "{kind:?} h {h}: twin loss"
            );
            if kind != KernelKind::Uniform {
                // The loss has a kink wherever a pair's distance crosses the support's edge
                // (for kernels with K'(1) != 0), so the step is small enough to cross none.
                let step = 1e-7;
                let up = loo_loss(kind, f64::from(h) * f64::exp(step), &x, &y).0;
                let down = loo_loss(kind, f64::from(h) * f64::exp(-step), &x, &y).0;
                let fd = (up - down) / (2.0 * step);
                let tol = 2e-3 * fd.abs().max(0.01 * loss);
                assert!(
                    (fit.grad - fd).abs() <= tol,
                    "{kind:?} h {h}: grad {} vs {fd}",
                    fit.grad
                );
                assert!(
                    (twin.grad - fd).abs() <= tol,
                    "{kind:?} h {h}: twin grad {} vs {fd}",
                    twin.grad
                );
            }
        }
    }
}

#[test]
fn a_query_out_of_a_compact_kernels_reach_has_no_estimate() {
    let keys = SortedKeys::new(&[0.0, 1.0, 10.0], &[1.0, 2.0, 3.0]).unwrap();
    struct P<'a>(&'a SortedKeys);
    impl KernelVisitor for P<'_> {
        type Output = Pooled;
        fn visit<K: Bandwidth>(self, kernel: K) -> Pooled {
            pool(&kernel, &[0.5, 5.5, -3.0, 20.0], self.0, Par::Seq)
        }
    }
    for kind in KernelKind::ALL {
        let out = kind.visit(1.0, P(&keys));
        assert!(out.y[0].is_finite(), "{kind:?}");
        assert_eq!(out.dmin, [0.5, 4.5, 3.0, 10.0]);
        for i in 1..4 {
            if kind.support().is_some() {
                // Nothing within h = 1: no weight at all, never a number that looks like one.
                assert!(out.y[i].is_nan(), "{kind:?} query {i}");
                assert_eq!(out.lse[i], f32::NEG_INFINITY, "{kind:?} query {i}");
            } else {
                assert!(out.y[i].is_finite(), "{kind:?} query {i}");
            }
        }
    }
}

#[test]
fn an_adaptive_kernel_is_its_base_at_each_querys_bandwidth() {
    use nw_tensor::kernels::compact::{Compact, Epanechnikov};
    use nw_tensor::kernels::radial::{Adaptive, Gaussian};
    let mut rng = Rng::new(43);
    let x = rng.vec(400, 0.0, 5.0);
    let y: Vec<f32> = x.iter().map(|&v| (2.0 * v).sin() + 1.5).collect();
    let keys = SortedKeys::new(&x, &y).unwrap();
    let queries = rng.vec(30, 0.0, 5.0);
    let (a, b, c) = (-1.5f32, 0.3f32, 2.5f32);
    let h = |q: f32| (f64::from(a) + f64::from(b) * (f64::from(q) - f64::from(c))).exp();
    // Pooling: each query as its own fixed-bandwidth kernel would pool it.
    let g = pool(
        &Adaptive::<Gaussian>::new(a, b, c),
        &queries,
        &keys,
        Par::Rayon,
    );
    let e = pool(
        &Adaptive::<Compact<Epanechnikov>>::new(a, b, c),
        &queries,
        &keys,
        Par::Rayon,
    );
    for (i, &q) in queries.iter().enumerate() {
        for (kind, got) in [
            (KernelKind::Gaussian, g.y[i]),
            (KernelKind::Epanechnikov, e.y[i]),
        ] {
            let (want, _, _) = reference(kind, h(q), q, &x, &y).unwrap();
            assert!(
                (f64::from(got) - want).abs() <= 1e-5 * want,
                "{kind:?} q {q}: {got} vs {want}"
            );
        }
    }
    // Leave-one-out gradient terms: dL/da = sum t_i, dL/db = sum (x_i - c) t_i, against
    // central differences of an f64 loss.
    let loss = |a: f64, b: f64| -> f64 {
        (0..x.len())
            .map(|i| {
                let hi = (a + b * (f64::from(x[i]) - f64::from(c))).exp();
                let (k, v): (Vec<f32>, Vec<f32>) = (0..x.len())
                    .filter(|&j| j != i)
                    .map(|j| (x[j], y[j]))
                    .unzip();
                let (yh, _, _) = reference(KernelKind::Gaussian, hi, x[i], &k, &v).unwrap();
                (yh - f64::from(y[i])).powi(2)
            })
            .sum()
    };
    let fit = loo(&Adaptive::<Gaussian>::new(a, b, c), &keys, Par::Rayon).unwrap();
    let ga: f64 = fit.terms.iter().sum();
    let gb: f64 = fit
        .terms
        .iter()
        .zip(&x)
        .map(|(t, &xi)| t * (f64::from(xi) - f64::from(c)))
        .sum();
    let (a64, b64, step) = (f64::from(a), f64::from(b), 1e-5);
    let fa = (loss(a64 + step, b64) - loss(a64 - step, b64)) / (2.0 * step);
    let fb = (loss(a64, b64 + step) - loss(a64, b64 - step)) / (2.0 * step);
    assert!(
        (ga - fa).abs() <= 1e-3 * fa.abs().max(1e-3),
        "dL/da {ga} vs {fa}"
    );
    assert!(
        (gb - fb).abs() <= 1e-3 * fb.abs().max(1e-3),
        "dL/db {gb} vs {fb}"
    );
    assert!((fit.loss - loss(a64, b64)).abs() <= 1e-5 * fit.loss);
}

#[test]
fn huge_values_give_finite_means_within_their_range_for_every_kernel() {
    // 3000 keys on [0, 1) all within one bandwidth of every query, values near 1e37 and
    // f32::MAX: the f32 lane sums of the weighted values would overflow unscaled, though every
    // answer is a weighted mean of finite values (issue 9, item 4).
    let mut rng = Rng::new(7);
    let x = rng.vec(3000, 0.0, 1.0);
    let queries = [0.0f32, 0.3, 0.5, 0.99, 1.5, -0.2];
    for (lo, hi) in [(1e36f32, 1e37f32), (-3e38, -1e38), (3.0e38, f32::MAX)] {
        let y: Vec<f32> = x.iter().map(|_| rng.uniform(lo, hi)).collect();
        let keys = SortedKeys::new(&x, &y).unwrap();
        let (min, max) = (
            y.iter().copied().fold(f32::INFINITY, f32::min),
            y.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        );
        for kind in KernelKind::ALL {
            let h = 2.0;
            let (fused, seq, fit, twin) = kind.visit(
                h,
                Run {
                    queries: &queries,
                    keys: &keys,
                },
            );
            for (i, &q) in queries.iter().enumerate() {
                let (want, _, _) = reference(kind, f64::from(h), q, &x, &y).unwrap();
                for got in [fused.y[i], seq.y[i]] {
                    assert!(
                        got.is_finite() && (min..=max).contains(&got),
                        "{kind:?} q {q} values [{lo}, {hi}]: {got} outside [{min}, {max}]"
                    );
                    let err = (f64::from(got) - want).abs();
                    assert!(err <= 1e-5 * want.abs(), "{kind:?} q {q}: {got} vs {want}");
                }
            }
            // Leave-one-out: the squared errors reach 1e76, far beyond f32 but not f64.
            let (want, far) = loo_loss(kind, f64::from(h), &x, &y);
            assert_eq!((fit.far, twin.far), (far, far));
            for got in [fit.loss, twin.loss] {
                assert!(
                    got.is_finite() && (got - want).abs() <= 1e-4 * want,
                    "{kind:?} values [{lo}, {hi}]: loss {got} vs {want}"
                );
            }
            assert!(fit.grad.is_finite() && fit.y_hat.iter().all(|v| v.is_finite()));
        }
    }
}
