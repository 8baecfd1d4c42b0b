//! `nw demo`: the chapter end to end, from data to the six figures.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nw_data::{CHAPTER_W0, Dataset, Outputs, Synthetic, chapter_train, test_set};
use nw_model::{
    AveragePooling, Init, NonparametricPooling, Path as TrainPath, Pooling, Sgd, loss, train,
};
use nw_tensor::Par;
use nw_viz::{Figure, Heatmap, LossCurve, RegressionPlot};

use super::{check_finite, emit};
use crate::cli::{DemoArgs, Format};

/// The chapter's training: SGD with this learning rate...
const LR: f32 = 0.5;
/// ...for this many epochs.
const EPOCHS: usize = 5;

/// Runs every step of the chapter, prints its numbers, then writes the figures.
///
/// All six figures are rendered in memory before the first file is written, so a failure
/// while drawing leaves no partial set behind.
pub fn run(args: DemoArgs) -> Result<()> {
    // The chapter draws the initial w with torch.rand; ours comes from the same seed as the data.
    let (train_set, init, source) = if args.reference {
        let source = "PyTorch's draw, as in the chapter's reference run".to_string();
        (chapter_train(), Init::Value(CHAPTER_W0), source)
    } else {
        let data = Synthetic::new(args.n_train as usize, args.seed).train();
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
        text += &format!("epoch {}, loss {:.6}\n", e.epoch, e.loss);
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

    let losses: Vec<f32> = report.epochs.iter().map(|e| e.loss).collect();
    let nonparametric_title = "Nonparametric attention pooling (h = 1)";
    let parametric_title = format!("Parametric attention pooling (w = {:.3})", pooling.w());
    let regression = |pred: &[f32], title: &str| {
        render(
            &RegressionPlot::new(test.x(), pred)
                .truth(test.y())
                .points(x, y)
                .title(title),
            args.format,
        )
    };
    let heatmap = |weights: &Option<nw_tensor::Tensor>, title: &str| {
        let weights = weights
            .as_ref()
            .context("the pooling returned no weights")?;
        render(
            &Heatmap::new(weights.data(), test.len(), train_set.len()).title(title),
            args.format,
        )
    };
    let figures: Vec<(&str, Vec<u8>)> = vec![
        (
            "average_pooling",
            regression(&average.y_hat, "Average pooling")?,
        ),
        (
            "nonparametric_pooling",
            regression(&nonparametric.y_hat, nonparametric_title)?,
        ),
        (
            "nonparametric_attention",
            heatmap(&nonparametric.weights, nonparametric_title)?,
        ),
        (
            "training_loss",
            render(
                &LossCurve::new(&losses).title("Training loss (leave-one-out)"),
                args.format,
            )?,
        ),
        (
            "parametric_pooling",
            regression(&parametric.y_hat, &parametric_title)?,
        ),
        (
            "parametric_attention",
            heatmap(&parametric.weights, &parametric_title)?,
        ),
    ];

    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create the directory {}", args.out.display()))?;
    // All six or none.
    let mut outputs = Outputs::new();
    for (name, bytes) in &figures {
        outputs.stage(figure_path(&args.out, name, args.format), bytes)?;
    }
    for path in outputs.commit()? {
        text += &format!("wrote {}\n", path.display());
    }
    emit(&text)
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
