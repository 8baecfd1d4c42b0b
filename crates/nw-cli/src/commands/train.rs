//! `nw train`: the chapter's training of parametric pooling, and the learnable poolings of
//! its exercise 4, with a report.

use anyhow::{Result, anyhow, bail};
use nw_data::{Column, Outputs};
use nw_model::{
    Adam, Init, Learn, ModelError, NadarayaWatson, Optimizer, Path, Sgd, train_adaptive, train_with,
};
use nw_tensor::Par;
use nw_viz::Figure as _;
use serde_json::json;

use super::{
    check_figure_path, check_paths, coordinate_json, coordinate_text, f32_json, json_text, warn,
};
use crate::cli::{ModelArg, OptimizerKind, PathKind, TrainArgs};
use crate::progress::{Progress, quiet};

/// The epochs as every model reports them: the loss and gradients (f64: sums of squares
/// outgrow f32), and the parameters after each step (f32, as the model holds them).
struct Run {
    /// Names of the gradient columns.
    grad_names: Vec<String>,
    /// Names of the parameter columns.
    param_names: Vec<String>,
    /// The summed loss of each epoch.
    losses: Vec<f64>,
    /// One column per gradient, a value per epoch.
    grads: Vec<Vec<f64>>,
    /// One column per parameter, a value per epoch.
    params: Vec<Vec<f32>>,
    /// What makes the result doubtful.
    warnings: Vec<nw_model::TrainWarning>,
    /// Warnings already said on stderr (inputs the f32 kernels cannot resolve at the learned
    /// bandwidths; with several inputs, a bandwidth outside its input's scale), for the JSON.
    resolution: Vec<serde_json::Value>,
    /// The text report's last lines and the JSON's final fields.
    summary: String,
    json: serde_json::Map<String, serde_json::Value>,
}

