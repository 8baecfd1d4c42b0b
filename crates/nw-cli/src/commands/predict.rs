//! `nw predict`: attention pooling of a training set at query points.

use anyhow::{Result, bail};
use nw_data::{read_dataset, read_queries, write_columns, write_columns_to};
use nw_model::{AveragePooling, NonparametricPooling, ParametricPooling, Pooling};
use nw_tensor::Par;
use serde_json::json;

use super::{check_finite, emit, emit_json, f32_json, f32s_json};
use crate::cli::{PoolingKind, PredictArgs};

/// Reads, pools, and only then writes: no output file exists unless every result does.
pub fn run(args: PredictArgs) -> Result<()> {
    let (pooling, params) = pooling(&args)?;
    let train = read_dataset(&args.train)?;
    let queries = read_queries(&args.query)?;
    let out = pooling.pool(
        &queries,
        train.x(),
        train.y(),
        args.weights.is_some(),
        Par::Rayon,
    )?;
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

/// The pooling the flags ask for, and its parameters for the JSON report.
fn pooling(
    args: &PredictArgs,
) -> Result<(Box<dyn Pooling>, serde_json::Map<String, serde_json::Value>)> {
    let mut params = serde_json::Map::new();
    let pooling: Box<dyn Pooling> = match args.pooling {
        PoolingKind::Average => {
            if args.bandwidth.is_some() || args.w.is_some() {
                bail!("average pooling takes neither --bandwidth nor --w");
            }
            Box::new(AveragePooling)
        }
        PoolingKind::Nonparametric => {
            if args.w.is_some() {
                bail!(
                    "--w is the scale of parametric pooling; nonparametric pooling takes --bandwidth"
                );
            }
            let h = args.bandwidth.unwrap_or(1.0);
            params.insert("bandwidth".into(), f32_json(h));
            Box::new(NonparametricPooling::new(h)?)
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
            Box::new(p)
        }
    };
    Ok((pooling, params))
}
