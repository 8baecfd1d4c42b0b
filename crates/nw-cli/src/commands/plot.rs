//! `nw plot`: the three figures from CSV files a user already has.

use std::path::Path;

use anyhow::{Result, bail};
use nw_data::{ColumnRef, ReadOptions, Select, input_name, read_dataset, read_frame, read_table};
use nw_viz::{Figure as _, Heatmap, LossCurve, RegressionPlot, SurfacePlot};

use super::{band, check_figure_path, check_paths, check_stdin_inputs};
use crate::cli::{BandArgs, BandwidthArg, Figure, PlotArgs, ReadArgs};

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
            bandwidth,
            kernel,
            degree,
            compare_degree,
            band,
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
                    ("--pred", pred.as_deref()),
                    ("--truth", truth.as_deref()),
                ],
            )?;
            check_figure_path(&out)?;
            check_stdin_inputs(&[
                ("--train", Some(&train)),
                ("--pred", pred.as_deref()),
                ("--truth", truth.as_deref()),
            ])?;
            let labels = Labels {
                x: xlabel.as_deref(),
                y: ylabel.as_deref(),
                title: title.as_deref(),
            };
            match pred {
                Some(pred) => {
                    if band.bands.is_some() {
                        bail!(
                            "--bands shades the band of a fit nw makes: drop --pred (nw fits --train \
                             itself), or write the band to a file with nw predict --bands"
                        );
                    }
                    regression_of_file(&train, &read, &pred, truth.as_deref(), &labels, &out)?;
                }
                None => {
                    if compare_degree == Some(degree) {
                        bail!(
                            "--compare-degree {degree} is --degree's too: compare a different local \
                             polynomial (0, 1 or 2)"
                        );
                    }
                    let fits = FitRequest {
                        bandwidth: bandwidth.as_ref(),
                        kernel: kernel.kind(),
                        degree,
                        compare_degree,
                        band: &band,
                    };
                    regression_of_fit(&train, &read, truth.as_deref(), &fits, &labels, &out)?;
                }
            }
        }
        Figure::Surface {
            train,
            read,
            bandwidth,
            kernel,
            grid,
            title,
            out,
        } => {
            check_paths(&[("--out", Some(&out))], &[("--train", Some(&train))])?;
            check_figure_path(&out)?;
            let table = super::read_table(&train, &read)?;
            if table.dim != 2 {
                bail!(
                    "nw plot surface draws a fit over two inputs, and --x names {}: give two \
                     (--x a,b), or draw one input at a time with nw plot partial",
                    table.dim
                );
            }
            let model = fit_for_plot(&table, bandwidth.as_ref(), kernel.kind(), 0)?;
            let n = grid as usize;
            let g1 = span_grid(&input(&table, 0), n);
            let g2 = span_grid(&input(&table, 1), n);
            // Row-major over the second input, as the surface takes its values.
            let queries: Vec<f64> = g2
                .iter()
                .flat_map(|&b| g1.iter().flat_map(move |&a| [a, b]))
                .collect();
            let z = model.predict(nw_model::Inputs::new(&queries, 2)?)?.y;
            let empty = z.iter().filter(|v| v.is_nan()).count();
            if empty > 0 {
                say!(
                    "note: {empty} of {} grid points have no kernel estimate (no training row \
                     within the kernel's reach): drawn grey",
                    z.len()
                );
            }
            let names = table.name_refs();
            let title = title.unwrap_or_else(|| {
                format!(
                    "{} kernel, h = {}",
                    model.kernel().name(),
                    h_list(&model, &names)
                )
            });
            let (x1, x2) = (input(&table, 0), input(&table, 1));
            SurfacePlot::new(&g1, &g2, &z)
                .points(&x1, &x2)
                .point_values(&table.y)
                .labels(names[0], names[1], &table.y_name)
                .title(&title)
                .save(&out)?;
            note!(
                "wrote the fitted surface to {} (bandwidths {})",
                out.display(),
                h_list(&model, &names)
            );
        }
        Figure::Partial {
            train,
            read,
            along,
            bandwidth,
            kernel,
            title,
            out,
        } => {
            check_paths(&[("--out", Some(&out))], &[("--train", Some(&train))])?;
            check_figure_path(&out)?;
            let table = super::read_table(&train, &read)?;
            let names = table.name_refs();
            let j = match &along {
                None => 0,
                Some(ColumnRef::Name(name)) => match names.iter().position(|n| n == name) {
                    Some(j) => j,
                    None => bail!(
                        "--along {name} is not one of the inputs --x names ({})",
                        names.join(", ")
                    ),
                },
                Some(ColumnRef::Position(k)) if (1..=table.dim).contains(k) => k - 1,
                Some(ColumnRef::Position(k)) => bail!(
                    "--along {k} is not one of the {} inputs --x names (count from 1)",
                    table.dim
                ),
            };
            let model = fit_for_plot(&table, bandwidth.as_ref(), kernel.kind(), 0)?;
            let medians: Vec<f64> = (0..table.dim).map(|i| median(&input(&table, i))).collect();
            let xs = span_grid(&input(&table, j), 400);
            let queries: Vec<f64> = xs
                .iter()
                .flat_map(|&v| {
                    let mut row = medians.clone();
                    row[j] = v;
                    row
                })
                .collect();
            let y = model
                .predict(nw_model::Inputs::new(&queries, table.dim)?)?
                .y;
            // Where no training row is within reach there is no estimate: not drawn.
            let (xs, y): (Vec<f64>, Vec<f64>) = xs
                .iter()
                .zip(&y)
                .filter(|(_, v)| v.is_finite())
                .map(|(&a, &b)| (a, b))
                .unzip();
            if xs.is_empty() {
                bail!(
                    "no point along {} has a kernel estimate with the other inputs at their \
                     medians: widen --bandwidth",
                    names[j]
                );
            }
            let held: Vec<String> = (0..table.dim)
                .filter(|&i| i != j)
                .map(|i| format!("{} = {}", names[i], four_digits(medians[i])))
                .collect();
            // A title that fits: the held values while they are few.
            let title = title.unwrap_or_else(|| match held.len() {
                0 => format!(
                    "{} kernel, h = {}",
                    model.kernel().name(),
                    h_list(&model, &names)
                ),
                1..=3 => format!("Along {}, at {}", names[j], held.join(", ")),
                n => format!("Along {}, the other {n} inputs at their medians", names[j]),
            });
            RegressionPlot::new(&xs, &y)
                .points(&input(&table, j), &table.y)
                .labels(names[j], &table.y_name)
                .title(&title)
                .own_frame()
                .save(&out)?;
            note!(
                "wrote the prediction along {} to {} (bandwidths {})",
                names[j],
                out.display(),
                h_list(&model, &names)
            );
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
                // With several inputs, `query` numbers the rows: not a weight either.
                .filter(|(name, _)| !matches!(name.as_str(), "x" | "query"))
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

/// The text flags of `nw plot regression`.
struct Labels<'a> {
    /// `--xlabel`.
    x: Option<&'a str>,
    /// `--ylabel`.
    y: Option<&'a str>,
    /// `--title`.
    title: Option<&'a str>,
}

