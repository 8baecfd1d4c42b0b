//! `nw predict`: attention pooling of a training set at query points.

use anyhow::{Result, bail};
use nw_data::{read_dataset, read_queries, write_columns, write_columns_to};
use nw_model::{
    Attention, AveragePooling, NonparametricPooling, ParametricPooling, Pooling, chapter,
};
use nw_tensor::{Par, Tensor};
use serde_json::json;

use super::{check_finite, emit, emit_json, f32_json, f32s_json};
use crate::cli::{PathKind, PoolingKind, PredictArgs};

/// Reads, pools, and only then writes: no output file exists unless every result does.
pub fn run(args: PredictArgs) -> Result<()> {
    let (pooling, params, scale) = pooling(&args)?;
    let train = read_dataset(&args.train)?;
    let queries = read_queries(&args.query)?;
    let want_weights = args.weights.is_some();
    let out = match (args.path, scale) {
        (PathKind::Chapter, Some(w)) => {
            // The chapter's formulation: every query gets its own row of keys and values.
            let n = queries.len();
            let (y_hat, weights) = chapter::forward(
                &Tensor::from_slice(&queries),
                &chapter::tile(train.x(), n)?,
                &chapter::tile(train.y(), n)?,
                w,
                Par::Rayon,
            )?;
            Attention {
                y_hat: y_hat.into_vec(),
                weights: want_weights.then_some(weights),
            }
        }
        // Average pooling has one way only.
        _ => pooling.pool(&queries, train.x(), train.y(), want_weights, Par::Rayon)?,
    };
    check_finite("prediction for query", &out.y_hat)?;

    if let (Some(path), Some(weights)) = (&args.weights, &out.weights) {
        let m = train.len();
        // One column per key: the weights of key j across the queries.
        let columns: Vec<Vec<f32>> = (0..m)
            .map(|j| weights.data().iter().skip(j).step_by(m).copied().collect())
            .collect();
        let names: Vec<String> = (1..=m).map(|j| format!("k{j}")).collect();
        let mut all_names = vec!["x"];
        all_names.extend(names.iter().map(String::as_str));
        let mut all_columns = vec![queries.as_slice()];
        all_columns.extend(columns.iter().map(Vec::as_slice));
        write_columns(path, &all_names, &all_columns)?;
        eprintln!(
            "wrote the {} x {m} attention weights to {}",
            queries.len(),
            path.display()
        );
    }
    if let Some(path) = &args.out {
        write_columns(path, &["x", "y_hat"], &[&queries, &out.y_hat])?;
        eprintln!("wrote {} predictions to {}", queries.len(), path.display());
    }
    if args.json {
        let mut report = json!({
            "pooling": pooling.name(),
            "train": args.train.display().to_string(),
            "n_train": train.len(),
            "n_query": queries.len(),
            "queries": f32s_json(&queries),
            "predictions": f32s_json(&out.y_hat),
        });
        report
            .as_object_mut()
            .expect("a JSON object")
            .extend(params);
        emit_json(&report)?;
    } else if args.out.is_none() {
        let mut text = Vec::new();
        write_columns_to(
            &mut text,
            "standard output",
            &["x", "y_hat"],
            &[&queries, &out.y_hat],
        )?;
        emit(&String::from_utf8(text)?)?;
    }
    Ok(())
}

/// The pooling the flags ask for, its parameters for the JSON report, and its Gaussian
/// scale `w` (`1 / h` for nonparametric pooling; none for average pooling).
fn pooling(args: &PredictArgs) -> Result<(Box<dyn Pooling>, Params, Option<f32>)> {
    let mut params = Params::new();
    params.insert(
        "path".into(),
        json!(format!("{:?}", args.path).to_lowercase()),
    );
    let (pooling, scale): (Box<dyn Pooling>, _) = match args.pooling {
        PoolingKind::Average => {
            if args.bandwidth.is_some() || args.w.is_some() {
                bail!("average pooling takes neither --bandwidth nor --w");
            }
            (Box::new(AveragePooling), None)
        }
        PoolingKind::Nonparametric => {
            if args.w.is_some() {
                bail!(
                    "--w is the scale of parametric pooling; nonparametric pooling takes --bandwidth"
                );
            }
            let h = args.bandwidth.unwrap_or(1.0);
            params.insert("bandwidth".into(), f32_json(h));
            (Box::new(NonparametricPooling::new(h)?), Some(1.0 / h))
        }
        PoolingKind::Parametric => {
            if args.bandwidth.is_some() {
                bail!("parametric pooling takes --w (its bandwidth is 1/|w|), not --bandwidth");
            }
            let Some(w) = args.w else {
                bail!("parametric pooling needs --w (learn one with `nw train`)");
            };
            let p = ParametricPooling::new(w)?;
            params.insert("w".into(), f32_json(w));
            params.insert("bandwidth".into(), f32_json(p.bandwidth()));
            (Box::new(p), Some(w))
        }
    };
    Ok((pooling, params, scale))
}

/// Fields of the JSON report.
type Params = serde_json::Map<String, serde_json::Value>;
