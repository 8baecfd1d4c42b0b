//! `nw predict`: attention pooling of a training set at query points.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use nw_data::{Column, Outputs, input_name};
use nw_model::{
    AdaptivePooling, Attention, AveragePooling, Far, KernelKind, ModelError, NonparametricPooling,
    ParametricPooling, PoolOptions, Pooling, chapter,
};
use nw_tensor::{Par, Tensor};
use serde_json::{Value, json};

use super::{
    Training, check_paths, check_stdin_inputs, f32_json, f32s_json, json_text, read_queries,
    read_training, report_warnings, resolution_warning, select_bandwidth,
};
use crate::cli::{BandwidthArg, PathKind, PoolingKind, PredictArgs};

/// Reads, pools, and only then writes: no output file exists unless every result does, and
/// the printed report (JSON, or the predictions without `--out`) is part of that.
pub fn run(args: PredictArgs) -> Result<()> {
    let prints = args.json || args.out.is_none();
    check_stdin_inputs(&[
        ("--train", Some(&args.train)),
        ("--query", Some(&args.query)),
    ])?;
    check_paths(
        &[
            ("--out", args.out.as_deref()),
            ("--weights", args.weights.as_deref()),
            // Its printed report: --weights - beside it would mix two tables in one stream.
            ("standard output", prints.then_some(Path::new("-"))),
        ],
        &[
            ("--train", Some(&args.train)),
            ("--query", Some(&args.query)),
        ],
    )?;
    // One status line for the whole run: reading a large file takes seconds too.
    let progress = crate::progress::Progress::new("predict", None);
    progress.set_with(0, "reading the training set".to_string());
    let train = read_training(&args.train, &args.read)?;
    progress.set_with(0, "reading the queries".to_string());
    let query_file = read_queries(&args.query, &args.read, train.origin_x)?;
    // The kernels see inputs measured from the training set's origin.
    let queries = &query_file.shifted;
    let kind = args.kernel.kind();
    // Estimated before any work: the queries x keys matrices these two paths hold.
    let cells = queries.len() as u128 * train.len() as u128;
    // The chapter's tensors serve the kernel poolings of one bandwidth; the others are fused.
    let chapter = matches!(
        args.pooling,
        PoolingKind::Nonparametric | PoolingKind::Parametric
    );
    if args.path == PathKind::Chapter && chapter {
        // Keys and values tiled per query, the repeated queries, two scores in flight, the
        // weights and their copy for bmm.
        crate::limits::check(
            &format!(
                "--path chapter on {} queries x {} keys",
                queries.len(),
                train.len()
            ),
            7 * 4 * cells,
            "drop --path chapter (the fused path needs O(queries + keys))",
        )?;
    } else if args.weights.is_some() {
        crate::limits::check(
            &format!(
                "--weights for {} queries x {} keys",
                queries.len(),
                train.len()
            ),
            4 * cells,
            "drop --weights, or predict fewer queries at a time",
        )?;
    }
    progress.set_with(0, "choosing the pooling".to_string());
    let (pooling, mut params, scale) = pooling(&args, &train)?;
    let options = PoolOptions {
        weights: args.weights.is_some(),
        diagnostics: args.diagnostics,
        far: args.far.policy(),
        par: Par::Rayon,
    };
    progress.set_with(
        0,
        format!(
            "pooling {} queries over {} keys",
            queries.len(),
            train.len()
        ),
    );
    let out = match (args.path, scale) {
        (PathKind::Chapter, Some(w)) => {
            if kind != KernelKind::Gaussian {
                bail!(
                    "--path chapter is the chapter's tensors, written for the gaussian kernel; \
                     --kernel {} runs on the fused path",
                    kind.name()
                );
            }
            chapter_path(queries, train.x(), train.y(), w, &options)?
        }
        // Average pooling has one way only.
        _ => pooling
            .pool_with(queries, train.x(), train.y(), &options)
            .map_err(|e| match e {
                ModelError::FarQueries { .. } => anyhow!(
                    "{e}; widen --bandwidth, or choose what such queries get with \
                     --far nan|nearest|mean"
                ),
                other => other.into(),
            })?,
    };
    progress.finish();
    // The bandwidth search's warnings (with --bandwidth auto), then this pooling's own.
    let mut warnings: Vec<serde_json::Value> = match params.remove("warnings") {
        Some(serde_json::Value::Array(list)) => list,
        _ => Vec::new(),
    };
    if !out.far.is_empty() {
        let what = match options.far {
            Far::Nan => "NaN",
            Far::Nearest => "the target of the nearest training input",
            Far::Mean => "the mean of the training targets",
            // Error never gets here: the pooling refused.
            Far::Error => "an error",
        };
        // A query without an estimate is a weak answer: a warning, never silenced.
        let message = format!(
            "{} of {} queries had no kernel estimate (no training input within the {} \
             kernel's reach); they got {what} (--far {})",
            out.far.len(),
            queries.len(),
            kind.name(),
            options.far.name()
        );
        warnings.push(super::warn("far_queries", &message));
    }
    if let Some(w) = scale {
        let rounding = train.rounding.max(query_file.rounding);
        warnings.extend(resolution_warning(rounding, 1.0 / w.abs()));
    }
    params.insert("far_queries".into(), json!(out.far.len()));
    // Every report carries its warnings, an empty list when the answer is ordinary.
    params.insert("warnings".into(), json!(warnings));
    if options.far != Far::Nan {
        // Only --far nan may leave a prediction that is not a number.
        if let Some(i) = out.y_hat.iter().position(|v| !v.is_finite()) {
            bail!(
                "the prediction at query {} (x = {}) of {} is {}, not a number that can be \
                 reported",
                i + 1,
                query_file.x[i],
                input_name(&args.query),
                out.y_hat[i]
            );
        }
    }

    // The queries as given (not the f32 the kernels saw), and the predictions in the
    // targets' own units: f32 as computed, or in f64 with the targets' origin added back.
    let y_hat64: Vec<f64> = if train.origin_y.is_zero() {
        Vec::new()
    } else {
        out.y_hat
            .iter()
            .map(|&v| train.origin_y.shortest(v))
            .collect()
    };
    let y_hat = if train.origin_y.is_zero() {
        Column::F32(&out.y_hat)
    } else {
        Column::F64(&y_hat64)
    };
    let mut names = vec!["x", "y_hat"];
    let mut columns: Vec<Column<'_>> = vec![Column::F64(&query_file.x), y_hat];
    if let Some(d) = &out.diagnostics {
        names.extend(["log_weight_sum", "effective_keys", "nearest_distance"]);
        columns.extend([
            Column::F32(&d.log_weight_sum),
            Column::F32(&d.effective_keys),
            Column::F32(&d.nearest_distance),
        ]);
    }
    // The weights and the predictions: both files or neither. NaN (an estimate the caller
    // chose to leave out) and -inf (a log of an empty sum) appear only where --far nan put
    // them, as marks.
    let mut outputs = Outputs::new();
    if let (Some(path), Some(weights)) = (&args.weights, &out.weights) {
        // A row per query, streamed from the matrix: no second copy of it.
        outputs.stage_matrix_marked(
            path,
            ("x", &query_file.x),
            "k",
            weights.data(),
            train.len(),
        )?;
    }
    if let Some(path) = &args.out {
        outputs.stage_table_marked(path, &names, &columns)?;
    }
    if args.json {
        let mut report = json!({
            "pooling": pooling.name(),
            "kernel": kind.name(),
            "train": input_name(&args.train),
            "n_train": train.len(),
            "n_query": queries.len(),
            "columns": train.json(),
            "query_dropped_rows": query_file.dropped,
            "queries": query_file.x,
            "predictions": if train.origin_y.is_zero() {
                f32s_json(&out.y_hat)
            } else {
                json!(y_hat64)
            },
        });
        let fields = report.as_object_mut().expect("a JSON object");
        fields.extend(params);
        if let Some(d) = &out.diagnostics {
            fields.insert(
                "diagnostics".into(),
                json!({
                    "log_weight_sum": f32s_json(&d.log_weight_sum),
                    "effective_keys": f32s_json(&d.effective_keys),
                    "nearest_distance": f32s_json(&d.nearest_distance),
                }),
            );
        }
        outputs.stage_stdout(json_text(&report)?.as_bytes());
    } else if args.out.is_none() {
        let mut text = Vec::new();
        nw_data::write_table_marked_to(&mut text, "standard output", &names, &columns)?;
        outputs.stage_stdout(&text);
    }
    outputs.commit()?;
    if let Some(path) = &args.weights {
        note!(
            "wrote the {} x {} attention weights to {}",
            queries.len(),
            train.len(),
            path.display()
        );
    }
    if let Some(path) = &args.out {
        note!("wrote {} predictions to {}", queries.len(), path.display());
    }
    Ok(())
}