/// Trains, then writes the requested files and the report (text or JSON), all or none.
pub fn run(args: TrainArgs) -> Result<()> {
    // The report may share standard output with `--out -`: the table, then the report.
    check_paths(
        &[
            ("--out", args.out.as_deref()),
            ("--plot", args.plot.as_deref()),
        ],
        &[("--train", Some(&args.train))],
    )?;
    if let Some(path) = &args.plot {
        check_figure_path(path)?;
    }
    if args.read.x.len() > 1 && args.model != ModelArg::LogBandwidth {
        bail!(
            "--x names {} input columns: with several inputs, nw train learns one \
             log-bandwidth per input (--model log-bandwidth)",
            args.read.x.len()
        );
    }
    let several = args.read.x.len() > 1;
    // Several inputs are read by the estimator; one as the chapter's poolings take it.
    let (data, table) = if several {
        (None, Some(super::read_table(&args.train, &args.read)?))
    } else {
        (Some(super::read_training(&args.train, &args.read)?), None)
    };
    if let (PathKind::Chapter, Some(data)) = (args.path, &data) {
        // The leave-one-out keys and values, each epoch's tensors and its tape: about ten
        // n x n matrices.
        let n = data.len() as u128;
        crate::limits::check(
            &format!("--path chapter on {} examples", data.len()),
            10 * 4 * n * n,
            "drop --path chapter (the fused path needs O(n))",
        )?;
    }
    let scale = args.model == ModelArg::Scale;
    let kind = args.optimizer.unwrap_or(if scale {
        OptimizerKind::Sgd
    } else {
        OptimizerKind::Adam
    });
    let lr = args.lr.unwrap_or(match kind {
        OptimizerKind::Sgd => 0.5,
        OptimizerKind::Adam => 0.05,
    });
    let epochs = args.epochs.unwrap_or(if scale { 5 } else { 300 });
    let mut optimizer: Box<dyn Optimizer> = match kind {
        OptimizerKind::Sgd => Box::new(Sgd { lr }),
        OptimizerKind::Adam => Box::new(Adam::new(lr)),
    };
    if !scale && (args.w0.is_some() || args.path == PathKind::Chapter) {
        bail!("--w0 and --path chapter are for the scale model (--model scale)");
    }
    let progress = Progress::new("training", Some(epochs));
    let hint = |e: ModelError| match e {
        ModelError::Isolated { .. } => anyhow!(
            "{e}; the bandwidth stepped too narrow for this kernel: try a smaller --lr or \
             --optimizer adam"
        ),
        // The summed loss, and SGD's step with it, grow with the square of the targets.
        ModelError::Diverged { .. } if kind == OptimizerKind::Sgd => anyhow!(
            "{e}; an SGD step is --lr times the gradient of the summed loss, which grows with \
             the number of examples and the square of y: try --optimizer adam (steps of about \
             --lr whatever the gradient's scale) or a smaller --lr"
        ),
        other => other.into(),
    };
    let kernel = args.kernel.kind();
    let run = match (&data, &table) {
        (_, Some(table)) => learn_bandwidths(
            table,
            kernel,
            args.algorithm.kind(),
            epochs as usize,
            optimizer.as_mut(),
            &progress,
        )
        .map_err(|e| match e {
            ModelError::ConstantInput { .. } => table.name_error(e),
            other => hint(other),
        })?,
        (Some(data), None) => one_input(
            &args,
            data,
            kernel,
            epochs as usize,
            optimizer.as_mut(),
            &progress,
        )
        .map_err(hint)?,
        (None, None) => bail!("no training data was read"),
    };
    progress.finish();

    let n_epochs = run.losses.len();
    let epoch_numbers: Vec<f32> = (1..=n_epochs).map(|e| e as f32).collect();
    // Both files and the report, or none.
    let mut outputs = Outputs::new();
    if let Some(path) = &args.plot {
        outputs.stage(path, &nw_viz::LossCurve::new(&run.losses).render_for(path)?)?;
    }
    if let Some(path) = &args.out {
        let mut names = vec!["epoch", "loss"];
        names.extend(run.grad_names.iter().map(String::as_str));
        names.extend(run.param_names.iter().map(String::as_str));
        let mut cols = vec![Column::F32(&epoch_numbers), Column::F64(&run.losses)];
        cols.extend(run.grads.iter().map(|g| Column::F64(g)));
        cols.extend(run.params.iter().map(|p| Column::F32(p)));
        outputs.stage_table(path, &names, &cols)?;
    }
    let mut warnings: Vec<serde_json::Value> = run
        .warnings
        .iter()
        .map(|w| {
            // The scale model starts anywhere; the log-bandwidth model from a rule of thumb.
            let text = if scale {
                format!("{w}; `--model log-bandwidth` learns ln h from a rule of thumb")
            } else {
                w.to_string()
            };
            warn(w.code(), &text)
        })
        .collect();
    warnings.extend(run.resolution);

    if args.json {
        let epochs: Vec<_> = (0..n_epochs)
            .map(|i| {
                let mut e = serde_json::Map::new();
                e.insert("epoch".into(), json!(i + 1));
                e.insert("loss".into(), json!(run.losses[i]));
                for (name, g) in run.grad_names.iter().zip(&run.grads) {
                    e.insert(name.clone(), json!(g[i]));
                }
                for (name, p) in run.param_names.iter().zip(&run.params) {
                    e.insert(name.clone(), f32_json(p[i]));
                }
                serde_json::Value::Object(e)
            })
            .collect();
        let mut report = serde_json::Map::new();
        report.insert(
            "model".into(),
            json!(format!("{:?}", args.model).to_lowercase()),
        );
        report.insert("kernel".into(), json!(kernel.name()));
        report.insert("algorithm".into(), json!(args.algorithm.kind().name()));
        report.insert(
            "optimizer".into(),
            json!(format!("{kind:?}").to_lowercase()),
        );
        report.insert("lr".into(), f32_json(lr));
        report.insert("epochs".into(), json!(epochs));
        report.extend(run.json);
        report.insert("warnings".into(), json!(warnings));
        outputs.stage_stdout(json_text(&serde_json::Value::Object(report))?.as_bytes());
    } else {
        let mut text = String::new();
        if scale {
            // The chapter's first line, then its epoch lines.
            let (first, last) = run.summary.split_once('\n').unwrap_or(("", ""));
            text += first;
            text.push('\n');
            if !quiet() {
                for (i, loss) in run.losses.iter().enumerate() {
                    text += &format!("epoch {}, loss {}\n", i + 1, loss_text(*loss));
                }
            }
            text += last;
        } else {
            if !quiet() {
                for (i, loss) in run.losses.iter().enumerate() {
                    text += &format!("epoch {}, loss {}\n", i + 1, loss_text(*loss));
                }
            }
            text += &run.summary;
        }
        outputs.stage_stdout(text.as_bytes());
    }
    outputs.commit()?;
    if let Some(path) = &args.plot {
        note!("wrote the training-loss curve to {}", path.display());
    }
    if let Some(path) = &args.out {
        note!("wrote {n_epochs} epochs to {}", path.display());
    }
    Ok(())
}

