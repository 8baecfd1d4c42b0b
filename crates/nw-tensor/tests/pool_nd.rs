//! The fused d-dimensional pooling: against an f64 reference written from the textbook
//! definition (`KernelKind::ln_k` per dimension), against its scalar twin, over key counts
//! that cross every lane and tile boundary and query counts that cross the query block; the
//! leave-one-out loss and gradient against f64 and central finite differences; pruning that
//! changes no bit; the same bits on 1, 2 and 3 threads; agreement with the 1-D kernel; errors.

mod common;

use common::{Rng, bits, on_threads};
use nw_tensor::kernels::LANES;
use nw_tensor::kernels::radial::{Bandwidth, KernelKind, KernelVisitor};
use nw_tensor::ops::pool::{Pooled, SortedKeys, TILE, pool};
use nw_tensor::ops::pool_nd::{KeysNd, loo_nd, loo_nd_scalar, pool_nd, pool_nd_scalar};
use nw_tensor::{Par, TensorError};

/// The stated accuracy of a prediction: relative error at most 1e-5 against f64.
const REL: f64 = 1e-5;

/// `(y, lse, dmin)` in f64 from the definition: `ln K_i = sum_j ln_k((k_ij - q_j) / h_j)`,
/// softmax over the keys (leaving out `skip`); `y` NaN and `lse` -inf when every `K_i` is 0.
fn reference(
    kind: KernelKind,
    h: &[f32],
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    skip: Option<usize>,
) -> (f64, f64, f64) {
    let d = h.len();
    let mut scores = Vec::new();
    let mut dmin = f64::INFINITY;
    for (i, k) in keys.chunks_exact(d).enumerate() {
        if Some(i) == skip {
            continue;
        }
        let u: Vec<f64> = (0..d)
            .map(|j| (f64::from(k[j]) - f64::from(q[j])) / f64::from(h[j]))
            .collect();
        let dist = match kind {
            KernelKind::Gaussian => u.iter().map(|u| u * u).sum::<f64>().sqrt(),
            KernelKind::Laplace => u.iter().map(|u| u.abs()).sum(),
            _ => u.iter().fold(0.0f64, |m, u| m.max(u.abs())),
        };
        dmin = dmin.min(dist);
        let s: f64 = u.iter().map(|&u| kind.ln_k(u)).sum();
        scores.push((s, f64::from(values[i])));
    }
    let m = scores.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return (f64::NAN, f64::NEG_INFINITY, dmin);
    }
    let z: f64 = scores.iter().map(|(s, _)| (s - m).exp()).sum();
    let v: f64 = scores.iter().map(|(s, v)| (s - m).exp() * v).sum();
    (v / z, m + z.ln(), dmin)
}

/// Leave-one-out loss in f64 from the definition, at bandwidths `h` (f64).
fn loo_reference(kind: KernelKind, h: &[f64], x: &[f32], y: &[f32]) -> f64 {
    let d = h.len();
    let n = y.len();
    let mut loss = 0.0;
    for i in 0..n {
        let mut scores = Vec::new();
        for j in (0..n).filter(|&j| j != i) {
            let s: f64 = (0..d)
                .map(|l| kind.ln_k((f64::from(x[j * d + l]) - f64::from(x[i * d + l])) / h[l]))
                .sum();
            scores.push((s, f64::from(y[j])));
        }
        let m = scores.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
        if m == f64::NEG_INFINITY {
            continue;
        }
        let z: f64 = scores.iter().map(|(s, _)| (s - m).exp()).sum();
        let v: f64 = scores.iter().map(|(s, v)| (s - m).exp() * v).sum();
        let r = v / z - f64::from(y[i]);
        loss += r * r;
    }
    loss
}

/// Bandwidths that differ by dimension; wider for compact kernels in many dimensions, so that
/// most queries have keys in reach.
fn bandwidths(kind: KernelKind, d: usize) -> Vec<f32> {
    let base = if kind.support().is_some() {
        0.25 + 0.05 * d as f32
    } else {
        0.2
    };
    (0..d)
        .map(|j| base * (1.0 + 0.25 * (j % 3) as f32))
        .collect()
}