/// The chapter's formulation: every query gets its own row of keys and values, the weight
/// matrix, then `bmm` (Gaussian kernel, no far queries).
fn chapter_path(
    queries: &[f32],
    keys: &[f32],
    values: &[f32],
    w: f32,
    options: &PoolOptions,
) -> Result<Attention> {
    if options.diagnostics {
        bail!("--diagnostics come from the fused path; drop --path chapter to get them");
    }
    let n = queries.len();
    let (y_hat, weights) = chapter::forward(
        &Tensor::from_slice(queries),
        &chapter::tile(keys, n)?,
        &chapter::tile(values, n)?,
        w,
        options.par,
    )?;
    Ok(Attention {
        y_hat: y_hat.into_vec(),
        weights: options.weights.then_some(weights),
        diagnostics: None,
        far: Vec::new(),
    })
}

/// The pooling the flags ask for, its parameters for the JSON report, and its scale `w`
/// (`1 / h` for nonparametric pooling; none for average pooling). `--bandwidth auto` runs
/// the cross-validation search on the training set here.
fn pooling(
    args: &PredictArgs,
    train: &Training,
) -> Result<(Box<dyn Pooling>, Params, Option<f32>)> {
    let (x, y) = (train.x(), train.y());
    let kind = args.kernel.kind();
    let mut params = Params::new();
    params.insert(
        "path".into(),
        json!(format!("{:?}", args.path).to_lowercase()),
    );
    if args.pooling != PoolingKind::Adaptive
        && (args.a.is_some() || args.b.is_some() || args.center.is_some())
    {
        bail!("--a, --b and --center are adaptive pooling's (--pooling adaptive)");
    }
    let (pooling, scale): (Box<dyn Pooling>, _) = match args.pooling {
        PoolingKind::Average => {
            if args.bandwidth.is_some() || args.w.is_some() {
                bail!("average pooling takes neither --bandwidth nor --w");
            }
            (Box::new(AveragePooling), None)
        }
        PoolingKind::Adaptive => {
            if args.bandwidth.is_some() || args.w.is_some() {
                bail!(
                    "adaptive pooling takes --a, --b and --center (its bandwidth is \
                     exp(a + b (x - center))), not --bandwidth or --w"
                );
            }
            let Some(a) = args.a else {
                bail!("adaptive pooling needs --a (learn it with `nw train --model adaptive`)");
            };
            let (b, c) = (args.b.unwrap_or(0.0), args.center.unwrap_or(0.0));
            params.insert("a".into(), f32_json(a));
            params.insert("b".into(), f32_json(b));
            params.insert("center".into(), json!(c));
            // The kernels measure inputs from the training set's origin; so is the center.
            let c = train.origin_x.shift(c);
            (Box::new(AdaptivePooling::new(kind, a, b, c)?), None)
        }
        PoolingKind::Nonparametric => {
            if args.w.is_some() {
                bail!(
                    "--w is the scale of parametric pooling; nonparametric pooling takes --bandwidth"
                );
            }
            let h = match args.bandwidth.unwrap_or(BandwidthArg::Value(1.0)) {
                BandwidthArg::Value(h) => h,
                BandwidthArg::Auto => {
                    let found = select_bandwidth(kind, x, y, args.max_isolated)?;
                    note!(
                        "bandwidth {} chosen by leave-one-out cross-validation (CV {})",
                        found.h,
                        found.cv
                    );
                    params.insert("bandwidth_method".into(), json!("cv"));
                    params.insert("cv".into(), json!(found.cv));
                    params.insert("cv_isolated".into(), json!(found.isolated));
                    params.insert("warnings".into(), report_warnings(&found.warnings));
                    found.h
                }
            };
            params.insert("bandwidth".into(), f32_json(h));
            (
                Box::new(NonparametricPooling::with_kernel(kind, h)?),
                Some(1.0 / h),
            )
        }
        PoolingKind::Parametric => {
            if args.bandwidth.is_some() {
                bail!("parametric pooling takes --w (its bandwidth is 1/|w|), not --bandwidth");
            }
            let Some(w) = args.w else {
                bail!("parametric pooling needs --w (learn one with `nw train`)");
            };
            let p = ParametricPooling::with_kernel(kind, w)?;
            params.insert("w".into(), f32_json(w));
            params.insert("bandwidth".into(), f32_json(p.bandwidth()));
            (Box::new(p), Some(w))
        }
    };
    Ok((pooling, params, scale))
}

/// Fields of the JSON report.
type Params = serde_json::Map<String, Value>;