/// What `nw plot regression` fits when there is no `--pred`.
struct FitRequest<'a> {
    /// `--bandwidth` (auto when not given).
    bandwidth: Option<&'a BandwidthArg>,
    /// `--kernel`.
    kernel: nw_model::KernelKind,
    /// `--degree`.
    degree: u8,
    /// `--compare-degree`.
    compare_degree: Option<u8>,
    /// `--bands` and its options.
    band: &'a BandArgs,
}

/// Inputs at which a fit is drawn when there is no truth file: enough that a curve of the
/// widest useful bandwidth range looks smooth at the default size.
const FIT_POINTS: usize = 400;

/// `nw plot regression --pred`: the predictions of a file over the training points.
fn regression_of_file(
    train: &Path,
    read: &ReadArgs,
    pred: &Path,
    truth: Option<&Path>,
    labels: &Labels<'_>,
    out: &Path,
) -> Result<()> {
    // In f64, as in the files: figures have no f32 kernels to feed.
    let ([train_x, train_y], columns, _) = super::read_xy(train, read)?;
    // `NaN` in y_hat is `nw predict --far nan`'s mark of a query without an estimate:
    // nothing to draw there.
    let pred_frame = read_frame(
        pred,
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
            input_name(pred)
        );
    }
    let [x, y_hat] = two(pred_frame);
    let truth = match truth {
        Some(path) => Some(truth_at(path, read, pred, &x)?),
        None => None,
    };
    let plot = RegressionPlot::new(&x, &y_hat).points(&train_x, &train_y);
    finish(plot, truth.as_deref(), &columns, labels, out)?;
    note!("wrote the regression plot to {}", out.display());
    Ok(())
}