/// Checks `got` against the f64 reference, query by query.
fn assert_accurate(
    got: &Pooled,
    kind: KernelKind,
    h: &[f32],
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
) {
    let d = h.len();
    for (i, q) in queries.chunks_exact(d).enumerate() {
        let (y, lse, dmin) = reference(kind, h, q, keys, values, None);
        let what = format!("{kind:?} d {d}, {} keys, query {i}", values.len());
        let (gy, gl, gd) = (
            f64::from(got.y[i]),
            f64::from(got.lse[i]),
            f64::from(got.dmin[i]),
        );
        if y.is_nan() {
            assert!(gy.is_nan() && gl == f64::NEG_INFINITY, "{what}: {gy} {gl}");
        } else {
            assert!((gy - y).abs() <= REL * y.abs(), "{what}: y {gy} vs {y}");
            // A compact kernel near the edge of its support (1 - u^2 cancels) is
            // ill-conditioned in u, which f32 resolves to ~1e-7: the tolerance grows with the
            // change a 1e-6 relative change of the bandwidths makes.
            let wider: Vec<f32> = h.iter().map(|&x| x * (1.0 + 1e-6)).collect();
            let (_, lse_wider, _) = reference(kind, &wider, q, keys, values, None);
            let cond = (lse_wider - lse).abs();
            assert!(
                (gl - lse).abs() <= 1e-5 * (1.0 + lse.abs()) + 10.0 * cond,
                "{what}: lse {gl} vs {lse}"
            );
        }
        // Scaled coordinates are rounded once: an absolute error near 0.
        assert!(
            (gd - dmin).abs() <= 1e-5 * dmin.max(1.0),
            "{what}: dmin {gd} vs {dmin}"
        );
    }
}

#[test]
fn matches_f64_and_the_scalar_twin_for_every_kernel_and_size() {
    let mut rng = Rng::new(11);
    let sizes = [
        1,
        LANES - 1,
        LANES + 1,
        TILE - 1,
        TILE,
        TILE + 1,
        3 * TILE + 7,
    ];
    for kind in KernelKind::ALL {
        for d in [1, 2, 3, 5, 8, 16] {
            for &n in &sizes {
                let keys = rng.vec(n * d, 0.0, 1.0);
                let values = rng.vec(n, 0.5, 1.5);
                let h = bandwidths(kind, d);
                // 33 queries (past one query block): random, near the keys, and a key itself.
                let mut queries = rng.vec(30 * d, -0.1, 1.1);
                queries.extend_from_slice(&keys[..d]);
                queries.extend(rng.vec(2 * d, 0.3, 0.7));
                let sorted = KeysNd::new(&keys, d, &values, d / 2).unwrap();
                let fused = pool_nd(kind, &h, &queries, &sorted, true, Par::Seq).unwrap();
                let twin = pool_nd_scalar(kind, &h, &queries, &sorted).unwrap();
                assert_accurate(&fused, kind, &h, &queries, &keys, &values);
                assert_accurate(&twin, kind, &h, &queries, &keys, &values);
                // The first pass finds the same nearest key, pruned or not: same bits.
                assert_eq!(bits(&fused.dmin), bits(&twin.dmin), "{kind:?} d {d} n {n}");
                let (fe, te) = (fused.effective.unwrap(), twin.effective.unwrap());
                for i in 0..fused.y.len() {
                    let (a, b) = (fused.y[i], twin.y[i]);
                    assert!(
                        (a - b).abs() <= 2e-6 * b.abs() || (a.is_nan() && b.is_nan()),
                        "{kind:?} d {d} n {n}: y {a} vs {b}"
                    );
                    assert!(
                        (fe[i] - te[i]).abs() <= 1e-5 * te[i] || (fe[i].is_nan() && te[i].is_nan()),
                        "{kind:?} d {d} n {n}: effective {} vs {}",
                        fe[i],
                        te[i]
                    );
                }
            }
        }
    }
}

/// `keys` (n x d) sorted along dimension 0 (rows kept together), and their values.
fn sorted_rows(keys: &[f32], values: &[f32], d: usize) -> (Vec<f32>, Vec<f32>) {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| keys[a * d].total_cmp(&keys[b * d]));
    let k = idx
        .iter()
        .flat_map(|&i| keys[i * d..(i + 1) * d].to_vec())
        .collect();
    let v = idx.iter().map(|&i| values[i]).collect();
    (k, v)
}

