//! The fused attention-pooling kernel: against an f64 computation of the chapter's formula
//! (scores, max, softmax, weighted sum) on the same f32 inputs, against its scalar twin, over
//! sizes that cross every lane and tile boundary; merging partial results; the same bits on
//! 1, 2 and 3 threads; and leave-one-out loss and gradient against f64 and finite
//! differences.

mod common;

use common::{Rng, bits, on_threads};
use nw_tensor::kernels::LANES;
use nw_tensor::kernels::radial::Gaussian;
use nw_tensor::ops::pool::{Pooled, SortedKeys, TILE, loo, loo_scalar, merge, pool, pool_scalar};
use nw_tensor::{Par, TensorError};

/// The stated accuracy of a prediction: relative error at most 1e-5 against f64.
const REL: f64 = 1e-5;

/// `(y, lse)` of the chapter's formula in f64: `s_j = -((q - k_j) w)^2 / 2`, softmax over j;
/// the log-normalizer is that of the normalized kernel, `s_j - ln sqrt(2 pi)`.
fn reference(w: f32, q: f32, keys: &[f32], values: &[f32]) -> (f64, f64) {
    let w = f64::from(w);
    let s: Vec<f64> = keys
        .iter()
        .map(|&k| {
            let t = (f64::from(q) - f64::from(k)) * w;
            -t * t / 2.0
        })
        .collect();
    let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = s.iter().map(|si| (si - m).exp()).collect();
    let z: f64 = e.iter().sum();
    let v: f64 = e.iter().zip(values).map(|(e, &v)| e * f64::from(v)).sum();
    (v / z, m + z.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln())
}

/// Leave-one-out `(loss, dloss/dw, scale)` in f64, from the chapter's definition. `scale`
/// sums the gradient's terms in absolute value: the size its rounding errors are relative to,
/// since the terms above and below each prediction cancel.
fn loo_reference(w: f64, x: &[f32], y: &[f32]) -> (f64, f64, f64) {
    let (mut loss, mut grad, mut scale) = (0.0, 0.0, 0.0);
    for i in 0..x.len() {
        let others = (0..x.len()).filter(|&j| j != i);
        let d: Vec<(f64, f64)> = others
            .map(|j| (f64::from(x[i]) - f64::from(x[j]), f64::from(y[j])))
            .collect();
        let s: Vec<f64> = d.iter().map(|(d, _)| -(d * w).powi(2) / 2.0).collect();
        let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = s.iter().map(|s| (s - m).exp()).collect();
        let z: f64 = e.iter().sum();
        let yh: f64 = e.iter().zip(&d).map(|(e, (_, v))| e * v).sum::<f64>() / z;
        // dy/dw = sum_j a_j (ds_j/dw) (v_j - yh), ds_j/dw = -w d_j^2.
        let dy: f64 = e
            .iter()
            .zip(&d)
            .map(|(e, (dj, v))| e / z * (-w * dj * dj) * (v - yh))
            .sum();
        let r = yh - f64::from(y[i]);
        loss += r * r;
        grad += 2.0 * r * dy;
        scale += (2.0 * r).abs()
            * e.iter()
                .zip(&d)
                .map(|(e, (dj, v))| e / z * (w * dj * dj).abs() * (v.abs() + yh.abs()))
                .sum::<f64>();
    }
    (loss, grad, scale)
}

fn keys_from(rng: &mut Rng, m: usize, span: f32) -> (Vec<f32>, Vec<f32>) {
    let k = rng.vec(m, 0.0, span);
    let v = rng.vec(m, 0.5, 1.5);
    (k, v)
}

/// Checks every prediction and log-normalizer of `got` against the f64 reference.
fn assert_accurate(got: &Pooled, w: f32, queries: &[f32], keys: &[f32], values: &[f32]) {
    for (i, &q) in queries.iter().enumerate() {
        let (y, lse) = reference(w, q, keys, values);
        let (gy, gl) = (f64::from(got.y[i]), f64::from(got.lse[i]));
        assert!(
            (gy - y).abs() <= REL * y.abs(),
            "w {w}, {} keys, query {q}: y {gy} vs {y}",
            keys.len()
        );
        assert!(
            (gl - lse).abs() <= 1e-6 * (1.0 + lse.abs()),
            "w {w}, {} keys, query {q}: lse {gl} vs {lse}",
            keys.len()
        );
    }
}

