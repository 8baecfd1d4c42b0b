//! `nw demo`: the chapter end to end, from data to its six figures, and exercise 4's
//! adaptive pooling with three more.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nw_data::{CHAPTER_W0, Dataset, Outputs, Synthetic, chapter_train, test_set};
use nw_model::{
    Adam, AveragePooling, Init, KernelKind, Learn, NonparametricPooling, Path as TrainPath,
    Pooling, Sgd, loss, train, train_adaptive,
};
use nw_tensor::Par;
use nw_viz::{Figure, Heatmap, LossCurve, RegressionPlot};

use super::{check_finite, check_paths};
use crate::cli::{DemoArgs, Format};

/// Exercise 4's adaptive pooling: Adam with this learning rate...
const ADAPTIVE_LR: f32 = 0.05;
/// ...for this many epochs.
const ADAPTIVE_EPOCHS: usize = 300;
/// The figures, in the order they are drawn and written (file names without extension).
const FIGURES: [&str; 9] = [
    "average_pooling",
    "nonparametric_pooling",
    "nonparametric_attention",
    "training_loss",
    "parametric_pooling",
    "parametric_attention",
    "adaptive_training_loss",
    "adaptive_pooling",
    "adaptive_attention",
];
/// The chapter's training: SGD with this learning rate...
const LR: f32 = 0.5;
/// ...for this many epochs.
const EPOCHS: usize = 5;