#[test]
fn pruning_changes_no_bit() {
    // The same keys twice, in the same order: sorted along dimension 0 (narrow bandwidths
    // prune most keys), and with an extra dimension of zeros to sort along (nothing can be
    // pruned there). A zero offset adds exactly 0 to a score and a factor of exactly 1 to a
    // compact weight, so every weight is the same bits; pruning must not change any sum.
    let mut rng = Rng::new(12);
    for kind in KernelKind::ALL {
        for d in [1, 2, 3] {
            let n = 2 * TILE + 333;
            let (keys, values) = sorted_rows(&rng.vec(n * d, 0.0, 1.0), &rng.vec(n, -1.0, 1.0), d);
            let pad = |x: &[f32]| -> Vec<f32> {
                x.chunks_exact(d)
                    .flat_map(|r| r.iter().copied().chain([0.0]))
                    .collect()
            };
            let h: Vec<f32> = (0..d).map(|j| 0.02 + 0.01 * j as f32).collect();
            let mut h1 = h.clone();
            h1.push(1.0);
            let queries = rng.vec(70 * d, -0.05, 1.05);
            let pruned = KeysNd::new(&keys, d, &values, 0).unwrap();
            let whole = KeysNd::new(&pad(&keys), d + 1, &values, d).unwrap();
            assert_eq!(pruned.order(), whole.order());
            let a = pool_nd(kind, &h, &queries, &pruned, true, Par::Seq).unwrap();
            let b = pool_nd(kind, &h1, &pad(&queries), &whole, true, Par::Seq).unwrap();
            assert_eq!(bits(&a.y), bits(&b.y), "{kind:?} d {d}");
            assert_eq!(bits(&a.dmin), bits(&b.dmin), "{kind:?} d {d}");
            assert_eq!(
                bits(&a.effective.unwrap()),
                bits(&b.effective.unwrap()),
                "{kind:?} d {d}"
            );
            // The extra dimension's density at 0 is a constant factor in the normalizer.
            let c = kind.ln_k(0.0);
            for (la, lb) in a.lse.iter().zip(&b.lse) {
                let expect = f64::from(*la) + c;
                assert!(
                    (f64::from(*lb) - expect).abs() <= 1e-6 * (1.0 + expect.abs())
                        || *la == f32::NEG_INFINITY && *lb == f32::NEG_INFINITY
                );
            }
            let (fa, fb) = (
                loo_nd(kind, &h, &pruned, true, Par::Seq).unwrap(),
                loo_nd(kind, &h1, &whole, true, Par::Seq).unwrap(),
            );
            assert_eq!(fa.loss.to_bits(), fb.loss.to_bits(), "{kind:?} d {d}");
            assert_eq!(bits(&fa.y_hat), bits(&fb.y_hat));
            for l in 0..d {
                assert_eq!(fa.grad[l].to_bits(), fb.grad[l].to_bits(), "{kind:?} d {d}");
            }
        }
    }
}