/// One fitted curve of `nw plot regression` without `--pred`: where it is drawn, its band,
/// and its legend text.
struct Fitted {
    /// Inputs with an estimate.
    x: Vec<f64>,
    /// The estimates there.
    y: Vec<f64>,
    /// The band at every drawn input (NaN where it has none), if asked for.
    band: Option<(Vec<f64>, Vec<f64>)>,
    /// `Local linear, h = 1.25`.
    label: String,
}

/// `nw plot regression` without `--pred`: fits the local polynomial(s) to `--train` and draws
/// them, with their bands, at the truth's inputs or across the training inputs.
fn regression_of_fit(
    train: &Path,
    read: &ReadArgs,
    truth: Option<&Path>,
    request: &FitRequest<'_>,
    labels: &Labels<'_>,
    out: &Path,
) -> Result<()> {
    let table = super::read_table(train, read)?;
    if table.dim != 1 {
        bail!(
            "nw plot regression draws a fit over one input, and --x names {}: draw one input \
             at a time with nw plot partial, or the fit over two with nw plot surface",
            table.dim
        );
    }
    let (grid, truth_y) = match truth {
        Some(path) => {
            let ([x, y], _, _) = super::read_xy(path, read)?;
            (x, Some(y))
        }
        None => (span_grid(&table.x, FIT_POINTS), None),
    };
    let main = fit_curve(&table, &grid, request, request.degree)?;
    let compare = request
        .compare_degree
        .map(|d| fit_curve(&table, &grid, request, d))
        .transpose()?;
    let band_label = band::label(request.band);
    let mut plot = RegressionPlot::new(&main.x, &main.y)
        .pred_label(&main.label)
        .points(&table.x, &table.y);
    if let Some((lo, hi)) = &main.band {
        plot = plot.band(&grid, lo, hi, &band_label);
    }
    if let Some(c) = &compare {
        plot = plot.compare(&c.x, &c.y, &c.label);
        if let Some((lo, hi)) = &c.band {
            plot = plot.compare_band(&grid, lo, hi, &band_label);
        }
    }
    let columns = [table.names[0].clone(), table.y_name.clone()];
    finish(plot, truth_y.as_deref(), &columns, labels, out)?;
    let fits: Vec<&str> = std::iter::once(&main)
        .chain(compare.as_ref())
        .map(|f| f.label.as_str())
        .collect();
    note!(
        "wrote the regression plot to {} ({})",
        out.display(),
        fits.join("; ")
    );
    Ok(())
}

