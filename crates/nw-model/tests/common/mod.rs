//! The chapter's reference files (copied into `tests/data`) and f64 references.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use serde_json::Value;

pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The chapter's training set (x, y), as PyTorch drew it (embedded in `nw-data`).
pub fn train() -> (Vec<f32>, Vec<f32>) {
    nw_data::chapter_train().into_parts()
}

/// The chapter's test inputs and their noise-free truth (columns `x,y_truth`).
pub fn test() -> (Vec<f32>, Vec<f32>) {
    let text = std::fs::read_to_string(data_path("d2l_test.csv")).expect("test csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("x,y_truth"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (x, y) = l.split_once(',').expect("two columns");
            (x.parse::<f32>().unwrap(), y.parse::<f32>().unwrap())
        })
        .unzip()
}

/// PyTorch's results for one precision (`float32` or `float64`).
pub fn golden(precision: &str) -> Value {
    let text = std::fs::read_to_string(data_path("d2l_golden_w0_0.5.json")).expect("golden json");
    let all: Value = serde_json::from_str(&text).expect("valid json");
    all[precision].clone()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

pub fn matrix(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("rows")
        .iter()
        .flat_map(floats)
        .collect()
}

/// Asserts `|got - want| <= rel |want|` or `<= abs` (for weights near 0), entry by entry.
pub fn assert_close<T: Copy + Into<f64> + std::fmt::Display>(
    what: &str,
    got: &[T],
    want: &[f64],
    rel: f64,
    abs: f64,
) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g.into() - w).abs();
        assert!(
            err <= rel * w.abs() || err <= abs,
            "{what}[{i}]: {g} vs {w} (error {err:e})"
        );
    }
}

/// The chapter's leave-one-out loss in f64, written out independently of the library.
pub fn loo_loss_f64(x: &[f32], y: &[f32], w: f64) -> f64 {
    let n = x.len();
    let mut loss = 0.0;
    for i in 0..n {
        let s: Vec<(f64, f64)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| {
                let t = (f64::from(x[i]) - f64::from(x[j])) * w;
                (-t * t / 2.0, f64::from(y[j]))
            })
            .collect();
        let m = s.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = s.iter().map(|p| (p.0 - m).exp()).sum();
        let y_hat: f64 = s.iter().map(|p| (p.0 - m).exp() / z * p.1).sum();
        loss += (y_hat - f64::from(y[i])).powi(2);
    }
    loss
}

/// Central finite difference of [`loo_loss_f64`] at `w`.
pub fn loo_grad_fd(x: &[f32], y: &[f32], w: f64) -> f64 {
    let h = 1e-6 * w.abs().max(1.0);
    (loo_loss_f64(x, y, w + h) - loo_loss_f64(x, y, w - h)) / (2.0 * h)
}

/// The scale that f32 rounding errors in the leave-one-out gradient are relative to.
///
/// Each term `2 r_i w a_ij d_ij^2 (y_j - y_hat_i)` is computed from f32 pieces: the weight
/// `a_ij` carries the rounding of its score `s_ij` (relative `|s_ij| u` after `exp`), the
/// difference `y_j - y_hat_i` is good to `u (|y_j| + |y_hat_i|)`, and an error in `y_hat_i`
/// moves `r_i` too. The sum of the terms' sizes with those factors is the condition scale.
pub fn loo_grad_magnitude(x: &[f32], y: &[f32], w: f64) -> f64 {
    let n = x.len();
    let mut total = 0.0;
    for i in 0..n {
        let others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
        let d: Vec<f64> = others
            .iter()
            .map(|&j| f64::from(x[i]) - f64::from(x[j]))
            .collect();
        let s: Vec<f64> = d.iter().map(|d| -(d * w).powi(2) / 2.0).collect();
        let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = s.iter().map(|s| (s - m).exp()).sum();
        let a: Vec<f64> = s.iter().map(|s| (s - m).exp() / z).collect();
        let y_hat: f64 = a
            .iter()
            .zip(&others)
            .map(|(a, &j)| a * f64::from(y[j]))
            .sum();
        let r = y_hat - f64::from(y[i]);
        let dy_dw: f64 = (0..others.len())
            .map(|t| a[t] * d[t] * d[t] * (f64::from(y[others[t]]) - y_hat))
            .sum::<f64>()
            * -w;
        for t in 0..others.len() {
            let yj = f64::from(y[others[t]]).abs();
            let grow = 1.0 + s[t].abs();
            total += a[t]
                * grow
                * (2.0 * r.abs() * w.abs() * d[t] * d[t] * (yj + y_hat.abs())
                    + 2.0 * dy_dw.abs() * yj);
        }
    }
    total
}
