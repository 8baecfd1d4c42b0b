//! Renders every figure once from chapter-like data, for a person to look at:
//! `cargo run -p nw-viz --example gallery -- DIR` writes `DIR/{regression,heatmap,
//! heatmap_1000,loss,sweep,cv,
//! surface}.png` (DIR defaults to `target/nw-viz-gallery`).
//!
//! The pooling here is a few lines of plain Rust (nw-viz must not depend on nw-model): the
//! chapter's nonparametric Nadaraya-Watson with a Gaussian kernel of bandwidth `h`.

use std::error::Error;
use std::path::PathBuf;

use nw_data::{Synthetic, test_set};
use nw_viz::{Figure, Heatmap, LossCurve, RegressionPlot, Series, SeriesPlot, SurfacePlot};

/// Attention weights `softmax_j(-((q_i - k_j) / h)^2 / 2)`, row-major `queries x keys`.
fn attention(queries: &[f32], keys: &[f32], h: f32) -> Vec<f32> {
    let mut w = Vec::with_capacity(queries.len() * keys.len());
    for &q in queries {
        let scores: Vec<f32> = keys.iter().map(|&k| -((q - k) / h).powi(2) / 2.0).collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let sum: f32 = exps.iter().sum();
        w.extend(exps.iter().map(|e| e / sum));
    }
    w
}

/// Pooled values `w y` for each query row.
fn pool(weights: &[f32], values: &[f32]) -> Vec<f32> {
    weights
        .chunks_exact(values.len())
        .map(|row| row.iter().zip(values).map(|(w, v)| w * v).sum())
        .collect()
}

/// Nadaraya-Watson over two inputs with the Epanechnikov kernel `max(0, 1 - (d / h)^2)` on
/// the distance `d`: NaN where no data point lies within `h`, as a compact kernel gives.
fn surface(x1: &[f64], x2: &[f64], p1: &[f64], p2: &[f64], y: &[f64], h: f64) -> Vec<f64> {
    let mut z = Vec::with_capacity(x1.len() * x2.len());
    for &b in x2 {
        for &a in x1 {
            let (mut num, mut den) = (0.0, 0.0);
            for ((&u, &v), &t) in p1.iter().zip(p2).zip(y) {
                let w = (1.0 - ((a - u).powi(2) + (b - v).powi(2)) / (h * h)).max(0.0);
                num += w * t;
                den += w;
            }
            z.push(if den > 0.0 { num / den } else { f64::NAN });
        }
    }
    z
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/nw-viz-gallery".into()),
    );
    std::fs::create_dir_all(&dir)?;

    let train = Synthetic::new(50, 0).train()?;
    let test = test_set();
    let weights = attention(test.x(), train.x(), 1.0);
    let pred = pool(&weights, train.y());

    // The figures draw f64 coordinates; the chapter's data are f32.
    let wide = |v: &[f32]| -> Vec<f64> { v.iter().copied().map(f64::from).collect() };
    RegressionPlot::new(&wide(test.x()), &wide(&pred))
        .truth(&wide(test.y()))
        .points(&wide(train.x()), &wide(train.y()))
        .title("Nonparametric attention pooling")
        .save(dir.join("regression.png"))?;

    // Both inputs are sorted (the generator sorts the training inputs), so the chapter's labels.
    Heatmap::new(&weights, test.len(), train.len())
        .labels("Sorted training inputs", "Sorted testing inputs")
        .title("Attention weights")
        .save(dir.join("heatmap.png"))?;

    // A 1000 x 1000 matrix with a NaN row, downsampled to the plot's pixels.
    let big = Synthetic::new(1000, 1).train()?;
    let queries: Vec<f32> = (0..1000).map(|i| i as f32 * 0.005).collect();
    let mut big_weights = attention(&queries, big.x(), 0.1);
    big_weights[500_000..501_000].fill(f32::NAN);
    Heatmap::new(&big_weights, 1000, 1000)
        .title("1000 x 1000, one NaN row")
        .save(dir.join("heatmap_1000.png"))?;

    let losses: Vec<f64> = (0..20)
        .map(|e| 11.0 + 40.0 * (-0.45 * f64::from(e)).exp())
        .collect();
    LossCurve::new(&losses)
        .labels("epoch", "summed loss")
        .title("Training the parametric pooling")
        .save(dir.join("loss.png"))?;

    let n = [10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0];
    let nw: Vec<f32> = n
        .iter()
        .map(|&n: &f32| 2.0 * n.powf(-0.8) + 0.004)
        .collect();
    let avg: Vec<f32> = n.iter().map(|_| 1.3).collect();
    SeriesPlot::new("training points", "test MSE")
        .series(Series::new("Nadaraya-Watson", &n, &nw).markers(true))
        .series(Series::new("average pooling", &n, &avg).markers(true))
        .log_x(true)
        .log_y(true)
        .title("Test error against data size")
        .save(dir.join("sweep.png"))?;

    let h: Vec<f32> = (0..40).map(|i| 0.05 * 1.12f32.powi(i)).collect();
    let cv: Vec<f32> = h.iter().map(|&h| 0.25 + 0.02 / h + 0.3 * h * h).collect();
    let best = h[cv
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)];
    let label = format!("chosen h = {best:.2}");
    SeriesPlot::new("bandwidth h", "CV(h)")
        .series(Series::new("leave-one-out CV", &h, &cv))
        .log_x(true)
        .mark_x(best, &label)
        .save(dir.join("cv.png"))?;

    // Two inputs: points on a disc (none in the corners), a smooth target, a 60 x 50 grid.
    let (mut p1, mut p2, mut y) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..150 {
        let (r, a) = (4.0 * (f64::from(k) / 150.0).sqrt(), f64::from(k) * 2.4);
        let (u, v) = (5.0 + r * a.cos(), 5.0 + r * a.sin());
        p1.push(u);
        p2.push(v);
        y.push((u / 2.0).sin() + 0.3 * v + 0.2 * (f64::from(k) * 7.3).sin());
    }
    let x1: Vec<f64> = (0..60).map(|i| f64::from(i) * 10.0 / 59.0).collect();
    let x2: Vec<f64> = (0..50).map(|j| f64::from(j) * 10.0 / 49.0).collect();
    SurfacePlot::new(&x1, &x2, &surface(&x1, &x2, &p1, &p2, &y, 1.5))
        .points(&p1, &p2)
        .point_values(&y)
        .labels("x1", "x2", "y")
        .title("Nadaraya-Watson over two inputs (Epanechnikov, h = 1.5)")
        .save(dir.join("surface.png"))?;
    Ok(())
}
