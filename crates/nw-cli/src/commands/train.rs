//! `nw train`: the chapter's training of parametric pooling, and the learnable poolings of
//! its exercise 4, with a report.

use anyhow::{Result, anyhow, bail};
use nw_data::{Outputs, read_dataset};
use nw_model::{Adam, Init, Learn, ModelError, Optimizer, Path, Sgd, train_adaptive, train_with};
use nw_tensor::Par;
use nw_viz::Figure as _;
use serde_json::json;

use super::{check_figure_path, check_paths, f32_json, json_text};
use crate::cli::{ModelArg, OptimizerKind, PathKind, TrainArgs};
use crate::progress::Progress;

/// One epoch as every model reports it: `(epoch, loss, gradient columns, parameter columns)`.
struct Run {
    /// Column names of the gradients and of the parameters after the step.
    names: Vec<&'static str>,
    /// One row per epoch: epoch, loss, then the columns of `names`.
    rows: Vec<Vec<f32>>,
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
    let data = read_dataset(&args.train)?;
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
    let mut progress = Progress::new("training", epochs);
    let hint = |e: ModelError| match e {
        ModelError::Isolated { .. } => anyhow!(
            "{e}; the bandwidth stepped too narrow for this kernel: try a smaller --lr or \
             --optimizer adam"
        ),
        other => other.into(),
    };
    let kernel = args.kernel.kind();
    let run = match args.model {
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
                epochs as usize,
                optimizer.as_mut(),
                path,
                Par::Rayon,
                &mut |record| progress.set(record.epoch as u64),
            )
            .map_err(hint)?;
            let w = report.pooling.w();
            let mut json = serde_json::Map::new();
            json.insert("w0".into(), f32_json(init.value()));
            json.insert("w".into(), f32_json(w));
            json.insert("bandwidth".into(), f32_json(report.pooling.bandwidth()));
            Run {
                names: vec!["grad", "w"],
                rows: report
                    .epochs
                    .iter()
                    .map(|e| vec![e.epoch as f32, e.loss, e.grad, e.w])
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
            let report = train_adaptive(
                data.x(),
                data.y(),
                kernel,
                learn,
                epochs as usize,
                optimizer.as_mut(),
                Par::Rayon,
                &mut |record| progress.set(record.epoch as u64),
            )
            .map_err(hint)?;
            let p = report.pooling;
            let (a, b, c) = p.params();
            let (lo, hi) = data
                .x()
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &x| {
                    (l.min(x), h.max(x))
                });
            let mut json = serde_json::Map::new();
            json.insert("a".into(), f32_json(a));
            json.insert("b".into(), f32_json(b));
            json.insert("center".into(), f32_json(c));
            json.insert(
                "bandwidth_range".into(),
                json!([f32_json(p.bandwidth_at(lo)), f32_json(p.bandwidth_at(hi))]),
            );
            let summary = if learn == Learn::Adaptive {
                format!(
                    "learned ln h(x) = {a:.6} + {b:.6} (x - {c:.6}): bandwidth {:.6} at x = {lo} to \
                     {:.6} at x = {hi}\n",
                    p.bandwidth_at(lo),
                    p.bandwidth_at(hi)
                )
            } else {
                format!("learned ln h = {a:.6} (bandwidth {:.6})\n", a.exp())
            };
            Run {
                names: vec!["grad_a", "grad_b", "a", "b"],
                rows: report
                    .epochs
                    .iter()
                    .map(|e| vec![e.epoch as f32, e.loss, e.grad_a, e.grad_b, e.a, e.b])
                    .collect(),
                summary,
                json,
            }
        }
    };
    progress.finish();

    let columns: Vec<Vec<f32>> = (0..2 + run.names.len())
        .map(|j| run.rows.iter().map(|r| r[j]).collect())
        .collect();
    let losses = &columns[1];
    // Both files and the report, or none.
    let mut outputs = Outputs::new();
    if let Some(path) = &args.plot {
        outputs.stage(path, &nw_viz::LossCurve::new(losses).render_for(path)?)?;
    }
    if let Some(path) = &args.out {
        let mut names = vec!["epoch", "loss"];
        names.extend(&run.names);
        let cols: Vec<&[f32]> = columns.iter().map(Vec::as_slice).collect();
        outputs.stage_columns(path, &names, &cols)?;
    }
    if args.json {
        let epochs: Vec<_> = run
            .rows
            .iter()
            .map(|r| {
                let mut e = serde_json::Map::new();
                e.insert("epoch".into(), json!(r[0] as u64));
                e.insert("loss".into(), f32_json(r[1]));
                for (name, &v) in run.names.iter().zip(&r[2..]) {
                    e.insert((*name).into(), f32_json(v));
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
        report.insert(
            "optimizer".into(),
            json!(format!("{kind:?}").to_lowercase()),
        );
        report.insert("lr".into(), f32_json(lr));
        report.insert("epochs".into(), json!(epochs));
        report.extend(run.json);
        outputs.stage_stdout(json_text(&serde_json::Value::Object(report))?.as_bytes());
    } else {
        let mut text = String::new();
        if scale {
            // The chapter's first line, then its epoch lines.
            let (first, last) = run.summary.split_once('\n').unwrap_or(("", ""));
            text += first;
            text.push('\n');
            for r in &run.rows {
                text += &format!("epoch {}, loss {:.6}\n", r[0], r[1]);
            }
            text += last;
        } else {
            for r in &run.rows {
                text += &format!("epoch {}, loss {:.6}\n", r[0], r[1]);
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
        note!("wrote {} epochs to {}", run.rows.len(), path.display());
    }
    Ok(())
}
