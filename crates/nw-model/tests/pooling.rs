//! The poolings on their own: weights against an f64 softmax, bandwidths, special cases,
//! errors, initialization and thread-count independence.

use nw_model::train::Path;
use nw_model::{
    AveragePooling, Init, ModelError, NonparametricPooling, ParametricPooling, Pooling, Sgd, train,
};
use nw_tensor::Par;

fn weights_f64(q: f32, keys: &[f32], h: f64) -> Vec<f64> {
    let s: Vec<f64> = keys
        .iter()
        .map(|&k| -((f64::from(q) - f64::from(k)) / h).powi(2) / 2.0)
        .collect();
    let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = s.iter().map(|v| (v - m).exp()).sum();
    s.iter().map(|v| (v - m).exp() / z).collect()
}

#[test]
fn nonparametric_bandwidth_is_the_kernel_width() {
    let keys: Vec<f32> = (0..37).map(|i| i as f32 * 0.13).collect();
    let values: Vec<f32> = keys.iter().map(|k| k.sin()).collect();
    let queries = [0.0f32, 1.7, 4.2, 9.0];
    for h in [0.05f32, 0.3, 1.0, 2.5, 40.0] {
        let out = NonparametricPooling::new(h)
            .unwrap()
            .pool(&queries, &keys, &values, true, Par::Seq)
            .unwrap();
        let weights = out.weights.unwrap();
        for (i, &q) in queries.iter().enumerate() {
            let want = weights_f64(q, &keys, f64::from(h));
            let row = &weights.data()[i * keys.len()..(i + 1) * keys.len()];
            for (j, (&g, &w)) in row.iter().zip(&want).enumerate() {
                assert!(
                    (f64::from(g) - w).abs() <= 2e-6 * w + 1e-7,
                    "h={h} q={q} key {j}: {g} vs {w}"
                );
            }
            let y: f64 = want
                .iter()
                .zip(&values)
                .map(|(w, &v)| w * f64::from(v))
                .sum();
            assert!(
                (f64::from(out.y_hat[i]) - y).abs() <= 1e-5,
                "h={h} q={q}: {} vs {y}",
                out.y_hat[i]
            );
        }
    }
    // A huge bandwidth tends to average pooling; a tiny one to the nearest key's value.
    let wide = NonparametricPooling::new(1e4)
        .unwrap()
        .pool(&[2.0], &keys, &values, false, Par::Seq)
        .unwrap();
    let avg = AveragePooling
        .pool(&[2.0], &keys, &values, false, Par::Seq)
        .unwrap();
    assert!((wide.y_hat[0] - avg.y_hat[0]).abs() < 1e-5);
    let narrow = NonparametricPooling::new(1e-3)
        .unwrap()
        .pool(&[0.26], &keys, &values, false, Par::Seq)
        .unwrap();
    assert!((narrow.y_hat[0] - 0.26f32.sin()).abs() < 1e-6);
}

#[test]
fn parametric_with_w_equals_nonparametric_with_one_over_w() {
    let keys: Vec<f32> = (0..50).map(|i| (i as f32 * 0.731).fract() * 5.0).collect();
    let values: Vec<f32> = keys.iter().map(|k| k * k).collect();
    let q: Vec<f32> = (0..50).map(|i| i as f32 * 0.1).collect();
    let p = ParametricPooling::new(4.0).unwrap();
    let n = NonparametricPooling::new(0.25).unwrap();
    let (a, b) = (
        p.pool(&q, &keys, &values, true, Par::Seq).unwrap(),
        n.pool(&q, &keys, &values, true, Par::Seq).unwrap(),
    );
    // 1/0.25 is exactly 4: the same scores, the same bits.
    assert_eq!(a, b);
    assert_eq!(p.bandwidth(), 0.25);
    assert_eq!(ParametricPooling::new(-4.0).unwrap().bandwidth(), 0.25);
}

#[test]
fn average_pooling_weights_are_uniform() {
    let out = AveragePooling
        .pool(
            &[0.0, 1.0],
            &[1.0, 2.0, 3.0, 4.0],
            &[1.0, 2.0, 3.0, 6.0],
            true,
            Par::Seq,
        )
        .unwrap();
    assert_eq!(out.y_hat, vec![3.0, 3.0]);
    let w = out.weights.unwrap();
    assert_eq!(w.shape(), &[2, 4]);
    assert!(w.data().iter().all(|&v| v == 0.25));
}