#[test]
fn leave_one_out_matches_f64_its_twin_and_finite_differences() {
    let mut rng = Rng::new(13);
    for kind in KernelKind::ALL {
        for d in [1, 2, 3, 5] {
            let n = 150;
            let x = rng.vec(n * d, 0.0, 1.0);
            let y: Vec<f32> = x
                .chunks_exact(d)
                .map(|r| r.iter().map(|v| (3.0 * v).sin()).sum::<f32>() + rng.uniform(-0.2, 0.2))
                .collect();
            let h = bandwidths(kind, d);
            let data = KeysNd::new(&x, d, &y, 0).unwrap();
            let h64: Vec<f64> = h.iter().map(|&v| f64::from(v)).collect();
            let loss = loo_reference(kind, &h64, &x, &y);
            let fused = loo_nd(kind, &h, &data, true, Par::Rayon).unwrap();
            let twin = loo_nd_scalar(kind, &h, &data).unwrap();
            let cv = loo_nd(kind, &h, &data, false, Par::Seq).unwrap();
            assert!(cv.grad.is_empty() && cv.loss.to_bits() == fused.loss.to_bits());
            for got in [&fused, &twin] {
                assert!(
                    (got.loss - loss).abs() <= 1e-5 * loss,
                    "{kind:?} d {d}: loss {} vs {loss}",
                    got.loss
                );
                assert_eq!(got.grad.len(), d);
            }
            // The gradient in each ln h_l against central differences of the f64 loss; the
            // uniform kernel's loss is piecewise constant in h (its gradient is 0).
            let eps = 1e-4;
            let fd: Vec<f64> = (0..d)
                .map(|l| {
                    let at = |s: f64| {
                        let mut hh = h64.clone();
                        hh[l] *= s.exp();
                        loo_reference(kind, &hh, &x, &y)
                    };
                    (at(eps) - at(-eps)) / (2.0 * eps)
                })
                .collect();
            let scale = fd.iter().map(|g| g.abs()).sum::<f64>() + 1e-3 * loss;
            for (l, &fd) in fd.iter().enumerate() {
                if kind == KernelKind::Uniform {
                    // Piecewise constant in h: finite differences see its jumps.
                    assert!(fused.grad[l] == 0.0 && twin.grad[l] == 0.0);
                    continue;
                }
                for got in [&fused, &twin] {
                    assert!(
                        (got.grad[l] - fd).abs() <= 2e-3 * scale,
                        "{kind:?} d {d} dim {l}: grad {} vs {fd} (scale {scale})",
                        got.grad[l],
                    );
                }
                assert!(
                    (fused.grad[l] - twin.grad[l]).abs() <= 1e-5 * scale,
                    "{kind:?} d {d} dim {l}: {} vs twin {}",
                    fused.grad[l],
                    twin.grad[l]
                );
            }
            // Predictions come back in the input order.
            let i = n / 3;
            let (yh, _, _) = reference(kind, &h, &x[i * d..(i + 1) * d], &x, &y, Some(i));
            if yh.is_nan() {
                assert!(fused.y_hat[i].is_nan());
            } else {
                assert!((f64::from(fused.y_hat[i]) - yh).abs() <= REL * yh.abs().max(1.0));
            }
            assert_eq!(fused.far, fused.y_hat.iter().filter(|v| v.is_nan()).count());
        }
    }
}

#[test]
fn same_bits_on_one_two_and_three_threads() {
    let mut rng = Rng::new(14);
    for (kind, d) in [
        (KernelKind::Gaussian, 2),
        (KernelKind::Laplace, 5),
        (KernelKind::Epanechnikov, 3),
        (KernelKind::Gaussian, 16),
    ] {
        let n = 3 * TILE + 77;
        let keys = rng.vec(n * d, 0.0, 1.0);
        let values = rng.vec(n, 0.0, 2.0);
        let data = KeysNd::new(&keys, d, &values, 0).unwrap();
        let h = bandwidths(kind, d);
        let queries = rng.vec(301 * d, 0.0, 1.0);
        let seq = pool_nd(kind, &h, &queries, &data, true, Par::Seq).unwrap();
        let loo_seq = loo_nd(kind, &h, &data, true, Par::Seq).unwrap();
        for threads in [1, 2, 3] {
            let par = on_threads(threads, || {
                pool_nd(kind, &h, &queries, &data, true, Par::Rayon).unwrap()
            });
            assert_eq!(bits(&par.y), bits(&seq.y), "{kind:?} {threads} threads");
            assert_eq!(bits(&par.lse), bits(&seq.lse), "{kind:?} {threads} threads");
            let fit = on_threads(threads, || {
                loo_nd(kind, &h, &data, true, Par::Rayon).unwrap()
            });
            assert_eq!(fit.loss.to_bits(), loo_seq.loss.to_bits());
            assert_eq!(bits(&fit.y_hat), bits(&loo_seq.y_hat));
            let g = |f: &[f64]| f.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(g(&fit.grad), g(&loo_seq.grad), "{kind:?} {threads} threads");
        }
    }
}

/// Pools with the 1-D kernel of a run-time kind.
struct Pool1<'a> {
    queries: &'a [f32],
    keys: &'a SortedKeys,
}

impl KernelVisitor for Pool1<'_> {
    type Output = Pooled;
    fn visit<K: Bandwidth>(self, kernel: K) -> Pooled {
        pool(&kernel, self.queries, self.keys, Par::Seq)
    }
}