/// Sizes that cross every lane and tile boundary.
fn interesting() -> Vec<usize> {
    let mut s = vec![1, 2, 3, LANES - 1, LANES, LANES + 1, 2 * LANES + 1];
    s.extend([TILE - 1, TILE, TILE + 1, 2 * TILE + LANES + 3, 5003]);
    s
}

#[test]
fn matches_f64_and_the_scalar_twin_over_interesting_sizes() {
    let mut rng = Rng::new(1);
    for m in interesting() {
        for w in [0.0f32, 0.7, 1.0, 12.0, 250.0] {
            let (k, v) = keys_from(&mut rng, m, 5.0);
            let sorted = SortedKeys::new(&k, &v).unwrap();
            // Queries inside, at and beyond the ends of the keys.
            let mut queries = rng.vec(37, -1.0, 6.0);
            queries.extend([k[0], 0.0, 5.0, -30.0, 40.0]);
            let fused = pool(&Gaussian::new(w), &queries, &sorted, Par::Seq);
            let twin = pool_scalar(&Gaussian::new(w), &queries, &sorted);
            assert_accurate(&fused, w, &queries, &k, &v);
            assert_accurate(&twin, w, &queries, &k, &v);
            for i in 0..queries.len() {
                let (a, b) = (fused.y[i], twin.y[i]);
                assert!(
                    (a - b).abs() <= 2e-6 * b.abs(),
                    "{m} keys, w {w}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn a_million_keys_stay_within_1e_5() {
    let mut rng = Rng::new(2);
    let (k, v) = keys_from(&mut rng, 1_000_000, 5.0);
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let queries = rng.vec(24, 0.0, 5.0);
    for w in [0.3f32, 1.0] {
        let got = pool(&Gaussian::new(w), &queries, &sorted, Par::Rayon);
        assert_accurate(&got, w, &queries, &k, &v);
    }
}

#[test]
fn far_queries_keep_their_digits() {
    // 1000 away, every score is about -5e5: PyTorch's score - max keeps none of the digits
    // that separate the keys; the anchor form keeps them.
    let k: Vec<f32> = (0..50).map(|i| i as f32 * 0.1).collect();
    let v: Vec<f32> = k.iter().map(|x| 1.0 + x.sin()).collect();
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let queries = [-1000.0, -7.5, 9.25, 1000.0];
    for w in [1.0f32, 0.01, 3.0] {
        let got = pool(&Gaussian::new(w), &queries, &sorted, Par::Seq);
        assert_accurate(&got, w, &queries, &k, &v);
    }
}

#[test]
fn queries_in_any_order_and_unsorted_keys() {
    let mut rng = Rng::new(3);
    let k = rng.vec(300, 0.0, 5.0);
    let v: Vec<f32> = k.iter().map(|x| x.cos() + 2.0).collect();
    let sorted = SortedKeys::new(&k, &v).unwrap();
    assert!(sorted.keys().is_sorted());
    // The sorted copy is a permutation of the input, pairs kept together.
    for (i, &o) in sorted.order().iter().enumerate() {
        assert_eq!((sorted.keys()[i], sorted.values()[i]), (k[o], v[o]));
    }
    let queries = [4.0, 0.5, 2.5, 0.5];
    let got = pool(&Gaussian::new(2.0), &queries, &sorted, Par::Seq);
    assert_accurate(&got, 2.0, &queries, &k, &v);
    assert_eq!(got.y[1].to_bits(), got.y[3].to_bits());
}

#[test]
fn ties_and_a_single_key() {
    let k = [1.0, 1.0, 1.0, 2.0];
    let v = [1.0, 2.0, 3.0, 10.0];
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let got = pool(&Gaussian::new(1.0), &[1.0, 1.5], &sorted, Par::Seq);
    assert_accurate(&got, 1.0, &[1.0, 1.5], &k, &v);
    let one = SortedKeys::new(&[3.0], &[7.5]).unwrap();
    let got = pool(&Gaussian::new(5.0), &[-100.0, 3.0, 100.0], &one, Par::Seq);
    assert_eq!(got.y, [7.5, 7.5, 7.5]);
}

#[test]
fn special_inputs_are_defined() {
    let sorted = SortedKeys::new(&[0.0, 1.0], &[1.0, 2.0]).unwrap();
    let got = pool(
        &Gaussian::new(1.0),
        &[f32::NAN, f32::INFINITY, 0.5],
        &sorted,
        Par::Seq,
    );
    assert!(got.y[0].is_nan() && got.y[1].is_nan() && got.lse[0].is_nan());
    assert!((got.y[2] - 1.5).abs() < 1e-7);
    // No keys: no prediction, and an empty sum's log.
    let empty = SortedKeys::new(&[], &[]).unwrap();
    let got = pool(&Gaussian::new(1.0), &[0.5], &empty, Par::Seq);
    assert!(got.y[0].is_nan());
    assert_eq!(got.lse[0], f32::NEG_INFINITY);
    // No queries.
    let got = pool(&Gaussian::new(1.0), &[], &sorted, Par::Rayon);
    assert!(got.y.is_empty() && got.lse.is_empty());
}

#[test]
fn bad_keys_are_refused() {
    let err = SortedKeys::new(&[0.0, f32::NAN], &[1.0, 2.0]).unwrap_err();
    assert!(
        matches!(err, TensorError::NotFinite { what: "keys", index: 1, value, .. } if value.is_nan()),
        "{err:?}"
    );
    let err = SortedKeys::new(&[0.0, 1.0], &[1.0, f32::INFINITY]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool: values[1] is inf, expected a finite number"
    );
    let err = SortedKeys::new(&[0.0, 1.0], &[1.0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "pool (keys, values): shapes [2] and [1] do not fit"
    );
}

#[test]
fn partial_results_merge_into_the_whole() {
    let mut rng = Rng::new(4);
    let (k, v) = keys_from(&mut rng, 4000, 5.0);
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let queries = rng.vec(50, -0.5, 5.5);
    let kernel = Gaussian::new(3.0);
    let whole = pool(&kernel, &queries, &sorted, Par::Seq);
    for cut in [0, 1, 1500, 3999, 4000] {
        let a = pool(&kernel, &queries, &sorted.slice(0..cut).unwrap(), Par::Seq);
        let b = pool(
            &kernel,
            &queries,
            &sorted.slice(cut..4000).unwrap(),
            Par::Seq,
        );
        for merged in [merge(&a, &b), merge(&b, &a)] {
            for i in 0..queries.len() {
                let (m, w) = (merged.y[i], whole.y[i]);
                assert!((m - w).abs() <= 2e-6 * w.abs(), "cut {cut}: {m} vs {w}");
                let (ml, wl) = (merged.lse[i], whole.lse[i]);
                assert!(
                    (ml - wl).abs() <= 1e-6 * (1.0 + wl.abs()),
                    "cut {cut}: {ml} vs {wl}"
                );
            }
        }
    }
    // An empty side is the identity, bit for bit.
    let empty = pool(
        &kernel,
        &queries,
        &SortedKeys::new(&[], &[]).unwrap(),
        Par::Seq,
    );
    assert_eq!(bits(&merge(&whole, &empty).y), bits(&whole.y));
    assert_eq!(bits(&merge(&empty, &whole).lse), bits(&whole.lse));
}

#[test]
fn same_bits_on_one_two_and_three_threads() {
    let mut rng = Rng::new(5);
    let (k, v) = keys_from(&mut rng, 3 * TILE + 77, 5.0);
    let sorted = SortedKeys::new(&k, &v).unwrap();
    let queries = rng.vec(1001, 0.0, 5.0);
    let kernel = Gaussian::new(4.0);
    let seq = pool(&kernel, &queries, &sorted, Par::Seq);
    for threads in [1, 2, 3] {
        let par = on_threads(threads, || pool(&kernel, &queries, &sorted, Par::Rayon));
        assert_eq!(bits(&par.y), bits(&seq.y), "{threads} threads");
        assert_eq!(bits(&par.lse), bits(&seq.lse), "{threads} threads");
    }
    let data = SortedKeys::new(&k, &v).unwrap();
    let seq = loo(&kernel, &data, Par::Seq).unwrap();
    for threads in [2, 3] {
        let par = on_threads(threads, || loo(&kernel, &data, Par::Rayon).unwrap());
        assert_eq!(par.loss.to_bits(), seq.loss.to_bits());
        assert_eq!(par.grad.to_bits(), seq.grad.to_bits());
        assert_eq!(bits(&par.y_hat), bits(&seq.y_hat));
    }
}

#[test]
fn leave_one_out_matches_f64_and_its_twin() {
    let mut rng = Rng::new(6);
    for n in [2, 3, LANES + 1, 50, TILE + 5, 2500] {
        let x = rng.vec(n, 0.0, 5.0);
        let y: Vec<f32> = x
            .iter()
            .map(|&x| 2.0 * x.sin() + x.powf(0.8) + rng.uniform(-0.5, 0.5))
            .collect();
        let data = SortedKeys::new(&x, &y).unwrap();
        for w in [0.5f32, 1.0, 11.4, 60.0] {
            let (loss, grad, scale) = loo_reference(f64::from(w), &x, &y);
            let fused = loo(&Gaussian::new(w), &data, Par::Rayon).unwrap();
            let twin = loo_scalar(&Gaussian::new(w), &data).unwrap();
            for got in [&fused, &twin] {
                assert!(
                    (got.loss - loss).abs() <= 1e-5 * loss,
                    "n {n} w {w}: loss {} vs {loss}",
                    got.loss
                );
                // The kernel's gradient is in ln h = -ln |w|: d/dw = -(1/w) d/d ln h.
                let got_grad = -got.grad / f64::from(w);
                assert!(
                    (got_grad - grad).abs() <= 1e-5 * scale,
                    "n {n} w {w}: grad {got_grad} vs {grad} (scale {scale})"
                );
            }
            // The predictions come back in the input order.
            let i = n / 2;
            let (yh, _) = {
                let others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
                let k: Vec<f32> = others.iter().map(|&j| x[j]).collect();
                let v: Vec<f32> = others.iter().map(|&j| y[j]).collect();
                reference(w, x[i], &k, &v)
            };
            assert!((f64::from(fused.y_hat[i]) - yh).abs() <= REL * yh.abs().max(1.0));
        }
    }
}

#[test]
fn leave_one_out_gradient_matches_finite_differences() {
    let mut rng = Rng::new(7);
    let x = rng.vec(300, 0.0, 5.0);
    let y: Vec<f32> = x
        .iter()
        .map(|&x| x.sin() + rng.uniform(-0.3, 0.3))
        .collect();
    for w in [0.8f64, 4.0, 15.0] {
        let h = 1e-4 * w;
        let (lp, _, _) = loo_reference(w + h, &x, &y);
        let (lm, _, _) = loo_reference(w - h, &x, &y);
        let fd = (lp - lm) / (2.0 * h);
        let data = SortedKeys::new(&x, &y).unwrap();
        let got = loo(&Gaussian::new(w as f32), &data, Par::Seq).unwrap();
        let got_grad = -got.grad / w;
        assert!(
            (got_grad - fd).abs() <= 1e-4 * fd.abs().max(1.0),
            "w {w}: {got_grad} vs {fd}"
        );
    }
}

#[test]
fn leave_one_out_leaves_out_only_the_row_itself() {
    // Two examples at the same input: each still sees the other (distance 0), as in
    // statsmodels' cv_ls, so each predicts the other's target.
    let data = SortedKeys::new(&[1.0, 1.0, 4.0], &[2.0, 6.0, 0.0]).unwrap();
    let fit = loo(&Gaussian::new(10.0), &data, Par::Seq).unwrap();
    assert!((fit.y_hat[0] - 6.0).abs() < 1e-6 && (fit.y_hat[1] - 2.0).abs() < 1e-6);
    // Fewer than two examples is an error, not a NaN.
    assert!(
        loo(
            &Gaussian::new(1.0),
            &SortedKeys::new(&[1.0], &[1.0]).unwrap(),
            Par::Seq
        )
        .is_err()
    );
}

#[test]
fn the_sort_is_stable_and_orders_signs_and_zeros() {
    let k = [0.5, -0.0, 3.0, -2.5, 0.0, 0.5, -1e-30, 1e30, -2.5, 0.5];
    let v: Vec<f32> = (0..k.len()).map(|i| i as f32).collect();
    let sorted = SortedKeys::new(&k, &v).unwrap();
    // By value (f32::total_cmp puts -0 before 0), ties by position: what a stable sort gives.
    let mut want: Vec<usize> = (0..k.len()).collect();
    want.sort_by(|&a, &b| k[a].total_cmp(&k[b]));
    assert_eq!(sorted.order(), want);
    assert_eq!(sorted.values()[..2], [3.0, 8.0]);
}

#[test]
fn huge_scales_and_wide_gaps_keep_the_nearest_key_at_weight_one() {
    // Keys in two clusters with a wide gap; queries in the gap (nearest key below, above, and
    // midway) and beyond both ends, at scales up to nearest-neighbour pooling. The nearest
    // key's exponent must be exactly 0 so the normalizer is never 0: no NaN, ever.
    let keys = [0.0, 0.1, 0.2, 0.35, 10.0, 10.2, 10.5];
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
    let sorted = SortedKeys::new(&keys, &values).unwrap();
    let queries = [5.1, 5.175, 0.36, 9.99, -3.0, 14.0, 0.3, 2.0];
    for w in [1.0f32, 250.0, 1e3, 1e4, 1e6, 1e9, 1e15, 1e25] {
        let got = pool(&Gaussian::new(w), &queries, &sorted, Par::Seq);
        let twin = pool_scalar(&Gaussian::new(w), &queries, &sorted);
        for (i, &q) in queries.iter().enumerate() {
            for (name, y) in [("fused", got.y[i]), ("twin", twin.y[i])] {
                assert!(y.is_finite(), "{name} w {w} q {q}: {y}");
                assert!(
                    (1.0..=7.0).contains(&y),
                    "{name} w {w} q {q}: {y} outside the values"
                );
            }
            let dmin = keys
                .iter()
                .map(|k| (q - k).abs())
                .fold(f32::INFINITY, f32::min);
            if w >= 1e6 {
                // Nearest-neighbour limit: the nearest key's value (ties split evenly).
                let nearest = keys
                    .iter()
                    .zip(&values)
                    .min_by(|a, b| (q - a.0).abs().total_cmp(&(q - b.0).abs()))
                    .unwrap();
                assert_eq!(got.y[i], *nearest.1, "w {w} q {q}");
            } else if w * dmin <= 5.0 || q < keys[0] || q > keys[keys.len() - 1] {
                // The stated accuracy: queries within 5 bandwidths of a key, or outside the
                // keys' span (distances from the nearest key are exact there).
                let (y, _) = reference(w, q, &keys, &values);
                assert!(
                    (f64::from(got.y[i]) - y).abs() <= REL * y,
                    "w {w} q {q}: {} vs {y}",
                    got.y[i]
                );
            }
        }
    }
    // Leave-one-out at a nearest-neighbour scale: each example predicts a neighbour's value.
    let fit = loo(&Gaussian::new(1e12), &sorted, Par::Seq).unwrap();
    assert!(
        fit.y_hat.iter().all(|y| y.is_finite()) && fit.loss.is_finite() && fit.grad.is_finite()
    );
}
