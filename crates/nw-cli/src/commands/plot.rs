//! `nw plot`: the three figures from CSV files a user already has.

use std::path::Path;

use anyhow::{Result, bail};
use nw_data::{ColumnRef, ReadOptions, Select, input_name, read_dataset, read_frame, read_table};
use nw_viz::{Figure as _, Heatmap, LossCurve, RegressionPlot};

use super::{check_figure_path, check_paths, check_stdin_inputs};
use crate::cli::{Figure, PlotArgs, ReadArgs};

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
            read,
            pred,
            truth,
            xlabel,
            ylabel,
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
            // In f64, as in the files: figures have no f32 kernels to feed.
            let ([train_x, train_y], columns, _) = super::read_xy(&train, &read)?;
            // The axes are named after the training file's chosen columns, unless the flags
            // say otherwise.
            let labels = (
                xlabel.as_deref().unwrap_or(&columns[0]),
                ylabel.as_deref().unwrap_or(&columns[1]),
            );
            // `NaN` in y_hat is `nw predict --far nan`'s mark of a query without an estimate:
            // nothing to draw there.
            let pred_frame = read_frame(
                &pred,
                &Select::columns(vec![ColumnRef::name("x"), ColumnRef::name("y_hat")]),
                &ReadOptions {
                    missing: nw_data::Missing::Drop,
                    ..ReadOptions::default()
                },
            )?;
            if pred_frame.dropped > 0 {
                say!(
                    "note: {} of {} predictions in {} have no value (NaN): not drawn",
                    pred_frame.dropped,
                    pred_frame.dropped + pred_frame.rows(),
                    input_name(&pred)
                );
            }
            let [x, y_hat] = two(pred_frame);
            let truth = match &truth {
                Some(path) => Some(truth_at(path, &read, &pred, &x)?),
                None => None,
            };
            let mut plot = RegressionPlot::new(&x, &y_hat)
                .points(&train_x, &train_y)
                .labels(labels.0, labels.1);
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
            train,
            title,
            out,
        } => {
            let inputs = [
                ("--weights", Some(weights.as_path())),
                ("--train", train.as_deref()),
            ];
            check_paths(&[("--out", Some(&out))], &inputs)?;
            check_figure_path(&out)?;
            check_stdin_inputs(&inputs)?;
            let train = train
                .as_deref()
                .map(|path| read_dataset(path).map(|set| (path, set)))
                .transpose()?;
            let table = read_table(&weights)?;
            // `nw predict --weights` writes the query in a first column `x`: not a weight.
            let queries = table
                .names
                .iter()
                .position(|name| name == "x")
                .map(|i| &table.columns[i]);
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
            // Key j is row j of the training file, so its x says whether the keys are sorted.
            let keys_sorted = match &train {
                Some((path, set)) => {
                    if set.len() != keys.len() {
                        bail!(
                            "{} has {} rows but {} has {} key columns: --train must be the \
                             training file the weights came from, a row per key",
                            input_name(path),
                            set.len(),
                            input_name(&weights),
                            keys.len()
                        );
                    }
                    non_decreasing(set.x())
                }
                None => false,
            };
            let queries_sorted = queries.is_some_and(|q| non_decreasing(q));
            // The chapter's labels only for what is known to be sorted.
            let x_label = if keys_sorted {
                "Sorted training inputs"
            } else {
                "Keys (file order)"
            };
            let y_label = if queries_sorted {
                "Sorted testing inputs"
            } else {
                "Queries (file order)"
            };
            let rows = keys[0].len();
            let matrix: Vec<f32> = (0..rows)
                .flat_map(|i| keys.iter().map(move |column| column[i]))
                .collect();
            let mut plot = Heatmap::new(&matrix, rows, keys.len()).labels(x_label, y_label);
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
            // Losses in f64, as `nw train` writes them: a summed loss outgrows f32.
            let [epoch, loss] = two(read_frame(
                &epochs,
                &Select::columns(vec![ColumnRef::name("epoch"), ColumnRef::name("loss")]),
                &ReadOptions::default(),
            )?);
            // The curve draws loss i at epoch i + 1: the file must say the same.
            for (i, &e) in epoch.iter().enumerate() {
                if e != (i + 1) as f64 {
                    bail!(
                        "{}:{}: epoch {e}, expected {}: epochs must count 1, 2, 3, ... in order",
                        input_name(&epochs),
                        i + 2,
                        i + 1
                    );
                }
            }
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

/// True if no value is below the one before it.
fn non_decreasing(values: &[f32]) -> bool {
    values.windows(2).all(|w| w[0] <= w[1])
}

/// The two columns of a frame read for two names.
fn two(frame: nw_data::Frame) -> [Vec<f64>; 2] {
    let mut it = frame.columns.into_iter();
    [it.next().unwrap_or_default(), it.next().unwrap_or_default()]
}

/// The truth file's `y`, checked to be at exactly the prediction file's inputs.
fn truth_at(path: &Path, read: &ReadArgs, pred: &Path, x: &[f64]) -> Result<Vec<f64>> {
    let ([truth_x, truth_y], _, _) = super::read_xy(path, read)?;
    if truth_x.len() != x.len() {
        bail!(
            "{} has {} rows but {} has {}: the truth must be given at the prediction inputs",
            input_name(path),
            truth_x.len(),
            input_name(pred),
            x.len()
        );
    }
    if let Some(i) = truth_x.iter().zip(x).position(|(a, b)| a != b) {
        bail!(
            "{}:{}: x is {} but {} has x = {} on that line: the truth must be given at the \
             prediction inputs",
            input_name(path),
            i + 2,
            truth_x[i],
            input_name(pred),
            x[i]
        );
    }
    Ok(truth_y)
}