#[test]
fn one_dimension_agrees_with_the_1d_kernel() {
    let mut rng = Rng::new(15);
    let keys = rng.vec(2000, 0.0, 5.0);
    let values: Vec<f32> = keys.iter().map(|x| 2.0 * x.sin() + x.powf(0.8)).collect();
    let queries = rng.vec(100, 0.0, 5.0);
    let one = SortedKeys::new(&keys, &values).unwrap();
    let nd = KeysNd::new(&keys, 1, &values, 0).unwrap();
    assert_eq!(nd.order(), one.order());
    assert_eq!(nd.column(0), one.keys());
    for kind in KernelKind::ALL {
        for h in [0.05f32, 0.3, 1.0] {
            let a = kind.visit(
                h,
                Pool1 {
                    queries: &queries,
                    keys: &one,
                },
            );
            let b = pool_nd(kind, &[h], &queries, &nd, false, Par::Seq).unwrap();
            for i in 0..queries.len() {
                let (ya, yb) = (a.y[i], b.y[i]);
                assert!(
                    (ya - yb).abs() <= 1e-5 * ya.abs().max(1.0) || ya.is_nan() && yb.is_nan(),
                    "{kind:?} h {h}: {ya} vs {yb}"
                );
                assert!((a.lse[i] - b.lse[i]).abs() <= 1e-5 * (1.0 + a.lse[i].abs()));
                // The 1-D kernel reports distances, this one scaled distances.
                let dmin = f64::from(a.dmin[i]) / f64::from(h);
                assert!((f64::from(b.dmin[i]) - dmin).abs() <= 1e-5 * dmin.max(1.0));
            }
        }
    }
}

#[test]
fn far_queries_of_compact_kernels_have_no_estimate() {
    let keys = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    let data = KeysNd::new(&keys, 2, &[1.0, 2.0, 3.0], 0).unwrap();
    // Inside every dimension's span but outside the support in one of them.
    let queries = [0.5, 0.5, 3.0, 0.0, 0.0, -0.4];
    for kind in KernelKind::ALL {
        let got = pool_nd(kind, &[0.3, 0.3], &queries, &data, true, Par::Seq).unwrap();
        if kind.support().is_some() {
            assert!(got.y.iter().all(|y| y.is_nan()), "{kind:?}: {:?}", got.y);
            assert!(got.lse.iter().all(|&l| l == f32::NEG_INFINITY));
            // The nearest key's distance is still given: max |u_j|.
            assert!(
                (got.dmin[1] - 2.0 / 0.3).abs() < 1e-5 && (got.dmin[2] - 0.4 / 0.3).abs() < 1e-6
            );
        } else {
            assert!(got.y.iter().all(|y| y.is_finite()), "{kind:?}: {:?}", got.y);
        }
        let fit = loo_nd(kind, &[0.3, 0.3], &data, true, Par::Seq).unwrap();
        if kind.support().is_some() {
            assert_eq!(fit.far, 3);
            assert_eq!(fit.loss, 0.0);
        }
    }
}

#[test]
fn duplicate_keys_and_special_queries() {
    // Two examples at the same input see each other (only the row itself is left out).
    let keys = [1.0, 2.0, 1.0, 2.0, 4.0, 4.0];
    let data = KeysNd::new(&keys, 2, &[2.0, 6.0, 0.0], 1).unwrap();
    for kind in KernelKind::ALL {
        let fit = loo_nd(kind, &[0.1, 0.1], &data, true, Par::Seq).unwrap();
        assert!((fit.y_hat[0] - 6.0).abs() < 1e-6 && (fit.y_hat[1] - 2.0).abs() < 1e-6);
        let got = pool_nd(kind, &[0.1, 0.1], &[1.0, 2.0], &data, false, Par::Seq).unwrap();
        assert!(
            (got.y[0] - 4.0).abs() < 1e-6 && got.dmin[0] == 0.0,
            "{kind:?}"
        );
    }
    let got = pool_nd(
        KernelKind::Gaussian,
        &[1.0, 1.0],
        &[f32::NAN, 0.0, 1.0, f32::INFINITY],
        &data,
        false,
        Par::Seq,
    )
    .unwrap();
    assert!(got.y.iter().all(|y| y.is_nan()) && got.lse[0].is_nan());
    // No keys, no queries.
    let empty = KeysNd::new(&[], 3, &[], 2).unwrap();
    let got = pool_nd(
        KernelKind::Gaussian,
        &[1.0; 3],
        &[0.0; 3],
        &empty,
        false,
        Par::Seq,
    )
    .unwrap();
    assert!(got.y[0].is_nan() && got.lse[0] == f32::NEG_INFINITY);
    let got = pool_nd(
        KernelKind::Gaussian,
        &[1.0, 1.0],
        &[],
        &data,
        true,
        Par::Rayon,
    )
    .unwrap();
    assert!(got.y.is_empty() && got.effective.unwrap().is_empty());
}

