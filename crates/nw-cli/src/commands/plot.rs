//! `nw plot`: the three figures from CSV files a user already has.

use std::path::Path;

use anyhow::{Result, bail};
use nw_data::{input_name, read_columns, read_dataset, read_table};
use nw_viz::{Figure as _, Heatmap, LossCurve, RegressionPlot};

use super::{check_figure_path, check_paths, check_stdin_inputs};
use crate::cli::{Figure, PlotArgs};

/// Reads the files, checks that they fit together, and saves the figure.
pub fn run(args: PlotArgs) -> Result<()> {
    // Reading a large weights file and drawing it can take a while.
    let progress = crate::progress::Progress::new("plot: reading and drawing", None);
    let result = draw(args);
    progress.finish();
    result
}

/// Reads the inputs of one figure, draws it and writes it.
fn draw(args: PlotArgs) -> Result<()> {
    match args.figure {
        Figure::Regression {
            train,
            pred,
            truth,
            title,
            out,
        } => {
            check_paths(
                &[("--out", Some(&out))],
                &[
                    ("--train", Some(&train)),
                    ("--pred", Some(&pred)),
                    ("--truth", truth.as_deref()),
                ],
            )?;
            check_figure_path(&out)?;
            check_stdin_inputs(&[
                ("--train", Some(&train)),
                ("--pred", Some(&pred)),
                ("--truth", truth.as_deref()),
            ])?;
            let train = read_dataset(&train)?;
            let [x, y_hat] = two(read_columns(&pred, &["x", "y_hat"])?);
            let truth = match &truth {
                Some(path) => Some(wide(&truth_at(path, &pred, &x)?)),
                None => None,
            };
            let (x, y_hat) = (wide(&x), wide(&y_hat));
            let (train_x, train_y) = (wide(train.x()), wide(train.y()));
            let mut plot = RegressionPlot::new(&x, &y_hat).points(&train_x, &train_y);
            if let Some(truth) = &truth {
                plot = plot.truth(truth);
            }
            if let Some(title) = &title {
                plot = plot.title(title);
            }
            plot.save(&out)?;
            note!("wrote the regression plot to {}", out.display());
        }
        Figure::Heatmap {
            weights,
            title,
            out,
        } => {
            check_paths(&[("--out", Some(&out))], &[("--weights", Some(&weights))])?;
            check_figure_path(&out)?;
            let table = read_table(&weights)?;
            // `nw predict --weights` writes the query in a first column `x`: not a weight.
            let keys: Vec<&Vec<f32>> = table
                .names
                .iter()
                .zip(&table.columns)
                .filter(|(name, _)| name.as_str() != "x")
                .map(|(_, column)| column)
                .collect();
            if keys.is_empty() {
                bail!(
                    "{}: no weight columns (only \"x\"): expected one column per key",
                    input_name(&weights)
                );
            }
            let rows = keys[0].len();
            let matrix: Vec<f32> = (0..rows)
                .flat_map(|i| keys.iter().map(move |column| column[i]))
                .collect();
            let mut plot = Heatmap::new(&matrix, rows, keys.len());
            if let Some(title) = &title {
                plot = plot.title(title);
            }
            plot.save(&out)?;
            note!(
                "wrote the {rows} x {} heatmap to {}",
                keys.len(),
                out.display()
            );
        }
        Figure::Loss { epochs, title, out } => {
            check_paths(&[("--out", Some(&out))], &[("--epochs", Some(&epochs))])?;
            check_figure_path(&out)?;
            let [epoch, loss] = two(read_columns(&epochs, &["epoch", "loss"])?);
            // The curve draws loss i at epoch i + 1: the file must say the same.
            for (i, &e) in epoch.iter().enumerate() {
                if e != (i + 1) as f32 {
                    bail!(
                        "{}:{}: epoch {e}, expected {}: epochs must count 1, 2, 3, ... in order",
                        input_name(&epochs),
                        i + 2,
                        i + 1
                    );
                }
            }
            let loss: Vec<f64> = loss.iter().map(|&l| f64::from(l)).collect();
            let mut plot = LossCurve::new(&loss);
            if let Some(title) = &title {
                plot = plot.title(title);
            }
            plot.save(&out)?;
            note!("wrote the loss curve to {}", out.display());
        }
    }
    Ok(())
}

/// The values as f64, the figures' coordinates.
fn wide(values: &[f32]) -> Vec<f64> {
    values.iter().copied().map(f64::from).collect()
}

/// The two columns `read_columns` returned for two names.
fn two(columns: Vec<Vec<f32>>) -> [Vec<f32>; 2] {
    let mut it = columns.into_iter();
    [it.next().unwrap_or_default(), it.next().unwrap_or_default()]
}

/// The truth file's `y`, checked to be at exactly the prediction file's inputs.
fn truth_at(path: &Path, pred: &Path, x: &[f32]) -> Result<Vec<f32>> {
    let truth = read_dataset(path)?;
    if truth.len() != x.len() {
        bail!(
            "{} has {} rows but {} has {}: the truth must be given at the prediction inputs",
            input_name(path),
            truth.len(),
            input_name(pred),
            x.len()
        );
    }
    if let Some(i) = truth.x().iter().zip(x).position(|(a, b)| a != b) {
        bail!(
            "{}:{}: x is {} but {} has x = {} on that line: the truth must be given at the \
             prediction inputs",
            input_name(path),
            i + 2,
            truth.x()[i],
            input_name(pred),
            x[i]
        );
    }
    Ok(truth.into_parts().1)
}
