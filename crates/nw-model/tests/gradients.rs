//! Hand-derived gradients against central finite differences of an independent f64 loss,
//! and the fused O(n) leave-one-out path against the chapter's materialized one, on data other
//! than the chapter's and at many values of `w`.

mod common;

use common::{loo_grad_fd, loo_grad_magnitude, loo_loss_f64};
use nw_data::Synthetic;
use nw_model::pooling::ParametricPooling;
use nw_model::{Adam, Init, Path, Sgd, chapter, loo, loss, train};
use nw_tensor::{Par, Tensor};

/// Data sets unlike the chapter's: other seeds and sizes, ties, a wide range, negatives.
fn data_sets() -> Vec<(String, Vec<f32>, Vec<f32>)> {
    let mut sets = Vec::new();
    for (n, seed) in [(7, 1), (30, 2), (120, 3)] {
        let (x, y) = Synthetic::new(n, seed).train().unwrap().into_parts();
        sets.push((format!("synthetic n={n} seed={seed}"), x, y));
    }
    // Ties in x (as in real data), negative inputs, a spread of 40 units.
    let x: Vec<f32> = (0..40).map(|i| ((i / 2) as f32 - 10.0) * 2.1).collect();
    let y: Vec<f32> = x.iter().map(|&v| (v * 0.3).sin() * 3.0 + 0.1 * v).collect();
    sets.push(("ties and negatives".to_string(), x, y));
    sets
}

#[test]
fn gradients_match_finite_differences_on_both_paths() {
    for (name, x, y) in data_sets() {
        for w in [0.05f32, 0.5, 1.0, 3.0, 11.4, -2.0] {
            let fd = loo_grad_fd(&x, &y, f64::from(w));
            let loss_f64 = loo_loss_f64(&x, &y, f64::from(w));
            // The gradient can sit near 0 (at a minimum) while its terms do not: f32 errors
            // are relative to the terms' size.
            let tol = 1e-5 * fd.abs() + 2e-6 * loo_grad_magnitude(&x, &y, f64::from(w));

            // f32 predictions are good to a few ulp of |y|; near a perfect fit (the ties) that,
            // not the loss itself, sets the scale.
            let n = x.len() as f64;
            let ulp_y = 4.0
                * f64::from(f32::EPSILON)
                * y.iter().fold(0.0f64, |a, &v| a.max(f64::from(v.abs())));
            let tol_loss =
                1e-5 * loss_f64 + 2.0 * (loss_f64 * n).sqrt() * ulp_y + n * ulp_y * ulp_y;

            let lg = loo::loss_grad(&x, &y, w, Par::Rayon).unwrap();
            assert!(
                (lg.grad - fd).abs() <= tol,
                "{name} w={w}: fused {} vs fd {fd}",
                lg.grad
            );
            assert!(
                (lg.loss - loss_f64).abs() <= tol_loss,
                "{name} w={w}: fused loss {} vs {loss_f64}",
                lg.loss
            );

            let (q, k, v) = (
                Tensor::from_slice(&x),
                chapter::leave_one_out(&x).unwrap(),
                chapter::leave_one_out(&y).unwrap(),
            );
            let tape = ParametricPooling::new(w)
                .unwrap()
                .forward_rows(&q, &k, &v, Par::Seq)
                .unwrap();
            let grad = tape
                .backward(&loss::squared_loss_grad(tape.y_hat(), &y).unwrap())
                .unwrap();
            assert!(
                (f64::from(grad) - fd).abs() <= tol,
                "{name} w={w}: chapter {grad} vs fd {fd}"
            );
            let l = loss::squared_loss(tape.y_hat(), &y).unwrap();
            assert!(
                (l - loss_f64).abs() <= tol_loss,
                "{name} w={w}: chapter loss {l} vs {loss_f64}"
            );
        }
    }
}

