//! `nw sweep`: the chapter's exercise 1, test error as the training set grows.

use anyhow::Result;
use nw_data::{Outputs, Synthetic, test_set};
use nw_model::{NonparametricPooling, Pooling, loss};
use nw_tensor::Par;
use nw_viz::Figure as _;
use serde_json::json;

use super::{check_figure_path, check_finite, check_paths, f32_json, json_text};
use crate::cli::SweepArgs;
use crate::progress::Progress;

/// One test MSE per (bandwidth, training-set size), as a table, JSON and a log-log plot.
pub fn run(args: SweepArgs) -> Result<()> {
    check_paths(&[("--plot", args.plot.as_deref())], &[])?;
    if let Some(path) = &args.plot {
        check_figure_path(path)?;
    }
    // The largest training set, drawn and sorted for pooling.
    let largest = args.n_train.iter().copied().max().unwrap_or(0);
    crate::limits::check(
        &format!("a training set of {largest} examples"),
        40 * u128::from(largest),
        "sweep smaller sizes (--n-train)",
    )?;
    let test = test_set();
    let progress = Progress::new(
        "sweep",
        Some((args.n_train.len() * args.bandwidth.len()) as u64),
    );
    let mut curves = Vec::new();
    for &h in &args.bandwidth {
        let pooling = NonparametricPooling::new(h)?;
        let mut mses = Vec::new();
        for &n in &args.n_train {
            let train = Synthetic::new(n as usize, args.seed).train()?;
            let fit = pooling.pool(test.x(), train.x(), train.y(), false, Par::Rayon)?;
            check_finite("prediction for test point", &fit.y_hat)?;
            mses.push(loss::mse(&fit.y_hat, test.y())?);
            progress.set((curves.len() * args.n_train.len() + mses.len()) as u64);
        }
        curves.push((h, mses));
    }
    progress.finish();

    // The plot and the report: both or neither.
    let mut outputs = Outputs::new();
    if let Some(path) = &args.plot {
        let xs: Vec<f32> = args.n_train.iter().map(|&n| n as f32).collect();
        let ys: Vec<Vec<f32>> = curves
            .iter()
            .map(|(_, mses)| mses.iter().map(|&m| m as f32).collect())
            .collect();
        let names: Vec<String> = curves.iter().map(|(h, _)| format!("h = {h}")).collect();
        let mut plot = nw_viz::SeriesPlot::new("training examples", "test MSE")
            .log_x(true)
            .log_y(true)
            .title("Nonparametric pooling: test error against data size");
        for (name, y) in names.iter().zip(&ys) {
            plot = plot.series(nw_viz::Series::new(name, &xs, y).markers(true));
        }
        outputs.stage(path, &plot.render_for(path)?)?;
    }
    if args.json {
        let curves: Vec<_> = curves
            .iter()
            .map(|(h, mses)| {
                let points: Vec<_> = args
                    .n_train
                    .iter()
                    .zip(mses)
                    .map(|(n, mse)| json!({"n_train": n, "mse": mse}))
                    .collect();
                json!({"bandwidth": f32_json(*h), "points": points})
            })
            .collect();
        let report = json!({
            "pooling": "nonparametric",
            "seed": args.seed,
            "n_test": test.len(),
            "curves": curves,
        });
        outputs.stage_stdout(json_text(&report)?.as_bytes());
    } else {
        let mut text = format!(
            "test MSE of nonparametric pooling on {} test points (seed {})\n{:>10}",
            test.len(),
            args.seed,
            "n_train"
        );
        for (h, _) in &curves {
            text += &format!("  {:>12}", format!("h = {h}"));
        }
        text.push('\n');
        for (row, n) in args.n_train.iter().enumerate() {
            text += &format!("{n:>10}");
            for (_, mses) in &curves {
                text += &format!("  {:>12.6}", mses[row]);
            }
            text.push('\n');
        }
        outputs.stage_stdout(text.as_bytes());
    }
    outputs.commit()?;
    if let Some(path) = &args.plot {
        note!("wrote the sweep plot to {}", path.display());
    }
    Ok(())
}