/// Fits the local polynomial of `degree` and evaluates it (and its band) at `grid`.
fn fit_curve(
    table: &super::Table,
    grid: &[f64],
    request: &FitRequest<'_>,
    degree: u8,
) -> Result<Fitted> {
    let model = fit_for_plot(table, request.bandwidth, request.kernel, degree)?;
    let queries = nw_model::Inputs::new(grid, 1)?;
    let y = model.predict(queries)?.y;
    let (x, y): (Vec<f64>, Vec<f64>) = grid
        .iter()
        .zip(&y)
        .filter(|(_, v)| v.is_finite())
        .map(|(&a, &b)| (a, b))
        .unzip();
    let name = match degree {
        0 => "Nadaraya-Watson",
        1 => "Local linear",
        _ => "Local quadratic",
    };
    if x.is_empty() {
        bail!(
            "{name} has no estimate at any of the {} inputs drawn (no training input within \
             the kernel's reach): widen --bandwidth",
            grid.len()
        );
    }
    if x.len() < grid.len() {
        say!(
            "note: {name} has no estimate at {} of {} inputs drawn: not drawn there",
            grid.len() - x.len(),
            grid.len()
        );
    }
    let band = match request.band.bands {
        Some(kind) => {
            let (b, _, _) = band::compute(request.band, &model, queries, kind)?;
            Some((b.lo, b.hi))
        }
        None => None,
    };
    let h = four_digits(model.bandwidths()[0]);
    Ok(Fitted {
        x,
        y,
        band,
        label: format!("{name}, h = {h}"),
    })
}

/// Adds the truth and the text flags (the axes named after `columns` unless the flags say
/// otherwise) and saves the figure.
fn finish<'a>(
    mut plot: RegressionPlot<'a>,
    truth: Option<&'a [f64]>,
    columns: &'a [String; 2],
    labels: &Labels<'a>,
    out: &Path,
) -> Result<()> {
    plot = plot.labels(
        labels.x.unwrap_or(&columns[0]),
        labels.y.unwrap_or(&columns[1]),
    );
    if let Some(truth) = truth {
        plot = plot.truth(truth);
    }
    if let Some(title) = labels.title {
        plot = plot.title(title);
    }
    plot.save(out)?;
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

/// The model a fit figure draws: the local polynomial of `degree`, `--bandwidth`
/// (cross-validated by default), queries with
/// no estimate left as NaN (drawn as gaps), the search's warnings on stderr.
fn fit_for_plot(
    table: &super::Table,
    bandwidth: Option<&BandwidthArg>,
    kernel: nw_model::KernelKind,
    degree: u8,
) -> Result<nw_model::NadarayaWatson> {
    let choice = super::bandwidth_choice(bandwidth, nw_model::Bandwidth::Cv, table.dim)?;
    let settings = nw_model::NadarayaWatson::params()
        .kernel(kernel)
        .degree(usize::from(degree))
        .bandwidth(choice)
        .far(nw_model::Far::Nan);
    let model = super::fit_model(table, &settings)?;
    super::report_fit_warnings(&model, &table.name_refs());
    Ok(model)
}

/// Input `j` of every row.
fn input(table: &super::Table, j: usize) -> Vec<f64> {
    table.x.iter().skip(j).step_by(table.dim).copied().collect()
}

/// `n` evenly spaced values from the least to the greatest of `values`, in f64.
fn span_grid(values: &[f64], n: usize) -> Vec<f64> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1).max(1) as f64)
        .collect()
}

/// The median (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// `v` to four significant digits, as text (`11.36`, not `11.360000000000001`).
fn four_digits(v: f64) -> String {
    format!("{v:.3e}")
        .parse::<f64>()
        .map_or_else(|_| v.to_string(), |r| r.to_string())
}

/// A model's bandwidths, each with its input's name.
fn h_list(model: &nw_model::NadarayaWatson, names: &[&str]) -> String {
    names
        .iter()
        .zip(model.bandwidths())
        .map(|(n, h)| format!("{n} {}", super::number_text(*h as f32)))
        .collect::<Vec<_>>()
        .join(", ")
}