#[test]
fn backward_is_right_for_any_upstream_gradient() {
    // L = sum_i c_i y_hat_i, so dL/dy_hat = c: a check of the backward pass alone, with
    // keys and values that differ per query (not leave-one-out).
    let (n, m) = (6, 9);
    let q: Vec<f32> = (0..n).map(|i| i as f32 * 0.7).collect();
    let k: Vec<f32> = (0..n * m).map(|i| ((i * 37) % 23) as f32 * 0.25).collect();
    let v: Vec<f32> = (0..n * m).map(|i| ((i * 11) % 7) as f32 - 3.0).collect();
    let c: Vec<f32> = (0..n).map(|i| 1.0 - i as f32 * 0.3).collect();
    let f = |w: f64| -> f64 {
        (0..n)
            .map(|i| {
                let s: Vec<f64> = (0..m)
                    .map(|j| -((f64::from(q[i]) - f64::from(k[i * m + j])) * w).powi(2) / 2.0)
                    .collect();
                let mx = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = s.iter().map(|s| (s - mx).exp()).sum();
                let y: f64 = (0..m)
                    .map(|j| (s[j] - mx).exp() / z * f64::from(v[i * m + j]))
                    .sum();
                f64::from(c[i]) * y
            })
            .sum()
    };
    let (qt, kt, vt) = (
        Tensor::from_slice(&q),
        Tensor::new(&[n, m], k.clone()).unwrap(),
        Tensor::new(&[n, m], v.clone()).unwrap(),
    );
    for w in [0.3f32, 1.0, 2.5] {
        let h = 1e-6;
        let fd = (f(f64::from(w) + h) - f(f64::from(w) - h)) / (2.0 * h);
        let tape = ParametricPooling::new(w)
            .unwrap()
            .forward_rows(&qt, &kt, &vt, Par::Seq)
            .unwrap();
        let grad = tape.backward(&c).unwrap();
        assert!(
            (f64::from(grad) - fd).abs() <= 1e-5 * fd.abs().max(1.0),
            "w={w}: {grad} vs {fd}"
        );
    }
}

#[test]
fn both_training_paths_agree_with_sgd_and_adam() {
    let (x, y) = Synthetic::new(80, 9).train().unwrap().into_parts();
    for adam in [false, true] {
        let run = |path| {
            let mut opt: Box<dyn nw_model::Optimizer> = if adam {
                Box::new(Adam::new(0.1))
            } else {
                Box::new(Sgd { lr: 0.5 })
            };
            train(&x, &y, Init::Value(1.0), 8, opt.as_mut(), path, Par::Rayon).unwrap()
        };
        let (a, b) = (run(Path::Chapter), run(Path::Fused));
        for (ea, eb) in a.epochs.iter().zip(&b.epochs) {
            for (what, p, q) in [
                ("loss", ea.loss, eb.loss),
                ("grad", ea.grad, eb.grad),
                ("w", f64::from(ea.w), f64::from(eb.w)),
            ] {
                let scale = p.abs().max(1e-3);
                assert!(
                    (p - q).abs() <= 1e-5 * scale,
                    "adam={adam} epoch {} {what}: {p} vs {q}",
                    ea.epoch
                );
            }
        }
        // Training lowers the leave-one-out loss on this data.
        assert!(
            b.epochs.last().unwrap().loss < b.epochs[0].loss,
            "adam={adam}"
        );
    }
}

#[test]
fn streaming_loss_grad_is_the_same_bits_on_any_thread_count() {
    let (x, y) = Synthetic::new(300, 4).train().unwrap().into_parts();
    let seq = loo::loss_grad(&x, &y, 2.0, Par::Seq).unwrap();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let par = pool.install(|| loo::loss_grad(&x, &y, 2.0, Par::Rayon).unwrap());
        assert_eq!(
            (par.loss.to_bits(), par.grad.to_bits()),
            (seq.loss.to_bits(), seq.grad.to_bits())
        );
    }
}