/// The chapter's models on one input: the scale `w`, one log-bandwidth, or the adaptive
/// bandwidth.
fn one_input(
    args: &TrainArgs,
    data: &super::Training,
    kernel: nw_model::KernelKind,
    epochs: usize,
    optimizer: &mut dyn Optimizer,
    progress: &Progress,
) -> nw_model::Result<Run> {
    Ok(match args.model {
        ModelArg::Scale => {
            let init = match args.w0 {
                Some(w) => Init::Value(w),
                None => Init::Uniform { seed: args.seed },
            };
            let path = match args.path {
                PathKind::Fused => Path::Fused,
                PathKind::Chapter => Path::Chapter,
            };
            let report = train_with(
                data.x(),
                data.y(),
                kernel,
                init,
                epochs,
                optimizer,
                path,
                args.algorithm.kind(),
                Par::Rayon,
                &mut |record| progress.set(record.epoch as u64),
            )?;
            let w = report.pooling.w();
            let mut json = serde_json::Map::new();
            json.insert("columns".into(), data.json());
            json.insert("w0".into(), f32_json(init.value()));
            json.insert("w".into(), f32_json(w));
            json.insert("bandwidth".into(), f32_json(report.pooling.bandwidth()));
            let epochs = &report.epochs;
            Run {
                grad_names: vec!["grad".into()],
                param_names: vec!["w".into()],
                losses: epochs.iter().map(|e| e.loss).collect(),
                grads: vec![epochs.iter().map(|e| e.grad).collect()],
                params: vec![epochs.iter().map(|e| e.w).collect()],
                warnings: report.warnings,
                resolution: super::resolution_warning(data.rounding, report.pooling.bandwidth())
                    .into_iter()
                    .collect(),
                summary: format!("initial w = {:.6}\n", init.value())
                    + &format!(
                        "learned w = {w:.6} (bandwidth 1/|w| = {:.6})\n",
                        report.pooling.bandwidth()
                    ),
                json,
            }
        }
        ModelArg::LogBandwidth | ModelArg::Adaptive => {
            let learn = if args.model == ModelArg::Adaptive {
                Learn::Adaptive
            } else {
                Learn::LogBandwidth
            };
            // Both learn ln h through the adaptive kernel, which has the direct pass only.
            nw_model::algorithm::direct_only(
                args.algorithm.kind(),
                "the adaptive kernel that --model log-bandwidth and adaptive train",
            )?;
            let report = train_adaptive(
                data.x(),
                data.y(),
                kernel,
                learn,
                epochs,
                optimizer,
                Par::Rayon,
                &mut |record| progress.set(record.epoch as u64),
            )?;
            let p = report.pooling;
            let (a, b, c) = p.params();
            let (lo, hi) = data
                .x()
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &x| {
                    (l.min(x), h.max(x))
                });
            // The kernels measured inputs from an origin: report them in the file's units.
            let origin = data.origin_x;
            let (lo64, hi64) = (coordinate_text(origin, lo), coordinate_text(origin, hi));
            let c64 = origin.back(c);
            let mut json = serde_json::Map::new();
            json.insert("columns".into(), data.json());
            json.insert("a".into(), f32_json(a));
            json.insert("b".into(), f32_json(b));
            json.insert("center".into(), coordinate_json(origin, c));
            json.insert(
                "bandwidth_range".into(),
                json!([f32_json(p.bandwidth_at(lo)), f32_json(p.bandwidth_at(hi))]),
            );
            let summary = if learn == Learn::Adaptive {
                format!(
                    "learned ln h(x) = {a:.6} + {b:.6} (x - {c64:.6}): bandwidth {:.6} at x = \
                     {lo64} to {:.6} at x = {hi64}\n",
                    p.bandwidth_at(lo),
                    p.bandwidth_at(hi)
                )
            } else {
                format!("learned ln h = {a:.6} (bandwidth {:.6})\n", a.exp())
            };
            let epochs = &report.epochs;
            Run {
                grad_names: vec!["grad_a".into(), "grad_b".into()],
                param_names: vec!["a".into(), "b".into()],
                losses: epochs.iter().map(|e| e.loss).collect(),
                grads: vec![
                    epochs.iter().map(|e| e.grad_a).collect(),
                    epochs.iter().map(|e| e.grad_b).collect(),
                ],
                params: vec![
                    epochs.iter().map(|e| e.a).collect(),
                    epochs.iter().map(|e| e.b).collect(),
                ],
                warnings: report.warnings,
                resolution: match learn {
                    Learn::LogBandwidth => super::resolution_warning(data.rounding, a.exp())
                        .into_iter()
                        .collect(),
                    Learn::Adaptive => Vec::new(),
                },
                summary,
                json,
            }
        }
    })
}

