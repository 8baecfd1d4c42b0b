//! `nw train`: the chapter's training of parametric pooling, with a report.

use anyhow::{Result, anyhow};
use nw_data::{Outputs, read_dataset};
use nw_model::{Adam, Init, ModelError, Optimizer, Path, Sgd, train_with};
use nw_tensor::Par;
use nw_viz::Figure as _;
use serde_json::json;

use super::{check_figure_path, emit, emit_json, f32_json};
use crate::cli::{OptimizerKind, PathKind, TrainArgs};
use crate::progress::Progress;

/// Trains, then reports (text or JSON), then writes the requested files.
pub fn run(args: TrainArgs) -> Result<()> {
    if let Some(path) = &args.plot {
        check_figure_path(path)?;
    }
    let data = read_dataset(&args.train)?;
    let init = match args.w0 {
        Some(w) => Init::Value(w),
        None => Init::Uniform { seed: args.seed },
    };
    let w0 = init.value();
    let mut optimizer: Box<dyn Optimizer> = match args.optimizer {
        OptimizerKind::Sgd => Box::new(Sgd { lr: args.lr }),
        OptimizerKind::Adam => Box::new(Adam::new(args.lr)),
    };
    let path = match args.path {
        PathKind::Fused => Path::Fused,
        PathKind::Chapter => Path::Chapter,
    };
    let mut progress = Progress::new("training", args.epochs);
    let report = train_with(
        data.x(),
        data.y(),
        args.kernel.kind(),
        init,
        args.epochs as usize,
        optimizer.as_mut(),
        path,
        Par::Rayon,
        &mut |record| progress.set(record.epoch as u64),
    )
    .map_err(|e| match e {
        ModelError::Isolated { .. } => anyhow!(
            "{e}; the learned w jumped too far for this kernel: try a smaller --lr or \
             --optimizer adam"
        ),
        other => other.into(),
    })?;
    progress.finish();
    let w = report.pooling.w();

    let epochs: Vec<f32> = report.epochs.iter().map(|e| e.epoch as f32).collect();
    let losses: Vec<f32> = report.epochs.iter().map(|e| e.loss).collect();
    // Both files or neither.
    let mut outputs = Outputs::new();
    if let Some(path) = &args.plot {
        outputs.stage(path, &nw_viz::LossCurve::new(&losses).render_for(path)?)?;
    }
    if let Some(path) = &args.out {
        let grads: Vec<f32> = report.epochs.iter().map(|e| e.grad).collect();
        let ws: Vec<f32> = report.epochs.iter().map(|e| e.w).collect();
        outputs.stage_columns(
            path,
            &["epoch", "loss", "grad", "w"],
            &[&epochs, &losses, &grads, &ws],
        )?;
    }
    outputs.commit()?;
    if let Some(path) = &args.plot {
        eprintln!("wrote the training-loss curve to {}", path.display());
    }
    if let Some(path) = &args.out {
        eprintln!("wrote {} epochs to {}", epochs.len(), path.display());
    }
    if args.json {
        let epochs: Vec<_> = report
            .epochs
            .iter()
            .map(|e| json!({"epoch": e.epoch, "loss": f32_json(e.loss), "grad": f32_json(e.grad), "w": f32_json(e.w)}))
            .collect();
        emit_json(&json!({
            "kernel": args.kernel.kind().name(),
            "w0": f32_json(w0),
            "optimizer": format!("{:?}", args.optimizer).to_lowercase(),
            "lr": f32_json(args.lr),
            "epochs": epochs,
            "w": f32_json(w),
            "bandwidth": f32_json(report.pooling.bandwidth()),
        }))?;
    } else {
        let mut text = format!("initial w = {w0:.6}\n");
        for e in &report.epochs {
            text += &format!("epoch {}, loss {:.6}\n", e.epoch, e.loss);
        }
        text += &format!(
            "learned w = {w:.6} (bandwidth 1/|w| = {:.6})\n",
            report.pooling.bandwidth()
        );
        emit(&text)?;
    }
    Ok(())
}