#[test]
fn huge_values_are_summed_scaled_and_clamped() {
    let mut rng = Rng::new(16);
    let n = TILE + 5;
    let keys = rng.vec(2 * n, 0.0, 1.0);
    let values = vec![3e38f32; n];
    let data = KeysNd::new(&keys, 2, &values, 0).unwrap();
    let got = pool_nd(
        KernelKind::Gaussian,
        &[5.0, 5.0],
        &rng.vec(20, 0.0, 1.0),
        &data,
        false,
        Par::Seq,
    )
    .unwrap();
    assert!(got.y.iter().all(|&y| y == 3e38), "{:?}", got.y);
    let fit = loo_nd(KernelKind::Gaussian, &[5.0, 5.0], &data, true, Par::Seq).unwrap();
    assert!(fit.loss == 0.0 && fit.grad.iter().all(|g| g.is_finite()));
}

#[test]
fn bad_arguments_are_refused() {
    let err = KeysNd::new(&[0.0, 1.0, f32::NAN, 2.0], 2, &[1.0, 2.0], 0).unwrap_err();
    assert!(
        matches!(
            err,
            TensorError::NotFinite {
                what: "keys",
                index: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let err = KeysNd::new(&[0.0, 1.0], 2, &[f32::INFINITY], 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool_nd: values[0] is inf, expected a finite number"
    );
    let err = KeysNd::new(&[0.0, 1.0, 2.0], 2, &[1.0], 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool_nd (keys, values): shapes [3] and [1, 2] do not fit"
    );
    assert!(matches!(
        KeysNd::new(&[], 0, &[], 0),
        Err(TensorError::Rank { .. })
    ));
    assert!(matches!(
        KeysNd::new(&[0.0, 1.0], 2, &[1.0], 2),
        Err(TensorError::Axis { axis: 2, .. })
    ));
    assert!(matches!(
        KeysNd::new(&[-3e38, 0.0, 3e38, 0.0], 2, &[1.0, 2.0], 1),
        Err(TensorError::Span { .. })
    ));
    let data = KeysNd::new(&[0.0, 1.0, 2.0, 3.0], 2, &[1.0, 2.0], 0).unwrap();
    let g = KernelKind::Gaussian;
    let err = pool_nd(g, &[1.0], &[0.0, 0.0], &data, false, Par::Seq).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool_nd (bandwidths, keys): shapes [1] and [2] do not fit"
    );
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY, 1e-39] {
        let err = pool_nd(g, &[1.0, bad], &[0.0, 0.0], &data, false, Par::Seq).unwrap_err();
        assert!(
            matches!(err, TensorError::Bandwidth { index: 1, value, .. } if value.to_bits() == bad.to_bits()),
            "{err:?}"
        );
        assert!(loo_nd_scalar(g, &[bad, 1.0], &data).is_err());
    }
    let err = pool_nd(g, &[1.0, 1.0], &[0.0, 0.0, 1.0], &data, false, Par::Seq).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool_nd (queries, keys): shapes [3] and [2] do not fit"
    );
    let one = KeysNd::new(&[0.0, 1.0], 2, &[1.0], 0).unwrap();
    assert!(matches!(
        loo_nd(g, &[1.0, 1.0], &one, true, Par::Seq),
        Err(TensorError::Rank { .. })
    ));
    // Keys 2e30 apart at a bandwidth of 1e-10: 2e40 bandwidths, beyond f32.
    let wide = KeysNd::new(&[0.0, 0.0, 1e30, 2e30], 2, &[1.0, 2.0], 0).unwrap();
    let err = pool_nd(g, &[1.0, 1e-10], &[0.0, 0.0], &wide, false, Par::Seq).unwrap_err();
    assert!(
        matches!(err, TensorError::OutOfScale { dim: 1, .. }),
        "{err:?}"
    );
}