/// One log-bandwidth per input, learned from Silverman's rule of thumb on each, with
/// leave-one-out passes by `algorithm`.
fn learn_bandwidths(
    table: &super::Table,
    kernel: nw_model::KernelKind,
    algorithm: nw_model::Algorithm,
    epochs: usize,
    optimizer: &mut dyn Optimizer,
    progress: &Progress,
) -> nw_model::Result<Run> {
    let model = NadarayaWatson::params()
        .kernel(kernel)
        .bandwidth(nw_model::Bandwidth::Silverman)
        .algorithm(algorithm)
        .fit(nw_model::Inputs::new(&table.x, table.dim)?, &table.y)?;
    let start: Vec<f64> = model.bandwidths().to_vec();
    let records = model.learn_bandwidths(epochs, optimizer, &mut |record| {
        progress.set(record.epoch as u64)
    })?;
    let names = table.name_refs();
    let d = names.len();
    let learned: Vec<f64> = records.last().map_or(start.clone(), |r| {
        r.log_h.iter().map(|&l| f64::from(l).exp()).collect()
    });
    let listed = |h: &[f64]| {
        names
            .iter()
            .zip(h)
            .map(|(n, h)| format!("{n} {}", super::number_text(*h as f32)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let losses: Vec<f64> = records.iter().map(|r| r.loss).collect();
    // A run that learned nothing (why, when every target is the same), and per input a
    // bandwidth outside its data's scale.
    let constant = table.y.iter().all(|&v| v == table.y[0]);
    let warnings = if constant {
        Vec::new()
    } else {
        nw_model::train::diagnose(&losses, (start[0], start[0]), &[], None)
    };
    let mut extra = super::model_resolution_warnings(&model, &learned, &names, &[]);
    if constant {
        extra.push(super::warn(
            "constant_targets",
            &nw_model::bandwidth::Warning::ConstantTargets.to_string(),
        ));
    }
    for (j, (&h, name)) in learned.iter().zip(&names).enumerate() {
        let mut values: Vec<f64> = table.x.iter().skip(j).step_by(d).copied().collect();
        values.sort_by(f64::total_cmp);
        let span = values[values.len() - 1] - values[0];
        let gap = values
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|&g| g > 0.0)
            .fold(f64::INFINITY, f64::min);
        let better = "`nw bandwidth` chooses bandwidths by cross-validation";
        let text = |v: f64| super::number_text(v as f32);
        let entry = if h < gap {
            Some(super::warn(
                "below_smallest_gap",
                &format!(
                    "the learned bandwidth of {name}, {}, is below the smallest gap between its \
                     distinct values ({}): predictions lean on the nearest neighbours in \
                     {name} alone; {better}",
                    text(h),
                    text(gap)
                ),
            ))
        } else if h > span {
            Some(super::warn(
                "above_span",
                &format!(
                    "the learned bandwidth of {name}, {}, is wider than its span ({}): {name} \
                     is smoothed out and says little about y here; {better}",
                    text(h),
                    text(span)
                ),
            ))
        } else {
            None
        };
        if let Some(mut entry) = entry {
            if let Some(fields) = entry.as_object_mut() {
                fields.insert("input".into(), json!(name));
            }
            extra.push(entry);
        }
    }
    let mut json = serde_json::Map::new();
    json.insert("columns".into(), table.json(&model));
    json.insert("initial_bandwidths".into(), json!(start));
    json.insert("bandwidths".into(), json!(learned));
    Ok(Run {
        grad_names: names.iter().map(|n| format!("grad_{n}")).collect(),
        param_names: names.iter().map(|n| format!("ln_h_{n}")).collect(),
        losses,
        grads: (0..d)
            .map(|j| records.iter().map(|r| r.grads[j]).collect())
            .collect(),
        params: (0..d)
            .map(|j| records.iter().map(|r| r.log_h[j]).collect())
            .collect(),
        warnings,
        resolution: extra,
        summary: format!(
            "initial bandwidths (Silverman): {}\nlearned bandwidths: {}\n",
            listed(&start),
            listed(&learned)
        ),
        json,
    })
}

/// A summed loss as the chapter prints it: its f32 value with six decimals (the chapter's
/// loss is an f32 sum, and its printed digits stay ours), or in scientific notation where six
/// decimals would spell out dozens of digits or show nothing, or f32 cannot hold it.
pub fn loss_text(loss: f64) -> String {
    let single = loss as f32;
    if loss == 0.0 || (1e-3..1e12).contains(&loss.abs()) && single.is_finite() {
        format!("{single:.6}")
    } else {
        format!("{loss:.6e}")
    }
}