#[test]
fn weights_rows_sum_to_one_and_threads_do_not_change_bits() {
    let keys: Vec<f32> = (0..1000)
        .map(|i| (i as f32 * 0.618).fract() * 5.0)
        .collect();
    let values: Vec<f32> = keys.iter().map(|k| k.cos()).collect();
    let q: Vec<f32> = (0..333).map(|i| i as f32 * 0.015).collect();
    let pooling = NonparametricPooling::new(0.2).unwrap();
    let seq = pooling.pool(&q, &keys, &values, true, Par::Seq).unwrap();
    for row in seq.weights.as_ref().unwrap().data().chunks(keys.len()) {
        let s: f64 = row.iter().map(|&v| f64::from(v)).sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
    // The fused kernel predicts with or without the weights, the same bits; predictions from
    // the weight matrix agree with it to f32 rounding.
    let fused = pooling.pool(&q, &keys, &values, false, Par::Seq).unwrap();
    assert!(fused.weights.is_none());
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&fused.y_hat), bits(&seq.y_hat));
    // Predictions from the weight matrix itself, in f64.
    let w = seq.weights.as_ref().unwrap().data();
    for (i, a) in fused.y_hat.iter().enumerate() {
        let b: f64 = w[i * keys.len()..(i + 1) * keys.len()]
            .iter()
            .zip(&values)
            .map(|(&w, &v)| f64::from(w) * f64::from(v))
            .sum();
        assert!(
            (f64::from(*a) - b).abs() <= 1e-5 * b.abs().max(1e-2),
            "{a} vs {b}"
        );
    }
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for (weights, want) in [(true, &seq), (false, &fused)] {
            let par = pool.install(|| {
                pooling
                    .pool(&q, &keys, &values, weights, Par::Rayon)
                    .unwrap()
            });
            assert_eq!(bits(&par.y_hat), bits(&want.y_hat));
            assert_eq!(par.weights, want.weights);
        }
    }
}

#[test]
fn bad_arguments_are_errors_that_say_what_is_wrong() {
    for h in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
        let err = NonparametricPooling::new(h).unwrap_err();
        assert!(matches!(err, ModelError::Bandwidth(b) if b.to_bits() == h.to_bits()));
        assert!(
            err.to_string()
                .starts_with("bandwidth must be a positive finite number (at least 1.2e-38), got")
        );
    }
    let err = ParametricPooling::new(f32::NAN).unwrap_err();
    assert_eq!(err.to_string(), "w must be a finite number, got NaN");
    let p = NonparametricPooling::default();
    let err = p
        .pool(&[0.0], &[1.0, 2.0], &[1.0], false, Par::Seq)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 keys but 1 values: each key needs one value"
    );
    assert_eq!(
        p.pool(&[0.0], &[], &[], false, Par::Seq).unwrap_err(),
        ModelError::NoKeys
    );
    assert_eq!(
        AveragePooling
            .pool(&[0.0], &[], &[], false, Par::Seq)
            .unwrap_err(),
        ModelError::NoKeys
    );
    let err = train(
        &[1.0],
        &[2.0],
        Init::Value(1.0),
        5,
        &mut Sgd { lr: 0.5 },
        Path::Fused,
        Par::Seq,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "leave-one-out training needs at least 2 examples, got 1"
    );
    // Empty query lists are fine: nothing to predict.
    assert!(
        p.pool(&[], &[1.0], &[1.0], true, Par::Seq)
            .unwrap()
            .y_hat
            .is_empty()
    );
}

#[test]
fn divergence_is_reported_not_returned() {
    // A learning rate this large sends w to infinity within a few steps.
    let x: Vec<f32> = (0..20).map(|i| i as f32 * 0.25).collect();
    let y: Vec<f32> = x.iter().map(|v| v.sin()).collect();
    let err = train(
        &x,
        &y,
        Init::Value(0.5),
        50,
        &mut Sgd { lr: 1e30 },
        Path::Fused,
        Par::Seq,
    )
    .unwrap_err();
    assert!(matches!(err, ModelError::Diverged { .. }), "{err}");
}

#[test]
fn seeded_initialization_is_uniform_and_reproducible() {
    let draws: Vec<f32> = (0..200)
        .map(|s| Init::Uniform { seed: s }.value())
        .collect();
    assert!(draws.iter().all(|w| (0.0..1.0).contains(w)));
    assert_eq!(
        Init::Uniform { seed: 7 }.value(),
        Init::Uniform { seed: 7 }.value()
    );
    let distinct: std::collections::BTreeSet<u32> = draws.iter().map(|w| w.to_bits()).collect();
    assert_eq!(distinct.len(), draws.len());
    let mean = draws.iter().map(|&w| f64::from(w)).sum::<f64>() / 200.0;
    assert!((mean - 0.5).abs() < 0.1, "mean {mean}");
    assert_eq!(Init::Value(0.25).value(), 0.25);
}