/// Runs every step of the chapter, prints its numbers, then writes the figures.
///
/// Every figure is rendered in memory, then all are written together ([`Outputs`]), so a
/// failure leaves no partial set behind.
pub fn run(args: DemoArgs) -> Result<()> {
    let paths: Vec<PathBuf> = FIGURES
        .iter()
        .map(|name| figure_path(&args.out, name, args.format))
        .collect();
    let outputs: Vec<(&str, Option<&Path>)> =
        paths.iter().map(|p| ("--out", Some(p.as_path()))).collect();
    check_paths(&outputs, &[])?;
    // The chapter draws the initial w with torch.rand; ours comes from the same seed as the data.
    let (train_set, init, source) = if args.reference {
        let source = "PyTorch's draw, as in the chapter's reference run".to_string();
        (chapter_train(), Init::Value(CHAPTER_W0), source)
    } else {
        let data = Synthetic::new(args.n_train as usize, args.seed).train()?;
        (
            data,
            Init::Uniform { seed: args.seed },
            format!("seed {}", args.seed),
        )
    };
    let test = test_set();
    let (x, y) = (train_set.x(), train_set.y());
    let mut text = format!(
        "the chapter's data: {} training examples ({source}), {} test points\n",
        train_set.len(),
        test.len()
    );

    let average = AveragePooling.pool(test.x(), x, y, false, Par::Rayon)?;
    let nonparametric = NonparametricPooling::default().pool(test.x(), x, y, true, Par::Rayon)?;
    text += &format!(
        "average pooling:       test MSE {:.6}\n",
        mse(&average.y_hat, &test)?
    );
    text += &format!(
        "nonparametric pooling: test MSE {:.6} (bandwidth 1)\n",
        mse(&nonparametric.y_hat, &test)?
    );

    text += &format!(
        "training parametric pooling: w0 = {:.6}, SGD lr {LR}, {EPOCHS} epochs\n",
        init.value()
    );
    let report = train(
        x,
        y,
        init,
        EPOCHS,
        &mut Sgd { lr: LR },
        TrainPath::Fused,
        Par::Rayon,
    )?;
    for e in &report.epochs {
        text += &format!(
            "epoch {}, loss {}\n",
            e.epoch,
            super::train::loss_text(e.loss)
        );
    }
    // The chapter's five SGD steps are its numbers; what they learned is judged all the same.
    for w in &report.warnings {
        super::warn(w.code(), &format!("parametric pooling: {w}"));
    }
    let pooling = report.pooling;
    let parametric = pooling.pool(test.x(), x, y, true, Par::Rayon)?;
    text += &format!(
        "learned w = {:.6} (bandwidth 1/|w| = {:.6})\n",
        pooling.w(),
        pooling.bandwidth()
    );
    text += &format!(
        "parametric pooling:    test MSE {:.6}\n",
        mse(&parametric.y_hat, &test)?
    );

    // Exercise 4: a bandwidth that varies with x, learned on the same leave-one-out loss.
    let adaptive_report = train_adaptive(
        x,
        y,
        KernelKind::Gaussian,
        Learn::Adaptive,
        ADAPTIVE_EPOCHS,
        &mut Adam::new(ADAPTIVE_LR),
        Par::Rayon,
        &mut |_| {},
    )?;
    for w in &adaptive_report.warnings {
        super::warn(w.code(), &format!("adaptive pooling: {w}"));
    }
    let adaptive_pooling = adaptive_report.pooling;
    let adaptive = adaptive_pooling.pool(test.x(), x, y, true, Par::Rayon)?;
    let (a, b, c) = adaptive_pooling.params();
    text += &format!(
        "adaptive pooling (exercise 4): ln h(x) = {a:.4} + {b:.4} (x - {c:.4}), Adam lr \
         {ADAPTIVE_LR}, {ADAPTIVE_EPOCHS} epochs\n\
         adaptive pooling:      test MSE {:.6} (bandwidth {:.4} at x = 0 to {:.4} at x = 5)\n",
        mse(&adaptive.y_hat, &test)?,
        adaptive_pooling.bandwidth_at(0.0),
        adaptive_pooling.bandwidth_at(5.0)
    );

    let losses: Vec<f64> = report.epochs.iter().map(|e| e.loss).collect();
    let adaptive_losses: Vec<f64> = adaptive_report.epochs.iter().map(|e| e.loss).collect();
    let adaptive_title = format!(
        "Adaptive attention pooling (h from {:.2} to {:.2})",
        adaptive_pooling.bandwidth_at(0.0),
        adaptive_pooling.bandwidth_at(5.0)
    );
    let nonparametric_title = "Nonparametric attention pooling (h = 1)";
    let parametric_title = format!("Parametric attention pooling (w = {:.3})", pooling.w());
    // The figures draw f64 coordinates. The chapter's data fit its frame (x 0..5, y -1..5), so
    // the regression plots keep the chapter's axes.
    let wide = |v: &[f32]| -> Vec<f64> { v.iter().copied().map(f64::from).collect() };
    let (test_x, test_y, train_x, train_y) = (wide(test.x()), wide(test.y()), wide(x), wide(y));
    let regression = |pred: &[f32], title: &str| {
        render(
            &RegressionPlot::new(&test_x, &wide(pred))
                .truth(&test_y)
                .points(&train_x, &train_y)
                .title(title),
            args.format,
        )
    };
    // Both inputs are sorted (the generator and the reference set sort the training inputs,
    // the test grid ascends), so the chapter's axis labels are true here.
    let heatmap = |weights: &Option<nw_tensor::Tensor>, title: &str| {
        let weights = weights
            .as_ref()
            .context("the pooling returned no weights")?;
        render(
            &Heatmap::new(weights.data(), test.len(), train_set.len())
                .labels("Sorted training inputs", "Sorted testing inputs")
                .title(title),
            args.format,
        )
    };
    let figures: [Vec<u8>; FIGURES.len()] = [
        regression(&average.y_hat, "Average pooling")?,
        regression(&nonparametric.y_hat, nonparametric_title)?,
        heatmap(&nonparametric.weights, nonparametric_title)?,
        render(
            &LossCurve::new(&losses).title("Training loss (leave-one-out)"),
            args.format,
        )?,
        regression(&parametric.y_hat, &parametric_title)?,
        heatmap(&parametric.weights, &parametric_title)?,
        render(
            &LossCurve::new(&adaptive_losses).title("Adaptive pooling: training loss (Adam)"),
            args.format,
        )?,
        regression(&adaptive.y_hat, &adaptive_title)?,
        heatmap(&adaptive.weights, &adaptive_title)?,
    ];

    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the directory {}", args.out.display()))?;
    // All or none, the report with them.
    let mut outputs = Outputs::new();
    for (path, bytes) in paths.iter().zip(&figures) {
        outputs.stage(path, bytes)?;
        text += &format!("wrote {}\n", path.display());
    }
    outputs.stage_stdout(text.as_bytes());
    outputs.commit()?;
    Ok(())
}

/// Test MSE against the noise-free truth, refusing a non-finite prediction.
fn mse(y_hat: &[f32], test: &Dataset) -> Result<f64> {
    check_finite("prediction for test point", y_hat)?;
    Ok(loss::mse(y_hat, test.y())?)
}

/// A figure's file bytes in `format`.
fn render(figure: &impl Figure, format: Format) -> Result<Vec<u8>> {
    Ok(match format {
        Format::Png => figure.render_png()?,
        Format::Svg => figure.render_svg()?.into_bytes(),
    })
}

/// `DIR/NAME.EXT`.
fn figure_path(dir: &Path, name: &str, format: Format) -> PathBuf {
    dir.join(format!("{name}.{}", format.extension()))
}
